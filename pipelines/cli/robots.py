"""`corpusgate robots check`: RFC 9309 verdicts for URLs against one robots.txt file."""

from __future__ import annotations

import argparse
import json
import sys

CHECK_DESCRIPTION = """\
Answer, for each URL, whether UA may fetch it under the robots.txt in FILE
(RFC 9309, with Google's reference parser as the tie-breaker where the RFC leaves room).
Each answer names the deciding rule and its line number in FILE.

The URLs' hosts are not compared with anything: FILE is taken to be the robots.txt of
their site. Non-ASCII characters in a URL are percent-encoded (UTF-8) first, as a crawler
would have requested them.

--status gives the HTTP status the robots.txt fetch ended with (RFC 9309 2.3.1): 2xx parses
FILE; 4xx allows everything (no FILE needed); 5xx, 429 and 'unreachable' disallow everything.

UA is the crawler's name. Groups are matched by its product token (RFC 9309 2.2.1): the name's
leading letters, '-' and '_' ('Sogou web spider' -> Sogou, 'AB42bot' -> AB), as Google's parser
does; a name with none ('360Spider') is matched with the groups' user-agent lines as written.
Anything but a plain product token gets a warning on stderr saying which token was matched.

Output: one line per URL, `allowed` or `disallowed`, the URL, the rule and its line. With
--json, one JSON document: {user_agent, matched_token, matched_by, note, status, allowed,
results: [{url, path, allowed, rule, line, note}]}. With --jsonl, one JSON object per URL, one
per line (JSON Lines), with the keys url, path, user_agent, matched_token, allowed, rule, line,
note.

Exit status: 0 when every URL is allowed, 1 when any is disallowed, 2 for usage errors
(unreadable FILE, an empty user agent, a bad --status)."""

CHECK_EPILOG = """\
examples:
  corpusgate robots check --robots-txt robots.txt --user-agent corpusgate-bot \\
      https://example.org/ https://example.org/private/report.html
  allowed     https://example.org/  (no rule matched in the '*' group(s) (line 1))
  disallowed  https://example.org/private/report.html  Disallow: /private/ (line 3)

  corpusgate robots check --status 503 --user-agent corpusgate-bot https://example.org/
  corpusgate robots check --robots-txt robots.txt --user-agent corpusgate-bot --json URL
  corpusgate robots check --robots-txt robots.txt --user-agent "Sogou web spider" --jsonl URL"""


def register(sub: argparse._SubParsersAction) -> None:
    robots = sub.add_parser(
        "robots",
        help="robots.txt (RFC 9309) verdicts",
        description="robots.txt (RFC 9309) tools. See `corpusgate robots check --help`.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    robots.set_defaults(handler=lambda _args: _usage(robots))
    actions = robots.add_subparsers(dest="robots_command", metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="may a user agent fetch these URLs under this robots.txt?",
        description=CHECK_DESCRIPTION,
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--robots-txt", metavar="FILE", help="the robots.txt body (as fetched)")
    check.add_argument(
        "--user-agent",
        metavar="UA",
        required=True,
        help="the crawler's name, e.g. corpusgate-bot or 'Sogou web spider' (matched by its "
        "product token, see above)",
    )
    check.add_argument(
        "--status",
        metavar="CODE",
        default="200",
        help="HTTP status of the robots.txt fetch, or 'unreachable' (default: 200)",
    )
    output = check.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON document for all URLs")
    output.add_argument("--jsonl", action="store_true", help="JSON Lines: one object per URL")
    check.add_argument("urls", nargs="+", metavar="URL", help="URLs (or paths) to check")
    check.set_defaults(handler=_check)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _status(value: str) -> int | None:
    from corpusgate.pipelines.cli import CliError

    if value.strip().lower() == "unreachable":
        return None
    try:
        status = int(value)
    except ValueError:
        raise CliError(f"--status {value!r}: give an HTTP status code or 'unreachable'") from None
    if not 100 <= status <= 599:
        raise CliError(f"--status {value}: HTTP status codes run from 100 to 599")
    return status


def _check(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, EXIT_OK, CliError
    from corpusgate.transforms.provenance.robots import (
        normalize_url,
        path_from_url,
        robots_for_status,
        user_agent_token,
    )

    try:
        agent = user_agent_token(args.user_agent)
    except ValueError as err:
        raise CliError(f"--user-agent: {err}") from None
    if agent.note:
        print(f"corpusgate: warning: {agent.note}", file=sys.stderr)
    status = _status(args.status)
    content: bytes | None = None
    if status is not None and 200 <= status < 300:
        if not args.robots_txt:
            raise CliError(f"--status {status} needs --robots-txt FILE")
        try:
            with open(args.robots_txt, "rb") as fh:
                content = fh.read()
        except OSError as err:
            raise CliError(f"cannot read --robots-txt {args.robots_txt}: {err.strerror}") from None
    robots = robots_for_status(status, content)

    results = []
    for url in args.urls:
        encoded = normalize_url(url)
        verdict = robots.verdict_for(encoded, agent)
        results.append(
            {
                "url": url,
                "path": path_from_url(encoded),
                "allowed": verdict.allowed,
                "rule": verdict.rule,
                "line": verdict.line,
                "note": verdict.note,
            }
        )
    every = all(r["allowed"] for r in results)
    if args.json:
        print(
            json.dumps(
                {
                    "user_agent": args.user_agent,
                    "matched_token": agent.token,
                    "matched_by": "name" if agent.by_name else "product_token",
                    "note": agent.note,
                    "status": "unreachable" if status is None else status,
                    "allowed": every,
                    "results": results,
                },
                ensure_ascii=False,
            )
        )
    for result in results:
        if args.jsonl:
            row = {"user_agent": args.user_agent, "matched_token": agent.token, **result}
            print(json.dumps(row, ensure_ascii=False))
        elif not args.json:
            word = "allowed" if result["allowed"] else "disallowed"
            why = (
                f"{result['rule']} (line {result['line']})"
                if result["rule"]
                else f"({result['note']})"
            )
            print(f"{word:10}  {result['url']}  {why}")
    return EXIT_OK if every else EXIT_NEGATIVE

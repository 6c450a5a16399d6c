"""`corpusgate pii scan`: personal-information entities in text read from stdin."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

_EPILOG = """\
examples:
  echo '我的手机号是13800138000，身份证110102199101010078' | corpusgate pii scan --language zh
  corpusgate pii scan --language en --json < letter.txt
  corpusgate pii scan --language zh --jsonl < records.jsonl > entities.jsonl

Output never contains the matched values, only their type, span (character offsets into the
input), score and class (`personal`, or `sensitive` under PIPL art. 28). Classes, actions and
score thresholds come from the policy file (default: the packaged configs/policies/pii.yaml).
With --jsonl, each input line must be a JSON object with a string `text` field; one result
object {"line": N, "entities": [...]} is printed per input line, in order.
Exit codes: 0 scanned (whether or not anything was found), 2 bad usage or bad input.
"""


def register(sub: argparse._SubParsersAction) -> None:
    pii = sub.add_parser(
        "pii",
        help="detect personal information (Presidio + Chinese recognizers)",
        description="Personal-information detection.",
    )
    pii_sub = pii.add_subparsers(dest="pii_command", metavar="SUBCOMMAND")
    scan = pii_sub.add_parser(
        "scan",
        help="print the PII entities found in text read from stdin",
        description=(
            "Read text on stdin and print the personal-information entities found: resident ID "
            "numbers, mobile and landline numbers, bank cards, passports, unified social credit "
            "codes, e-mail, IP and URL (Chinese); e-mail, phone, cards, IBAN, IP, URL, US SSN "
            "and more (English). Runs offline: no model is downloaded."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument(
        "--language", choices=["zh", "en"], default="zh", help="language of the text (default: zh)"
    )
    out = scan.add_mutually_exclusive_group()
    out.add_argument(
        "--json", action="store_true", help="print one JSON document for the whole input"
    )
    out.add_argument(
        "--jsonl",
        action="store_true",
        help="input is JSON lines with a `text` field; print one result per line",
    )
    scan.add_argument(
        "--policy",
        metavar="FILE",
        help="PII policy YAML (default: the packaged configs/policies/pii.yaml)",
    )
    scan.set_defaults(handler=_scan)
    pii.set_defaults(handler=_no_subcommand(pii))


def _no_subcommand(parser: argparse.ArgumentParser) -> Any:
    def handler(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return handler


def _scan(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.pii.engine import PiiDetector, PiiPolicy

    try:
        policy = PiiPolicy.load(args.policy) if args.policy else PiiPolicy.load()
        detector = PiiDetector(policy=policy, languages=(args.language,))
    except ValueError as err:
        raise CliError(str(err), 2) from err

    if args.jsonl:
        # Validate every line before printing anything, so a bad line never leaves half a result.
        texts = []
        for n, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                raise CliError(f"stdin line {n}: empty line (expected a JSON object)", 2)
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise CliError(f"stdin line {n}: not valid JSON: {err.msg}", 2) from err
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise CliError(f"stdin line {n}: expected an object with a string `text`", 2)
            texts.append(obj["text"])
        for n, entities in enumerate(detector.detect_batch(texts, args.language), start=1):
            doc = {"line": n, "entities": [e.to_dict() for e in entities]}
            sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return 0

    text = sys.stdin.read()
    entities = detector.detect(text, args.language)
    if args.json:
        doc = {
            "language": args.language,
            "policy_version": policy.version,
            "chars": len(text),
            "entities": [e.to_dict() for e in entities],
        }
        print(json.dumps(doc, ensure_ascii=False))
        return 0
    if not entities:
        print("no personal information found")
        return 0
    print(f"{'type':<16} {'start':>6} {'end':>6} {'score':>5}  class")
    for e in entities:
        print(f"{e.entity_type:<16} {e.start:>6} {e.end:>6} {e.score:>5.2f}  {e.pii_class}")
    return 0

"""`corpusgate pii scan`: personal-information entities in text read from stdin
(GB/T 45654-2025 4.2.3)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

_DESCRIPTION = """\
Read text on stdin and print the personal-information entities found in it, as the `run`
pipeline's personal-information step would find them: resident ID numbers, mobile and landline
numbers, bank cards, passports and unified social credit codes (Chinese formats); phone numbers,
e-mail addresses, payment cards, IBANs, IP addresses, URLs, crypto wallets; US SSN, ITIN,
passport and bank numbers and UK NHS numbers (English text).

Structured identifiers are found whatever the language: a Chinese resident ID in an English
letter is found. The language chooses the context words that make a weak match count
(电话 / "phone" before a number, 护照 / "passport" before a passport number) and how patterns
treat text written without spaces. Runs offline: no model is downloaded."""

_EPILOG = """\
examples:
  echo '我的手机号是13800138000，身份证110102199101010078' | corpusgate pii scan --language zh
  echo 'My ID is 110101199003074514, call 0688 872 49 99' | corpusgate pii scan --language en
  corpusgate pii scan --language en --json < letter.txt
  corpusgate pii scan --language zh --jsonl < records.jsonl > entities.jsonl
  corpusgate pii scan --language auto --jsonl < mixed.jsonl  # per-line "language" wins

Output never contains the matched values, only their type, span (character offsets into the
input), score and class (`personal`, or `sensitive` under PIPL art. 28). Classes, actions and
score thresholds come from the policy file (default: the packaged configs/policies/pii.yaml).

--language takes an ISO 639-1 code. zh and en have context words of their own; ja and ko use
the Chinese ones; any other code, or `auto`, uses the words of the text's script (Chinese when
a tenth of it is CJK, else English).

--json prints one JSON document: {"language", "profile", "policy_version",
"detector_version", "chars", "entities": [{"type", "start", "end", "score", "class"}, ...]}.
--jsonl reads JSON lines, each an object with a string `text` (and optionally `language`, which
overrides --language for that line); it prints one object {"line": N, "entities": [...]} per
input line, in order, after checking every line first.

exit codes: 0 scanned (whether or not anything was found); 2 bad usage, policy or input."""

_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def _language(value: str) -> str | None:
    if value.lower() == "auto":
        return None
    if not _LANGUAGE.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a language code (give an ISO 639-1 code such as zh, en, ja, or auto)"
        )
    return value


def register(sub: argparse._SubParsersAction) -> None:
    pii = sub.add_parser(
        "pii",
        help="detect personal information (Presidio + Chinese recognizers)",
        description="Personal-information detection (GB/T 45654-2025 4.2.3).",
    )
    pii_sub = pii.add_subparsers(dest="pii_command", metavar="SUBCOMMAND")
    scan = pii_sub.add_parser(
        "scan",
        help="print the PII entities found in text read from stdin",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument(
        "--language",
        type=_language,
        default="zh",
        metavar="CODE",
        help="ISO 639-1 code of the text (zh, en, ja, ...) or auto (default: zh)",
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


def _read_jsonl() -> tuple[list[str], list[str | None]]:
    """Every line's text and language, or CliError naming the first bad line."""
    from corpusgate.pipelines.cli import CliError

    texts: list[str] = []
    languages: list[str | None] = []
    for n, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            raise CliError(f"stdin line {n}: empty line (expected a JSON object)", 2)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise CliError(f"stdin line {n}: not valid JSON: {err.msg}", 2) from err
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise CliError(f"stdin line {n}: expected an object with a string `text`", 2)
        language = obj.get("language", _UNSET)
        if language is not _UNSET and language is not None and not isinstance(language, str):
            raise CliError(f"stdin line {n}: `language` must be a string or null", 2)
        texts.append(obj["text"])
        languages.append(language)  # type: ignore[arg-type]
    return texts, languages


_UNSET: Any = object()


def _scan(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.pii.detector import PiiDetector
    from corpusgate.transforms.pii.languages import profile_for
    from corpusgate.transforms.pii.policy import PiiPolicy

    try:
        policy = PiiPolicy.load(args.policy) if args.policy else PiiPolicy.load()
        detector = PiiDetector(policy=policy)
    except ValueError as err:
        raise CliError(str(err), 2) from err

    if args.jsonl:
        # Validate every line before printing anything, so a bad line never leaves half a result.
        texts, languages = _read_jsonl()
        languages = [args.language if lang is _UNSET else lang for lang in languages]
        for n, entities in enumerate(detector.detect_batch(texts, languages), start=1):
            doc = {"line": n, "entities": [e.to_dict() for e in entities]}
            sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return 0

    text = sys.stdin.read()
    entities = detector.detect(text, args.language)
    if args.json:
        doc = {
            "language": args.language or "auto",
            "profile": profile_for(args.language, text),
            "policy_version": policy.version,
            "detector_version": detector.version,
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

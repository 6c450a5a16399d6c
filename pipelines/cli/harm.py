"""`corpusgate harm scan|calibrate`: the harm decision on text from stdin, and its measured error."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

_SCAN_EPILOG = """\
examples:
  echo '澳门娱乐城真人娱乐，注册送彩金' | corpusgate harm scan
  corpusgate harm scan --json < post.txt
  corpusgate harm scan --jsonl < records.jsonl > verdicts.jsonl

Plain input is one text per line; with --jsonl each line is a JSON object with a string `text`
and an optional `language` (ISO 639-1: zh, en, ...; without it a script test decides which
models run). One object per input line is printed, in order:
  {"line": N, "flagged": bool, "codes": [...], "signals": [...], "review_priority": x}
Each signal names a term or a model, its Appendix A codes, tier (expression, mention, model)
and score; a term signal also gives the view it was seen in (text, variant, leet, pinyin,
homophone) and its span. Without --json/--jsonl a table is printed. The policy file decides
(default: the packaged configs/policies/harm.yaml).
Exit codes: 0 scanned and nothing flagged, 1 at least one line flagged, 2 bad usage or input.
"""

_CALIBRATE_EPILOG = """\
Measures the whole decision (what `run` and `assess` use) on the shared data: the share of
clean text flagged (the `calibrate` part of each clean set, never trained on) and the share of
harmful text flagged (the labelled dev splits, their non-holdout part), per source type, and
prints the `gate.detector_error` block of the harm policy with those counts. Paste it into the
policy (bump its version) whenever the library, a model or the policy changes.

example:
  corpusgate harm calibrate --data ../shared/data
  corpusgate harm calibrate --json | jq .detector_error.default
"""


def register(sub: argparse._SubParsersAction) -> None:
    harm = sub.add_parser(
        "harm",
        help="the harm decision (Appendix A) on text from stdin, and its measured error",
        description="Harmful-content detection under the harm policy (GB/T 45654-2025 4.2.1).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `corpusgate harm scan --help` for examples.",
    )
    harm_sub = harm.add_subparsers(dest="harm_command", metavar="SUBCOMMAND")
    scan = harm_sub.add_parser(
        "scan",
        help="flag, codes and signals for each line of stdin",
        description=(
            "Read text on stdin and print, per line, whether the harm policy flags it, the "
            "Appendix A codes, and every signal (keyword term or model) with its tier and score."
        ),
        epilog=_SCAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    out = scan.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON document for all lines")
    out.add_argument(
        "--jsonl",
        action="store_true",
        help="input is JSON lines with `text` (and optional `language`); one result per line",
    )
    scan.add_argument("--policy", metavar="FILE", help="harm policy YAML (default: packaged)")
    scan.add_argument("--library", metavar="DIR", help="keyword library folder (default: packaged)")
    scan.add_argument("--language", help="language code for every line (default: per line)")
    scan.set_defaults(handler=_scan)

    cal = harm_sub.add_parser(
        "calibrate",
        help="measure the decision's false- and true-positive rates per source type",
        description="Measure the harm decision's error per source type for the gate's correction.",
        epilog=_CALIBRATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cal.add_argument(
        "--data",
        type=Path,
        help="shared data folder (default: $CORPUSGATE_SHARED_DATA or ../shared/data)",
    )
    cal.add_argument("--policy", metavar="FILE", help="harm policy YAML (default: packaged)")
    cal.add_argument("--json", action="store_true", help="print one JSON document")
    cal.set_defaults(handler=_calibrate)
    harm.set_defaults(handler=_no_subcommand(harm))


def _no_subcommand(parser: argparse.ArgumentParser) -> Any:
    def handler(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return handler


def _detector(policy_path: str | None, library: str | None) -> Any:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.detect import HarmDetector, HarmPolicy

    try:
        return HarmDetector.load(HarmPolicy.load(policy_path), library)
    except (OSError, ValueError) as err:
        raise CliError(str(err), 2) from err


def _read_lines(jsonl: bool, language: str | None) -> tuple[list[str], list[str | None]]:
    from corpusgate.pipelines.cli import CliError

    texts: list[str] = []
    languages: list[str | None] = []
    # Validate every line before printing anything, so a bad line never leaves half a result.
    for n, line in enumerate(sys.stdin, start=1):
        line = line.rstrip("\n")
        if not jsonl:
            texts.append(line)
            languages.append(language)
            continue
        if not line.strip():
            raise CliError(f"stdin line {n}: empty line (expected a JSON object)", 2)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise CliError(f"stdin line {n}: not valid JSON: {err.msg}", 2) from err
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise CliError(f"stdin line {n}: expected an object with a string `text`", 2)
        lang = obj.get("language", language)
        if lang is not None and not isinstance(lang, str):
            raise CliError(f"stdin line {n}: `language` must be a string such as 'zh'", 2)
        texts.append(obj["text"])
        languages.append(lang or None)
    return texts, languages


def _result(n: int, result: Any) -> dict[str, Any]:
    return {
        "line": n,
        "flagged": result.flagged,
        "codes": result.codes,
        "signals": result.signals,
        "review_priority": result.review_priority,
        "language": result.language,
        "flags": result.flags,
    }


def _scan(args: argparse.Namespace) -> int:
    detector = _detector(args.policy, args.library)
    texts, languages = _read_lines(args.jsonl, args.language)
    results = [_result(n, r) for n, r in enumerate(detector.detect_batch(texts, languages), 1)]
    flagged = any(r["flagged"] for r in results)
    if args.jsonl:
        for doc in results:
            sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    elif args.json:
        doc = {
            "policy": detector.policy.version,
            "methods": detector.methods,
            "lines": len(results),
            "flagged": sum(r["flagged"] for r in results),
            "results": results,
        }
        print(json.dumps(doc, ensure_ascii=False))
    else:
        for r in results:
            verdict = "FLAGGED " + ",".join(r["codes"]) if r["flagged"] else "ok"
            print(f"line {r['line']}: {verdict}  (review priority {r['review_priority']:.2f})")
            for s in r["signals"]:
                if s["kind"] == "model" and s["score"] < 0.05:
                    continue  # a model that saw nothing says nothing worth a line
                where = f" [{s['view']} {s['start']}-{s['end']}]" if s["kind"] == "term" else ""
                print(
                    f"    {s['kind']:<5} {s['name']:<32} {','.join(s['codes']):<12} "
                    f"{s['tier']:<10} {s['score']:.3f}{where}"
                )
    return 1 if flagged else 0


def _calibrate(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.calibration import SOURCE_TYPES, measure_error
    from corpusgate.transforms.harm.training import default_data_dir

    data = args.data or default_data_dir()
    if data is None or not Path(data).is_dir():
        raise CliError(
            "shared data folder not found; pass --data DIR or set CORPUSGATE_SHARED_DATA"
        )
    detector = _detector(args.policy, None)
    try:
        measured = measure_error(detector, Path(data), SOURCE_TYPES)
    except ValueError as err:
        raise CliError(str(err), 2) from err
    if args.json:
        print(json.dumps(measured, ensure_ascii=False))
        return 0
    import yaml

    block = {"detector_error": measured["detector_error"]}
    print("# gate.detector_error measured by `corpusgate harm calibrate`:")
    for kind, row in measured["rates"].items():
        print(f"#   {kind:<17} fpr {row['fpr']:.4%}  tpr {row['tpr']:.4%}")
    print(yaml.safe_dump(block, sort_keys=False, default_flow_style=None).rstrip())
    return 0

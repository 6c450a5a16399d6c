"""`corpusgate spotcheck export|import|technical`: B.2.1.2.1 spot checks of curated output."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from corpusgate.pipelines.cli.common import add_store_options

DESCRIPTION = """\
Spot-check curated output against GB/T 45654-2025 B.2.1.2.1.

  export     write a reproducible sample (default 4,000 items per modality) for reviewers,
             as CSV or JSON lines with an empty `verdict` column to fill in
  import     read the reviewers' verdicts back, validate them, and judge the qualified rate
             (with its exact 95% interval) against 96%
  technical  run the harm detectors on >= 10% of the output and judge against 98%

Samples are bottom-k samples on a keyed hash of (seed, record_id): the same seed re-derives
the same items. Results are appended to the store (stages spotcheck_manual / spotcheck_tech)
and written to OUTPUT/reports/spotchecks/."""

EPILOG = """\
examples:
  corpusgate spotcheck export --output out/demo --to review.csv
  corpusgate spotcheck import review.csv --output out/demo --json
  corpusgate spotcheck technical --output out/demo --fraction 0.1

exit codes: 0 written / judgment pass; 1 judgment fail; 2 bad usage or invalid sheet"""

MODALITY = "text"  # the only modality the pipeline curates today
MANUAL_STAGE = "spotcheck_manual"
TECHNICAL_STAGE = "spotcheck_tech"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "spotcheck",
        help="manual and technical spot checks of the output (B.2.1.2.1)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    spot = parser.add_subparsers(dest="spotcheck_command", metavar="SUBCOMMAND")

    export = spot.add_parser(
        "export",
        help="write a sample sheet for reviewers",
        description="Write a reproducible sample of the output for manual review.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  corpusgate spotcheck export --output out/demo --to review.csv --seed s1\n",
    )
    export.add_argument("--output", required=True, metavar="DIR", help="a run's output folder")
    export.add_argument(
        "--to", required=True, metavar="FILE", help="sheet to write (.csv or .jsonl)"
    )
    export.add_argument("--size", type=int, default=4000, help="items to sample (default 4000)")
    export.add_argument("--seed", help="sample seed (default: a new one, printed and recorded)")
    export.add_argument("--json", action="store_true", help="print one JSON document")
    export.set_defaults(handler=_export)

    imp = spot.add_parser(
        "import",
        help="read reviewers' verdicts and judge against 96%%",
        description=(
            "Read a filled sheet: every row needs a known record_id and a verdict "
            "(qualified / unqualified; 1/0, yes/no accepted). Problems are listed by line."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  corpusgate spotcheck import review.csv --output out/demo --reviewer 'QA team'\n",
    )
    imp.add_argument("sheet", metavar="FILE", help="the filled sheet (.csv or .jsonl)")
    imp.add_argument("--output", required=True, metavar="DIR", help="the output it samples")
    imp.add_argument("--reviewer", help="who reviewed (default: $USER)")
    imp.add_argument("--json", action="store_true", help="print one JSON document")
    add_store_options(imp)
    imp.set_defaults(handler=_import)

    tech = spot.add_parser(
        "technical",
        help="run the detectors on >= 10%% of the output, judge against 98%%",
        description="Technical spot check: keywords and classifiers on a sample of the output.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  corpusgate spotcheck technical --output out/demo --fraction 0.2 --json\n",
    )
    tech.add_argument("--output", required=True, metavar="DIR", help="a run's output folder")
    tech.add_argument("--fraction", type=float, default=0.1, help="share to check (default 0.1)")
    tech.add_argument("--seed", default="corpusgate-spotcheck-tech-v1", help="sample seed")
    tech.add_argument("--json", action="store_true", help="print one JSON document")
    add_store_options(tech)
    tech.set_defaults(handler=_technical)
    parser.set_defaults(handler=lambda args: _no_subcommand(parser))


def _no_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _now() -> datetime:
    return datetime.now(UTC)


def _published(args: argparse.Namespace) -> Any:
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.transforms.output.published import OutputError, open_output

    try:
        return open_output(args.output)
    except OutputError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err


def _write_report(published: Any, kind: str, report: dict[str, Any]) -> str:
    """The spot check's record beside the run it checked (`report` rebuilds from these)."""
    from corpusgate.transforms.output.publish import write_json

    location = published.path(f"reports/spotchecks/{kind}-{_now():%Y%m%dT%H%M%S%fZ}.json")
    write_json(location, report)
    return location


def _emit(args: argparse.Namespace, report: dict[str, Any], text: str) -> None:
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(text)


def _export(args: argparse.Namespace) -> int:
    import secrets

    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.harm.gate import spotcheck as core

    published = _published(args)
    seed = args.seed or f"spotcheck-{secrets.token_hex(6)}"
    try:
        rows, population = core.sample_output(core.read_output_records(published), args.size, seed)
        core.write_sheet(rows, args.to)
    except (OSError, ValueError) as err:
        raise CliError(str(err)) from err
    report = {
        "kind": "manual_export",
        "modality": MODALITY,
        "output": args.output,
        "run_id": published.run_id,
        "seed": seed,
        "requested_size": args.size,
        "sample_size": len(rows),
        "population": population,
        "meets_b21211a": len(rows) >= min(core.MANUAL_MIN_ITEMS, population),
        "sheet": str(args.to),
        "sample_sha256": core.sample_digest(r["record_id"] for r in rows),
        "exported_at": _now().isoformat(),
    }
    report["report"] = _write_report(published, "export", report)
    short = (
        ""
        if report["meets_b21211a"]
        else (f"\n  note: B.2.1.2.1 a asks for at least {core.MANUAL_MIN_ITEMS} items per modality")
    )
    _emit(
        args,
        report,
        (
            f"wrote {len(rows)} of {population} records to {args.to} (seed {seed!r}){short}\n"
            f"  fill in `verdict` (qualified / unqualified) and optional `codes`, then:\n"
            f"  corpusgate spotcheck import {args.to} --output {args.output}"
        ),
    )
    return 0


def _store(args: argparse.Namespace) -> Any:
    from corpusgate.pipelines.cli.common import load_run_config, open_store

    if args.store:
        return open_store(args, None)
    return open_store(args, load_run_config(args))


def _record(
    store: Any,
    stage: str,
    report: dict[str, Any],
    seed: str,
    methods: str,
    actor: str,
    run_id: str | None,
) -> str:
    from corpusgate.source_registry.store import Assessment

    return store.add_assessment(
        Assessment(
            source_id=f"output/{MODALITY}",
            stage=stage,
            sample_size=report["items"],
            flagged=report["unqualified"],
            rate=report["qualified_rate"],
            decision=report["judgment"],
            seed=seed,
            population=report.get("population"),
            methods=methods,
            ci_low=report["ci_low"],
            ci_high=report["ci_high"],
            action=f"qualified rate judged against {report['target']:.0%} (B.2.1.2.1.2)",
            actor=actor[:128],
            run_id=run_id,
            details=report,
        )
    )


def _describe(title: str, report: dict[str, Any]) -> str:
    verdict = report["judgment"].upper() + (" (inconclusive)" if report["inconclusive"] else "")
    return (
        f"{title}: {verdict}\n"
        f"  qualified {report['qualified']}/{report['items']} = {report['qualified_rate']:.2%}; "
        f"{report['confidence']:.0%} exact interval [{report['ci_low']:.2%}, "
        f"{report['ci_high']:.2%}]; target >= {report['target']:.0%}\n"
        f"  recorded as {report['assessment_id']}; report {report['report']}"
    )


def _import(args: argparse.Namespace) -> int:
    import os

    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.transforms.harm.gate import spotcheck as core

    published = _published(args)
    try:
        known = {r["record_id"] for r in core.read_output_records(published)}
        report = core.manual_report(core.read_sheet(args.sheet, known), len(known))
    except (OSError, ValueError) as err:
        raise CliError(f"{args.sheet}: {err}" if "sheet's rows" in str(err) else str(err)) from err
    report.update(
        kind="manual",
        modality=MODALITY,
        output=args.output,
        run_id=published.run_id,
        sheet=str(args.sheet),
    )
    store = _store(args)
    actor = args.reviewer or os.environ.get("USER") or "unknown"
    report["assessment_id"] = _record(
        store, MANUAL_STAGE, report, report["seed"] or "", "manual review", actor, report["run_id"]
    )
    report["report"] = _write_report(published, "manual", report)
    _emit(args, report, _describe("manual spot check (B.2.1.2.1 a)", report))
    return 0 if report["judgment"] == "pass" else EXIT_NEGATIVE


def _technical(args: argparse.Namespace) -> int:
    import os

    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.pipelines.cli.assess import harm_policy
    from corpusgate.pipelines.cli.common import load_run_config
    from corpusgate.transforms.harm.detect import HarmDetector
    from corpusgate.transforms.harm.gate import spotcheck as core

    published = _published(args)
    config = load_run_config(args)
    try:
        population = core.output_population(published)
        size = core.technical_size(population, args.fraction)
        rows, _ = core.sample_output(core.read_output_records(published), size, args.seed)
    except (OSError, ValueError) as err:
        raise CliError(str(err)) from err
    detector = HarmDetector.load(harm_policy(config, {}))
    flagged = []
    for row in rows:
        result = detector.detect(row["text"])
        if result.flagged:
            flagged.append({"record_id": row["record_id"], "codes": result.codes})
    report = core.technical_report(rows, flagged, population, args.fraction)
    report.update(
        kind="technical",
        modality=MODALITY,
        output=args.output,
        run_id=published.run_id,
        seed=args.seed,
        methods=detector.methods,
    )
    store = open_store_for(args, config)
    report["assessment_id"] = _record(
        store,
        TECHNICAL_STAGE,
        report,
        args.seed,
        "; ".join(detector.methods)[:256],
        os.environ.get("USER") or "corpusgate",
        report["run_id"],
    )
    report["report"] = _write_report(published, "technical", report)
    text = _describe("technical spot check (B.2.1.2.1 b)", report)
    if not report["meets_b21211b"]:
        text += f"\n  note: B.2.1.2.1 b asks for at least {core.TECHNICAL_MIN_FRACTION:.0%}"
    _emit(args, report, text)
    return 0 if report["judgment"] == "pass" else EXIT_NEGATIVE


def open_store_for(args: argparse.Namespace, config: Any) -> Any:
    from corpusgate.pipelines.cli.common import open_store

    return open_store(args, config)

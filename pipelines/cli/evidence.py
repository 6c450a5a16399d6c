"""`corpusgate evidence`: draw and judge the samples GB/T 45654-2025 B.2.1 prescribes."""

from __future__ import annotations

import argparse
from typing import Any

from corpusgate.pipelines.cli.common import add_output_option, add_store_options

DEFAULT_SEED = "corpusgate-evidence-v1"

DESCRIPTION = """\
Write the B.2.1 evidence pack of a published run: for each evaluation method of GB/T 45654-2025
Appendix B.2.1 the sample of the prescribed size, drawn reproducibly from the run's output and
the store, each item with its evidence references, the expected result and an automatic
judgment where the check is mechanical; then a summary per clause (sample, passed, failed,
needs review; compliant / non_compliant / pending / not_applicable).

  B.2.1.1.1 a, b  >= 10% of pre-collection assessment and post-collection verification records:
                  rate and handling recorded; a source over 5% not collected / not used
  B.2.1.1.2       diversity of sources per language and modality, domestic/foreign mix
  B.2.1.1.3 b     >= 10% of open-source datasets: licence allows use, obligations (review)
  B.2.1.1.3 c     >= 1,000 self-collected items: collection time and source; 100 more:
                  robots allowed at collection time, no opt-out declared
  B.2.1.1.3 d     >= 10% of commercial transactions: contract, commitment, review record
  B.2.1.1.3 e     >= 10% or >= 1,000 user-input items: user authorization record present
  B.2.1.2.1 a, b  4,000 items for the manual spot check (reviewed through `spotcheck export
                  --seed`), >= 10% scored by the harm detectors against 98%
  B.2.1.2.3 b-e   >= 10% or >= 1,000 items with (sensitive) personal information, and 4,000
                  random items each: consent (separate consent) reference present

A population smaller than its prescribed size is sampled whole, and the pack says so. Each
method's sample is a bottom-k sample on a keyed hash of (SEED/METHOD, item id): the same seed
re-derives the same items. Items only a person can judge go to review.csv (the spot-check
sheet's columns plus `method`); fill `verdict` and pass the sheet back with --verdicts.
No file holds a record's text or an identifier of a person other than keyed subject hashes.

Files (under --to; default the run's reports/evidence/): evidence.html, evidence.json,
summary.csv, items.csv, review.csv. Written into the run, the run's report (sources.*) is
rebuilt with the pack's summary."""

EPILOG = """\
examples:
  corpusgate evidence --output out/demo
  corpusgate evidence --output out/demo --seed audit-2026-q1 --to audit/ --json
  corpusgate evidence --output out/demo --verdicts out/demo/runs/RUN_ID/reports/evidence/review.csv

exit codes: 0 pack written, no method non-compliant; 1 pack written with a non-compliant
method, or no finished output at DIR; 2 bad usage (bad seed, unreadable verdict sheet)"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "evidence",
        help="draw and judge the B.2.1 evidence samples of a run",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_output_option(parser)
    parser.add_argument("--run", metavar="RUN_ID", help="an earlier run (default: the current)")
    parser.add_argument(
        "--seed", default=DEFAULT_SEED, help=f"sample seed (default {DEFAULT_SEED!r})"
    )
    parser.add_argument(
        "--to", metavar="FOLDER", help="where to write (default: the run's reports/evidence/)"
    )
    parser.add_argument(
        "--review-format",
        choices=("csv", "jsonl"),
        default="csv",
        help="the review sheet's format (default csv)",
    )
    parser.add_argument(
        "--verdicts", metavar="SHEET", help="a filled review sheet whose verdicts to apply"
    )
    add_store_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=handle)


def _store_facts(args: argparse.Namespace, config: Any) -> Any:
    from collections import defaultdict

    from corpusgate.pipelines.cli.common import open_store
    from corpusgate.transforms.evidence.pack import StoreFacts

    store = open_store(args, config)
    assessments = tuple(store.assessments())
    collected: dict[str, list[Any]] = defaultdict(list)
    for source_id in sorted({a["source_id"] for a in assessments}):
        for event in store.status_history(source_id):
            if event["status"] == "collected":
                collected[source_id].append(event["at"])
    return StoreFacts(assessments, {k: tuple(v) for k, v in collected.items()})


def _run_writes(output: str) -> dict[str, dict[str, int]]:
    from corpusgate.transforms.output.published import list_runs, open_output

    writes = {}
    for run in list_runs(output):
        if run["state"] == "published":
            manifest = open_output(output, run["run_id"]).manifest
            writes[run["run_id"]] = {
                sid: int(row["written"]) for sid, row in manifest["sources"].items()
            }
    return writes


def _detector(config: Any) -> Any:
    from corpusgate.pipelines.cli.assess import harm_policy
    from corpusgate.transforms.harm.detect import HarmDetector

    detector = HarmDetector.load(harm_policy(config, {}))

    def codes(text: str) -> list[str]:
        result = detector.detect(text)
        return list(result.codes) if result.flagged else []

    return codes


def handle(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.pipelines.cli.common import load_run_config, print_json
    from corpusgate.transforms.common import files
    from corpusgate.transforms.evidence.diversity import judge_diversity
    from corpusgate.transforms.evidence.pack import build_pack
    from corpusgate.transforms.evidence.sheets import pack_files, read_verdicts, write_pack
    from corpusgate.transforms.evidence.usage import source_facts, written_usage
    from corpusgate.transforms.output.publish import write_reports
    from corpusgate.transforms.output.published import OutputError, open_output
    from corpusgate.transforms.output.report import load_evidence, load_spotchecks, report_files

    try:
        published = open_output(args.output, args.run)
    except OutputError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err
    try:
        verdicts = read_verdicts(args.verdicts) if args.verdicts else None
    except ValueError as err:
        raise CliError(str(err)) from err
    config = load_run_config(args)
    try:
        usage = written_usage(published)
        diversity = judge_diversity(source_facts(published.manifest), usage)
        spotchecks = load_spotchecks(published.run_dir)
        pack = build_pack(
            published,
            seed=args.seed,
            store=_store_facts(args, config),
            run_writes=_run_writes(args.output),
            detector=_detector(config),
            spotchecks=spotchecks,
            diversity=diversity,
            verdicts=verdicts,
        )
        written = pack_files(pack, args.review_format)
    except OutputError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err
    except ValueError as err:
        raise CliError(str(err)) from err
    into_run = args.to is None
    folder = args.to or published.path("reports/evidence")
    locations = write_pack(folder, written)
    if into_run:
        # The run's report shows the pack's summary from now on (`corpusgate report` keeps it).
        write_reports(
            published.run_dir,
            report_files(
                published.manifest,
                spotchecks,
                usage=usage,
                evidence=load_evidence(published.run_dir),
            ),
        )
    summary = pack.summary()
    non_compliant = [m for m in summary["methods"] if m["result"] == "non_compliant"]
    if args.json:
        print_json(
            {
                **summary,
                "output": args.output,
                "to": folder,
                "files": locations,
                "report_updated": into_run,
                "diversity": diversity.as_dict(),
                "verdicts": args.verdicts,
            }
        )
    else:
        lines = [f"evidence pack of run {pack.run_id} (seed {args.seed!r}) in {folder}:"]
        for m in summary["methods"]:
            lines.append(
                f"  {m['clause']:<12} {m['title'][:50]:<50} sample {m['sample_size']:>5} of "
                f"{m['population']:<6} pass {m['passed']:>4} fail {m['failed']:>4} "
                f"review {m['needs_review']:>4}  {m['result']}"
            )
        lines.append(f"  B.2.1.1.2    diversity of sources: {diversity.result}")
        lines += [f"  {c['clause']}: {c['result']}" for c in summary["clauses"]]
        lines.append(f"open {files.join(folder, 'evidence.html')}")
        print("\n".join(lines))
    return EXIT_NEGATIVE if non_compliant else 0

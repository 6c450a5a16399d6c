"""`corpusgate report`: (re)build the per-source accept/reject report from a run's output."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = """\
Rebuild the current run's reports (OUTPUT/runs/RUN_ID/reports/) from its manifest and the spot
checks recorded under its reports/spotchecks/: the per-source table of records read, written and quarantined with
the count for each reason, the sources not collected because an assessment rejected them, the
5% gate's verification per source (sample, flagged, rate, exact interval, decision), the
diversity of sources per language and modality with the domestic/foreign mix and its judgment
(4.1.2, B.2.1.1.2; records counted in the shards), the manual and technical spot checks, and the
evidence pack's summary when `corpusgate evidence` wrote one. Writes sources.txt, sources.json
and sources.html (self-contained: run metadata, plots as inline SVG, no scripts) and prints the
text (or the JSON with --json).

--runs lists every run published to OUTPUT instead, with its totals and the gate's decision
per source, then answers per source: the runs whose gate rejected it, the runs that wrote its
records, and any run that did both, so an assessor sees that a source over 5% was never used
(B.2.1.1.1 b; `--json`: `sources` and `rejected_sources_used`)."""

EPILOG = """\
examples:
  corpusgate report --output out/demo
  corpusgate report --output out/demo --json | jq '.gate[] | select(.decision == "reject")'
  corpusgate report --output out/demo --runs
  corpusgate report --output out/demo --json | jq '.diversity.judgments'

exit codes: 0 done; 1 no finished output at DIR, or a damaged one (the message names the file)"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="rebuild and print the per-source report",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        default="out/demo",
        help="the run's output folder (default: out/demo)",
    )
    parser.add_argument("--run", metavar="RUN_ID", help="an earlier run (default: the current)")
    parser.add_argument("--runs", action="store_true", help="list the output's runs instead")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.transforms.evidence.usage import written_usage
    from corpusgate.transforms.output.publish import write_reports
    from corpusgate.transforms.output.published import OutputError, open_output
    from corpusgate.transforms.output.report import (
        load_evidence,
        load_spotchecks,
        report_files,
    )

    if args.runs:
        from corpusgate.pipelines.cli.runs import print_runs

        return print_runs(args.output, as_json=args.json)
    try:
        published = open_output(args.output, args.run)
    except OutputError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err
    try:
        files = report_files(
            published.manifest,
            load_spotchecks(published.run_dir),
            usage=written_usage(published),
            evidence=load_evidence(published.run_dir),
        )
    except OutputError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err
    write_reports(published.run_dir, files)
    print(
        json.dumps(files["sources.json"], ensure_ascii=False)
        if args.json
        else files["sources.txt"].rstrip("\n")
    )
    return 0

"""`corpusgate report`: (re)build the per-source accept/reject report from a run's output."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = """\
Rebuild OUTPUT/reports/ from OUTPUT/manifest.json and the spot checks recorded under
OUTPUT/reports/spotchecks/: the per-source table of records read, written and quarantined with
the count for each reason, the sources not collected because an assessment rejected them, the
5% gate's verification per source (sample, flagged, rate, exact interval, decision), and the
manual and technical spot checks. Writes sources.txt, sources.json and sources.html and prints
the text (or the JSON with --json)."""

EPILOG = """\
examples:
  corpusgate report --output out/demo
  corpusgate report --output out/demo --json | jq '.gate[] | select(.decision == "reject")'

exit codes: 0 done; 1 no finished output at DIR"""


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
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.transforms.output import publish
    from corpusgate.transforms.output.audit import AuditError, load_manifest
    from corpusgate.transforms.output.report import load_spotchecks, report_files

    try:
        manifest = load_manifest(args.output)
    except AuditError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err
    files = report_files(manifest, load_spotchecks(args.output))
    publish.write_reports(args.output, files)
    print(
        json.dumps(files["sources.json"], ensure_ascii=False)
        if args.json
        else files["sources.txt"].rstrip("\n")
    )
    return 0

"""`corpusgate report`: (re)build the per-source accept/reject report from a run's output."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = """\
Rebuild OUTPUT/reports/ from OUTPUT/manifest.json: the per-source table of records read,
written and quarantined, with the count for each quarantine reason. Prints the table."""

EPILOG = """\
examples:
  corpusgate report --output out/demo
  corpusgate report --output out/demo --json

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
    from corpusgate.pipelines.audit import AuditError, load_manifest
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.transforms import publish
    from corpusgate.transforms.manifest import format_table

    try:
        manifest = load_manifest(args.output)
    except AuditError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err
    report = {
        "run_id": manifest["run_id"],
        "sources": manifest["sources"],
        "totals": manifest["totals"],
    }
    table = format_table(manifest)
    publish.write_json(publish.join(args.output, "reports", "sources.json"), report)
    publish._write_text(publish.join(args.output, "reports", "sources.txt"), table + "\n")
    print(json.dumps(report, ensure_ascii=False) if args.json else table)
    return 0

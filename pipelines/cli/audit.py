"""`corpusgate audit RECORD_ID`: where a record came from and where it is now."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = """\
Provenance audit of one record, answered from a run's output files alone: the source and its
registry entry (with the entry's sha256 at run time), where the record came from (file and
line, row or WARC offset; URL; collection time), its licence and evidence, every check it
passed or failed, and where it is now: a shard file and row, or the quarantine with the reason.

Looks the id up in the run's audit index (one small file per bucket of ids, checked against
its sha256 in the run's file list), then reads only that one row. OUTPUT may be a local folder
or a bucket (gs://bucket/prefix, s3://bucket/prefix). By default the current publication is
audited; --run RUN_ID audits an earlier run (`corpusgate runs list` names them)."""

EPILOG = """\
examples:
  corpusgate audit 3f2a9c0d5e6b7a8190a1b2c3d4e5f607 --output out/demo
  corpusgate audit 3f2a9c0d5e6b7a8190a1b2c3d4e5f607 --output out/demo --json | jq .checks
  corpusgate audit 3f2a9c0d5e6b7a8190a1b2c3d4e5f607 --output gs://bucket/corpus --run RUN_ID

exit codes: 0 found; 1 unknown record id, no finished output, or a damaged output file
(the message names it); 2 bad usage"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "audit",
        help="provenance audit of one record by id",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("record_id", metavar="RECORD_ID", help="32 hex digits")
    parser.add_argument(
        "--output",
        metavar="DIR",
        default="out/demo",
        help="the run's output folder (default: out/demo)",
    )
    parser.add_argument("--run", metavar="RUN_ID", help="an earlier run (default: the current)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import EXIT_NEGATIVE, CliError
    from corpusgate.transforms.output.audit import AuditError, audit, format_audit

    try:
        answer = audit(args.output, args.record_id, args.run)
    except AuditError as err:
        raise CliError(str(err), EXIT_NEGATIVE) from err
    print(
        json.dumps(answer, ensure_ascii=False, default=str) if args.json else format_audit(answer)
    )
    return 0

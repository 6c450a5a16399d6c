"""`corpusgate takedown --work FILE --complaint ID`: act on an IP complaint in published output."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

from corpusgate.pipelines.cli.common import add_store_options

DESCRIPTION = """\
Act on an intellectual-property complaint (GB/T 45654-2025 4.2.2 c): remove from a run's
published output every record that is the complained work or a near copy of it, and record the
complaint and what was done in the store.

FILE holds the work's text (UTF-8) as the rights holder sent it. It is signed exactly as the run
signed its records and compared with every signature file the run published beside its shards
(runs/RUN_ID/signatures/): a record matches when its normalised text is the work's (exact), or
its estimated Jaccard similarity reaches --threshold (MinHash; default: the run's dedup
threshold), or its SimHash is within the run's distance. Then, as `corpusgate forget` does:

  - the affected shards are rewritten without the matched records (a Beam job keyed by shard);
  - each record's withdrawal is appended to the run's withdrawals/ID.jsonl (when, the reason
    `ip_complaint`, the complaint id, the work's sha256, the similarity and method; its
    lineage, never its text) and the audit index points there, so `corpusgate audit RECORD_ID`
    says which complaint withdrew it;
  - the manifest moves the records from `written` to `withdrawn` (read = written +
    quarantined + withdrawn still holds per source) and the reports are rebuilt;
  - the store's append-only `ip_complaints` table records the complaint id, when it was first
    received and when acted on, the work file's sha256 (not the work), the threshold, the run,
    and the records matched and withdrawn.

Re-running a complaint is harmless: records already withdrawn are reported as skipped and
nothing is appended. --dry-run lists the matches (record, source, similarity, method, shard)
and changes nothing, in the output or the store. Only near copies of the whole work are
found: a record quoting it inside a much longer text is not."""

EPILOG = """\
examples:
  corpusgate takedown --work complaint-0042.txt --complaint IPC-2025-0042 --config configs/demo.yaml --dry-run
  corpusgate takedown --work complaint-0042.txt --complaint IPC-2025-0042 --config configs/demo.yaml
  corpusgate takedown --work poem.txt --complaint IPC-2025-0043 --threshold 0.5 --language zh \\
      --output s3://corpus/zh --store postgresql+psycopg://corpus@db/corpus --json \\
      --reason "rights holder: Example Press, letter of 2025-03-02"

exit codes: 0 done (including nothing matched, or all matches already withdrawn); 1 no finished
output at --output, a run published without dedup signatures, or a damaged output file;
2 bad usage, an unreadable or empty work file, a bad complaint id or threshold, no store, or a
complaint id the store already holds for another work"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "takedown",
        help="withdraw the published copies of a work named in an IP complaint",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--work", metavar="FILE", required=True, help="the complained work's text (UTF-8)"
    )
    parser.add_argument(
        "--complaint",
        metavar="ID",
        required=True,
        help="your reference for the complaint (letters, digits, '.', '_', '-')",
    )
    parser.add_argument(
        "--threshold",
        metavar="J",
        type=float,
        help="estimated Jaccard similarity, in (0, 1], at which a record is a near copy "
        "(default: the run's dedup threshold)",
    )
    parser.add_argument(
        "--output", metavar="DIR", help="the run's output folder (default: the run config's output)"
    )
    add_store_options(parser)
    parser.add_argument(
        "--reason",
        default="intellectual-property complaint by the rights holder",
        help="why, as the withdrawal log and `audit` will say",
    )
    parser.add_argument(
        "--language",
        choices=("zh", "en"),
        help="the work's language, choosing its shingles (default: from its script)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the matches; change nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=_takedown)


def _read_work(path: str) -> tuple[str, bytes]:
    from corpusgate.pipelines.cli import CliError

    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise CliError(f"{path}: cannot read the work file: {err.strerror}", 2) from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CliError(f"{path}: the work file is not UTF-8 text ({err.reason})", 2) from err
    if not text.strip():
        raise CliError(f"{path}: the work file holds no text", 2)
    return text, data


def _takedown(args: argparse.Namespace) -> int:
    from datetime import datetime

    from corpusgate.pipelines.cli import CliError
    from corpusgate.pipelines.cli.common import load_run_config, print_json, store_url
    from corpusgate.schemas.reasons import IP_COMPLAINT
    from corpusgate.source_registry.store import StoreError
    from corpusgate.transforms.output.complaints import Complaint, check_complaint_id, takedown
    from corpusgate.transforms.output.published import OutputError
    from corpusgate.transforms.output.withdrawals import WithdrawalError

    try:
        check_complaint_id(args.complaint)
    except ValueError as err:
        raise CliError(str(err), 2) from err
    if args.threshold is not None and not 0.0 < args.threshold <= 1.0:
        raise CliError(f"--threshold must be in (0, 1], got {args.threshold}", 2)
    text, data = _read_work(args.work)
    config = load_run_config(args, required=True)
    output = args.output or (config.output if config else None)
    if not output:
        raise CliError("no output folder: give --output DIR or --config FILE", 2)
    complaint = Complaint(
        complaint_id=args.complaint,
        work_text=text,
        work_sha256=hashlib.sha256(data).hexdigest(),
        detail=args.reason,
        threshold=args.threshold,
        language=args.language,
    )
    store = None
    receipt = None
    if not args.dry_run:  # a dry run changes nothing, not even the store's tables
        from corpusgate.source_registry.complaints import ComplaintStore

        try:
            store = ComplaintStore(store_url(args, config))
        except StoreError as err:
            raise CliError(str(err), 2) from err
        receipt = store.receipt(complaint.complaint_id)
        if receipt and receipt.work_sha256 != complaint.work_sha256:
            raise CliError(
                f"complaint {complaint.complaint_id} was recorded for another work (sha256 "
                f"{receipt.work_sha256[:16]}…, this file {complaint.work_sha256[:16]}…); give "
                "this work its own complaint id",
                2,
            )
    try:
        result = takedown(str(output), complaint, dry_run=args.dry_run)
    except OutputError as err:
        raise CliError(str(err), 1) from err
    except WithdrawalError as err:
        raise CliError(str(err), 1) from err
    withdrawn = [w["record_id"] for w in result.withdrawn]
    recorded = False
    # Append-only history: the receipt, then each action that withdrew something.
    if store is not None and (receipt is None or withdrawn):
        from corpusgate.source_registry.complaints import ComplaintAction

        at = datetime.fromisoformat(result.at)
        store.record(
            ComplaintAction(
                complaint_id=complaint.complaint_id,
                received_at=receipt.received_at if receipt else at,
                acted_at=at,
                work_sha256=complaint.work_sha256,
                threshold=result.threshold,
                run_id=result.run_id,
                output=str(output),
                request_id=result.request_id,
                reason=f"{IP_COMPLAINT}: {complaint.detail}",
                matches=result.matches,
                withdrawn=withdrawn,
            )
        )
        recorded = True
    document: dict[str, Any] = {
        "output": str(output),
        "work": {"file": args.work, "sha256": complaint.work_sha256, "bytes": len(data)},
        "language": args.language,
        **result.to_dict(),
        "recorded": recorded,
    }
    if args.json:
        print_json(document)
        return 0
    _print(document)
    return 0


def _print(doc: dict[str, Any]) -> None:
    head = f"complaint {doc['complaint_id']}"
    if doc["dry_run"]:
        head += " (dry run: nothing changed)"
    print(
        f"{head}: {len(doc['matches'])} match(es) in run {doc['run_id']} at {doc['output']} "
        f"(threshold {doc['threshold']:.2f}); {len(doc['withdrawn'])} record(s) withdrawn"
    )
    was = {w["record_id"]: w["from"] for w in doc["withdrawn"]}
    for m in doc["matches"]:
        how = f"{m['record_id']}  {m['source_id']}  {m['method']} {m['similarity']:.2f}"
        if m["record_id"] in was:
            where = was[m["record_id"]]
            print(f"  withdrawn       {how}  (was {where['file']} row {where['row']})")
        elif m["status"] == "written":
            print(f"  would withdraw  {how}  {m['shard']}")
        elif m["status"] == "withdrawn":
            print(f"  skipped         {how}  (withdrawn earlier)")
        else:
            print(f"  skipped         {how}  ({m['status']}: not published)")
    if doc["withdrawn"]:
        print(f"request {doc['request_id']}; the store recorded the complaint")
        print(
            f"audit one: corpusgate audit {doc['withdrawn'][0]['record_id']} --output {doc['output']}"
        )
    elif doc["recorded"]:
        print("the store recorded the complaint")
    sys.stdout.flush()

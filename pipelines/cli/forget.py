"""`corpusgate forget SUBJECT...`: withdraw a data subject's records from published output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from corpusgate.pipelines.cli.common import add_store_options

DESCRIPTION = """\
Honour a withdrawal of consent (PIPL art. 15, 47): remove every published record holding the
data subject's identifiers from a run's output, without rescanning the text.

Each SUBJECT is an identifier (phone number, e-mail address, ID number, ...), given on the
command line or one per line in --from-file. It is normalised and keyed-hashed with the consent
key, exactly as `run` and `consent import` do, and looked up in the run's subject index (the
manifest's checks.pii_subjects, written by the personal-information step). Then:

  - the affected shards are rewritten without those records;
  - each record's withdrawal is appended to OUTPUT/withdrawals/withdrawals.jsonl (when, why,
    which request; the lineage, not the text) and the audit index points there, so
    `corpusgate audit RECORD_ID` says when and why it was withdrawn;
  - the manifest moves the records from `written` to `withdrawn` (read = written +
    quarantined + withdrawn still holds per source);
  - the store's append-only `withdrawals` table records the request per subject, and later runs
    treat the subject as having no consent at all.

Re-running is harmless: records already withdrawn are skipped. Records that were redacted or
dropped by the run are not in the subject index: their identifiers were never published.

The consent key must be the one the run used. The public demo key (demo/consent/DEMO-ONLY.key,
in a file or in $CORPUSGATE_CONSENT_KEY) is refused (exit 2) unless --config names a run config
whose registry is the demo's; a key file other users can read gets a warning on stderr."""

EPILOG = """\
examples:
  corpusgate forget alice.example@example.com --config configs/demo.yaml
  corpusgate forget 13912340001 110101199003071233 --config configs/demo.yaml --json
  corpusgate forget --from-file requests.txt --type email --output out/demo \\
      --store sqlite:///out/corpusgate.sqlite --key-file ~/keys/consent.key \\
      --request-id DSR-2024-031 --reason "user deleted their account"

exit codes: 0 done (including nothing to withdraw); 1 no finished output at --output;
2 bad usage, unknown identifier type, missing key or store, the demo key outside the demo"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "forget",
        help="withdraw a data subject's records from published output",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("subjects", metavar="SUBJECT", nargs="*", help="identifiers")
    parser.add_argument(
        "--from-file",
        metavar="FILE",
        help="more identifiers, one per line (# comments, blank lines ignored)",
    )
    parser.add_argument(
        "--type",
        metavar="TYPE",
        help="identifier type for every SUBJECT (default: recognised from the "
        "value: e-mail, resident ID, mobile, passport, bank card, landline)",
    )
    parser.add_argument(
        "--output", metavar="DIR", help="the run's output folder (default: the run config's output)"
    )
    add_store_options(parser, key=True)
    parser.add_argument(
        "--reason",
        default="the data subject withdrew consent",
        help="why, as the withdrawal log and `audit` will say",
    )
    parser.add_argument(
        "--request-id", metavar="ID", help="your reference for the request (default: a new id)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=_forget)


def _identifiers(args: argparse.Namespace) -> list[str]:
    from corpusgate.pipelines.cli import CliError

    values = list(args.subjects)
    if args.from_file:
        try:
            lines = Path(args.from_file).read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise CliError(f"{args.from_file}: cannot read: {err.strerror}", 2) from err
        values += [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    if not values:
        raise CliError("give at least one SUBJECT or --from-file FILE", 2)
    return values


def subject_keys(values: list[str], type_name: str | None, key: bytes) -> list[str]:
    """Keyed hashes of the identifiers; CliError naming the position of one it cannot type."""
    from corpusgate.pipelines.cli import CliError
    from corpusgate.transforms.pii.consent import (
        guess_type,
        identifier_problem,
        known_types,
        resolve_type,
        subject_key,
    )

    types = known_types()
    forced = resolve_type(type_name, types) if type_name else None
    if type_name and forced is None:
        raise CliError(f"--type {type_name!r} is not a known identifier type", 2)
    keys = []
    for n, value in enumerate(values, start=1):
        kind = forced or guess_type(value)
        if kind is None:
            raise CliError(
                f"subject #{n}: cannot tell which kind of identifier it is; "
                "give --type (e.g. --type phone)",
                2,
            )
        problem = identifier_problem(kind, value)
        if problem:
            raise CliError(f"subject #{n}: {problem}", 2)
        keys.append(subject_key(key, kind, value))
    return list(dict.fromkeys(keys))


def _forget(args: argparse.Namespace) -> int:
    from datetime import datetime

    from corpusgate.pipelines.cli import CliError
    from corpusgate.pipelines.cli.common import resolve_store_and_key
    from corpusgate.source_registry.consent import ConsentStore
    from corpusgate.source_registry.store import StoreError
    from corpusgate.transforms.output.audit import AuditError
    from corpusgate.transforms.output.withdrawals import ForgetError, forget

    values = _identifiers(args)
    store_url, key, config = resolve_store_and_key(args)
    output = args.output or (config.output if config else None)
    if not output:
        raise CliError("no output folder: give --output DIR or --config FILE", 2)
    keys = subject_keys(values, args.type, key)
    try:
        store = ConsentStore(store_url)
        result = forget(output, keys, reason=args.reason, request_id=args.request_id)
    except AuditError as err:
        raise CliError(str(err), 1) from err
    except (ForgetError, StoreError) as err:
        raise CliError(str(err), 2) from err
    withdrawn_before = store.withdrawn_keys()
    at = datetime.fromisoformat(result.at)
    for subject in keys:
        records = result.records_by_subject.get(subject, [])
        removed = [w["record_id"] for w in result.withdrawn if w["record_id"] in records]
        # Append-only history: a repeat request that changes nothing adds no row.
        if subject not in withdrawn_before or removed:
            store.record_withdrawal(
                subject,
                request_id=result.request_id,
                reason=args.reason,
                output=output,
                record_ids=removed,
                at=at,
            )
    if args.json:
        print(json.dumps({"output": output, **result.to_dict()}))
        return 0
    print(
        f"request {result.request_id}: {len(keys)} subject(s), "
        f"{len(result.withdrawn)} record(s) withdrawn from {output}"
    )
    for w in result.withdrawn:
        print(
            f"  withdrawn  {w['record_id']}  {w['source_id']}  (was {w['from']['file']} "
            f"row {w['from']['row']})"
        )
    for rid in result.already_withdrawn:
        print(f"  already    {rid}")
    for item in result.not_published:
        print(f"  skipped    {item['record_id']}  ({item['status']}: never published)")
    if result.withdrawn:
        print(f"audit one: corpusgate audit {result.withdrawn[0]['record_id']} --output {output}")
    sys.stdout.flush()
    return 0

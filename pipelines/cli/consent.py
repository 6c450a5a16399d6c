"""`corpusgate consent import FILE`: load consents into the store, hashed on the way in."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from corpusgate.pipelines.cli.common import add_store_options, resolve_store_and_key

DESCRIPTION = """\
Import consents (PIPL art. 14, and the separate consent art. 29 requires for sensitive
information) into the consent store, the `consents` table of the run's SQLAlchemy store.

Each identifier is normalised and replaced by its subject key, an HMAC-SHA256 under the consent
key, before anything is stored: the store never holds a phone number, e-mail address or ID
number, and without the key nobody can check whether a given one is in it. `corpusgate run`
looks detected identifiers up by the same key, so use the same key for both.

FILE is CSV (with a header) or JSON lines, one consent per line:
  identifier   the phone number, e-mail address, ID number, ...
  type         an entity type of the PII policy (CN_MOBILE, EMAIL_ADDRESS, CN_RESIDENT_ID, ...)
               or mobile | email | resident_id | passport | bank_card | landline | phone | ...
  scope        general | separate (separate also counts as general)
  granted_at   ISO 8601; a time without offset is UTC
  revoked_at   ISO 8601 or empty; to revoke, import the same consent again with revoked_at set
  evidence     where the signed consent is (form id, document path): the lineage cites it

Every line is checked first (type, identifier checksum or format, scope, dates); any bad line
fails the file, listing each by line number (never echoing the identifier), and nothing is
imported. Importing a file twice adds nothing the second time.

The consent key: --key-file, else $CORPUSGATE_CONSENT_KEY, else the run config's
`pii.consent_key_file`. The store: --store, else $CORPUSGATE_STORE_URL, else the run config's.
The public demo key (demo/consent/DEMO-ONLY.key, recognised by its hash in a file or in
$CORPUSGATE_CONSENT_KEY) is refused (exit 2) unless the run config's registry, or without
--config the imported FILE, lies in the demo folder; a key file other users can read is
imported with a warning on stderr."""

EPILOG = """\
examples:
  corpusgate consent import consents.csv --config configs/demo.yaml
  CORPUSGATE_CONSENT_KEY=$(cat ~/keys/consent.key) \\
      corpusgate consent import forms-2024-06.jsonl --store sqlite:///out/corpusgate.sqlite --json

exit codes: 0 imported (or nothing new); 2 bad file, key (the demo key outside the demo
included), store or usage"""


def register(sub: argparse._SubParsersAction) -> None:
    consent = sub.add_parser(
        "consent",
        help="import consents into the consent store (identifiers keyed-hashed)",
        description="The consent store: who agreed to what, keyed by a keyed hash.",
    )
    consent_sub = consent.add_subparsers(dest="consent_command", metavar="SUBCOMMAND")
    imp = consent_sub.add_parser(
        "import",
        help="import a CSV or JSON-lines file of consents",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", metavar="FILE", help="consents, .csv or .jsonl")
    add_store_options(imp, key=True)
    imp.add_argument("--json", action="store_true", help="print one JSON document")
    imp.set_defaults(handler=_import)

    def _usage(args: argparse.Namespace) -> int:
        consent.print_help(sys.stderr)
        return 2

    consent.set_defaults(handler=_usage)


def _import(args: argparse.Namespace) -> int:
    from corpusgate.pipelines.cli import CliError
    from corpusgate.source_registry.consent import ConsentFileError, ConsentStore, read_consent_file
    from corpusgate.source_registry.store import StoreError

    store_url, key, _ = resolve_store_and_key(args, anchor=Path(args.file).parent)
    try:
        grants = read_consent_file(args.file, key)
        store = ConsentStore(store_url)
        added, skipped = store.add_grants(grants)
    except ConsentFileError as err:
        raise CliError(str(err), 2) from err
    except StoreError as err:
        raise CliError(str(err), 2) from err
    report = {
        "file": args.file,
        "store": store.store.safe_url,
        "lines": len(grants),
        "added": added,
        "already_present": skipped,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"{args.file}: {len(grants)} consents read, {added} added, "
            f"{skipped} already in {report['store']}"
        )
    return 0

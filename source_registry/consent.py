"""The consent store: who agreed to what, keyed by a keyed hash of the identifier, never the value.

A data subject is known here only by `subject_key` = HMAC-SHA256(key, normalised identifier):
the store, the lineage and every report hold that, so a leaked store or shard names nobody, and
without the key nobody can test whether a given phone number is in it. The key lives in a file
or the `CORPUSGATE_CONSENT_KEY` environment variable the operator controls (GB/T 45654-2025
4.2.3). `check_key_use` refuses the public demo key for anything but the demo's own registry
and warns about a key file other users can read; every command that takes a key calls it.

Two append-only tables, in the same database as the rest of the store:
- `consents`: one row per grant (subject key, scope `general` | `separate`, granted at, revoked
  at, evidence reference). A revocation is a new row for the same (subject, scope, evidence)
  with `revoked_at` set: the newest row of a grant is its current state.
- `withdrawals`: one row per subject a `forget` request withdrew. A withdrawal overrides every
  grant, whatever its dates: a record collected while consent held must not come back on the
  next run.

Scopes: `separate` consent (PIPL art. 29, needed for sensitive information) also counts as
`general` consent; `general` consent never counts as `separate`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert, select

from corpusgate.source_registry.store import Store, install_append_only_guards
from corpusgate.transforms.pii.consent import (
    SCOPES,
    TYPE_ALIASES,
    ConsentIndex,
    Grant,
    identifier_problem,
    known_types,
    resolve_type,
    subject_key,
)

KEY_ENV = "CORPUSGATE_CONSENT_KEY"
MIN_KEY_BYTES = 16

metadata = MetaData()

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject_key", String(64), nullable=False, index=True),
    Column("identifier_type", String(32), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("evidence_ref", Text, nullable=False),
    Column("imported_from", Text),  # file name and line, never the identifier
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

withdrawals = Table(
    "withdrawals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject_key", String(64), nullable=False, index=True),
    Column("request_id", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("output", Text),
    Column("records", Integer, nullable=False),  # records withdrawn by this request
    Column("detail", Text),  # JSON: record ids withdrawn
    Column("at", DateTime(timezone=True), nullable=False),
)

APPEND_ONLY = ("consents", "withdrawals")


class ConsentKeyError(ValueError):
    """No usable consent key, or one that must not be used here; the message says what to do."""


class ConsentFileError(ValueError):
    """A consent file has bad lines; `problems` lists each as 'FILE:LINE: what is wrong'."""

    def __init__(self, path: str, problems: list[str]) -> None:
        shown = problems[:20]
        more = (
            f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        )
        super().__init__(
            f"{path}: {len(problems)} bad line(s), nothing imported:\n  "
            + "\n  ".join(shown)
            + more
        )
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# The key and the keyed hash


@dataclass(frozen=True)
class ConsentKey:
    """The consent key and where it came from. The value stays out of `repr`."""

    value: bytes = field(repr=False)
    origin: str  # "consent key file PATH" or "$CORPUSGATE_CONSENT_KEY", for messages
    path: Path | None = None  # the key file, when it came from one


def read_key(
    key_file: str | None = None,
    env: Mapping[str, str] | None = None,
    config_key_file: str | None = None,
) -> ConsentKey:
    """The consent key: an explicit key file, else $CORPUSGATE_CONSENT_KEY, else the run
    config's `pii.consent_key_file`. Raises ConsentKeyError when none is usable."""
    env = os.environ if env is None else env
    if key_file:
        return _read_key_file(key_file)
    if env.get(KEY_ENV):
        where = f"${KEY_ENV}"
        return ConsentKey(_check_key(env[KEY_ENV].strip().encode("utf-8"), where), where)
    if config_key_file:
        return _read_key_file(config_key_file)
    raise ConsentKeyError(
        "no consent key: set the environment variable "
        f"{KEY_ENV}, give --key-file FILE, or set `pii: {{consent_key_file: FILE}}` in the run "
        "config. The key turns identifiers into subject keys; keep it secret and keep it: "
        "consents imported under one key are not found under another."
    )


def load_key(
    key_file: str | None = None,
    env: Mapping[str, str] | None = None,
    config_key_file: str | None = None,
) -> bytes:
    """The consent key's bytes (`read_key` says where it came from too)."""
    return read_key(key_file, env, config_key_file).value


def _read_key_file(path: str) -> ConsentKey:
    where = f"consent key file {path}"
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as err:
        raise ConsentKeyError(f"{where} cannot be read: {err.strerror}") from err
    # A trailing newline from an editor must not change every subject key.
    return ConsentKey(_check_key(data.strip(), where), where, p)


def _check_key(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise ConsentKeyError(
            f"{where} holds {len(key)} bytes; a consent key needs at least "
            f"{MIN_KEY_BYTES} (e.g. `openssl rand -hex 32`)"
        )
    return key


# The demo's key is in the repository for everyone to read: subject keys made with it protect
# nobody. It is known by the SHA-256 of its bytes (as `read_key` returns them), so a copy under
# another name or pasted into $CORPUSGATE_CONSENT_KEY is recognised too.
DEMO_KEY_SHA256 = "d1a9fd26af66a97f2ea6dff2f19cea5b0e48bb7711bf98673808be7af6f6d221"
DEMO_KEY_FILE = Path("consent") / "DEMO-ONLY.key"  # inside the demo folder


def is_demo_key(key: bytes) -> bool:
    return hashlib.sha256(key).hexdigest() == DEMO_KEY_SHA256


def in_demo_folder(path: str | Path) -> bool:
    """True when `path` lies in a folder named `demo` that holds the demo's key file
    (`consent/DEMO-ONLY.key`, checked by hash): the repository's demo, or a copy of it."""
    resolved = Path(path).expanduser().resolve()
    for folder in (resolved, *resolved.parents):
        if folder.name != "demo":
            continue
        try:
            if is_demo_key((folder / DEMO_KEY_FILE).read_bytes().strip()):
                return True
        except OSError:
            continue
    return False


def check_key_use(
    key: bytes | ConsentKey, registry_dir: str | Path | None, key_file: str | Path | None = None
) -> list[str]:
    """Whether this key may serve this registry: raises ConsentKeyError for the public demo key
    outside the demo (`registry_dir` None, as for a command given no run config, counts as
    outside), and returns warnings to show the operator, such as a key file that other users
    can read. `key_file` defaults to the file a `ConsentKey` came from."""
    value = key.value if isinstance(key, ConsentKey) else key
    origin = key.origin if isinstance(key, ConsentKey) else "the consent key"
    if key_file is None and isinstance(key, ConsentKey):
        key_file = key.path
    if is_demo_key(value):
        if registry_dir is not None and in_demo_folder(registry_dir):
            return []  # the demo's own data; the key is public anyway
        where = f"registry {registry_dir}" if registry_dir is not None else "no demo registry"
        raise ConsentKeyError(
            f"{origin} is the public demo key (demo/{DEMO_KEY_FILE.as_posix()}), refused for "
            f"{where}: it is published with corpusgate, so its subject keys protect nobody. "
            "Make a key of your own (`openssl rand -hex 32 > consent.key; chmod 600 "
            f"consent.key`), keep it outside the repository and give it with --key-file, "
            f"${KEY_ENV} or `pii: {{consent_key_file: FILE}}`; consents imported under the demo "
            "key must be imported again under the new one."
        )
    warnings: list[str] = []
    if key_file is not None:
        try:
            mode = Path(key_file).expanduser().stat().st_mode
        except OSError:
            mode = 0
        if mode & 0o077:
            warnings.append(
                f"consent key file {key_file} is open to other users (mode "
                f"{stat.filemode(mode)}): whoever reads it can test whether an identifier is in "
                f"the consent store; run `chmod 600 {key_file}`"
            )
    return warnings


# ---------------------------------------------------------------------------------------------
# Grants and their files


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (trailing Z allowed); a naive time is UTC, as everywhere in corpusgate."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected ISO 8601 text, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


REQUIRED_FIELDS = ("identifier", "type", "scope", "granted_at", "evidence")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row mapping or a problem) for a .csv or .jsonl consent file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        missing = [f for f in REQUIRED_FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            yield (
                1,
                f"header lacks column(s) {missing}; expected {list(REQUIRED_FIELDS)} "
                "and optionally revoked_at",
            )
            return
        for row in reader:
            if None in row:
                yield reader.line_num, "more cells than the header has columns"
                continue
            yield reader.line_num, row
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as err:
                yield n, f"not valid JSON ({err.msg})"
                continue
            yield n, item if isinstance(item, dict) else "not a JSON object"
    else:
        yield 0, f"unsupported file type '{path.suffix}' (use .csv or .jsonl)"


def read_consent_file(
    path: str | Path, key: bytes, types: frozenset[str] | None = None
) -> list[Grant]:
    """Every grant of a consent file, hashed on the way in. Any bad line fails the whole file
    (ConsentFileError lists them all), so a file is imported entirely or not at all."""
    p = Path(path)
    types = types if types is not None else known_types()
    try:
        rows = list(_rows(p))
    except OSError as err:
        raise ConsentFileError(str(p), [f"{p}: cannot read: {err.strerror}"]) from err
    except UnicodeDecodeError as err:
        raise ConsentFileError(str(p), [f"{p}: not UTF-8 text ({err.reason})"]) from err
    grants: list[Grant] = []
    problems: list[str] = []
    for line, row in rows:
        if isinstance(row, str):
            problems.append(f"{p.name}:{line}: {row}")
            continue
        grant, problem = _grant_of(row, key, types, f"{p.name}:{line}")
        if problem:
            problems.append(f"{p.name}:{line}: {problem}")
        elif grant is not None:
            grants.append(grant)
    if problems:
        raise ConsentFileError(str(p), problems)
    return grants


def _grant_of(
    row: dict[str, Any], key: bytes, types: frozenset[str], where: str
) -> tuple[Grant | None, str | None]:
    # Problems name the field and the rule broken, never the identifier itself.
    absent = [f for f in REQUIRED_FIELDS if row.get(f) in (None, "")]
    if absent:
        return None, f"missing {', '.join(absent)}"
    if not all(
        isinstance(row.get(f), str)
        for f in (*REQUIRED_FIELDS, "revoked_at")
        if row.get(f) is not None
    ):
        return None, "every field must be text"
    identifier_type = resolve_type(row["type"], types)
    if identifier_type is None:
        return (
            None,
            f"unknown type {row['type']!r} (an entity type of the PII policy or "
            f"one of {sorted(TYPE_ALIASES)})",
        )
    problem = identifier_problem(identifier_type, row["identifier"])
    if problem:
        return None, f"identifier is {problem}" if problem.startswith("not") else problem
    scope = row["scope"].strip().lower()
    if scope not in SCOPES:
        return None, f"scope {row['scope']!r} is not one of {list(SCOPES)}"
    try:
        granted_at = parse_time(row["granted_at"])
        revoked_at = parse_time(row.get("revoked_at"))
    except ValueError as err:
        return None, f"bad date: {err}"
    assert granted_at is not None
    if revoked_at is not None and revoked_at <= granted_at:
        return None, "revoked_at is not after granted_at"
    return Grant(
        subject_key=subject_key(key, identifier_type, row["identifier"]),
        identifier_type=identifier_type,
        scope=scope,
        granted_at=granted_at,
        revoked_at=revoked_at,
        evidence_ref=row["evidence"].strip(),
        imported_from=where,
    ), None


# ---------------------------------------------------------------------------------------------
# The tables


class ConsentStore:
    """The consent and withdrawal tables behind the run's store URL."""

    def __init__(self, url: str) -> None:
        self.store = Store(url)  # opens (and creates) the database with the store's settings
        self.engine = self.store.engine
        metadata.create_all(self.engine)
        install_append_only_guards(self.engine, APPEND_ONLY)

    def add_grants(self, grants: Iterable[Grant]) -> tuple[int, int]:
        """Append grants not already present; (added, already present). Importing one file
        twice adds nothing the second time."""
        existing = {
            (r.subject_key, r.scope, r.evidence_ref, _utc(r.granted_at), _utc(r.revoked_at))
            for r in self._all_grant_rows()
        }
        added = skipped = 0
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for g in grants:
                ident = (g.subject_key, g.scope, g.evidence_ref, g.granted_at, g.revoked_at)
                if ident in existing:
                    skipped += 1
                    continue
                existing.add(ident)
                conn.execute(
                    insert(consents).values(
                        subject_key=g.subject_key,
                        identifier_type=g.identifier_type,
                        scope=g.scope,
                        granted_at=g.granted_at,
                        revoked_at=g.revoked_at,
                        evidence_ref=g.evidence_ref,
                        imported_from=g.imported_from,
                        imported_at=now,
                    )
                )
                added += 1
        return added, skipped

    def _all_grant_rows(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(consents).order_by(consents.c.id)))

    def grants(self) -> list[Grant]:
        return [
            Grant(
                r.subject_key,
                r.identifier_type,
                r.scope,
                _utc(r.granted_at),
                _utc(r.revoked_at),
                r.evidence_ref,
                r.imported_from or "",
            )
            for r in self._all_grant_rows()
        ]

    def withdrawn_keys(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(withdrawals.c.subject_key)).scalars())

    def load_index(self) -> ConsentIndex:
        return ConsentIndex(self.grants(), self.withdrawn_keys())

    def record_withdrawal(
        self,
        key: str,
        *,
        request_id: str,
        reason: str,
        output: str | None,
        record_ids: list[str],
        at: datetime,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(withdrawals).values(
                    subject_key=key,
                    request_id=request_id,
                    reason=reason,
                    output=output,
                    records=len(record_ids),
                    detail=json.dumps({"record_ids": record_ids}),
                    at=at,
                )
            )

    def withdrawal_history(self, key: str | None = None) -> list[dict[str, Any]]:
        query = select(withdrawals).order_by(withdrawals.c.id)
        if key:
            query = query.where(withdrawals.c.subject_key == key)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _utc(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes even for timezone-aware columns; everything stored is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

"""User-input authorization (GB/T 45654-2025 4.1.3 d, 6.3): was this user's input authorized for
training when it was collected, and is that authorization still standing?

A `user_input` registry entry references an authorization table, CSV or JSONL, one grant per row:

    user_id, granted_at, scope, revoked_at        (ISO 8601 times; revoked_at empty = standing)

An optional `authorization_id` (or `id`) column names the row in verdicts; otherwise the row is
named `FILE:LINE`. A user may have several rows: grants for different scopes, or a new grant
after revoking an old one. For a record collected at time t the rule is:

- a grant *covers* t when granted_at <= t, it was not revoked at or before t, and its scope
  includes the required scope (when one is required);
- ok when a covering grant is still standing;
- `authorization_revoked` when grants covered t but every one was revoked after t (the user
  withdrew; the record must go even though it was lawfully collected);
- `no_user_authorization` otherwise: no grant, granted only after t, revoked before t, or a
  scope that does not include the required one. A grant given after a revocation does not
  reach back over records collected before it.

Times without a UTC offset are read as UTC, on both sides, so naive and aware times compare.
Pure Python: no Beam import.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from corpusgate.schemas.reasons import (
    AUTHORIZATION_REVOKED,
    NO_USER_AUTHORIZATION,
    USER_AUTHORIZATION,
)
from corpusgate.schemas.records import Record
from corpusgate.transforms.common.tables import read_table
from corpusgate.transforms.common.timestamps import as_utc, parse_timestamp
from corpusgate.transforms.provenance.evidence import Shortener, document_problem, entry_relative
from corpusgate.transforms.spine.checks import SourceFacts, Verdict, keep, quarantine

__all__ = ["AuthorizationResult", "AuthorizationTable", "Grant", "UserInputCheck", "parse_time"]

USER_AUTHORIZATION_ROLE = "user_authorization"  # evidence role of the deciding grant

REQUIRED_COLUMNS = ("user_id", "granted_at", "scope", "revoked_at")
_ID_COLUMNS = ("authorization_id", "id")
# A grant whose scope is one of these covers any required scope.
_ANY_SCOPE = frozenset({"*", "all"})
_SCOPE_SPLIT = re.compile(r"[\s,;|]+")


@dataclass(frozen=True)
class AuthorizationResult:
    ok: bool
    reason: str = ""  # NO_USER_AUTHORIZATION / AUTHORIZATION_REVOKED / ""
    detail: str = ""
    authorization_id: str = ""  # the deciding row, for the lineage's evidence references


@dataclass(frozen=True)
class Grant:
    row_id: str
    user_id: str
    granted_at: datetime
    scopes: frozenset[str]
    revoked_at: datetime | None

    def covers_scope(self, required: str | None) -> bool:
        if required is None:
            return True
        return bool(self.scopes & _ANY_SCOPE) or required.casefold() in self.scopes


def parse_time(value: str) -> datetime:
    """ISO 8601 date or date-time; no offset means UTC (the project's one rule). ValueError."""
    parsed = parse_timestamp(value)
    if parsed is None:
        raise ValueError("empty time")
    return parsed


class AuthorizationTable:
    """Grants by user, each user's grants sorted by granted_at."""

    def __init__(self, grants: Iterable[Grant], source: str = "") -> None:
        self.source = source
        by_user: dict[str, list[Grant]] = {}
        for grant in grants:
            by_user.setdefault(grant.user_id, []).append(grant)
        self._grants = {
            user: sorted(rows, key=lambda g: (g.granted_at, g.row_id))
            for user, rows in by_user.items()
        }
        self._starts = {user: [g.granted_at for g in rows] for user, rows in self._grants.items()}

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._grants.values())

    @classmethod
    def load(cls, path: str | Path) -> AuthorizationTable:
        """Read a .csv or .jsonl table. A bad line raises ValueError naming file and line."""
        path = Path(path)
        if path.suffix.casefold() not in (".csv", ".jsonl", ".ndjson"):
            raise ValueError(
                f"{path}: authorization table must be .csv or .jsonl, not {path.suffix!r}"
            )
        required = [c for c in REQUIRED_COLUMNS if c != "revoked_at" or path.suffix == ".csv"]
        rows = list(read_table(path, required=required))
        grants = [
            _grant(row, _row_id(row, f"{path}:{line}"), f"{path}:{line}") for line, row in rows
        ]
        return cls(grants, str(path))

    def grants_for(self, user_id: str) -> tuple[Grant, ...]:
        return tuple(self._grants.get(user_id, ()))

    def check(
        self, user_id: str | None, collected_at: datetime | None, scope: str | None = None
    ) -> AuthorizationResult:
        """Authorization of one record by `user_id` collected at `collected_at`.

        `scope`: the use the record is needed for (e.g. "training"); None checks no scope.
        """
        if user_id is None or not str(user_id).strip():
            return AuthorizationResult(False, NO_USER_AUTHORIZATION, "record has no user id")
        user_id = str(user_id).strip()
        grants = self._grants.get(user_id)
        if not grants:
            return AuthorizationResult(
                False, NO_USER_AUTHORIZATION, f"no grant for user in {self._name()}"
            )
        if collected_at is None:
            return AuthorizationResult(
                False,
                NO_USER_AUTHORIZATION,
                "collection time unknown: cannot show a grant covered it",
            )
        moment = as_utc(collected_at)
        # Grants given after collection cannot cover it; bisect skips them.
        started = grants[: bisect_right(self._starts[user_id], moment)]
        in_scope = [g for g in started if g.covers_scope(scope)]
        covering = [g for g in in_scope if g.revoked_at is None or g.revoked_at > moment]
        standing = [g for g in covering if g.revoked_at is None]
        if standing:
            grant = standing[0]
            return AuthorizationResult(
                True, "", f"granted {grant.granted_at.isoformat()} ({grant.row_id})", grant.row_id
            )
        if covering:
            grant = max(covering, key=lambda g: (g.revoked_at, g.row_id))
            return AuthorizationResult(
                False,
                AUTHORIZATION_REVOKED,
                f"grant {grant.row_id} covered collection at {moment.isoformat()} but was "
                f"revoked {grant.revoked_at.isoformat() if grant.revoked_at else ''}",
                grant.row_id,
            )
        return AuthorizationResult(
            False, NO_USER_AUTHORIZATION, self._why_not(grants, moment, scope)
        )

    def _why_not(self, grants: list[Grant], moment: datetime, scope: str | None) -> str:
        in_scope = [g for g in grants if g.covers_scope(scope)]
        if not in_scope:
            rows = ", ".join(g.row_id for g in grants)
            return f"no grant with scope {scope!r} (user's grants: {rows})"
        earlier = [g for g in in_scope if g.granted_at <= moment]
        if earlier:
            grant = earlier[-1]
            revoked = grant.revoked_at.isoformat() if grant.revoked_at else ""
            return (
                f"grant {grant.row_id} revoked {revoked}, before collection at {moment.isoformat()}"
            )
        grant = in_scope[0]
        return (
            f"grant {grant.row_id} given {grant.granted_at.isoformat()}, "
            f"after collection at {moment.isoformat()}"
        )

    def _name(self) -> str:
        return self.source or "authorization table"


def _grant(row: Mapping[str, Any], row_id: str, where: str) -> Grant:
    def text(column: str) -> str:
        value = row.get(column)
        return "" if value is None else str(value).strip()

    user_id = text("user_id")
    if not user_id:
        raise ValueError(f"{where}: user_id is empty; expected {', '.join(REQUIRED_COLUMNS)}")
    try:
        granted_at = parse_time(text("granted_at"))
    except ValueError as exc:
        raise ValueError(
            f"{where}: granted_at {text('granted_at')!r} is not an ISO 8601 time ({exc})"
        ) from exc
    revoked_text = text("revoked_at")
    revoked_at = None
    if revoked_text:
        try:
            revoked_at = parse_time(revoked_text)
        except ValueError as exc:
            raise ValueError(
                f"{where}: revoked_at {revoked_text!r} is not an ISO 8601 time or empty ({exc})"
            ) from exc
        if revoked_at < granted_at:
            raise ValueError(f"{where}: revoked_at {revoked_text} is before granted_at")
    raw_scope = row.get("scope")
    # JSONL may give a list of scopes; CSV gives one field separated by spaces, commas or ';'.
    joined = " ".join(map(str, raw_scope)) if isinstance(raw_scope, list) else text("scope")
    scopes = frozenset(s.casefold() for s in _SCOPE_SPLIT.split(joined) if s)
    return Grant(row_id, user_id, granted_at, scopes, revoked_at)


def _row_id(row: Mapping[str, Any], fallback: str) -> str:
    for column in _ID_COLUMNS:
        value = row.get(column)
        if value is not None and str(value).strip():
            return str(value).strip()
    return fallback


class UserInputCheck:
    """The provenance check of a user-input source: a standing authorization covering each
    record's collection time. The table is read and verified once, on the launcher; a source
    whose table is missing, changed or malformed is refused whole (`no_user_authorization`)."""

    def __init__(self, facts: SourceFacts, scope: str | None = None) -> None:
        self.scope = scope
        self.refusal: Verdict | None = None
        self.table: AuthorizationTable | None = None
        self.table_sha256 = ""
        self._shorten = Shortener()
        tables = facts.evidence_paths("authorization_table")
        if len(tables) != 1:
            self.refusal = quarantine(
                USER_AUTHORIZATION,
                NO_USER_AUTHORIZATION,
                f"the entry references {len(tables)} authorization tables; expected exactly one",
            )
            return
        path, recorded = tables[0]
        shown = entry_relative(facts, path)
        problem = document_problem(facts, "authorization_table", path, recorded)
        if not problem:
            try:
                self.table = AuthorizationTable.load(path)
            except ValueError as err:
                problem = f"authorization_table {shown} unusable: {str(err).replace(path, shown)}"
        if problem:
            self.refusal = quarantine(USER_AUTHORIZATION, NO_USER_AUTHORIZATION, problem)
            return
        self.table_sha256 = recorded.lower()
        self._shorten = Shortener(((str(path), shown),))

    def check(self, record: Record) -> Verdict:
        if self.refusal is not None:
            return self.refusal
        assert self.table is not None
        lineage = record["lineage"]
        user_id = record.get("_user_id")
        result = self.table.check(user_id, lineage.get("collected_at"), self.scope)  # type: ignore[arg-type]
        changes = {}
        if result.authorization_id:
            row = {
                "role": USER_AUTHORIZATION_ROLE,
                "path": self._shorten(result.authorization_id),
                "sha256": self.table_sha256,
            }
            changes["evidence"] = [*lineage["evidence"], row]
        detail = self._shorten(result.detail)
        detail = f"user {user_id}: {detail}" if user_id else detail
        if not result.ok:
            return quarantine(USER_AUTHORIZATION, result.reason, detail, lineage=changes)
        return keep(USER_AUTHORIZATION, detail, lineage=changes)

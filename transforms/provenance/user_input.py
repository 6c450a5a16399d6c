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

import csv
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corpusgate.schemas.reasons import AUTHORIZATION_REVOKED, NO_USER_AUTHORIZATION

__all__ = ["AuthorizationTable", "Grant", "Verdict", "parse_time"]

REQUIRED_COLUMNS = ("user_id", "granted_at", "scope", "revoked_at")
_ID_COLUMNS = ("authorization_id", "id")
# A grant whose scope is one of these covers any required scope.
_ANY_SCOPE = frozenset({"*", "all"})
_SCOPE_SPLIT = re.compile(r"[\s,;|]+")


@dataclass(frozen=True)
class Verdict:
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
    """ISO 8601 date or date-time; no offset means UTC. Raises ValueError."""
    text = value.strip()
    if not text:
        raise ValueError("empty time")
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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
        suffix = path.suffix.casefold()
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                if suffix == ".csv":
                    grants = list(_read_csv(handle, str(path)))
                elif suffix in (".jsonl", ".ndjson"):
                    grants = list(_read_jsonl(handle, str(path)))
                else:
                    raise ValueError(
                        f"{path}: authorization table must be .csv or .jsonl, not {suffix!r}"
                    )
        except OSError as exc:
            raise ValueError(f"{path}: cannot read authorization table ({exc})") from exc
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 ({exc})") from exc
        return cls(grants, str(path))

    def grants_for(self, user_id: str) -> tuple[Grant, ...]:
        return tuple(self._grants.get(user_id, ()))

    def check(
        self, user_id: str | None, collected_at: datetime | None, scope: str | None = None
    ) -> Verdict:
        """Authorization of one record by `user_id` collected at `collected_at`.

        `scope`: the use the record is needed for (e.g. "training"); None checks no scope.
        """
        if user_id is None or not str(user_id).strip():
            return Verdict(False, NO_USER_AUTHORIZATION, "record has no user id")
        user_id = str(user_id).strip()
        grants = self._grants.get(user_id)
        if not grants:
            return Verdict(False, NO_USER_AUTHORIZATION, f"no grant for user in {self._name()}")
        if collected_at is None:
            return Verdict(
                False,
                NO_USER_AUTHORIZATION,
                "collection time unknown: cannot show a grant covered it",
            )
        moment = _as_utc(collected_at)
        # Grants given after collection cannot cover it; bisect skips them.
        started = grants[: bisect_right(self._starts[user_id], moment)]
        in_scope = [g for g in started if g.covers_scope(scope)]
        covering = [g for g in in_scope if g.revoked_at is None or g.revoked_at > moment]
        standing = [g for g in covering if g.revoked_at is None]
        if standing:
            grant = standing[0]
            return Verdict(
                True, "", f"granted {grant.granted_at.isoformat()} ({grant.row_id})", grant.row_id
            )
        if covering:
            grant = max(covering, key=lambda g: (g.revoked_at, g.row_id))
            return Verdict(
                False,
                AUTHORIZATION_REVOKED,
                f"grant {grant.row_id} covered collection at {moment.isoformat()} but was "
                f"revoked {grant.revoked_at.isoformat() if grant.revoked_at else ''}",
                grant.row_id,
            )
        return Verdict(False, NO_USER_AUTHORIZATION, self._why_not(grants, moment, scope))

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


def _read_csv(handle: Any, name: str) -> Iterable[Grant]:
    reader = csv.DictReader(handle)
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"{name}:1: header lacks {missing}; expected columns {', '.join(REQUIRED_COLUMNS)}"
        )
    for row in reader:
        where = f"{name}:{reader.line_num}"
        if None in row:
            raise ValueError(f"{where}: more fields than the header's {len(header)}")
        if all(not (v or "").strip() for v in row.values()):
            continue
        yield _grant(row, _row_id(row, where), where)


def _read_jsonl(handle: Any, name: str) -> Iterable[Grant]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise ValueError(f"{where}: expected a JSON object with {', '.join(REQUIRED_COLUMNS)}")
        missing = [c for c in REQUIRED_COLUMNS if c not in row and c != "revoked_at"]
        if missing:
            raise ValueError(f"{where}: missing {missing}; expected {', '.join(REQUIRED_COLUMNS)}")
        yield _grant(row, _row_id(row, where), where)

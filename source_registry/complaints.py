"""The store's record of IP complaints (GB/T 45654-2025 4.2.2 c): what was complained about,
when, and what was done, so a provider can show an assessor every complaint and its outcome.

One append-only table, `ip_complaints`, in the same database as the rest of the store (SQLite
or PostgreSQL; triggers refuse UPDATE and DELETE as for the other history tables). One row per
`takedown` action: the complaint id, when it was first received and when this action was taken,
the sha256 of the work file (the work itself is not stored: it is the rights holder's), the
threshold, the run acted on, the records matched (with similarity and method) and withdrawn.
The first row of a complaint is its receipt; a repeat that withdraws nothing new adds no row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

from corpusgate.source_registry.store import Store, install_append_only_guards
from corpusgate.transforms.output.complaints import MatchedRecord

metadata = MetaData()

ip_complaints = Table(
    "ip_complaints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("complaint_id", String(128), nullable=False, index=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("acted_at", DateTime(timezone=True), nullable=False),
    Column("work_sha256", String(64), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("output", Text),
    Column("request_id", String(128)),  # the withdrawal log's name; NULL: nothing withdrawn
    Column("reason", Text, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("withdrawn", Integer, nullable=False),
    Column("detail", Text, nullable=False),  # JSON: matches, withdrawn and skipped record ids
)

APPEND_ONLY = ("ip_complaints",)


@dataclass(frozen=True)
class ComplaintAction:
    """One `takedown` of a complaint, as the store keeps it."""

    complaint_id: str
    received_at: datetime
    acted_at: datetime
    work_sha256: str
    threshold: float
    run_id: str
    output: str
    request_id: str | None
    reason: str
    matches: Sequence[MatchedRecord]
    withdrawn: Sequence[str]  # record ids withdrawn by this action


@dataclass(frozen=True)
class Receipt:
    """When a complaint was first recorded, and for which work."""

    received_at: datetime
    work_sha256: str


class ComplaintStore:
    """The IP complaint table behind the run's store URL."""

    def __init__(self, url: str) -> None:
        self.store = Store(url)  # opens (and creates) the database with the store's settings
        self.engine = self.store.engine
        metadata.create_all(self.engine)
        install_append_only_guards(self.engine, APPEND_ONLY)

    def receipt(self, complaint_id: str) -> Receipt | None:
        query = (
            select(ip_complaints.c.received_at, ip_complaints.c.work_sha256)
            .where(ip_complaints.c.complaint_id == complaint_id)
            .order_by(ip_complaints.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return Receipt(_utc(row.received_at), row.work_sha256) if row else None

    def record(self, action: ComplaintAction) -> None:
        detail = {
            "matches": [m.to_dict() for m in action.matches],
            "withdrawn": list(action.withdrawn),
            "skipped": [m.record_id for m in action.matches if m.record_id not in action.withdrawn],
        }
        with self.engine.begin() as conn:
            conn.execute(
                insert(ip_complaints).values(
                    complaint_id=action.complaint_id,
                    received_at=action.received_at,
                    acted_at=action.acted_at,
                    work_sha256=action.work_sha256,
                    threshold=action.threshold,
                    run_id=action.run_id,
                    output=action.output,
                    request_id=action.request_id,
                    reason=action.reason,
                    matched=len(action.matches),
                    withdrawn=len(action.withdrawn),
                    detail=json.dumps(detail, ensure_ascii=False),
                )
            )

    def history(self, complaint_id: str | None = None) -> list[dict[str, Any]]:
        query = select(ip_complaints).order_by(ip_complaints.c.id)
        if complaint_id:
            query = query.where(ip_complaints.c.complaint_id == complaint_id)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["received_at"] = _utc(row["received_at"])
            row["acted_at"] = _utc(row["acted_at"])
            row["detail"] = json.loads(row["detail"])
        return rows


def _utc(value: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone-aware columns; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

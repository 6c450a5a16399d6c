"""The store: source status, append-only assessment records and runs, behind one SQLAlchemy URL.

SQLite (a file) by default; PostgreSQL by URL (`postgresql+psycopg://user@host/db`). Assessment,
verification and status-change rows are append-only: the API offers no update or delete, and
database triggers refuse them, so an assessor can trust the history (B.2.1.1.1).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.exc import ArgumentError, OperationalError

metadata = MetaData()

source_events = Table(
    "source_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", String(128), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("entry_sha256", String(64)),
    Column("run_id", String(64)),
    Column("note", Text),
    Column("at", DateTime(timezone=True), nullable=False),
)

assessments = Table(
    "assessments",
    metadata,
    Column("assessment_id", String(36), primary_key=True),
    Column("source_id", String(128), nullable=False, index=True),
    Column("stage", String(16), nullable=False),  # "assessment" (before) | "verification" (after)
    Column("seed", String(128)),
    Column("sample_size", Integer, nullable=False),
    Column("population", Integer),
    Column("methods", String(256)),
    Column("flagged", Integer, nullable=False),
    Column("rate", Float, nullable=False),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("decision", String(32), nullable=False),
    Column("action", String(256)),
    Column("actor", String(128)),
    Column("run_id", String(64)),
    Column("details", Text),  # JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, index=True),
    Column("event", String(16), nullable=False),  # "started" | "published" | "failed"
    Column("config_sha256", String(64)),
    Column("output", Text),
    Column("detail", Text),
    Column("at", DateTime(timezone=True), nullable=False),
)

APPEND_ONLY = ("source_events", "assessments", "runs")
STATUSES = (
    "proposed",
    "assessed_accepted",
    "assessed_rejected",
    "collected",
    "verified_accepted",
    "verified_rejected",
    "withdrawn",
)


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says which URL and why."""


@dataclass(frozen=True)
class Assessment:
    source_id: str
    stage: str
    sample_size: int
    flagged: int
    rate: float
    decision: str
    seed: str | None = None
    population: int | None = None
    methods: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    action: str | None = None
    actor: str | None = None
    run_id: str | None = None
    details: dict[str, Any] | None = None


def _install_append_only_guards(engine: Engine, tables: tuple[str, ...] = APPEND_ONLY) -> None:
    with engine.begin() as conn:
        for table in tables:
            if engine.dialect.name == "sqlite":
                for op in ("UPDATE", "DELETE"):
                    conn.execute(
                        text(
                            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                        )
                    )
            elif engine.dialect.name == "postgresql":
                conn.execute(
                    text(
                        "CREATE OR REPLACE FUNCTION corpusgate_append_only() RETURNS trigger AS $$ "
                        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql"
                    )
                )
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
                conn.execute(
                    text(
                        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                        "FOR EACH ROW EXECUTE FUNCTION corpusgate_append_only()"
                    )
                )


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine = create_engine(url)
        except (ArgumentError, ImportError) as err:
            raise StoreError(f"store URL '{url}' cannot be used: {err}") from err
        if self.engine.dialect.name == "sqlite":
            database = self.engine.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)

            # Several pipeline workers may append at once; wait for the lock instead of failing.
            @event.listens_for(self.engine, "connect")
            def _busy_timeout(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                dbapi_conn.execute("PRAGMA busy_timeout = 30000")

        try:
            metadata.create_all(self.engine)
            _install_append_only_guards(self.engine)
        except OperationalError as err:
            raise StoreError(f"store '{self.safe_url}' cannot be opened: {err.orig}") from err

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def set_status(
        self,
        source_id: str,
        status: str,
        *,
        entry_sha256: str | None = None,
        run_id: str | None = None,
        note: str | None = None,
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"status '{status}' is not one of {', '.join(STATUSES)}")
        with self.engine.begin() as conn:
            conn.execute(
                insert(source_events).values(
                    source_id=source_id,
                    status=status,
                    entry_sha256=entry_sha256,
                    run_id=run_id,
                    note=note,
                    at=self.now(),
                )
            )

    def status(self, source_id: str) -> str | None:
        query = (
            select(source_events.c.status)
            .where(source_events.c.source_id == source_id)
            .order_by(source_events.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def status_history(self, source_id: str) -> list[dict[str, Any]]:
        query = (
            select(source_events)
            .where(source_events.c.source_id == source_id)
            .order_by(source_events.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def add_assessment(self, record: Assessment, assessment_id: str | None = None) -> str:
        """Append one assessment; a pipeline passes the id it already wrote into lineages."""
        assessment_id = assessment_id or str(uuid.uuid4())
        values = {k: v for k, v in record.__dict__.items() if k != "details"}
        values["details"] = json.dumps(record.details or {}, sort_keys=True, default=str)
        with self.engine.begin() as conn:
            conn.execute(
                insert(assessments).values(
                    assessment_id=assessment_id, created_at=self.now(), **values
                )
            )
        return assessment_id

    def add_gate_report(
        self,
        source_id: str,
        stage: str,
        report: Mapping[str, Any],
        *,
        actor: str,
        run_id: str | None = None,
        assessment_id: str | None = None,
        extra_details: Mapping[str, Any] | None = None,
    ) -> str:
        """Append one gate report (`assess` before collection, `run` after) as an assessment."""
        row = assessment_from_report(
            source_id, stage, report, actor=actor, run_id=run_id, extra_details=extra_details
        )
        return self.add_assessment(row, assessment_id)

    def latest_assessment(self, source_id: str, stage: str) -> dict[str, Any] | None:
        rows = [a for a in self.assessments(source_id) if a["stage"] == stage]
        return rows[-1] if rows else None

    def assessments(self, source_id: str | None = None) -> Iterator[dict[str, Any]]:
        query = select(assessments).order_by(assessments.c.created_at)
        if source_id:
            query = query.where(assessments.c.source_id == source_id)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                item = dict(row._mapping)
                item["details"] = json.loads(item["details"] or "{}")
                yield item

    def log_run(
        self,
        run_id: str,
        event_name: str,
        *,
        config_sha256: str | None = None,
        output: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(runs).values(
                    run_id=run_id,
                    event=event_name,
                    config_sha256=config_sha256,
                    output=output,
                    detail=detail,
                    at=self.now(),
                )
            )

    def run_events(self, run_id: str) -> list[dict[str, Any]]:
        query = select(runs).where(runs.c.run_id == run_id).order_by(runs.c.id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]


def install_append_only_guards(engine: Engine, tables: tuple[str, ...]) -> None:
    """Refuse UPDATE and DELETE on `tables` with database triggers (for other modules' tables)."""
    _install_append_only_guards(engine, tables)


# Gate-report keys that are columns of the store's assessment row; the rest go to `details`.
_STORE_COLUMNS = frozenset(
    {
        "sample_size",
        "flagged",
        "rate",
        "decision",
        "seed",
        "population",
        "ci_low",
        "ci_high",
        "action",
        "assessment_id",
        "run_id",
    }
)


def assessment_from_report(
    source_id: str,
    stage: str,
    report: Mapping[str, Any],
    *,
    actor: str,
    run_id: str | None = None,
    extra_details: Mapping[str, Any] | None = None,
) -> Any:
    """The store's append-only row for one gate report (`assess` before, `run` after collection)."""
    details = {k: v for k, v in report.items() if k not in _STORE_COLUMNS}
    details.update(extra_details or {})
    return Assessment(
        source_id=source_id,
        stage=stage,
        sample_size=report["sample_size"],
        flagged=report["flagged"],
        rate=report["rate"],
        decision=report["decision"],
        seed=report["seed"],
        population=report["population"],
        methods="; ".join(report["methods"])[:256],
        ci_low=report["ci_low"],
        ci_high=report["ci_high"],
        action=report["action"][:256],
        actor=actor[:128],
        run_id=run_id,
        details=details,
    )

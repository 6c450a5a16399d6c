"""The store's IP complaint table on SQLite and on a real PostgreSQL server: receipt, history,
append-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from corpusgate.source_registry.complaints import ComplaintAction, ComplaintStore
from corpusgate.transforms.output.complaints import MatchedRecord

AT = datetime(2025, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> ComplaintStore:
    if request.param == "sqlite":
        return ComplaintStore(f"sqlite:///{tmp_path}/store.sqlite")
    store = ComplaintStore(request.getfixturevalue("postgres_url"))
    with store.engine.begin() as conn:  # a clean slate per test on the shared server
        conn.execute(text("ALTER TABLE ip_complaints DISABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM ip_complaints"))
        conn.execute(text("ALTER TABLE ip_complaints ENABLE TRIGGER USER"))
    return store


def action(withdrawn: list[str], acted_at: datetime, request_id: str | None) -> ComplaintAction:
    matches = [
        MatchedRecord("a" * 32, "src", 1.0, "exact", "written", "shards/part-00000.parquet"),
        MatchedRecord("b" * 32, "src", 0.8125, "minhash", "withdrawn", None),
    ]
    return ComplaintAction(
        complaint_id="IPC-1",
        received_at=AT,
        acted_at=acted_at,
        work_sha256="f" * 64,
        threshold=0.6,
        run_id="run-1",
        output="out/demo",
        request_id=request_id,
        reason="ip_complaint: letter",
        matches=matches,
        withdrawn=withdrawn,
    )


def test_receipt_and_history(store: ComplaintStore) -> None:
    assert store.receipt("IPC-1") is None
    store.record(action(["a" * 32], AT, "IPC-1"))
    store.record(action([], AT + timedelta(days=1), None))
    receipt = store.receipt("IPC-1")
    assert receipt is not None and (receipt.received_at, receipt.work_sha256) == (AT, "f" * 64)
    first, second = store.history("IPC-1")
    assert (first["matched"], first["withdrawn"], first["request_id"]) == (2, 1, "IPC-1")
    assert first["detail"]["withdrawn"] == ["a" * 32]
    assert first["detail"]["skipped"] == ["b" * 32]
    assert first["detail"]["matches"][1] == {
        "record_id": "b" * 32,
        "source_id": "src",
        "similarity": 0.8125,
        "method": "minhash",
        "status": "withdrawn",
        "shard": None,
    }
    assert second["acted_at"] == AT + timedelta(days=1) and second["received_at"] == AT
    assert store.history("IPC-2") == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE ip_complaints SET withdrawn = 0", "DELETE FROM ip_complaints"],
)
def test_complaints_are_append_only_in_the_database_itself(
    store: ComplaintStore, statement: str
) -> None:
    store.record(action(["a" * 32], AT, "IPC-1"))
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    assert len(store.history()) == 1

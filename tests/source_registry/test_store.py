"""The store on SQLite and on a real PostgreSQL server: status history and append-only records."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from corpusgate.source_registry.store import Assessment, Store, StoreError


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Store:
    if request.param == "sqlite":
        return Store(f"sqlite:///{tmp_path}/nested/store.sqlite")
    url = request.getfixturevalue("postgres_url")
    store = Store(url)
    with store.engine.begin() as conn:  # a clean slate per test on the shared server
        for table in ("assessments", "source_events", "runs"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    return store


def test_status_is_the_latest_event_and_history_is_kept(store: Store) -> None:
    assert store.status("src") is None
    store.set_status("src", "proposed", entry_sha256="a" * 64)
    store.set_status("src", "collected", run_id="run-1")
    assert store.status("src") == "collected"
    assert [e["status"] for e in store.status_history("src")] == ["proposed", "collected"]


def test_unknown_status_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="not one of"):
        store.set_status("src", "approved-ish")


def test_assessments_round_trip_with_details(store: Store) -> None:
    first = store.add_assessment(
        Assessment(
            source_id="src",
            stage="assessment",
            sample_size=400,
            flagged=12,
            rate=0.03,
            decision="accept",
            seed="s1",
            ci_low=0.016,
            ci_high=0.052,
            details={"codes": {"A.2.b": 3}},
        )
    )
    store.add_assessment(
        Assessment(
            source_id="other",
            stage="verification",
            sample_size=10,
            flagged=1,
            rate=0.1,
            decision="reject",
        )
    )
    rows = list(store.assessments("src"))
    assert [r["assessment_id"] for r in rows] == [first]
    assert rows[0]["details"] == {"codes": {"A.2.b": 3}}
    assert rows[0]["ci_high"] == pytest.approx(0.052)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE assessments SET decision = 'accept'",
        "DELETE FROM assessments",
        "UPDATE source_events SET status = 'collected'",
        "DELETE FROM runs",
    ],
)
def test_records_are_append_only_in_the_database_itself(store: Store, statement: str) -> None:
    store.add_assessment(
        Assessment(
            source_id="src",
            stage="assessment",
            sample_size=1,
            flagged=1,
            rate=1.0,
            decision="reject",
        )
    )
    store.set_status("src", "assessed_rejected")
    store.log_run("run-1", "started")
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    assert len(list(store.assessments())) == 1


def test_reopening_an_existing_store_keeps_its_rows(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/s.sqlite"
    Store(url).log_run("run-1", "published")
    assert [e["event"] for e in Store(url).run_events("run-1")] == ["published"]


def test_a_bad_url_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot be used"):
        Store("notadialect://nowhere")

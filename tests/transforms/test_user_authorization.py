"""User-input authorization table: loading and the collection-time rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from corpusgate.schemas.reasons import AUTHORIZATION_REVOKED, NO_USER_AUTHORIZATION
from corpusgate.transforms.provenance.user_input import AuthorizationTable

CSV = """\
authorization_id,user_id,granted_at,scope,revoked_at
g-alice,alice,2024-01-01T00:00:00Z,training,
g-bob-1,bob,2024-01-01T00:00:00Z,training,2024-06-01T00:00:00Z
g-bob-2,bob,2024-09-01T00:00:00Z,training,
g-carol,carol,2024-03-01T08:00:00+08:00,analytics,
g-dave,dave,2024-01-01,training;analytics,2024-02-01
g-erin-a,erin,2024-01-01T00:00:00Z,training,2024-05-01T00:00:00Z
g-erin-b,erin,2024-02-01T00:00:00Z,training,2024-07-01T00:00:00Z
g-frank,frank,2024-01-01T00:00:00Z,*,
g-gina,gina,2024-01-01T00:00:00Z,,
"""


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def table(tmp_path: Path) -> AuthorizationTable:
    path = tmp_path / "grants.csv"
    path.write_text(CSV, encoding="utf-8")
    return AuthorizationTable.load(path)


# (user, collected_at, required scope, ok, reason, deciding row or detail fragment)
CASES = [
    ("alice", "2024-03-01T00:00:00+00:00", "training", True, "", "g-alice"),
    ("alice", "2024-03-01T00:00:00+00:00", None, True, "", "g-alice"),
    # Granted exactly at collection time covers it.
    ("alice", "2024-01-01T00:00:00+00:00", "training", True, "", "g-alice"),
    ("alice", "2023-12-31T23:59:59+00:00", "training", False, NO_USER_AUTHORIZATION, "after"),
    ("alice", "2024-03-01T00:00:00+00:00", "marketing", False, NO_USER_AUTHORIZATION, "scope"),
    # Naive collection time is read as UTC.
    ("alice", "2024-03-01T00:00:00", "training", True, "", "g-alice"),
    ("nobody", "2024-03-01T00:00:00+00:00", None, False, NO_USER_AUTHORIZATION, "no grant"),
    ("", "2024-03-01T00:00:00+00:00", None, False, NO_USER_AUTHORIZATION, "no user id"),
    # bob: revoked after collection -> revoked; re-grant later does not reach back.
    ("bob", "2024-03-01T00:00:00+00:00", "training", False, AUTHORIZATION_REVOKED, "g-bob-1"),
    # Collected while no grant stood: revoked before collection, re-grant after.
    ("bob", "2024-07-01T00:00:00+00:00", "training", False, NO_USER_AUTHORIZATION, "g-bob-1"),
    # Revoked exactly at collection time: no longer covered.
    ("bob", "2024-06-01T00:00:00+00:00", "training", False, NO_USER_AUTHORIZATION, "revoked"),
    ("bob", "2024-10-01T00:00:00+00:00", "training", True, "", "g-bob-2"),
    # carol: +08:00 grant is 2024-03-01T00:00Z.
    ("carol", "2024-02-29T23:59:00+00:00", "analytics", False, NO_USER_AUTHORIZATION, "after"),
    ("carol", "2024-03-01T07:30:00+08:00", "analytics", False, NO_USER_AUTHORIZATION, "after"),
    ("carol", "2024-03-01T00:00:00+00:00", "analytics", True, "", "g-carol"),
    ("carol", "2024-03-02T00:00:00+00:00", "training", False, NO_USER_AUTHORIZATION, "scope"),
    # dave: several scopes in one field, date-only times.
    ("dave", "2024-01-15T00:00:00+00:00", "analytics", False, AUTHORIZATION_REVOKED, "g-dave"),
    ("dave", "2024-03-01T00:00:00+00:00", "training", False, NO_USER_AUTHORIZATION, "g-dave"),
    # erin: two overlapping grants, both revoked later; the later revocation is named.
    ("erin", "2024-03-01T00:00:00+00:00", "training", False, AUTHORIZATION_REVOKED, "g-erin-b"),
    ("erin", "2024-06-01T00:00:00+00:00", "training", False, AUTHORIZATION_REVOKED, "g-erin-b"),
    ("erin", "2024-08-01T00:00:00+00:00", "training", False, NO_USER_AUTHORIZATION, "g-erin-b"),
    # frank: "*" covers every scope; gina: empty scope covers only an unscoped check.
    ("frank", "2024-03-01T00:00:00+00:00", "anything", True, "", "g-frank"),
    ("gina", "2024-03-01T00:00:00+00:00", None, True, "", "g-gina"),
    ("gina", "2024-03-01T00:00:00+00:00", "training", False, NO_USER_AUTHORIZATION, "scope"),
]


@pytest.mark.parametrize(("user", "collected", "scope", "ok", "reason", "fragment"), CASES)
def test_check_table(table, user, collected, scope, ok, reason, fragment):
    verdict = table.check(user, t(collected), scope)
    assert (verdict.ok, verdict.reason) == (ok, reason), verdict
    assert fragment in verdict.detail or fragment == verdict.authorization_id, verdict


def test_unknown_collection_time_is_not_authorized(table):
    verdict = table.check("alice", None)
    assert (verdict.ok, verdict.reason) == (False, NO_USER_AUTHORIZATION)
    assert "collection time" in verdict.detail


def test_ok_verdict_names_row_for_lineage(table):
    verdict = table.check("alice", datetime(2024, 5, 1, tzinfo=UTC), "training")
    assert verdict.authorization_id == "g-alice"


def test_other_timezone_collection(table):
    beijing = timezone(timedelta(hours=8))
    # 07:00 on 1 June in Beijing is 23:00Z on 31 May: before bob's revocation at 00:00Z.
    verdict = table.check("bob", datetime(2024, 6, 1, 7, 0, tzinfo=beijing), "training")
    assert verdict.reason == AUTHORIZATION_REVOKED


def test_jsonl_matches_csv(tmp_path, table):
    lines = [
        {
            "id": "j1",
            "user_id": "alice",
            "granted_at": "2024-01-01T00:00:00Z",
            "scope": ["training", "eval"],
            "revoked_at": None,
        },
        {
            "user_id": "bob",
            "granted_at": "2024-01-01T00:00:00Z",
            "scope": "training",
            "revoked_at": "2024-06-01T00:00:00Z",
        },
        {"user_id": "carol", "granted_at": "2024-01-01T00:00:00Z", "scope": "training"},
    ]
    path = tmp_path / "grants.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    jsonl = AuthorizationTable.load(path)
    assert len(jsonl) == 3
    when = datetime(2024, 3, 1, tzinfo=UTC)
    assert jsonl.check("alice", when, "eval").authorization_id == "j1"
    bob = jsonl.check("bob", when, "training")
    assert bob.reason == AUTHORIZATION_REVOKED
    assert bob.authorization_id == f"{path}:2"  # no id column: FILE:LINE
    assert jsonl.check("carol", when, "training").ok
    assert table.check("bob", when, "training").reason == bob.reason


def test_csv_row_id_defaults_to_file_and_line(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(
        "user_id,granted_at,scope,revoked_at\n\nu1,2024-01-01T00:00:00Z,training,\n",
        encoding="utf-8",
    )
    verdict = AuthorizationTable.load(path).check("u1", datetime(2024, 2, 1, tzinfo=UTC))
    assert verdict.authorization_id == f"{path}:3"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", "user_id,granted_at,scope\nu,2024-01-01,x\n", "a.csv:1: header lacks"),
        ("a.csv", "user_id,granted_at,scope,revoked_at\nu,yesterday,x,\n", "a.csv:2: granted_at"),
        ("a.csv", "user_id,granted_at,scope,revoked_at\nu,,x,\n", "a.csv:2: granted_at"),
        ("a.csv", "user_id,granted_at,scope,revoked_at\n,2024-01-01,x,\n", "a.csv:2: user_id"),
        (
            "a.csv",
            "user_id,granted_at,scope,revoked_at\nu,2024-01-01,x,2024-13-01\n",
            "a.csv:2: revoked_at",
        ),
        (
            "a.csv",
            "user_id,granted_at,scope,revoked_at\nu,2024-02-01,x,2024-01-01\n",
            "before granted_at",
        ),
        (
            "a.csv",
            "user_id,granted_at,scope,revoked_at\nu,2024-01-01,x,,extra\n",
            "a.csv:2: more fields",
        ),
        (
            "a.jsonl",
            '{"user_id": "u", "granted_at": "2024-01-01", "scope": "x"}\n{oops\n',
            "a.jsonl:2: not valid JSON",
        ),
        ("a.jsonl", "[1, 2]\n", "a.jsonl:1: expected a JSON object"),
        ("a.jsonl", '{"user_id": "u", "scope": "x"}\n', "a.jsonl:1: missing ['granted_at']"),
        ("a.txt", "whatever\n", "must be .csv or .jsonl"),
    ],
)
def test_bad_table_names_file_line_and_expectation(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        AuthorizationTable.load(path)
    assert message in str(info.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        AuthorizationTable.load(tmp_path / "absent.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("user_id,granted_at,scope,revoked_at\nJosé,2024-01-01,x,\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        AuthorizationTable.load(bad)

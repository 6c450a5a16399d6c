"""Raw records → the record contract, or a quarantine row with a reason."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.identity import index_bucket, is_record_id, record_id
from corpusgate.transforms.spine.readers import Locator, RawFailure, RawRecord
from corpusgate.transforms.spine.to_record import SourceContext, normalize, parse_timestamp

CTX = SourceContext(
    source_id="src",
    entry_sha256="e" * 64,
    fields=(("collected_at", "when"), ("id", "doc_id"), ("text", "body"), ("url", "link")),
    licence="MIT",
    evidence=(("licence_text", "LICENSE", "f" * 64),),
    run_id="run-1",
    config_sha256="c" * 64,
)
LOC = Locator("data/a.jsonl", "line", 7)


def test_record_ids_are_deterministic_hex_and_depend_on_source_and_key() -> None:
    rid = record_id("src", "id=42")
    assert rid == record_id("src", "id=42") and is_record_id(rid)
    assert rid != record_id("other", "id=42") and rid != record_id("src", "id=43")
    assert index_bucket(rid) == rid[:2]


def test_a_good_record_carries_lineage() -> None:
    ok, rec = normalize(
        RawRecord(
            {
                "doc_id": 42,
                "body": "hello",
                "link": "https://x.org/a",
                "when": "2024-05-01T08:00:00+08:00",
            },
            LOC,
        ),
        CTX,
    )
    assert ok
    assert rec["record_id"] == record_id("src", "id=42")
    lineage = rec["lineage"]
    assert lineage["origin"] == {"uri": "data/a.jsonl", "kind": "line", "position": 7}
    assert lineage["url"] == "https://x.org/a"
    assert lineage["collected_at"] == datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
    assert lineage["licence"] == {"expression": "MIT"}
    assert lineage["evidence"] == [{"role": "licence_text", "path": "LICENSE", "sha256": "f" * 64}]
    assert lineage["registry_entry_sha256"] == "e" * 64 and lineage["run_id"] == "run-1"
    assert lineage["decisions"] == [{"check": "normalize", "outcome": "pass", "detail": ""}]


def test_without_a_native_id_the_locator_is_the_key() -> None:
    _, rec = normalize(RawRecord({"body": "hello"}, LOC), CTX)
    assert rec["record_id"] == record_id("src", "data/a.jsonl#line=7")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"doc_id": 1}, reasons.MISSING_TEXT),
        ({"doc_id": 1, "body": None}, reasons.MISSING_TEXT),
        ({"doc_id": 1, "body": 12}, reasons.MISSING_TEXT),
        ({"doc_id": 1, "body": " \n\t "}, reasons.EMPTY_TEXT),
        ({"doc_id": 1, "body": "x", "when": "last tuesday"}, reasons.BAD_COLLECTED_AT),
    ],
)
def test_unusable_records_are_quarantined_with_reason_and_raw(fields: dict, reason: str) -> None:
    ok, row = normalize(RawRecord(fields, LOC), CTX)
    assert not ok
    assert row["reason"] == reason and row["check"] == reasons.NORMALIZE
    assert row["record_id"] == record_id("src", "id=1")
    assert b'"doc_id": 1' in row["raw"]
    assert row["lineage"]["decisions"][-1]["outcome"] == "fail"


def test_read_failures_keep_raw_bytes_and_a_locator_based_id() -> None:
    ok, row = normalize(RawFailure(reasons.INVALID_JSON, "column 3", b"{bad", LOC), CTX)
    assert not ok
    assert row["raw"] == b"{bad" and row["text"] is None and row["check"] == reasons.READ
    assert row["record_id"] == record_id("src", LOC.key())


def test_a_per_record_licence_overrides_the_entry() -> None:
    ctx = dataclasses.replace(CTX, fields=(*CTX.fields, ("licence", "lic")))
    _, rec = normalize(RawRecord({"body": "x", "lic": "CC-BY-4.0"}, LOC), ctx)
    assert rec["lineage"]["licence"] == {"expression": "CC-BY-4.0"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T00:00:00Z", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01 08:00:00", datetime(2024, 5, 1, 8, tzinfo=UTC)),  # naive means UTC
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value", ["yesterday", True, [2024]])
def test_parse_timestamp_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize(
    "fields",
    [
        {"doc_id": 1, "body": "half a pair \ud83d here"},
        {"doc_id": 1, "body": "fine", "link": "https://x.org/\udc00"},
    ],
)
def test_lone_surrogates_from_json_escapes_are_quarantined(fields: dict) -> None:
    ok, row = normalize(RawRecord(fields, LOC), CTX)
    assert not ok and row["reason"] == reasons.INVALID_UTF8 and "lone surrogate" in row["detail"]
    assert row["raw"]  # kept, with the surrogate replaced so the bytes are valid UTF-8

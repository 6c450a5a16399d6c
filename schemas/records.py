"""The record and lineage contract (DESIGN §4) as Python types and Arrow schemas.

Inside a pipeline a record is a plain dict shaped like `Record` (dicts pickle and encode fast
between Beam stages); on disk it is a row of `SHARD_SCHEMA`. Checks that have not run leave
their lineage fields empty, but every field is always present so shards of different runs
read with one schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import pyarrow as pa

from corpusgate.schemas import PIPELINE_VERSION, SCHEMA_VERSION


class Origin(TypedDict):
    uri: str  # the input file, relative to the source's base folder when it lies inside it
    kind: str  # "line" | "row" | "warc_offset" | "index"
    position: int  # 1-based line/row, byte offset of the WARC record, or 0-based dataset index


class Decision(TypedDict):
    check: str
    outcome: str
    detail: str


class Lineage(TypedDict, total=False):
    registry_entry_sha256: str
    origin: Origin
    url: str | None
    collected_at: datetime | None
    licence: dict[str, Any]
    evidence: list[dict[str, str]]
    consent: list[dict[str, str]]
    pii: dict[str, Any]
    harm: list[dict[str, Any]]
    language: str | None
    language_score: float | None
    script: str | None
    dedup_cluster: str | None
    assessment_id: str | None
    decisions: list[Decision]
    run_id: str
    pipeline_version: str
    config_sha256: str


class Record(TypedDict):
    record_id: str
    source_id: str
    text: str
    lineage: Lineage


class QuarantineRow(TypedDict):
    record_id: str
    source_id: str
    text: str | None
    raw: bytes | None
    check: str
    reason: str
    detail: str
    lineage: Lineage


ORIGIN_TYPE = pa.struct([("uri", pa.string()), ("kind", pa.string()), ("position", pa.int64())])
DECISION_TYPE = pa.struct(
    [("check", pa.string()), ("outcome", pa.string()), ("detail", pa.string())]
)
LICENCE_TYPE = pa.struct(
    [
        ("expression", pa.string()),
        ("licence_class", pa.string()),
        ("obligations", pa.list_(pa.string())),
        ("authorization", pa.string()),
    ]
)
EVIDENCE_TYPE = pa.struct([("role", pa.string()), ("path", pa.string()), ("sha256", pa.string())])
CONSENT_TYPE = pa.struct(
    [("subject_key", pa.string()), ("scope", pa.string()), ("ref", pa.string())]
)
PII_TYPE = pa.struct(
    [
        (
            "entities",
            pa.list_(
                pa.struct(
                    [
                        ("entity_type", pa.string()),
                        ("category", pa.string()),
                        ("count", pa.int32()),
                        ("action", pa.string()),
                    ]
                )
            ),
        ),
        ("redactions", pa.int32()),
    ]
)
HARM_TYPE = pa.struct(
    [
        ("code", pa.string()),
        ("detector", pa.string()),
        ("score", pa.float64()),
        ("tier", pa.string()),  # expression | mention | model: what kind of signal decided
    ]
)

LINEAGE_TYPE = pa.struct(
    [
        ("registry_entry_sha256", pa.string()),
        ("origin", ORIGIN_TYPE),
        ("url", pa.string()),
        ("collected_at", pa.timestamp("us", tz="UTC")),
        ("licence", LICENCE_TYPE),
        ("evidence", pa.list_(EVIDENCE_TYPE)),
        ("consent", pa.list_(CONSENT_TYPE)),
        ("pii", PII_TYPE),
        ("harm", pa.list_(HARM_TYPE)),
        ("language", pa.string()),
        ("language_score", pa.float64()),
        ("script", pa.string()),  # ISO 15924 of the text's dominant script (Hans, Hant, Latn…)
        ("dedup_cluster", pa.string()),
        ("assessment_id", pa.string()),
        ("decisions", pa.list_(DECISION_TYPE)),
        ("run_id", pa.string()),
        ("pipeline_version", pa.string()),
        ("config_sha256", pa.string()),
    ]
)

SHARD_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("lineage", LINEAGE_TYPE),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("text", pa.string()),
        pa.field("raw", pa.binary()),
        pa.field("check", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("lineage", LINEAGE_TYPE),
    ]
)

# One row per record the run touched, sorted by record_id inside each bucket file.
INDEX_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # "written" | "quarantined"
        pa.field("file", pa.string(), nullable=False),  # relative to the output folder
        pa.field("row", pa.int64(), nullable=False),
        pa.field("reason", pa.string()),
    ]
)

WRITTEN = "written"
QUARANTINED = "quarantined"
WITHDRAWN = "withdrawn"  # set by `corpusgate forget` when a data subject withdraws consent


def new_lineage(
    *,
    registry_entry_sha256: str,
    origin: Origin,
    run_id: str,
    config_sha256: str,
) -> Lineage:
    """A lineage with every check-owned field empty."""
    return {
        "registry_entry_sha256": registry_entry_sha256,
        "origin": origin,
        "url": None,
        "collected_at": None,
        "licence": {},
        "evidence": [],
        "consent": [],
        "pii": {"entities": [], "redactions": 0},
        "harm": [],
        "language": None,
        "language_score": None,
        "script": None,
        "dedup_cluster": None,
        "assessment_id": None,
        "decisions": [],
        "run_id": run_id,
        "pipeline_version": PIPELINE_VERSION,
        "config_sha256": config_sha256,
    }


def add_decision(
    record: Record | QuarantineRow, check: str, outcome: str, detail: str = ""
) -> None:
    record["lineage"]["decisions"].append({"check": check, "outcome": outcome, "detail": detail})


def to_quarantine(
    record: Record, check: str, reason: str, detail: str = "", raw: bytes | None = None
) -> QuarantineRow:
    """Move a record to the quarantine, keeping its lineage and noting the failed check."""
    add_decision(record, check, "fail", f"{reason}: {detail}" if detail else reason)
    return {
        "record_id": record["record_id"],
        "source_id": record["source_id"],
        "text": record["text"],
        "raw": raw,
        "check": check,
        "reason": reason,
        "detail": detail,
        "lineage": record["lineage"],
    }


def shard_metadata(run_id: str, config_sha256: str) -> dict[bytes, bytes]:
    """Parquet key-value metadata every shard and quarantine file carries."""
    return {
        b"corpusgate.run_id": run_id.encode(),
        b"corpusgate.schema_version": SCHEMA_VERSION.encode(),
        b"corpusgate.config_sha256": config_sha256.encode(),
        b"corpusgate.pipeline_version": PIPELINE_VERSION.encode(),
    }

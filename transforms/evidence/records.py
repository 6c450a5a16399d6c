"""What the B.2.1 evidence pack keeps of a published record (GB/T 45654-2025 B.2.1.1.3, B.2.1.2.3).

A record's facts are its lineage's evidence references and nothing else: collection time and
URL, licence, evidence documents by path and sha256, consent references (keyed subject hashes
and the consent document's reference), counts of personal information by category and the
outcome of each check. Never its text, and never a decision's free-text detail (a user
authorization's detail names the user id): an evidence file must not carry raw personal data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow.parquet as pq

from corpusgate.transforms.common import files
from corpusgate.transforms.output.published import Published

__all__ = ["EvidenceRef", "RecordFacts", "read_record_facts", "read_texts", "record_facts"]

PERSONAL = "personal"
SENSITIVE = "sensitive"
KEEP = "keep"


@dataclass(frozen=True)
class EvidenceRef:
    """A document (role, path, sha256) or a consent (role = consent scope, path = reference,
    sha256 = the keyed subject hash)."""

    role: str
    path: str
    sha256: str

    def as_text(self) -> str:
        digest = f" sha256:{self.sha256[:16]}" if self.sha256 else ""
        return f"{self.role}: {self.path}{digest}"


@dataclass(frozen=True)
class RecordFacts:
    record_id: str
    source_id: str
    collected_at: str | None
    url: str | None
    licence: str | None
    licence_class: str | None
    obligations: tuple[str, ...]
    authorization: str | None
    evidence: tuple[EvidenceRef, ...]
    consent: tuple[EvidenceRef, ...]
    kept_personal: int  # identifiers of personal information left in the text (with consent)
    kept_sensitive: int
    redactions: int
    checks: tuple[tuple[str, str], ...]  # (check, outcome) in the order they ran

    def outcome(self, check: str) -> str | None:
        found = [outcome for name, outcome in self.checks if name == check]
        return found[-1] if found else None

    def roles(self) -> set[str]:
        return {e.role for e in self.evidence}


def _time(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def record_facts(row: Mapping[str, Any]) -> RecordFacts:
    """The facts of one shard row (record_id, source_id, lineage)."""
    lineage = row.get("lineage") or {}
    licence = lineage.get("licence") or {}
    kept = {PERSONAL: 0, SENSITIVE: 0}
    for entity in (lineage.get("pii") or {}).get("entities") or []:
        if entity.get("action") == KEEP and entity.get("category") in kept:
            kept[entity["category"]] += int(entity.get("count") or 0)
    return RecordFacts(
        record_id=str(row["record_id"]),
        source_id=str(row["source_id"]),
        collected_at=_time(lineage.get("collected_at")),
        url=lineage.get("url"),
        licence=licence.get("expression"),
        licence_class=licence.get("licence_class"),
        obligations=tuple(licence.get("obligations") or ()),
        authorization=licence.get("authorization"),
        evidence=tuple(
            EvidenceRef(str(e.get("role")), str(e.get("path")), str(e.get("sha256") or ""))
            for e in lineage.get("evidence") or []
        ),
        consent=tuple(
            EvidenceRef(str(c.get("scope")), str(c.get("ref") or ""), str(c.get("subject_key")))
            for c in lineage.get("consent") or []
        ),
        kept_personal=kept[PERSONAL],
        kept_sensitive=kept[SENSITIVE],
        redactions=int((lineage.get("pii") or {}).get("redactions") or 0),
        checks=tuple(
            (str(d.get("check")), str(d.get("outcome"))) for d in lineage.get("decisions") or []
        ),
    )


def _shard_locations(published: Published) -> list[str]:
    return [
        published.path(f.path) for f in sorted(published.listed("shards"), key=lambda f: f.path)
    ]


def read_record_facts(published: Published) -> Iterator[RecordFacts]:
    """The facts of every published record, shard by shard (text never read)."""
    for location in _shard_locations(published):
        with files.open_read(location) as handle:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(columns=["record_id", "source_id", "lineage"]):
                for row in batch.to_pylist():
                    yield record_facts(row)


def read_texts(published: Published, record_ids: set[str]) -> dict[str, str]:
    """The texts of the given records (a technical check scores them; nothing stores them)."""
    found: dict[str, str] = {}
    for location in _shard_locations(published):
        with files.open_read(location) as handle:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(columns=["record_id", "text"]):
                for row in batch.to_pylist():
                    if row["record_id"] in record_ids:
                        found[row["record_id"]] = row["text"]
    return found

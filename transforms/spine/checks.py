"""The one contract every record check follows, and the Beam wrapper that runs it.

A check is pure: `check(record) -> Verdict`. It reads the record and says keep (perhaps with a
new text and lineage fields) or quarantine (with a reason code from `schemas.reasons`); it
never changes the record it is given. `apply_verdict` builds the new record or quarantine row.
`check_stage.CheckStage` is the one Beam DoFn that runs any check, routes its verdicts and
counts them with the same names for every stage (datatrove's filter base, STYLE §7). This
module imports no Beam, so every core can return a `Verdict`.

A check is built on the worker from a *spec*: a small frozen dataclass settled on the launcher
(every file the check needs already read, hashes verified, tables loaded), so a worker needs
nothing but the spec and what it names through Beam's FileSystems. `spec.build()` runs once
per worker in `DoFn.setup`.

A stage's outputs: `records` (kept), `quarantine` (rows for the quarantine files) and
`pairs` ((kind, key, record_id) lookups a check asks to index, e.g. PII subject keys).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from corpusgate.schemas.reasons import FAIL, PASS
from corpusgate.schemas.records import Decision, QuarantineRow, Record

__all__ = [
    "PAIRS",
    "QUARANTINE",
    "RECORDS",
    "CheckSpec",
    "RecordCheck",
    "SourceFacts",
    "Verdict",
    "apply_verdict",
    "decision",
    "keep",
    "quarantine",
    "run_check",
]

RECORDS = "records"
QUARANTINE = "quarantine"
PAIRS = "pairs"


def decision(check: str, outcome: str = PASS, detail: str = "") -> Decision:
    return {"check": check, "outcome": outcome, "detail": detail}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one check decided about one record.

    `passed` are decisions of earlier steps inside the same check that the record passed (the
    provenance stage checks robots.txt, then opt-out signals); the verdict's own decision
    follows them: `outcome` with `detail` when kept, `fail` with `reason: detail` when not.
    """

    check: str
    reason: str = ""  # "" keeps the record; a reason code quarantines it
    detail: str = ""
    outcome: str = PASS  # of a kept record: pass, redact, ...
    passed: tuple[Decision, ...] = ()
    lineage: Mapping[str, Any] = field(default_factory=dict)  # lineage fields it sets
    text: str | None = None  # a replacement text (a redaction); None keeps the text
    pairs: tuple[tuple[str, str], ...] = ()  # (kind, key): lookups that name this record
    record_decision: bool = True  # False: a kept record gets no decision of this check

    @property
    def kept(self) -> bool:
        return not self.reason


def keep(check: str, detail: str = "", **fields: Any) -> Verdict:
    return Verdict(check, "", detail, **fields)


def quarantine(check: str, reason: str, detail: str = "", **fields: Any) -> Verdict:
    if not reason:
        raise ValueError(f"{check}: a quarantine verdict needs a reason code")
    return Verdict(check, reason, detail, **fields)


def apply_verdict(record: Record, verdict: Verdict) -> Record | QuarantineRow:
    """The kept record or the quarantine row a verdict makes; `record` is left as it was."""
    lineage = {**record["lineage"], **verdict.lineage}
    decisions = [*record["lineage"]["decisions"], *verdict.passed]
    if verdict.kept:
        if verdict.record_decision:
            decisions.append(decision(verdict.check, verdict.outcome, verdict.detail))
        lineage["decisions"] = decisions
        out = dict(record)
        out["lineage"] = lineage
        if verdict.text is not None:
            out["text"] = verdict.text
        return out  # type: ignore[return-value]
    detail = f"{verdict.reason}: {verdict.detail}" if verdict.detail else verdict.reason
    decisions.append(decision(verdict.check, FAIL, detail))
    lineage["decisions"] = decisions
    return {
        "record_id": record["record_id"],
        "source_id": record["source_id"],
        "text": verdict.text if verdict.text is not None else record["text"],
        "raw": None,
        "check": verdict.check,
        "reason": verdict.reason,
        "detail": verdict.detail,
        "lineage": lineage,  # type: ignore[typeddict-item]
    }


class RecordCheck(ABC):
    """A pure check, built once per worker. Override `check`; `check_batch` when a batched
    call is cheaper (models, Presidio) and set `batch_size` to the batch the stage gathers."""

    batch_size: ClassVar[int] = 1

    @abstractmethod
    def check(self, record: Record, *side: Any) -> Verdict: ...

    def check_batch(self, records: Sequence[Record], *side: Any) -> list[Verdict]:
        return [self.check(record, *side) for record in records]


class CheckSpec(Protocol):
    """A check's settled, picklable description: `name` (the counter namespace) and `build`."""

    name: str

    def build(self) -> RecordCheck: ...


@dataclass(frozen=True)
class SourceFacts:
    """What a check may know about a source: its registry entry, settled on the launcher."""

    source_id: str
    kind: str
    languages: tuple[str, ...]
    origin: str
    licence: str | None
    entry_file: str
    entry_sha256: str
    evidence: tuple[tuple[str, str, str], ...] = ()  # (role, absolute path, recorded sha256)
    extra: Mapping[str, Any] = field(default_factory=dict)  # kind-specific entry keys

    def evidence_paths(self, role: str) -> list[tuple[str, str]]:
        """(absolute path, recorded sha256) of every document of this role."""
        return [(path, sha) for r, path, sha in self.evidence if r == role]


def run_check(check: RecordCheck, records: Sequence[Record], *side: Any) -> list[Any]:
    """Apply a check to records without Beam (cores, `assess`, tests): kept records and
    quarantine rows in input order."""
    verdicts = check.check_batch(records, *side)
    return [apply_verdict(r, v) for r, v in zip(records, verdicts, strict=True)]

"""The LanguageId stage of `curate` (GB/T 45654-2025 4.1.2, B.2.1.1.2): every record's
language, confidence and script, right after reading.

It removes nothing: it fills `lineage.language`, `language_score` and `script`, which the
harm and PII stages read (instead of guessing from a share of CJK characters) and the report
counts per source, with the records whose language is none of the source's declared ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from corpusgate.schemas.reasons import LANGUAGE
from corpusgate.schemas.records import Record
from corpusgate.transforms.common.settings import Settings
from corpusgate.transforms.language.declared import declared_mismatch
from corpusgate.transforms.language.identify import (
    DETECTOR,
    LanguageIdentifier,
    LanguageResult,
    LanguageSettings,
)
from corpusgate.transforms.spine.checks import RecordCheck, Verdict, keep

NAME = "language"
UNDETERMINED = "und"  # how the report names records whose language cannot be told


class LanguageStageSettings(Settings):
    """Run config section `language` (see `identify.LanguageSettings` for what each means)."""

    enabled: bool = True
    min_confidence: float = Field(default=0.3, ge=0, lt=1)
    max_chars: int = Field(default=512, ge=16)
    model_chars: int = Field(default=160, ge=16)

    def core(self) -> LanguageSettings:
        return LanguageSettings(
            min_confidence=self.min_confidence,
            max_chars=self.max_chars,
            model_chars=self.model_chars,
        )


@dataclass(frozen=True)
class LanguageSpec:
    settings: LanguageSettings
    declared: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    name: str = NAME

    def build(self) -> LanguageCheck:
        return LanguageCheck(LanguageIdentifier(self.settings), self.declared)


class LanguageCheck(RecordCheck):
    batch_size = 256  # one model call per batch (the core's measured sweet spot)

    def __init__(self, identifier: LanguageIdentifier, declared: Mapping[str, tuple[str, ...]]):
        self._identifier = identifier
        self._declared = declared

    def check(self, record: Record, *side: Any) -> Verdict:
        return self.check_batch([record])[0]

    def check_batch(self, records: Sequence[Record], *side: Any) -> list[Verdict]:
        results = self._identifier.identify_batch([r["text"] for r in records])
        return [self._verdict(r, res) for r, res in zip(records, results, strict=True)]

    def _verdict(self, record: Record, result: LanguageResult) -> Verdict:
        mismatch = declared_mismatch(result, self._declared.get(record["source_id"], ()))
        detail = f"{result.language or UNDETERMINED} {result.confidence:.2f} {result.script}"
        if mismatch:
            detail += " (not a language the source declares)"
        return keep(
            LANGUAGE,
            f"{detail}; {DETECTOR}",
            lineage={
                "language": result.language,
                "language_score": round(result.confidence, 4),
                "script": result.script,
            },
            # The language is lineage, not a check a record passes: no decision row.
            record_decision=False,
        )


def language_key(record: Record, declared: Mapping[str, tuple[str, ...]]) -> tuple[str, str, bool]:
    """(source, language or 'und', differs from the declared ones) for the report's counts."""
    lineage = record["lineage"]
    result = LanguageResult(
        lineage.get("language"), float(lineage.get("language_score") or 0.0), ""
    )
    return (
        record["source_id"],
        result.language or UNDETERMINED,
        declared_mismatch(result, declared.get(record["source_id"], ())),
    )

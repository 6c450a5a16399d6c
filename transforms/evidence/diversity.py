"""Matching training data from different sources (GB/T 45654-2025 4.1.2, B.2.1.1.2).

Pure core, no Beam. From the training data actually used (records written, per source and
language) and each source's registry facts (modality, origin), it counts sources and records
per language and modality, the domestic and foreign shares per language and for the run, and
judges the two expectations an assessor checks against usage records:

- B.2.1.1.2.2 b: multiple sources for each language and each modality involved (4.1.2 a);
- B.2.1.1.2.2 c: no foreign data, or foreign data combined with domestic data in the same
  batch (4.1.2 b).

Expectation a (a management system requiring diversity) is a document the assessor reads; it
is named as such and never judged here.

The standard names no share at which a language stops being "involved", nor a "reasonable"
domestic/foreign proportion. Both are settings (`DiversitySettings`) and every judgment states
the numbers it used, so an assessor sees the rule as well as the answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import Field

from corpusgate.transforms.common.settings import Settings

__all__ = [
    "UNDETERMINED",
    "Diversity",
    "DiversitySettings",
    "Judgment",
    "LanguageCell",
    "SourceFacts",
    "judge_diversity",
    "usage_from_manifest",
]

UNDETERMINED = "und"  # ISO 639-2 "undetermined": the language stage could not tell
DOMESTIC = "domestic"
FOREIGN = "foreign"
Result = Literal["compliant", "non_compliant", "not_applicable"]


class DiversitySettings(Settings):
    """The numbers the 4.1.2 judgment uses (the standard gives none but "multiple")."""

    # "multiple sources" per language and modality: at least this many.
    min_sources: int = Field(default=2, ge=2)
    # A language holding less than this share of a modality's records is listed but not
    # judged: a stray message in a third language must not decide the run's diversity.
    incidental_share: float = Field(default=0.01, ge=0.0, lt=1.0)
    # Where foreign data is used, the domestic share of each language (and of the run) must
    # be above zero and at least this.
    min_domestic_share: float = Field(default=0.0, ge=0.0, le=1.0)


@dataclass(frozen=True)
class SourceFacts:
    """What the judgment needs of a source: the registry's modality and origin."""

    source_id: str
    kind: str
    modality: str
    origin: str


@dataclass(frozen=True)
class LanguageCell:
    """One language within one modality: who supplies it and from where."""

    modality: str
    language: str
    sources: tuple[str, ...]
    records: int
    domestic_records: int
    foreign_records: int
    share_of_modality: float
    incidental: bool

    @property
    def domestic_share(self) -> float:
        return self.domestic_records / self.records if self.records else 0.0


@dataclass(frozen=True)
class Judgment:
    clause: str
    expectation: str
    result: Result
    reason: str


@dataclass(frozen=True)
class Diversity:
    basis: str  # what was counted: "records written" (shards) or "records read" (manifest)
    cells: tuple[LanguageCell, ...]
    domestic_records: int
    foreign_records: int
    judgments: tuple[Judgment, ...]
    settings: DiversitySettings

    @property
    def records(self) -> int:
        return self.domestic_records + self.foreign_records

    @property
    def domestic_share(self) -> float:
        return self.domestic_records / self.records if self.records else 0.0

    @property
    def result(self) -> Result:
        results = {j.result for j in self.judgments}
        if "non_compliant" in results:
            return "non_compliant"
        return "compliant" if "compliant" in results else "not_applicable"

    def as_dict(self) -> dict[str, Any]:
        return {
            "clause": "4.1.2 / B.2.1.1.2",
            "basis": self.basis,
            "result": self.result,
            "records": self.records,
            "domestic_records": self.domestic_records,
            "foreign_records": self.foreign_records,
            "domestic_share": self.domestic_share,
            "cells": [
                {**asdict(c), "sources": list(c.sources), "domestic_share": c.domestic_share}
                for c in self.cells
            ],
            "judgments": [asdict(j) for j in self.judgments],
            "settings": self.settings.model_dump(),
            "not_judged": "B.2.1.1.2.2 a (a management system requiring source diversity) is "
            "a document the assessor reviews",
        }


def usage_from_manifest(manifest: Mapping[str, Any]) -> dict[tuple[str, str], int]:
    """(source, language) -> records, from the manifest alone: the languages identified when
    the records were read, for the sources that wrote records. An upper bound on what was
    used (records quarantined later still count); the shards give the exact numbers."""
    usage: dict[tuple[str, str], int] = {}
    languages = manifest.get("languages") or {}
    for source_id, row in (manifest.get("sources") or {}).items():
        if not row.get("written"):
            continue
        counts = (languages.get(source_id) or {}).get("records") or {}
        for language, n in counts.items():
            usage[(source_id, language or UNDETERMINED)] = int(n)
    return usage


def _percent(value: float) -> str:
    return f"{value:.1%}"


def judge_diversity(
    sources: Iterable[SourceFacts],
    usage: Mapping[tuple[str, str], int],
    settings: DiversitySettings | None = None,
    *,
    basis: str = "records written",
) -> Diversity:
    """Count and judge the mix of the data used; `usage` maps (source, language) to records."""
    settings = settings or DiversitySettings()
    facts = {s.source_id: s for s in sources}
    unknown = sorted({sid for sid, _ in usage} - facts.keys())
    if unknown:
        raise ValueError(f"usage names sources with no registry facts: {', '.join(unknown)}")
    by_cell: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_modality: dict[str, int] = defaultdict(int)
    origin_totals = {DOMESTIC: 0, FOREIGN: 0}
    for (source_id, language), n in usage.items():
        if n <= 0:
            continue
        fact = facts[source_id]
        if fact.origin not in origin_totals:
            raise ValueError(f"source {source_id}: origin {fact.origin!r} is not domestic/foreign")
        by_cell[(fact.modality, language or UNDETERMINED)][source_id] += n
        per_modality[fact.modality] += n
        origin_totals[fact.origin] += n
    cells = []
    for (modality, language), counts in sorted(by_cell.items()):
        records = sum(counts.values())
        domestic = sum(n for sid, n in counts.items() if facts[sid].origin == DOMESTIC)
        share = records / per_modality[modality]
        cells.append(
            LanguageCell(
                modality=modality,
                language=language,
                sources=tuple(sorted(counts)),
                records=records,
                domestic_records=domestic,
                foreign_records=records - domestic,
                share_of_modality=share,
                incidental=language == UNDETERMINED or share < settings.incidental_share,
            )
        )
    judged = [c for c in cells if not c.incidental]
    judgments = (
        _judge_sources(judged, cells, settings),
        _judge_origin(judged, origin_totals, settings),
    )
    return Diversity(
        basis=basis,
        cells=tuple(cells),
        domestic_records=origin_totals[DOMESTIC],
        foreign_records=origin_totals[FOREIGN],
        judgments=judgments,
        settings=settings,
    )


def _incidental_note(cells: list[LanguageCell], settings: DiversitySettings) -> str:
    skipped = [c for c in cells if c.incidental]
    if not skipped:
        return ""
    listed = ", ".join(
        f"{c.modality}/{c.language} ({c.records} records, {_percent(c.share_of_modality)})"
        for c in skipped
    )
    return (
        f"; not judged: {listed} (undetermined, or under "
        f"{_percent(settings.incidental_share)} of the modality's records)"
    )


def _judge_sources(
    judged: list[LanguageCell], cells: list[LanguageCell], settings: DiversitySettings
) -> Judgment:
    expectation = "multiple sources of training data for each language and each modality"
    clause = "B.2.1.1.2.2 b (4.1.2 a)"
    if not judged:
        return Judgment(clause, expectation, "not_applicable", "no training data was used")
    short = [c for c in judged if len(c.sources) < settings.min_sources]
    counts = ", ".join(f"{c.modality}/{c.language} {len(c.sources)}" for c in judged)
    note = _incidental_note(cells, settings)
    if short:
        missing = ", ".join(
            f"{c.modality}/{c.language} has {len(c.sources)} ({', '.join(c.sources)})"
            for c in short
        )
        return Judgment(
            clause,
            expectation,
            "non_compliant",
            f"fewer than {settings.min_sources} sources: {missing}{note}",
        )
    return Judgment(
        clause,
        expectation,
        "compliant",
        f"at least {settings.min_sources} sources for every language and modality "
        f"(sources: {counts}){note}",
    )


def _judge_origin(
    judged: list[LanguageCell], totals: Mapping[str, int], settings: DiversitySettings
) -> Judgment:
    expectation = "no foreign data, or foreign data combined with domestic data in the batch"
    clause = "B.2.1.1.2.2 c (4.1.2 b)"
    records = totals[DOMESTIC] + totals[FOREIGN]
    if not records:
        return Judgment(clause, expectation, "not_applicable", "no training data was used")
    if not totals[FOREIGN]:
        return Judgment(clause, expectation, "compliant", "no foreign training data was used")
    run_share = totals[DOMESTIC] / records
    floor = settings.min_domestic_share
    problems = []
    if run_share <= 0 or run_share < floor:
        problems.append(f"the run is {_percent(run_share)} domestic")
    for cell in judged:
        if cell.foreign_records and (cell.domestic_share <= 0 or cell.domestic_share < floor):
            problems.append(
                f"{cell.modality}/{cell.language} is {_percent(cell.domestic_share)} domestic "
                f"({cell.foreign_records} foreign records)"
            )
    rule = "above 0%" + (f" and at least {_percent(floor)}" if floor > 0 else "")
    shares = ", ".join(
        f"{c.modality}/{c.language} {_percent(c.domestic_share)}" for c in judged if c.records
    )
    if problems:
        return Judgment(
            clause,
            expectation,
            "non_compliant",
            f"foreign data is used but the domestic share is not {rule}: " + "; ".join(problems),
        )
    return Judgment(
        clause,
        expectation,
        "compliant",
        f"foreign data ({totals[FOREIGN]} records) is combined with domestic data "
        f"({totals[DOMESTIC]} records, {_percent(run_share)} of the run; per language: "
        f"{shares}); each share is {rule}",
    )

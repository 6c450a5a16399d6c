"""What every record check plugs into the `curate` pipeline with.

A check is a `beam.PTransform` taking the records PCollection and returning a dict:

    {"records": kept records, "quarantine": quarantine rows, "summary": optional}

Records are plain dicts shaped like `corpusgate.schemas.records.Record`; a check appends its
decision to `record["lineage"]["decisions"]` (via `add_decision`) and fills the lineage fields
it owns. A rejected record leaves through `to_quarantine(record, CHECK, REASON, detail)`.
`summary` (optional) carries (kind, key, value) tuples the driver stores after the run, e.g.
per-source gate decisions to append to the store; it is collected in one place, so keep it
small (per source, not per record). `pairs` (optional) carries per-record lookups as
(kind, key, value) string triples, e.g. (pii_subjects, subject key, record id): they are
written as Parquet under `OUTPUT/index/<kind>/` and listed in the manifest's `pair_indexes`.

Per-source facts arrive as `SourceFacts` in the transform's constructor (small, picklable);
heavy state (automata, models, engines, tables) is built in `DoFn.setup`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECORDS = "records"
QUARANTINE = "quarantine"
SUMMARY = "summary"
PAIRS = "pairs"


@dataclass(frozen=True)
class SourceFacts:
    """What a check may know about a source: the registry entry, with resolved evidence paths."""

    source_id: str
    kind: str
    languages: tuple[str, ...]
    origin: str
    licence: str | None
    entry_file: str
    entry_sha256: str
    evidence: tuple[tuple[str, str, str], ...] = ()  # (role, absolute path, recorded sha256)
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific entry keys

    def evidence_paths(self, role: str) -> list[tuple[str, str]]:
        """(absolute path, recorded sha256) of every document of this role."""
        return [(path, sha) for r, path, sha in self.evidence if r == role]


def facts_of(entry: Any) -> SourceFacts:
    """SourceFacts from a `corpusgate.source_registry.entry.SourceEntry`."""
    return SourceFacts(
        source_id=entry.source_id,
        kind=entry.kind,
        languages=tuple(entry.languages),
        origin=entry.origin,
        licence=entry.licence,
        entry_file=str(entry.file),
        entry_sha256=entry.sha256,
        evidence=tuple((e.role, str(e.resolved), e.sha256) for e in entry.evidence),
        extra=dict(entry.extra),
    )


@dataclass(frozen=True)
class CheckContext:
    """What `make_check(ctx)` receives: the run, its config section and every source's facts."""

    run_id: str
    config_dir: str  # relative paths in `settings` are relative to this folder
    store_url: str
    settings: dict[str, Any]  # this check's section of the run config (may be empty)
    facts: dict[str, SourceFacts]

    def path(self, value: str) -> str:
        """A settings path resolved against the run config's folder."""
        from pathlib import Path

        candidate = Path(value).expanduser()
        return str(candidate if candidate.is_absolute() else Path(self.config_dir) / candidate)


# The checks of `curate`, in pipeline order (DESIGN §1): (step label, run-config key, module).
# Each module exposes `make_check(ctx: CheckContext) -> beam.PTransform | None` (None: nothing
# to do for these sources), and may expose `after_run(ctx, summaries, store, manifest)`, called
# by the driver once the output is published: `summaries` maps each summary kind the check
# emitted to its [key, value] pairs; `store` is the run's `Store`. A run config disables a
# check with `<key>: {enabled: false}`.
CHECK_MODULES: list[tuple[str, str, str]] = [
    ("Provenance", "provenance", "corpusgate.transforms.provenance.stage"),
    ("Harm", "harm", "corpusgate.transforms.harm.stage"),
    ("PersonalInformation", "pii", "corpusgate.transforms.pii.stage"),
]

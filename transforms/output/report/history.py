"""Run history by source (GB/T 45654-2025 B.2.1.1.1 b): was a source the 5% gate rejected ever
used for training?

From the published runs of an output: per source, the runs whose verification rejected it,
the runs that wrote records of it, and the runs that did both (a breach of 4.1.1 b: the
verification's rejection must remove the source whole). A source rejected in one run and
accepted, after cleaning, in a later run is used lawfully in the later run; the answer names
the runs so an assessor can follow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SourceHistory", "source_history"]


@dataclass(frozen=True)
class SourceHistory:
    source_id: str
    rejected_in: tuple[str, ...]
    written_in: tuple[tuple[str, int], ...]  # (run id, records written)
    breaches: tuple[str, ...] = field(default=())  # runs that rejected it and wrote records

    @property
    def answer(self) -> str:
        if self.breaches:
            return f"USED WHILE REJECTED in {', '.join(self.breaches)}"
        if self.rejected_in:
            return "rejected by the gate; never written in a run that rejected it"
        return "never rejected"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "rejected_in": list(self.rejected_in),
            "written_in": {run: n for run, n in self.written_in},
            "breaches": list(self.breaches),
            "answer": self.answer,
        }


def source_history(runs: Iterable[Mapping[str, Any]]) -> list[SourceHistory]:
    """`runs`: published runs, each with `run_id`, `gate` (source -> decision) and `written`
    (source -> records written)."""
    rejected: dict[str, list[str]] = {}
    written: dict[str, list[tuple[str, int]]] = {}
    for run in runs:
        run_id = str(run["run_id"])
        for source_id, decision in (run.get("gate") or {}).items():
            rejected.setdefault(source_id, [])
            if decision == "reject":
                rejected[source_id].append(run_id)
        for source_id, n in (run.get("written") or {}).items():
            rejected.setdefault(source_id, [])
            if n:
                written.setdefault(source_id, []).append((run_id, int(n)))
    out = []
    for source_id in sorted(rejected):
        wrote = tuple(written.get(source_id, ()))
        runs_written = {run for run, _ in wrote}
        out.append(
            SourceHistory(
                source_id,
                tuple(rejected[source_id]),
                wrote,
                tuple(r for r in rejected[source_id] if r in runs_written),
            )
        )
    return out

"""Shared by the dedup evaluation and benchmark: sign records, run `FindDuplicates` on the
local runner, and collect its decisions."""

from __future__ import annotations

import pickle
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import apache_beam as beam

from corpusgate.transforms.dedup import DedupItem, DedupSpec, DupDecision, dedup_items
from corpusgate.transforms.dedup.stage import FindDuplicates

BATCH = 2000  # records per dedup_items call (what a piece writer buffers)


def sign(records: Sequence[dict[str, Any]], spec: DedupSpec) -> list[DedupItem]:
    items: list[DedupItem] = []
    for start in range(0, len(records), BATCH):
        chunk = records[start : start + BATCH]
        items += dedup_items(chunk, [r["record_id"] for r in chunk], spec)
    return items


class _Load(beam.DoFn):
    def process(self, path: str) -> Iterator[DedupItem]:
        with open(path, "rb") as handle:
            yield from pickle.load(handle)  # our own file, written just before


class _Save(beam.DoFn):
    def __init__(self, folder: str) -> None:
        self._folder = folder

    def start_bundle(self) -> None:
        self._rows: list[tuple[str, DupDecision]] = []

    def process(self, element: tuple[str, DupDecision]) -> None:
        self._rows.append(element)

    def finish_bundle(self) -> None:
        with open(Path(self._folder) / f"out-{uuid.uuid4().hex}.pkl", "wb") as handle:
            pickle.dump(self._rows, handle)


def find_duplicates(
    items: Sequence[DedupItem], spec: DedupSpec, *, chunks: int = 8, beam_args: Sequence[str] = ()
) -> tuple[dict[str, DupDecision], float]:
    """Decisions by record id, and the seconds the pipeline took (items are read from files
    inside the pipeline, as a run reads pieces: no `beam.Create` of the whole list)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    with tempfile.TemporaryDirectory(prefix="corpusgate-dedup-") as tmp:
        paths = []
        step = max(1, -(-len(items) // chunks))
        for i in range(0, len(items), step):
            path = Path(tmp) / f"items-{i}.pkl"
            path.write_bytes(pickle.dumps(list(items[i : i + step])))
            paths.append(str(path))
        out = Path(tmp) / "out"
        out.mkdir()
        started = time.perf_counter()
        options = PipelineOptions(list(beam_args))
        with beam.Pipeline(runner="FnApiRunner", options=options) as p:
            decisions = (
                p
                | beam.Create(paths)
                | beam.Reshuffle()
                | beam.ParDo(_Load())
                | FindDuplicates(spec.settings, str(Path(tmp) / "work"))
            )
            decisions | beam.ParDo(_Save(str(out)))
        seconds = time.perf_counter() - started
        found: dict[str, DupDecision] = {}
        for path in out.glob("out-*.pkl"):
            found.update(pickle.loads(path.read_bytes()))
    return found, seconds

"""Incremental dedup and what it publishes (GB/T 45654-2025 4.2.1/4.2.2, 4.2.2 c), in Beam:
`PublishSignatures` writes the signature files of a run's kept records (format in
`published.py`), `ReadSignatures` reads earlier runs' files back as items that can only be
keepers (`FindDuplicates(..., previous=...)`): a new crawl is deduplicated against last
month's corpus without reading its text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.transforms.window import GlobalWindows

from corpusgate.transforms.common import files
from corpusgate.transforms.dedup.item import DupDecision
from corpusgate.transforms.dedup.nodes import NODE_SCHEMA, first_rows, handle_of
from corpusgate.transforms.dedup.published import (
    check_params,
    read_params,
    read_signature_file,
    write_kept,
)
from corpusgate.transforms.dedup.runs import RunRef, from_ids, read_runs
from corpusgate.transforms.dedup.settings import DedupSettings, DedupSpec
from corpusgate.transforms.dedup.steps import (
    EXCLUDED,
    NODES,
    SINGLE,
    Grouping,
    Output,
    Ref,
    SpillItemsFn,
    group_by_key,
)

__all__ = ["PublishSignatures", "ReadSignatures"]


class ReadSignatures(beam.PTransform):
    """Locations of signature files (`published.py`) -> PCollection[DedupItem] of records
    published before, for `FindDuplicates(..., previous=...)`. The files' parameters are
    checked here, on the launcher, so a mismatch fails before the job starts."""

    def __init__(self, locations: Sequence[str], spec: DedupSpec) -> None:
        super().__init__()
        self._locations = sorted(locations)
        self._spec = spec
        for location in self._locations:
            check_params(read_params(location), spec.settings, location)

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection:
        return (
            pbegin
            | "SignatureFiles" >> beam.Create(self._locations)
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.FlatMap(read_signature_file, self._spec)
        )


class _RemovedFn(beam.DoFn):
    """Removed records' node handles, spilled to run files by partition."""

    def __init__(self, folder: str, settings: DedupSettings) -> None:
        self._folder = folder
        self._settings = settings
        self._handles: list[bytes] = []

    def start_bundle(self) -> None:
        self._handles = []

    def process(self, element: tuple[str, DupDecision]) -> Iterator[Ref]:
        record_id, verdict = element
        if verdict.removed:
            self._handles.append(handle_of(record_id, False))
        if len(self._handles) * 64 >= self._settings.spill_mb << 20:
            yield from self._spill()

    def _spill(self) -> list[Ref]:
        out = Output(EXCLUDED, self._folder, self._settings.partitions, 1)
        table = pa.Table.from_arrays(
            [from_ids(np.frombuffer(b"".join(self._handles), dtype="S16"))], schema=SINGLE
        )
        self._handles = []
        return out.by_id(table, "node") if table.num_rows else []

    def finish_bundle(self) -> Iterator[Any]:
        for ref in self._spill():
            yield GlobalWindows.windowed_value(ref)


class _WriteKeptFn(beam.DoFn):
    def __init__(self, folder: str, settings: DedupSettings) -> None:
        self._folder = folder
        self._settings = settings

    def process(
        self, element: tuple[int, Iterable[tuple[str, RunRef]]]
    ) -> Iterator[tuple[str, int]]:
        partition, tagged = element
        refs: dict[str, list[RunRef]] = {}
        for tag, ref in tagged:
            refs.setdefault(tag, []).append(ref)
        removed = set(read_runs(refs.get(EXCLUDED, []), SINGLE)["node"].to_pylist())
        # One file per partition, named for it: a retried bundle rewrites the same file.
        location = files.join(self._folder, f"part-{partition:05d}.parquet")
        # One row per record id: a later copy of a repeated native id is not published.
        nodes = first_rows(read_runs(refs.get(NODES, []), NODE_SCHEMA))
        rows = write_kept(location, nodes.to_batches(), removed, self._settings)
        if rows:
            yield location, rows


class PublishSignatures(beam.PTransform):
    """(items, decisions) -> the signature files of this run's kept records (`published.py`
    has the format) under `folder`, one per partition of record handles; outputs (location,
    rows) per file. Later runs read them with `ReadSignatures`; `takedown` matches
    complaints against them."""

    def __init__(
        self,
        settings: DedupSettings,
        folder: str,
        work_dir: str,
        *,
        grouping: Grouping = group_by_key,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._folder = folder
        self._work = files.join(work_dir, "dedup-publish")
        self._grouping = grouping

    def expand(self, inputs: tuple[beam.PCollection, beam.PCollection]) -> beam.PCollection:
        items, decisions = inputs
        s = self._settings
        spill = SpillItemsFn(self._work, s)
        nodes = items | "SpillItems" >> beam.ParDo(spill).with_outputs(*spill.outputs)
        removed = decisions | "SpillRemoved" >> beam.ParDo(_RemovedFn(self._work, s))
        return (
            (nodes[NODES], removed)
            | "Both" >> beam.Flatten()
            | "ByPartition" >> self._grouping()
            | "Write" >> beam.ParDo(_WriteKeptFn(self._folder, s))
        )

"""Sorted lookups (record id → where it is; subject key → record id) built by a shuffle on
the key's prefix, so no step holds every key or receives the list of every file (DESIGN §8).

1. Whoever produces lookup rows writes them, sorted by key, into a *run*: an Arrow IPC file
   under `_tmp/` with one record batch per bucket (the key's first hex digits), and emits one
   small reference (bucket, run, batch) per bucket it holds.
2. `MergeBuckets` groups the references by bucket (Beam's shuffle), reads just those batches,
   sorts them into one Parquet file per bucket, and reports it.

Only references cross the shuffle: a few thousand per million rows, whatever the runner, so a
local run's memory does not grow with the corpus either.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
from apache_beam.transforms.window import GlobalWindows

from corpusgate.transforms.common import files
from corpusgate.transforms.output.filelist import FileWritten, write_table

__all__ = ["PAIR_SCHEMA", "BucketRef", "MergeBuckets", "WritePairRuns", "write_bucketed_run"]

# A check's lookups (`index/<kind>/<bucket>.parquet`): key → value, e.g. subject → record id.
PAIR_SCHEMA = pa.schema(
    [pa.field("key", pa.string(), nullable=False), pa.field("value", pa.string(), nullable=False)]
)


class BucketRef(NamedTuple):
    run: str  # the run file's location
    batch: int  # which record batch of it holds the bucket


def write_bucketed_run(
    folder: str, table: pa.Table, key: str, digits: int
) -> list[tuple[str, BucketRef]]:
    """Write `table` sorted by `key`, one batch per bucket; (bucket, ref) for each bucket."""
    if table.num_rows == 0:
        return []
    table = table.sort_by(key)
    # Where the bucket changes, found in Arrow: a shard's index rows as Python strings were
    # ~50 bytes each (a million per full shard).
    buckets = pc.utf8_slice_codeunits(table[key], 0, digits).combine_chunks()
    changes = pc.not_equal(buckets.slice(1), buckets.slice(0, len(buckets) - 1))
    starts = np.concatenate(([0], np.flatnonzero(changes.to_numpy(zero_copy_only=False)) + 1))
    ends = np.append(starts[1:], len(buckets))
    names = buckets.take(pa.array(starts)).to_pylist()
    location = files.join(folder, f"run-{uuid.uuid4().hex}.arrow")
    refs = []
    with files.open_write(location) as handle, ipc.new_file(handle, table.schema) as writer:
        for name, start, end in zip(names, starts, ends, strict=True):
            part = table.slice(int(start), int(end - start))
            writer.write_batch(part.combine_chunks().to_batches()[0])
            refs.append((name, BucketRef(location, len(refs))))
    return refs


def _read_batch(ref: BucketRef) -> pa.RecordBatch:
    with files.open_read(ref.run) as handle:
        return ipc.open_file(handle).get_batch(ref.batch)


def merge_bucket(run_dir: str, kind: str, bucket: str, refs: list[BucketRef]) -> FileWritten:
    """One bucket's rows from every run that holds it, sorted by their first column (the
    key), as `<kind>/<bucket>.parquet`."""
    batches = [_read_batch(ref) for ref in sorted(refs)]
    table = pa.Table.from_batches(batches)
    table = table.sort_by(table.schema.names[0])
    return write_table(run_dir, kind, f"{kind}/{bucket}.parquet", table, row_group_size=8192)


class _MergeFn(beam.DoFn):
    def __init__(self, run_dir: str) -> None:
        self._run_dir = run_dir

    def process(self, item: tuple[tuple[str, str], Any]) -> Iterator[FileWritten]:
        (kind, bucket), refs = item
        yield merge_bucket(self._run_dir, kind, bucket, list(refs))


class MergeBuckets(beam.PTransform):
    """((kind, bucket), BucketRef) → `<kind>/<bucket>.parquet`, sorted → FileWritten each.

    `kind` is the folder under the run: `index` for the audit index, `index/pii_subjects`
    for a check's lookups."""

    def __init__(self, run_dir: str) -> None:
        super().__init__()
        self._fn = _MergeFn(run_dir)

    def expand(self, refs: beam.PCollection) -> beam.PCollection:
        return refs | "ByBucket" >> beam.GroupByKey() | "Merge" >> beam.ParDo(self._fn)


class _PairRunsFn(beam.DoFn):
    """(kind, key, value) triples → bucketed runs, spilled every `spill_rows` per bundle."""

    def __init__(self, run_dir: str, digits: int, spill_rows: int = 200_000) -> None:
        self._run_dir = run_dir
        self._digits = digits
        self._spill_rows = spill_rows
        self._rows: dict[str, list[tuple[str, str]]] = {}
        self._count = 0

    def start_bundle(self) -> None:
        self._rows = {}
        self._count = 0

    def process(self, triple: tuple[str, str, str]) -> Iterator[Any]:
        kind, key, value = triple
        self._rows.setdefault(kind, []).append((key, value))
        self._count += 1
        if self._count >= self._spill_rows:
            yield from self._spill()

    def finish_bundle(self) -> Iterator[Any]:
        for out in self._spill():
            yield GlobalWindows.windowed_value(out)

    def _spill(self) -> Iterator[tuple[tuple[str, str], BucketRef]]:
        for kind, rows in sorted(self._rows.items()):
            keys, values = zip(*rows, strict=True)
            table = pa.Table.from_arrays(
                [pa.array(keys, pa.string()), pa.array(values, pa.string())], schema=PAIR_SCHEMA
            )
            folder = files.join(self._run_dir, "_tmp", "pair_runs")
            for bucket, ref in write_bucketed_run(folder, table, "key", self._digits):
                yield (f"index/{kind}", bucket), ref
        self._rows = {}
        self._count = 0


class WritePairRuns(beam.PTransform):
    """(kind, key, value) → ((index/<kind>, bucket), BucketRef) for `MergeBuckets`."""

    def __init__(self, run_dir: str, digits: int) -> None:
        super().__init__()
        self._fn = _PairRunsFn(run_dir, digits)

    def expand(self, triples: beam.PCollection) -> beam.PCollection:
        return triples | "WritePairRuns" >> beam.ParDo(self._fn)

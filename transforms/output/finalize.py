"""Pieces → the shards the user asked for, and each shard's rows → the audit index.

The second writing step (DESIGN §8). Once every bundle has written its pieces, one small plan
cuts the concatenated rows of each kind into N contiguous shards of equal row counts, where N
is `shards.num_shards`, or what `shards.target_mb` and `shards.max_rows` call for given the
pieces' total size. Each shard is then written by one worker from its slices of the pieces
(through a temporary name and a rename, so a retried attempt never leaves a half-written file
under a final name) and hashed as it is written. The same worker writes the shard's
(record_id → file, row) rows as a bucketed run for `buckets.MergeBuckets`.

Names are deterministic for a given run (`shards/part-00000.parquet`, ...); where rows fall
depends on how the runner cut bundles, which the manifest records.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

from corpusgate.schemas.records import INDEX_SCHEMA
from corpusgate.transforms.common import files
from corpusgate.transforms.output.buckets import BucketRef, write_bucketed_run
from corpusgate.transforms.output.filelist import FileWritten, HashedParquetWriter
from corpusgate.transforms.output.layout import INDEX, ShardSettings
from corpusgate.transforms.output.pieces import Piece

__all__ = ["INDEX_REFS", "SHARD_FILES", "ShardPlan", "WriteShards", "plan_shards"]

SHARD_FILES = "files"
INDEX_REFS = "index_refs"


@dataclass(frozen=True)
class Slice:
    piece: str  # relative to the run folder
    start: int  # first row of the piece taken
    stop: int  # one past the last


@dataclass(frozen=True)
class ShardPlan:
    kind: str
    number: int
    of: int
    slices: tuple[Slice, ...] = field(default_factory=tuple)

    @property
    def path(self) -> str:
        return f"{self.kind}/part-{self.number:05d}.parquet"

    @property
    def rows(self) -> int:
        return sum(s.stop - s.start for s in self.slices)


def shard_count(pieces: Sequence[Piece], settings: ShardSettings) -> int:
    rows = sum(p.rows for p in pieces)
    if rows == 0:
        return 0
    if settings.num_shards is not None:
        wanted = settings.num_shards
    else:
        size = sum(p.bytes for p in pieces)
        wanted = max(math.ceil(size / settings.target_bytes), math.ceil(rows / settings.max_rows))
    return max(1, min(wanted, rows))  # never an empty file


def plan_shards(pieces: Sequence[Piece], settings: ShardSettings) -> list[ShardPlan]:
    """Cut each kind's pieces, in path order, into equal contiguous row ranges."""
    plans: list[ShardPlan] = []
    for kind in sorted({p.kind for p in pieces}):
        ordered = sorted((p for p in pieces if p.kind == kind), key=lambda p: p.path)
        n = shard_count(ordered, settings)
        total = sum(p.rows for p in ordered)
        bounds = [total * i // n for i in range(n + 1)]
        offsets = []  # (piece, first global row)
        at = 0
        for piece in ordered:
            offsets.append((piece, at))
            at += piece.rows
        for number in range(n):
            lo, hi = bounds[number], bounds[number + 1]
            slices = []
            for piece, first in offsets:
                start, stop = max(lo, first), min(hi, first + piece.rows)
                if start < stop:
                    slices.append(Slice(piece.path, start - first, stop - first))
            plans.append(ShardPlan(kind, number, n, tuple(slices)))
    return plans


def _slice_batches(run_dir: str, cut: Slice) -> Iterator[pa.RecordBatch]:
    """The slice's rows, one piece row group at a time (the piece writer bounds their size);
    row groups before the slice are skipped by their metadata, never read."""
    with files.open_read(files.join(run_dir, cut.piece)) as handle:
        piece = pq.ParquetFile(handle)
        at = 0
        for i in range(piece.num_row_groups):
            rows = piece.metadata.row_group(i).num_rows
            lo, hi = max(cut.start, at), min(cut.stop, at + rows)
            if lo < hi:
                yield from (
                    piece.read_row_group(i).slice(lo - at, hi - lo).combine_chunks().to_batches()
                )
            at += rows
            if at >= cut.stop:
                return


def write_shard(
    run_dir: str,
    plan: ShardPlan,
    schema: pa.Schema,
    status: str,
    *,
    group_rows: int,
    digits: int,
) -> tuple[FileWritten, list[tuple[str, BucketRef]]]:
    """Write one shard from its slices; its index rows go to a bucketed run under _tmp."""
    tmp = files.join(run_dir, "_tmp", "final", f"{uuid.uuid4().hex}.parquet")
    writer = HashedParquetWriter(tmp, schema)
    ids: list[pa.Array] = []
    sources: list[pa.Array] = []
    reasons: list[pa.Array] = []
    for cut in plan.slices:
        for batch in _slice_batches(run_dir, cut):
            writer.write(batch, row_group_size=group_rows)
            ids.append(batch.column("record_id"))
            sources.append(batch.column("source_id"))
            if "reason" in batch.schema.names:
                reasons.append(batch.column("reason"))
    size, sha = writer.close()
    files.rename(tmp, files.join(run_dir, plan.path))
    rows = writer.rows
    index = pa.Table.from_arrays(
        [
            pa.concat_arrays(ids) if ids else pa.array([], pa.string()),
            pa.concat_arrays(sources) if sources else pa.array([], pa.string()),
            pa.array([status] * rows, pa.string()),
            pa.array([plan.path] * rows, pa.string()),
            pa.array(range(rows), pa.int64()),
            pa.concat_arrays(reasons) if reasons else pa.nulls(rows, pa.string()),
        ],
        schema=INDEX_SCHEMA,
    )
    refs = write_bucketed_run(files.join(run_dir, "_tmp", "index_runs"), index, "record_id", digits)
    return FileWritten(plan.kind, plan.path, rows, size, sha), refs


class _WriteShardFn(beam.DoFn):
    def __init__(
        self,
        run_dir: str,
        schemas: dict[str, tuple[pa.Schema, str]],
        group_rows: int,
        digits: int,
    ) -> None:
        self._run_dir = run_dir
        self._schemas = schemas
        self._group_rows = group_rows
        self._digits = digits

    def process(self, plan: ShardPlan) -> Iterator[Any]:
        schema, status = self._schemas[plan.kind]
        written, refs = write_shard(
            self._run_dir,
            plan,
            schema,
            status,
            group_rows=self._group_rows,
            digits=self._digits,
        )
        yield written
        for bucket, ref in refs:
            yield beam.pvalue.TaggedOutput(INDEX_REFS, ((INDEX, bucket), ref))


class WriteShards(beam.PTransform):
    """Pieces → final shard files (`files`) and index references (`index_refs`).

    `schemas` maps each kind to (its schema with the run's Parquet metadata, index status).
    """

    def __init__(
        self,
        run_dir: str,
        schemas: dict[str, tuple[pa.Schema, str]],
        settings: ShardSettings,
        digits: int,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._fn = _WriteShardFn(run_dir, schemas, settings.row_group_rows, digits)

    def expand(self, pieces: beam.PCollection) -> Any:
        settings = self._settings
        plans = (
            pieces
            | "AllPieces" >> beam.combiners.ToList()
            | "Plan" >> beam.FlatMap(lambda found: plan_shards(found, settings))
            | "SpreadShards" >> beam.Reshuffle()
        )
        out = plans | "WriteShard" >> beam.ParDo(self._fn).with_outputs(
            INDEX_REFS, main=SHARD_FILES
        )
        return {SHARD_FILES: out[SHARD_FILES], INDEX_REFS: out[INDEX_REFS]}

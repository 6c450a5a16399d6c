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

import bisect
import contextlib
import math
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.transforms.window import GlobalWindows

from corpusgate.schemas.reasons import FAIL, NORMALIZE, PASS
from corpusgate.schemas.records import INDEX_SCHEMA, QUARANTINED
from corpusgate.transforms.common import files
from corpusgate.transforms.output.buckets import BucketRef, write_bucketed_run
from corpusgate.transforms.output.filelist import FileWritten, HashedParquetWriter
from corpusgate.transforms.output.layout import INDEX, QUARANTINE, ShardSettings
from corpusgate.transforms.output.pieces import Piece, RowRef

__all__ = [
    "INDEX_REFS",
    "OUTCOME_DELTAS",
    "SHARD_FILES",
    "USAGE_DELTAS",
    "RowNote",
    "ShardPlan",
    "WriteShards",
    "plan_shards",
    "write_shard",
]

SHARD_FILES = "files"
INDEX_REFS = "index_refs"
OUTCOME_DELTAS = "outcome_deltas"
USAGE_DELTAS = "usage_deltas"


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


def _slice_batches(run_dir: str, cut: Slice) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(piece row of its first row, batch) over the slice's rows, one piece row group at a
    time (the piece writer bounds their size); row groups before the slice are skipped by
    their metadata, never read."""
    with files.open_read(files.join(run_dir, cut.piece)) as handle:
        piece = pq.ParquetFile(handle)
        at = 0
        for i in range(piece.num_row_groups):
            rows = piece.metadata.row_group(i).num_rows
            lo, hi = max(cut.start, at), min(cut.stop, at + rows)
            if lo < hi:
                table = piece.read_row_group(i).slice(lo - at, hi - lo).combine_chunks()
                first = lo
                for batch in table.to_batches():
                    yield first, batch
                    first += batch.num_rows
            at += rows
            if at >= cut.stop:
                return


@dataclass(frozen=True)
class RowNote:
    """What a step after the pieces decided about one row of the shards (dedup, unique ids):
    `cluster` goes to `lineage.dedup_cluster` and the decision to `lineage.decisions`; a row
    with a `reason` moves to a quarantine file beside its shard, the others stay."""

    check: str
    cluster: str | None
    reason: str | None  # None: the row stays
    detail: str


@dataclass
class ShardResult:
    """What writing one shard produced: its files, its index runs, and the count changes of
    the rows that moved out of it (outcome key, delta) and ((source, language), delta)."""

    files: list[FileWritten]
    refs: list[tuple[str, BucketRef]]
    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    usage: Counter[tuple[str, str]] = field(default_factory=Counter)


NOTE_SCHEMA = pa.schema(
    [
        pa.field("piece", pa.string(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("check", pa.string(), nullable=False),
        pa.field("cluster", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("detail", pa.string(), nullable=False),
    ]
)


class NoteTable:
    """The notes on one shard's rows as one Arrow table: they become Python only for the batch
    being cut (a dict of every note of a run held 170k RowNotes at once)."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    @classmethod
    def of_notes(cls, notes: Mapping[RowRef, RowNote]) -> NoteTable:
        return cls(_note_table(list(notes.items())))

    def __len__(self) -> int:
        return self._table.num_rows

    def piece(self, piece: str) -> PieceNotes:
        """The notes on `piece`'s rows, in row order."""
        return PieceNotes(self._table.filter(pc.equal(self._table["piece"], piece)).sort_by("row"))


class NoteFiles:
    """The notes on one shard's rows, in their files: a piece's notes are read as the shard's
    cut moves down the piece, one row group of each file at a time (every note of a shard read
    at once held every duplicate of a run; every note of a piece, at 500,000 records, ~270 MB)."""

    def __init__(self, files_by_piece: Mapping[str, Sequence[str]]) -> None:
        self._files = {piece: sorted(found) for piece, found in files_by_piece.items() if found}

    def __len__(self) -> int:
        return len(self._files)

    def piece(self, piece: str) -> StreamedNotes:
        return StreamedNotes(self._files.get(piece, []))


class PieceNotes:
    """One piece's notes, made Python one row range (a batch being cut) at a time: a piece of
    200k noted rows as one dict was the peak of a run."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table
        self._rows = table["row"].to_numpy()

    def __len__(self) -> int:
        return self._table.num_rows

    def __enter__(self) -> PieceNotes:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def between(self, lo: int, hi: int) -> dict[int, RowNote]:
        """Row -> note for the rows lo <= row < hi."""
        start, stop = (int(i) for i in np.searchsorted(self._rows, [lo, hi]))
        return _by_row(self._table.slice(start, stop - start))


class StreamedNotes:
    """One piece's notes in files sorted by row (`_SpillNotesFn`): `between` reads only the row
    groups whose rows overlap the range, and lets go of those the cut has passed. Calls must
    come in row order, as a shard cuts its piece; a context manager (it holds the files open)."""

    def __init__(self, locations: Sequence[str]) -> None:
        self._stack = contextlib.ExitStack()
        self._files: list[tuple[pq.ParquetFile, list[tuple[int, int]]]] = []
        self._loaded: list[dict[int, pa.Table]] = []
        self._rows = 0
        for location in locations:
            handle = self._stack.enter_context(files.open_read(location))
            notes = pq.ParquetFile(handle)
            self._files.append((notes, _row_spans(notes.metadata)))
            self._loaded.append({})
            self._rows += notes.metadata.num_rows

    def __len__(self) -> int:
        return self._rows

    def __enter__(self) -> StreamedNotes:
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    def between(self, lo: int, hi: int) -> dict[int, RowNote]:
        """Row -> note for the rows lo <= row < hi."""
        return _by_row(self.table_between(lo, hi))

    def group_ends(self) -> list[int]:
        """One past the last row of every row group of every file, in order: cut at these, a
        range never holds more than one row group of a file that ends inside it."""
        return sorted({last + 1 for _, spans in self._files for _, last in spans})

    def table_between(self, lo: int, hi: int) -> pa.Table:
        """The notes (`_NOTE_COLUMNS`) on the rows lo <= row < hi, in file order."""
        tables = []
        for (notes, spans), loaded in zip(self._files, self._loaded, strict=True):
            for group in [g for g in loaded if spans[g][1] < lo]:
                del loaded[group]  # the cut is past it
            # A file sorted by row has its groups' spans in order: start at the first group
            # that ends at or after `lo` (a scan of every group per range was quadratic).
            group = bisect.bisect_left(spans, lo, key=lambda span: span[1])
            while group < len(spans) and spans[group][0] < hi:
                if group not in loaded:
                    loaded[group] = notes.read_row_group(group, columns=_NOTE_COLUMNS)
                tables.append(loaded[group])
                group += 1
        if not tables:
            return _NOTE_READ_SCHEMA.empty_table()
        table = pa.concat_tables(tables)
        rows = table["row"].to_numpy()
        return table.filter((rows >= lo) & (rows < hi))


# A note file's row groups: what a shard holds of one file at once.
_NOTE_GROUP_ROWS = 2048
_NOTE_COLUMNS = ["row", "check", "cluster", "reason", "detail"]
_NOTE_READ_SCHEMA = pa.schema([NOTE_SCHEMA.field(name) for name in _NOTE_COLUMNS])
# A piece's notes come in at most this many files to the shard that cuts it, which holds a
# row group of each at once: spilled where they are made (`_SpillNotesFn`, every 20,000 notes,
# one file per piece they touch), a piece's files grow with the run's duplicates, and so did
# finalize's memory (707 MiB at 200,000 records, 816 at 2,000,000). `_MergeNotesFn` merges
# more than this into fewer, this many at a time.
_NOTES_FAN_IN = 32


def _row_spans(meta: pq.FileMetaData) -> list[tuple[int, int]]:
    """(first row, last row) of each row group, from its statistics (the whole range when a
    writer left them out: the group is then read for every range)."""
    column = meta.schema.to_arrow_schema().get_field_index("row")
    spans = []
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(column).statistics
        if stats is not None and stats.has_min_max:
            spans.append((int(stats.min), int(stats.max)))
        else:
            spans.append((-1, 1 << 62))
    return spans


def _by_row(notes: pa.Table) -> dict[int, RowNote]:
    """Row -> the note that applies (`_rank`), for a table of notes (NOTE_SCHEMA columns)."""
    columns = [notes[name].to_pylist() for name in _NOTE_COLUMNS]
    found: dict[int, RowNote] = {}
    for row, check, cluster, reason, detail in zip(*columns, strict=True):
        note = RowNote(check, cluster, reason, detail)
        held = found.get(row)
        if held is None or _rank(note) < _rank(held):
            found[row] = note
    return found


def _rank(note: RowNote) -> tuple[int, int]:
    """Which of two notes on one row applies: one that moves the row out, and of those a
    repeated record id's (the row is not a record of its own, whatever dedup made of it)."""
    return (0 if note.reason else 1, 0 if note.check == NORMALIZE else 1)


def _note_table(notes: Sequence[tuple[RowRef, RowNote]]) -> pa.Table:
    return pa.Table.from_pydict(
        {
            "piece": [piece for (piece, _), _ in notes],
            "row": [row for (_, row), _ in notes],
            "check": [n.check for _, n in notes],
            "cluster": [n.cluster for _, n in notes],
            "reason": [n.reason for _, n in notes],
            "detail": [n.detail for _, n in notes],
        },
        schema=NOTE_SCHEMA,
    )


def _replace_rows(column: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """`column` with its `rows` (ascending) replaced by `values`, in one `take`."""
    index = np.arange(len(column), dtype=np.int64)
    index[rows] = len(column) + np.arange(len(rows), dtype=np.int64)
    return pa.concat_arrays([column, values]).take(pa.array(index))


def _append_to_lists(lists: pa.ListArray, rows: np.ndarray, items: pa.Array) -> pa.ListArray:
    """`lists` with `items[i]` appended to the list of row `rows[i]` (ascending), built from
    offsets: the old values move up by the items appended before them."""
    lengths = np.asarray(lists.value_lengths().fill_null(0), dtype=np.int64)
    added = np.zeros(len(lists), dtype=np.int64)
    added[rows] = 1
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lengths + added, out=offsets[1:])
    values = lists.flatten()  # the rows' own values, whatever the array's offset
    # Where each old value lands: its row's new start plus its place in the row.
    row_of_value = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
    old_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    place = np.empty(offsets[-1], dtype=np.int64)
    place[offsets[row_of_value] + np.arange(len(values)) - old_starts[row_of_value]] = np.arange(
        len(values), dtype=np.int64
    )
    place[offsets[rows] + lengths[rows]] = len(values) + np.arange(len(rows), dtype=np.int64)
    merged = pa.concat_arrays([values, items]).take(pa.array(place))
    return pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), merged, type=lists.type, mask=lists.is_null()
    )


def _apply_notes(
    batch: pa.RecordBatch,
    first: int,
    piece: str,
    notes: Mapping[int, RowNote],
    schema: pa.Schema,
    moved_schema: pa.Schema | None,
) -> tuple[pa.Table, pa.Table | None]:
    """The batch with its noted rows (`notes`: row -> note for the batch's rows, piece row
    numbers) updated, and the rows that move to the quarantine.

    Column by column in Arrow: only the notes become Python. (Row by row, a noted row's text
    and whole lineage went to Python and back: half of the finalize step's time on a corpus
    where dedup notes most rows.)"""
    noted = sorted(row - first for row in notes)
    if not noted:
        return pa.Table.from_batches([batch], schema=schema), None
    chosen = [notes[first + i] for i in noted]
    rows = np.asarray(noted, dtype=np.int64)
    lineage = batch.column("lineage")
    if lineage.null_count and lineage.take(pa.array(rows)).null_count:
        raise ValueError(f"{piece}: a noted row has no lineage")
    lineage_type = lineage.type
    steps = pa.array(
        [
            {
                "check": note.check,
                "outcome": FAIL if note.reason else PASS,
                "detail": f"{note.reason}: {note.detail}" if note.reason else note.detail,
            }
            for note in chosen
        ],
        type=lineage_type.field("decisions").type.value_type,
    )
    clusters = pa.array([note.cluster for note in chosen], type=pa.string())
    children = []
    for i, child in enumerate(lineage.flatten()):
        name = lineage_type.field(i).name
        if name == "dedup_cluster":
            child = _replace_rows(child, rows, clusters)
        elif name == "decisions":
            child = _append_to_lists(child, rows, steps)
        children.append(child)
    updated = pa.StructArray.from_arrays(
        children, fields=list(lineage_type), mask=lineage.is_null() if lineage.null_count else None
    )
    columns = [updated if name == "lineage" else batch.column(name) for name in batch.schema.names]
    table = pa.Table.from_arrays(columns, schema=schema)
    leaving = [i for i, note in zip(noted, chosen, strict=True) if note.reason]
    if not leaving:
        return table, None
    if moved_schema is None:
        raise ValueError(f"{piece}: rows move to the quarantine but no schema was given")
    stays = np.ones(len(table), dtype=bool)
    stays[leaving] = False
    out = table.take(pa.array(leaving))
    gone = [note for note in chosen if note.reason]
    moved = pa.Table.from_arrays(
        [
            out["record_id"],
            out["source_id"],
            out["text"],
            pa.nulls(len(gone), pa.binary()),
            pa.array([note.check for note in gone], pa.string()),
            pa.array([note.reason for note in gone], pa.string()),
            pa.array([note.detail for note in gone], pa.string()),
            out["lineage"],
        ],
        schema=moved_schema,
    )
    return table.filter(pa.array(stays)), moved


# Index rows a shard holds before it writes them out as a bucketed run: a full shard's (a
# million rows) held to the end, with their sorted copy, was ~300 MB (memray, 500,000 records).
_INDEX_SPILL = 100_000


class _IndexRuns:
    """The index rows of a shard and of the files beside it, written out together as bucketed
    runs under `_tmp/index_runs` every `_INDEX_SPILL` rows (a small shard: one run)."""

    def __init__(self, run_dir: str, digits: int) -> None:
        self._folder = files.join(run_dir, "_tmp", "index_runs")
        self._digits = digits
        self.refs: list[tuple[str, BucketRef]] = []
        self._tables: list[pa.Table] = []
        self._held = 0

    def add(self, table: pa.Table) -> None:
        self._tables.append(table)
        self._held += table.num_rows
        if self._held >= _INDEX_SPILL:
            self.flush()

    def flush(self) -> None:
        if self._tables:
            table = pa.concat_tables(self._tables)
            self.refs.extend(write_bucketed_run(self._folder, table, "record_id", self._digits))
        self._tables, self._held = [], 0


class _IndexRows:
    """The (record_id → file, row) rows of one written file, made as its batches are written."""

    def __init__(self, runs: _IndexRuns, status: str, path: str) -> None:
        self._runs, self._status, self._path = runs, status, path
        self._rows = 0  # rows of the file so far

    def add(self, batch: pa.RecordBatch | pa.Table) -> None:
        n = batch.num_rows
        names = batch.schema.names
        reasons = _array(batch.column("reason")) if "reason" in names else pa.nulls(n, pa.string())
        table = pa.Table.from_arrays(
            [
                _array(batch.column("record_id")),
                _array(batch.column("source_id")),
                pa.array([self._status] * n, pa.string()),
                pa.array([self._path] * n, pa.string()),
                pa.array(range(self._rows, self._rows + n), pa.int64()),
                reasons,
            ],
            schema=INDEX_SCHEMA,
        )
        self._runs.add(table)
        self._rows += n


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


class _RowGroups:
    """A file's rows gathered into row groups of `rows` rows or `nbytes` of Arrow buffers,
    whichever fills first, before they are written. Without it a shard wrote each batch's
    survivors as a row group of their own: where dedup moves most rows out, 878 rows in 244
    row groups (2,000,000 records), which readers pay for in metadata and compression."""

    def __init__(self, writer: HashedParquetWriter, rows: int, nbytes: int) -> None:
        self._writer = writer
        self._rows, self._nbytes = rows, nbytes
        self._held: list[pa.Table] = []
        self._held_rows = self._held_bytes = 0

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self._held.append(table)
        self._held_rows += table.num_rows
        self._held_bytes += table.nbytes
        if self._held_bytes >= self._nbytes:
            self.flush()
        elif self._held_rows >= self._rows:
            # Whole groups out, the rest waits: 3 + 3 rows with groups of 4 are 4, then 2 held.
            held = pa.concat_tables(self._held)
            whole = held.num_rows - held.num_rows % self._rows
            self._writer.write(held.slice(0, whole), row_group_size=self._rows)
            rest = held.slice(whole)
            self._held = [rest] if rest.num_rows else []
            self._held_rows, self._held_bytes = rest.num_rows, rest.nbytes

    def flush(self) -> None:
        if self._held:
            self._writer.write(pa.concat_tables(self._held), row_group_size=self._rows)
        self._held, self._held_rows, self._held_bytes = [], 0, 0

    @property
    def rows(self) -> int:
        """Rows written so far (all of them once closed)."""
        return self._writer.rows

    def close(self) -> tuple[int, str]:
        """(bytes, sha256) of the finished file."""
        self.flush()
        return self._writer.close()


class _MovedRows:
    """The rows a shard's notes move out, written as they come to one quarantine file per
    check beside the shard (`moved_path`), with their index rows and count changes."""

    def __init__(
        self, run_dir: str, plan: ShardPlan, index: _IndexRuns, group_rows: int, group_bytes: int
    ) -> None:
        self._run_dir = run_dir
        self._plan = plan
        self._index = index
        self._group = (group_rows, group_bytes)
        self._open: dict[str, tuple[str, _RowGroups, _IndexRows]] = {}

    def write(self, table: pa.Table | None, status: str, result: ShardResult) -> None:
        if table is None or not table.num_rows:
            return
        languages = pc.struct_field(table["lineage"], "language").to_pylist()
        checks = table["check"].to_pylist()
        for source, reason, language in zip(
            table["source_id"].to_pylist(), table["reason"].to_pylist(), languages, strict=True
        ):
            result.outcomes[(source, status, "")] -= 1
            result.outcomes[(source, QUARANTINED, reason)] += 1
            result.usage[(source, language or "und")] -= 1
        for check in sorted(set(checks)):
            group = table.filter(pc.equal(table["check"], check))
            if check not in self._open:
                tmp = files.join(self._run_dir, "_tmp", "final", f"{uuid.uuid4().hex}.parquet")
                index = _IndexRows(self._index, QUARANTINED, moved_path(self._plan, check))
                writer = _RowGroups(HashedParquetWriter(tmp, table.schema), *self._group)
                self._open[check] = (tmp, writer, index)
            _, writer, index = self._open[check]
            writer.write(group)
            index.add(group)

    def close(self, result: ShardResult) -> None:
        """Finish the files (renamed to their final names); list them."""
        for check, (tmp, writer, _) in sorted(self._open.items()):
            path = moved_path(self._plan, check)
            size, sha = writer.close()
            files.rename(tmp, files.join(self._run_dir, path))
            result.files.append(FileWritten(QUARANTINE, path, writer.rows, size, sha))


def moved_path(plan: ShardPlan, check: str) -> str:
    """Where the rows a note moved out of a shard go: `quarantine/dedup-part-00003.parquet`."""
    return f"{QUARANTINE}/{check}-part-{plan.number:05d}.parquet"


def write_shard(
    run_dir: str,
    plan: ShardPlan,
    schema: pa.Schema,
    status: str,
    *,
    group_rows: int,
    digits: int,
    notes: NoteTable | NoteFiles | Mapping[RowRef, RowNote] | None = None,
    moved_schema: pa.Schema | None = None,
    group_bytes: int = ShardSettings().row_group_bytes,
) -> ShardResult:
    """Write one shard from its slices; its index rows go to bucketed runs under _tmp.

    Rows with a note that has a reason are written to a quarantine file beside the shard
    (`moved_path`), with `moved_schema`, and counted out of `status` into the quarantine."""
    if notes is not None and not isinstance(notes, NoteTable | NoteFiles):
        notes = NoteTable.of_notes(notes)
    tmp = files.join(run_dir, "_tmp", "final", f"{uuid.uuid4().hex}.parquet")
    writer = _RowGroups(HashedParquetWriter(tmp, schema), group_rows, group_bytes)
    runs = _IndexRuns(run_dir, digits)
    index = _IndexRows(runs, status, plan.path)
    result = ShardResult([], [])
    moved = _MovedRows(run_dir, plan, runs, group_rows, group_bytes)
    for cut in plan.slices:
        with notes.piece(cut.piece) if notes else contextlib.nullcontext() as mine:
            for first, batch in _slice_batches(run_dir, cut):
                noted = mine.between(first, first + batch.num_rows) if mine else {}
                if noted:
                    staying, out = _apply_notes(
                        batch, first, cut.piece, noted, schema, moved_schema
                    )
                    moved.write(out, status, result)
                else:
                    staying = pa.Table.from_batches([batch], schema=schema)
                if staying.num_rows:
                    writer.write(staying)
                    index.add(staying)
    size, sha = writer.close()
    files.rename(tmp, files.join(run_dir, plan.path))
    result.files.insert(0, FileWritten(plan.kind, plan.path, writer.rows, size, sha))
    moved.close(result)
    runs.flush()
    result.refs = runs.refs
    return result


class _WriteShardFn(beam.DoFn):
    def __init__(
        self,
        run_dir: str,
        schemas: dict[str, tuple[pa.Schema, str]],
        group_rows: int,
        digits: int,
        group_bytes: int,
    ) -> None:
        self._run_dir = run_dir
        self._schemas = schemas
        self._group_rows = group_rows
        self._group_bytes = group_bytes
        self._digits = digits

    def process(
        self, plan: ShardPlan, note_files: Mapping[str, list[str]] | None = None
    ) -> Iterator[Any]:
        notes = None
        if note_files is not None:
            # A multimap side input answers [] for a piece without notes (it has no `get`).
            notes = NoteFiles({cut.piece: note_files[cut.piece] for cut in plan.slices})
        schema, status = self._schemas[plan.kind]
        result = write_shard(
            self._run_dir,
            plan,
            schema,
            status,
            group_rows=self._group_rows,
            group_bytes=self._group_bytes,
            digits=self._digits,
            notes=notes,
            moved_schema=self._schemas[QUARANTINE][0] if QUARANTINE in self._schemas else None,
        )
        yield from result.files
        for bucket, ref in result.refs:
            yield beam.pvalue.TaggedOutput(INDEX_REFS, ((INDEX, bucket), ref))
        for key, delta in result.outcomes.items():
            yield beam.pvalue.TaggedOutput(OUTCOME_DELTAS, (key, delta))
        for key, delta in result.usage.items():
            yield beam.pvalue.TaggedOutput(USAGE_DELTAS, (key, delta))


# Notes a bundle holds before it writes them out, one file per piece they fall in.
_NOTES_SPILL = 20_000


class _SpillNotesFn(beam.DoFn):
    """(RowRef, RowNote) -> (piece, note file): a bundle's notes written to files under
    `_tmp/notes/`, one per piece their rows are in, so only file names travel on. Notes
    grouped by shard in memory held every duplicate of a run; routed to shards here (with the
    plans as a side input) they waited, all of them, for the plans."""

    def __init__(self, run_dir: str) -> None:
        self._run_dir = run_dir
        self._held: dict[str, list[tuple[RowRef, RowNote]]] = {}
        self._count = 0

    def start_bundle(self) -> None:
        self._held, self._count = {}, 0

    def process(self, element: tuple[RowRef, RowNote]) -> Iterator[tuple[str, str]]:
        (piece, _), _ = element
        self._held.setdefault(piece, []).append(element)
        self._count += 1
        if self._count >= _NOTES_SPILL:
            yield from self._spill()

    def _spill(self) -> Iterator[tuple[str, str]]:
        for piece, notes in sorted(self._held.items()):
            location = files.join(self._run_dir, "_tmp", "notes", f"{uuid.uuid4().hex}.parquet")
            handle = files.create(location)
            try:
                # Sorted by row in small row groups: the shard reads a range at a time.
                table = _note_table(notes).sort_by("row")
                pq.write_table(table, handle, row_group_size=_NOTE_GROUP_ROWS)
            finally:
                handle.close()
            yield piece, location
        self._held, self._count = {}, 0

    def finish_bundle(self) -> Iterator[Any]:
        for piece, location in self._spill():
            yield GlobalWindows.windowed_value((piece, location))


def merge_note_files(run_dir: str, locations: Sequence[str]) -> str:
    """One note file holding the notes of `locations` (each sorted by row), sorted by row, in
    row groups of `_NOTE_GROUP_ROWS`; read a row group of each file at a time."""
    location = files.join(run_dir, "_tmp", "notes", f"{uuid.uuid4().hex}.parquet")
    writer = _RowGroups(HashedParquetWriter(location, _NOTE_READ_SCHEMA), _NOTE_GROUP_ROWS, 1 << 62)
    with StreamedNotes(locations) as notes:
        lo = 0
        for hi in notes.group_ends():
            writer.write(notes.table_between(lo, hi).sort_by("row"))
            lo = hi
    writer.close()
    return location


class _MergeNotesFn(beam.DoFn):
    """(piece, its note files) -> (piece, note file), at most `_NOTES_FAN_IN` files a piece:
    more are merged `_NOTES_FAN_IN` at a time until few enough. Merged files are left where
    they are (under `_tmp`, removed with it): a retried bundle may read them again."""

    def __init__(self, run_dir: str) -> None:
        self._run_dir = run_dir

    def process(self, element: tuple[str, Iterable[str]]) -> Iterator[tuple[str, str]]:
        piece, found = element
        locations = sorted(found)
        fan_in = max(2, _NOTES_FAN_IN)  # one file at a time would never get fewer
        while len(locations) > fan_in:
            groups = [locations[i : i + fan_in] for i in range(0, len(locations), fan_in)]
            locations = [
                group[0] if len(group) == 1 else merge_note_files(self._run_dir, group)
                for group in groups
            ]
        for location in locations:
            yield piece, location


class WriteShards(beam.PTransform):
    """Pieces (and optionally one or more PCollections of notes on their rows) → final files
    (`files`), index references (`index_refs`) and, when notes moved rows, the count changes
    (`outcome_deltas`: (outcome key, delta); `usage_deltas`: ((source, language), delta)).

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
        self._run_dir = run_dir
        self._fn = _WriteShardFn(
            run_dir, schemas, settings.row_group_rows, digits, settings.row_group_bytes
        )

    def expand(self, inputs: beam.PCollection | tuple[beam.PCollection, ...]) -> Any:
        pieces, *notes = inputs if isinstance(inputs, tuple) else (inputs,)
        settings = self._settings
        plans = (
            pieces
            | "AllPieces" >> beam.combiners.ToList()
            | "Plan" >> beam.FlatMap(lambda found: plan_shards(found, settings))
        )
        work = plans | "SpreadShards" >> beam.Reshuffle()
        if not notes:
            out = work | "WriteShard" >> beam.ParDo(self._fn).with_outputs(
                INDEX_REFS, OUTCOME_DELTAS, USAGE_DELTAS, main=SHARD_FILES
            )
        else:
            # Each kind of note is spilled where it is made; only file names are flattened (a
            # Flatten of the notes themselves would hold them all on the local runner).
            spilled = [
                found | f"SpillNotes{i or ''}" >> beam.ParDo(_SpillNotesFn(self._run_dir))
                for i, found in enumerate(notes)
            ]
            note_files = (
                (spilled[0] if len(spilled) == 1 else spilled | "AllNotes" >> beam.Flatten())
                | "NotesByPiece" >> beam.GroupByKey()
                | "MergeNotes" >> beam.ParDo(_MergeNotesFn(self._run_dir))
            )
            out = work | "WriteShard" >> beam.ParDo(
                self._fn, beam.pvalue.AsMultiMap(note_files)
            ).with_outputs(INDEX_REFS, OUTCOME_DELTAS, USAGE_DELTAS, main=SHARD_FILES)
        return {
            SHARD_FILES: out[SHARD_FILES],
            INDEX_REFS: out[INDEX_REFS],
            OUTCOME_DELTAS: out[OUTCOME_DELTAS],
            USAGE_DELTAS: out[USAGE_DELTAS],
        }

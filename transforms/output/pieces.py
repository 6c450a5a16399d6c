"""Records → temporary Parquet pieces, and the count of what was written (STYLE §3).

The first of two writing steps (DESIGN §8 "files the user sizes"): every bundle writes its rows
into pieces under the run's `_tmp/` folder, named per bundle attempt, so a retried or
speculative bundle writes new pieces and never touches a file another attempt wrote; only the
pieces a committed bundle reports reach `finalize`, which cuts them into the shards the user
asked for. Records stream from the readers to disk: nothing per record is held in memory.

Each writer also counts its rows per (source, status, reason): the manifest's counts come from
the data, combined inside the pipeline, never from metrics.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.transforms.window import GlobalWindows

from corpusgate.schemas.records import WRITTEN
from corpusgate.transforms.common import files
from corpusgate.transforms.output.filelist import HashingStream
from corpusgate.transforms.output.layout import ShardSettings
from corpusgate.transforms.spine.progress import RunProgress

__all__ = [
    "IDS",
    "OUTCOMES",
    "PIECES",
    "SIGNED",
    "Piece",
    "PieceWriter",
    "RowRef",
    "Signer",
    "WritePieces",
]

PIECES = "pieces"
OUTCOMES = "outcomes"
SIGNED = "signed"
IDS = "ids"

# Where a row lies before the shards exist: (piece path relative to the run folder, row).
RowRef = tuple[str, int]
# Rows of one row group and their refs -> what a later step needs of them (dedup's items).
Signer = Callable[[list[dict[str, Any]], list[RowRef]], list[Any]]


class IdEntries(Protocol):
    """What a writer notes of each row for a later step (`unique_ids.IdEntries`)."""

    written: list[Any]  # what it wrote so far, to pass on

    def add(self, rows: list[dict[str, Any]], piece: str, first_row: int) -> None: ...

    def flush(self) -> None: ...


class IdSpec(Protocol):
    def entries(self, kept: bool) -> IdEntries: ...


# ((source_id, status, reason), rows): what the manifest's counts are summed from.
Outcome = tuple[tuple[str, str, str], int]


@dataclass(frozen=True, order=True)
class Piece:
    kind: str  # "shards" | "quarantine"
    path: str  # relative to the run folder
    rows: int
    bytes: int


# What a buffered row costs beyond its text and raw bytes (ids, lineage, decisions), roughly.
_ROW_OVERHEAD = 2_048


def row_bytes(row: dict[str, Any]) -> int:
    """A buffered row's approximate size: its text and raw bytes dominate large records."""
    return _ROW_OVERHEAD + len(row.get("text") or "") + len(row.get("raw") or b"")


# The run config's default (`shards.row_group_mb`), for writers built without one.
_GROUP_BYTES = ShardSettings().row_group_bytes

# Rows wait as Python objects only until this many rows or bytes, then become one Arrow batch
# of the row group being gathered: a Python row holds several times its Arrow size, and a
# 32 MB row group gathered as dicts was most of a run's memory.
_BATCH_ROWS = 1_024
_BATCH_BYTES = 2 << 20


class PieceWriter:
    """Rows of one schema into pieces under `run_dir/_tmp/pieces/<kind>/`, rolled when a piece
    reaches `roll_rows` rows or `roll_bytes` written bytes. Rows are gathered into row groups of
    at most `group_rows` rows and `group_bytes` of text and raw bytes (what the writer holds),
    held as Arrow batches of at most `_BATCH_ROWS` rows (signed, with `sign`, as each is made)."""

    def __init__(
        self,
        run_dir: str,
        kind: str,
        schema: pa.Schema,
        status: str,
        *,
        roll_rows: int,
        roll_bytes: int,
        group_rows: int,
        group_bytes: int = _GROUP_BYTES,
        sign: Signer | None = None,
        ids: IdEntries | None = None,
    ) -> None:
        if min(roll_rows, roll_bytes, group_rows, group_bytes) < 1:
            raise ValueError("piece sizes must be >= 1")
        self._run_dir = run_dir
        self._kind = kind
        self._schema = schema
        self._status = status
        self._roll_rows = roll_rows
        self._roll_bytes = roll_bytes
        self._group_rows = group_rows
        self._group_bytes = group_bytes
        self._attempt = uuid.uuid4().hex[:12]  # a retried bundle writes under another name
        self._seq = 0
        self._pending: list[dict[str, Any]] = []  # rows not yet in a batch
        self._pending_bytes = 0
        self._batches: list[pa.RecordBatch] = []  # the row group being gathered
        self._group_rows_now = 0
        self._group_bytes_now = 0
        self._writer: pq.ParquetWriter | None = None
        self._stream: HashingStream | None = None
        self._path = ""
        self._rows = 0  # rows written to the open piece
        self.outcomes: Counter[tuple[str, str, str]] = Counter()
        # Computed per batch while its rows are at hand, so no later step re-reads text.
        self._sign = sign
        self.signed: list[Any] = []
        self.ids = ids  # each row's id and origin, for `unique_ids`

    def add(self, row: dict[str, Any]) -> Iterator[Piece]:
        self._pending.append(row)
        self._pending_bytes += row_bytes(row)
        self.outcomes[(row["source_id"], self._status, row.get("reason") or "")] += 1
        group_rows = self._group_rows_now + len(self._pending)
        group_bytes = self._group_bytes_now + self._pending_bytes
        if group_rows >= self._group_rows or group_bytes >= self._group_bytes:
            yield from self._flush()
        elif len(self._pending) >= _BATCH_ROWS or self._pending_bytes >= _BATCH_BYTES:
            self._to_batch()

    def close(self) -> Iterator[Piece]:
        yield from self._flush()
        yield from self._finish()
        if self.ids is not None:
            self.ids.flush()

    def _to_batch(self) -> None:
        if not self._pending:
            return
        if self._writer is None:
            self._path = f"_tmp/pieces/{self._kind}/{self._attempt}-{self._seq:05d}.parquet"
            self._seq += 1
            self._stream = HashingStream(files.create(files.join(self._run_dir, self._path)))
            self._writer = pq.ParquetWriter(self._stream, self._schema, compression="zstd")
        self._batches.append(pa.RecordBatch.from_pylist(self._pending, schema=self._schema))
        first = self._rows + self._group_rows_now
        if self.ids is not None:
            self.ids.add(self._pending, self._path, first)
        if self._sign is not None:
            refs = [(self._path, first + i) for i in range(len(self._pending))]
            self.signed.extend(self._sign(self._pending, refs))
        self._group_rows_now += len(self._pending)
        self._group_bytes_now += self._pending_bytes
        self._pending = []
        self._pending_bytes = 0

    def _flush(self) -> Iterator[Piece]:
        """Write the gathered row group."""
        self._to_batch()
        if not self._batches:
            return
        assert self._writer is not None and self._stream is not None
        table = pa.Table.from_batches(self._batches, schema=self._schema)
        self._writer.write_table(table, row_group_size=table.num_rows)
        self._rows += table.num_rows
        self._batches = []
        self._group_rows_now = 0
        self._group_bytes_now = 0
        if self._rows >= self._roll_rows or self._stream.size >= self._roll_bytes:
            yield from self._finish()

    def _finish(self) -> Iterator[Piece]:
        if self._writer is None or self._stream is None:
            return
        self._writer.close()
        self._stream.close()
        yield Piece(self._kind, self._path, self._rows, self._stream.size)
        self._writer = None
        self._stream = None
        self._rows = 0


class _WritePiecesFn(beam.DoFn):
    def __init__(
        self,
        run_dir: str,
        kind: str,
        schema: pa.Schema,
        status: str,
        sizes: dict[str, int],
        sign: Signer | None,
        ids: IdSpec | None,
        progress: tuple[str, float] | None = None,
    ) -> None:
        self._args = (run_dir, kind, schema, status)
        self._sizes = sizes
        self._sign = sign
        self._ids = ids
        self._progress_key = progress
        self._writer: PieceWriter | None = None

    def setup(self) -> None:
        self._count: Callable[[str], None] | None = None
        if self._progress_key is not None:
            progress = RunProgress.shared(*self._progress_key)
            self._count = (
                progress.add_kept if self._args[3] == WRITTEN else progress.add_quarantined
            )

    def start_bundle(self) -> None:
        entries = self._ids.entries(kept=self._args[3] == WRITTEN) if self._ids else None
        self._writer = PieceWriter(*self._args, **self._sizes, sign=self._sign, ids=entries)

    def _drain(self, windowed: bool) -> Iterator[Any]:
        assert self._writer is not None
        for item in self._writer.signed:
            yield beam.pvalue.TaggedOutput(
                SIGNED, GlobalWindows.windowed_value(item) if windowed else item
            )
        self._writer.signed = []
        if self._writer.ids is not None:
            for ref in self._writer.ids.written:
                yield beam.pvalue.TaggedOutput(
                    IDS, GlobalWindows.windowed_value(ref) if windowed else ref
                )
            self._writer.ids.written = []

    def process(self, row: dict[str, Any]) -> Iterator[Any]:
        assert self._writer is not None
        if self._count is not None:
            self._count(row["source_id"])
        for piece in self._writer.add(row):
            yield beam.pvalue.TaggedOutput(PIECES, piece)
        yield from self._drain(windowed=False)

    def finish_bundle(self) -> Iterator[Any]:
        assert self._writer is not None
        # Outputs of finish_bundle carry their window explicitly, inside the tag.
        for piece in self._writer.close():
            yield beam.pvalue.TaggedOutput(PIECES, GlobalWindows.windowed_value(piece))
        yield from self._drain(windowed=True)
        for key, count in self._writer.outcomes.items():
            yield beam.pvalue.TaggedOutput(OUTCOMES, GlobalWindows.windowed_value((key, count)))


class WritePieces(beam.PTransform):
    """Rows → pieces. Outputs: `pieces` (Piece per file), `outcomes` (counts per bundle),
    with `sign`, `signed` (what `sign` made of each row group, with the rows' `RowRef`s) and,
    with `ids`, `ids` ((partition, RunRef) of the rows' `unique_ids` entries)."""

    def __init__(
        self,
        run_dir: str,
        kind: str,
        schema: pa.Schema,
        status: str,
        *,
        roll_rows: int,
        roll_bytes: int,
        group_rows: int,
        group_bytes: int = _GROUP_BYTES,
        sign: Signer | None = None,
        ids: IdSpec | None = None,
        progress: tuple[str, float] | None = None,
    ) -> None:
        super().__init__()
        sizes = {
            "roll_rows": roll_rows,
            "roll_bytes": roll_bytes,
            "group_rows": group_rows,
            "group_bytes": group_bytes,
        }
        PieceWriter(run_dir, kind, schema, status, **sizes)  # bad sizes fail the build
        self._fn = _WritePiecesFn(run_dir, kind, schema, status, sizes, sign, ids, progress)

    def expand(self, rows: beam.PCollection) -> Any:
        return rows | "WritePieces" >> beam.ParDo(self._fn).with_outputs(
            PIECES, OUTCOMES, SIGNED, IDS
        )

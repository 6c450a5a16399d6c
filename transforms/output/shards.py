"""Write records to Parquet files and say where each one landed.

The core, `ParquetFileSet`, is plain pyarrow: rows in, files out (rolled at `max_rows`), each
file hashed while it is written. It also keeps, for the audit index, the (file, row) of every
row it wrote, spilled to small sorted "index run" files every `index_run_rows` rows, and counts
rows per (source, status, reason) for the manifest. So nothing per record leaves a writer:
records stream from the readers to disk, and memory does not grow with the corpus, on any runner.

`merge_index_bucket` later turns the runs into the audit index: 256 files keyed by the first
two hex digits of the record id, each sorted.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindows

from corpusgate.schemas.records import INDEX_SCHEMA
from corpusgate.transforms.spine.identity import index_bucket

__all__ = [
    "FILES",
    "INDEX_RUNS",
    "OUTCOMES",
    "FileWritten",
    "IndexRun",
    "ParquetFileSet",
    "WritePairs",
    "WriteShards",
    "index_bucket",
    "merge_index_bucket",
]

FILES = "files"
INDEX_RUNS = "index_runs"
OUTCOMES = "outcomes"
INDEX_RUN_DIR = "_index_runs"
BUCKETS = [f"{i:02x}" for i in range(256)]


@dataclass(frozen=True)
class FileWritten:
    path: str  # relative to the output folder, e.g. "shards/part-0123abcd.parquet"
    rows: int
    sha256: str
    bytes: int


@dataclass(frozen=True)
class IndexRun:
    path: str  # relative to the staging folder
    rows: int


# ((source_id, status, reason), rows): what the manifest's counts are summed from.
Outcome = tuple[tuple[str, str, str], int]


class _HashingStream:
    """What pyarrow writes to: counts and hashes bytes on their way to the real file."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.digest = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self._inner.write(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._inner.flush()

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
            self.closed = True


def _file_name(row: dict[str, Any]) -> str:
    # Named after the first row's input location, which is unique per item read: a retried
    # bundle rewrites the same name, and two writers never pick the same one.
    origin = (row.get("lineage") or {}).get("origin") or {}
    key = f"{row['source_id']}\x1f{origin.get('uri')}\x1f{origin.get('kind')}\x1f{origin.get('position')}"
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _write_table(root: str, name: str, table: pa.Table, row_group_size: int) -> FileWritten:
    stream = _HashingStream(FileSystems.create(f"{root}/{name}"))
    pq.write_table(table, stream, compression="zstd", row_group_size=row_group_size)
    stream.close()
    return FileWritten(name, table.num_rows, stream.digest.hexdigest(), stream.size)


def _check_sizes(max_rows: int, row_group_rows: int, index_run_rows: int) -> None:
    if min(max_rows, row_group_rows, index_run_rows) < 1:
        raise ValueError(
            f"max_rows ({max_rows}), row_group_rows ({row_group_rows}) and index_run_rows "
            f"({index_run_rows}) must be >= 1"
        )


class ParquetFileSet:
    """Writes rows of one schema into files under `root/subdir`, `max_rows` rows each at most."""

    def __init__(
        self,
        root: str,
        subdir: str,
        schema: pa.Schema,
        metadata: dict[bytes, bytes],
        status: str,
        *,
        max_rows: int = 100_000,
        row_group_rows: int = 5_000,
        index_run_rows: int = 100_000,
        create: Callable[[str], BinaryIO] = FileSystems.create,
    ) -> None:
        _check_sizes(max_rows, row_group_rows, index_run_rows)
        self._root = root.rstrip("/")
        self._subdir = subdir
        self._schema = schema.with_metadata(metadata)
        self._status = status
        self._max_rows = max_rows
        self._row_group_rows = row_group_rows
        self._index_run_rows = index_run_rows
        self._create = create
        self._buffer: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self._stream: _HashingStream | None = None
        self._name = ""
        self._rows_in_file = 0
        self._index: list[tuple[str, str, str, str, int, str]] = []
        self.outcomes: Counter[tuple[str, str, str]] = Counter()

    def add(self, row: dict[str, Any]) -> Iterator[FileWritten | IndexRun]:
        """Buffer a row; yields files and index runs as they are finished."""
        self._buffer.append(row)
        if self._rows_in_file + len(self._buffer) >= self._max_rows:
            yield from self._flush()
            yield from self._finish_file()
        elif len(self._buffer) >= self._row_group_rows:
            yield from self._flush()

    def close(self) -> Iterator[FileWritten | IndexRun]:
        yield from self._flush()
        yield from self._finish_file()
        yield from self._spill_index()

    def _flush(self) -> Iterator[IndexRun]:
        if not self._buffer:
            return
        if self._writer is None:
            self._name = f"{self._subdir}/part-{_file_name(self._buffer[0])}.parquet"
            self._stream = _HashingStream(self._create(f"{self._root}/{self._name}"))
            self._writer = pq.ParquetWriter(self._stream, self._schema, compression="zstd")
        table = pa.Table.from_pylist(self._buffer, schema=self._schema)
        self._writer.write_table(table, row_group_size=len(self._buffer))
        for offset, row in enumerate(self._buffer):
            reason = row.get("reason") or ""
            self._index.append(
                (
                    row["record_id"],
                    row["source_id"],
                    self._status,
                    self._name,
                    self._rows_in_file + offset,
                    reason,
                )
            )
            self.outcomes[(row["source_id"], self._status, reason)] += 1
        self._rows_in_file += len(self._buffer)
        self._buffer = []
        if len(self._index) >= self._index_run_rows:
            yield from self._spill_index()

    def _finish_file(self) -> Iterator[FileWritten]:
        if self._writer is None or self._stream is None:
            return
        self._writer.close()
        self._stream.close()
        yield FileWritten(
            self._name, self._rows_in_file, self._stream.digest.hexdigest(), self._stream.size
        )
        self._writer = None
        self._stream = None
        self._rows_in_file = 0

    def _spill_index(self) -> Iterator[IndexRun]:
        if not self._index:
            return
        self._index.sort()
        columns = list(zip(*self._index, strict=True))
        table = pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, INDEX_SCHEMA, strict=True)],
            schema=INDEX_SCHEMA,
        )
        name = f"{INDEX_RUN_DIR}/{self._subdir}-{uuid.uuid4().hex}.parquet"
        # Small row groups let a bucket merge skip, by statistics, what belongs to other buckets.
        written = _write_table(self._root, name, table, row_group_size=4096)
        self._index = []
        yield IndexRun(written.path, written.rows)


class _WriteFilesFn(beam.DoFn):
    def __init__(
        self,
        root: str,
        subdir: str,
        schema: pa.Schema,
        metadata: dict[bytes, bytes],
        status: str,
        max_rows: int,
        row_group_rows: int,
        index_run_rows: int,
    ) -> None:
        self._args = (root, subdir, schema, metadata, status)
        self._sizes = {
            "max_rows": max_rows,
            "row_group_rows": row_group_rows,
            "index_run_rows": index_run_rows,
        }
        self._files: ParquetFileSet | None = None

    def start_bundle(self) -> None:
        self._files = ParquetFileSet(*self._args, **self._sizes)

    def process(self, row: dict[str, Any]):  # type: ignore[no-untyped-def]
        assert self._files is not None
        for out in self._files.add(row):
            yield _tag(out)

    def finish_bundle(self):  # type: ignore[no-untyped-def]
        assert self._files is not None
        # Outputs of finish_bundle carry their window explicitly, inside the tag.
        for out in self._files.close():
            tagged = _tag(out)
            yield beam.pvalue.TaggedOutput(tagged.tag, GlobalWindows.windowed_value(tagged.value))
        for key, count in self._files.outcomes.items():
            yield beam.pvalue.TaggedOutput(OUTCOMES, GlobalWindows.windowed_value((key, count)))


def _tag(out: FileWritten | IndexRun) -> beam.pvalue.TaggedOutput:
    return beam.pvalue.TaggedOutput(FILES if isinstance(out, FileWritten) else INDEX_RUNS, out)


class WriteShards(beam.PTransform):
    """Rows → Parquet files under `root/subdir`. Outputs: `files`, `index_runs`, `outcomes`."""

    def __init__(
        self,
        root: str,
        subdir: str,
        schema: pa.Schema,
        metadata: dict[bytes, bytes],
        status: str,
        *,
        max_rows: int = 100_000,
        row_group_rows: int = 5_000,
        index_run_rows: int = 100_000,
    ) -> None:
        super().__init__()
        _check_sizes(max_rows, row_group_rows, index_run_rows)
        self._fn = _WriteFilesFn(
            root, subdir, schema, metadata, status, max_rows, row_group_rows, index_run_rows
        )

    def expand(self, rows):  # type: ignore[no-untyped-def]
        return rows | "WriteParquet" >> beam.ParDo(self._fn).with_outputs(
            FILES, INDEX_RUNS, OUTCOMES
        )


def _bucket_range(bucket: str) -> tuple[str, str]:
    upper = f"{int(bucket, 16) + 1:02x}" if bucket != "ff" else "g"
    return bucket, upper


def merge_index_bucket(root: str, bucket: str, runs: list[str]) -> FileWritten | None:
    """Gather one bucket's entries from every index run into `index/<bucket>.parquet`, sorted.

    Memory is one bucket's share (1/256) of the index, whatever the corpus size.
    """
    root = root.rstrip("/")
    low, high = _bucket_range(bucket)
    parts = []
    wanted = [("record_id", ">=", low), ("record_id", "<", high)]
    for run in runs:
        path = f"{root}/{run}"
        if "://" in path:
            with FileSystems.open(path) as handle:
                table = pq.read_table(handle, filters=wanted)
        else:  # a local path lets pyarrow skip, by statistics, row groups of other buckets
            table = pq.read_table(path, filters=wanted)
        if table.num_rows:
            parts.append(table)
    if not parts:
        return None
    merged = pa.concat_tables(parts).sort_by("record_id")
    return _write_table(root, f"index/{bucket}.parquet", merged, row_group_size=8192)


PAIR_SCHEMA = pa.schema(
    [pa.field("key", pa.string(), nullable=False), pa.field("value", pa.string(), nullable=False)]
)


class _WritePairsFn(beam.DoFn):
    """(kind, key, value) triples → `index/<kind>/part-*.parquet`, sorted by key in each file.

    A bundle spills every `spill_rows` triples, so memory stays flat like the shard writers'.
    """

    def __init__(self, root: str, spill_rows: int = 200_000) -> None:
        self._root = root.rstrip("/")
        self._spill_rows = spill_rows
        self._rows: dict[str, list[tuple[str, str]]] = {}
        self._count = 0

    def start_bundle(self) -> None:
        self._rows = {}
        self._count = 0

    def process(self, triple: tuple[str, str, str]):  # type: ignore[no-untyped-def]
        kind, key, value = triple
        self._rows.setdefault(kind, []).append((key, value))
        self._count += 1
        if self._count >= self._spill_rows:
            yield from self._spill()

    def finish_bundle(self):  # type: ignore[no-untyped-def]
        for kind, written in self._spill():
            yield GlobalWindows.windowed_value((kind, written))

    def _spill(self) -> Iterator[tuple[str, FileWritten]]:
        for kind, rows in sorted(self._rows.items()):
            rows.sort()
            keys, values = zip(*rows, strict=True)
            table = pa.Table.from_arrays(
                [pa.array(keys, pa.string()), pa.array(values, pa.string())], schema=PAIR_SCHEMA
            )
            name = f"index/{kind}/part-{uuid.uuid4().hex[:16]}.parquet"
            yield kind, _write_table(self._root, name, table, row_group_size=8192)
        self._rows = {}
        self._count = 0


class WritePairs(beam.PTransform):
    """Checks' per-record lookups → Parquet files; outputs (kind, FileWritten) per file."""

    def __init__(self, root: str) -> None:
        super().__init__()
        self._fn = _WritePairsFn(root)

    def expand(self, triples):  # type: ignore[no-untyped-def]
        return triples | "WritePairFiles" >> beam.ParDo(self._fn)

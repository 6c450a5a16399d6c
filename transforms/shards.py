"""Write records to Parquet files and say where each one landed.

The core, `ParquetFileSet`, is plain pyarrow: rows in, files out (rolled at `max_rows`), each
file hashed while it is written and named after its content, with the (file, row) of every
row so the audit index can point at it. `WriteShards` runs one file set per Beam bundle, so
rows stream straight from the readers to disk without a shuffle.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindows

from corpusgate.schemas.records import INDEX_SCHEMA
from corpusgate.transforms.identity import index_bucket

__all__ = ["FileWritten", "IndexEntry", "ParquetFileSet", "WriteShards", "index_bucket"]


@dataclass(frozen=True)
class FileWritten:
    path: str  # relative to the output folder, e.g. "shards/part-0123abcd.parquet"
    rows: int
    sha256: str
    bytes: int


# (record_id, source_id, status, file, row, reason): one per row written, feeds the audit index
# and the manifest's counts.
IndexEntry = tuple[str, str, str, str, int, str]


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
        create: Callable[[str], BinaryIO] = FileSystems.create,
        rename: Callable[[str, str], None] | None = None,
    ) -> None:
        if max_rows < 1 or row_group_rows < 1:
            raise ValueError(
                f"max_rows ({max_rows}) and row_group_rows ({row_group_rows}) must be >= 1"
            )
        self._root = root.rstrip("/")
        self._subdir = subdir
        self._schema = schema.with_metadata(metadata)
        self._status = status
        self._max_rows = max_rows
        self._row_group_rows = row_group_rows
        self._create = create
        self._rename = rename or (lambda src, dst: FileSystems.rename([src], [dst]))
        self._buffer: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self._stream: _HashingStream | None = None
        self._tmp_path = ""
        self._rows_in_file = 0
        self._ids = hashlib.blake2b(digest_size=8)
        self._pending_index: list[tuple[str, str, str]] = []  # (record_id, source_id, reason)

    def add(self, row: dict[str, Any]) -> Iterator[IndexEntry | FileWritten]:
        """Buffer a row; yields index entries and finished files as row groups are flushed."""
        self._buffer.append(row)
        if self._rows_in_file + len(self._buffer) >= self._max_rows:
            self._flush()
            yield from self._finish_file()
        elif len(self._buffer) >= self._row_group_rows:
            self._flush()

    def close(self) -> Iterator[IndexEntry | FileWritten]:
        self._flush()
        yield from self._finish_file()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self._tmp_path = f"{self._root}/{self._subdir}/.tmp-{uuid.uuid4().hex}.parquet"
            self._stream = _HashingStream(self._create(self._tmp_path))
            self._writer = pq.ParquetWriter(self._stream, self._schema, compression="zstd")
        table = pa.Table.from_pylist(self._buffer, schema=self._schema)
        self._writer.write_table(table, row_group_size=len(self._buffer))
        for row in self._buffer:
            self._ids.update(row["record_id"].encode())
            self._pending_index.append(
                (row["record_id"], row["source_id"], row.get("reason") or "")
            )
        self._rows_in_file += len(self._buffer)
        self._buffer = []

    def _finish_file(self) -> Iterator[IndexEntry | FileWritten]:
        if self._writer is None or self._stream is None:
            return
        self._writer.close()
        self._stream.close()
        # Named after the ids it holds: a retried bundle rewrites the same name, never a twin.
        name = f"{self._subdir}/part-{self._ids.hexdigest()}.parquet"
        self._rename(self._tmp_path, f"{self._root}/{name}")
        for row_no, (rid, sid, reason) in enumerate(self._pending_index):
            yield (rid, sid, self._status, name, row_no, reason)
        yield FileWritten(
            name, self._rows_in_file, self._stream.digest.hexdigest(), self._stream.size
        )
        self._writer = None
        self._stream = None
        self._rows_in_file = 0
        self._ids = hashlib.blake2b(digest_size=8)
        self._pending_index = []


INDEX = "index"
FILES = "files"


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
    ) -> None:
        self._args = (root, subdir, schema, metadata, status)
        self._max_rows = max_rows
        self._row_group_rows = row_group_rows
        self._files: ParquetFileSet | None = None

    def start_bundle(self) -> None:
        self._files = ParquetFileSet(
            *self._args, max_rows=self._max_rows, row_group_rows=self._row_group_rows
        )

    def process(self, row: dict[str, Any]):  # type: ignore[no-untyped-def]
        assert self._files is not None
        for out in self._files.add(row):
            yield _tag(out)

    def finish_bundle(self):  # type: ignore[no-untyped-def]
        assert self._files is not None
        for out in self._files.close():
            tagged = _tag(out)
            # Outputs of finish_bundle carry their window explicitly, inside the tag.
            yield beam.pvalue.TaggedOutput(tagged.tag, GlobalWindows.windowed_value(tagged.value))


def _tag(out: IndexEntry | FileWritten) -> beam.pvalue.TaggedOutput:
    if isinstance(out, FileWritten):
        return beam.pvalue.TaggedOutput(FILES, out)
    return beam.pvalue.TaggedOutput(INDEX, out)


class WriteShards(beam.PTransform):
    """Rows → Parquet files under `root/subdir`; outputs `index` entries and `files` written."""

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
    ) -> None:
        super().__init__()
        if max_rows < 1 or row_group_rows < 1:
            raise ValueError(
                f"max_rows ({max_rows}) and row_group_rows ({row_group_rows}) must be >= 1"
            )
        self._fn = _WriteFilesFn(root, subdir, schema, metadata, status, max_rows, row_group_rows)

    def expand(self, rows):  # type: ignore[no-untyped-def]
        return rows | "WriteParquet" >> beam.ParDo(self._fn).with_outputs(INDEX, FILES)


def write_index_bucket(root: str, bucket: str, entries: list[IndexEntry]) -> FileWritten:
    """Write one audit-index bucket, sorted by record id so lookups can binary-search it."""
    entries = sorted(entries)
    columns = list(zip(*entries, strict=True)) if entries else [[] for _ in range(6)]
    table = pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, INDEX_SCHEMA, strict=True)],
        schema=INDEX_SCHEMA,
    )
    name = f"index/{bucket}.parquet"
    stream = _HashingStream(FileSystems.create(f"{root.rstrip('/')}/{name}"))
    pq.write_table(table, stream, compression="zstd")
    stream.close()
    return FileWritten(name, len(entries), stream.digest.hexdigest(), stream.size)

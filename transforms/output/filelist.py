"""Every file a run publishes, with its rows, bytes and sha256: `files.parquet`.

The manifest stays small (totals and per-source counts) and names this table by its sha256;
the table lists every shard, quarantine file and index bucket. Sorted by path, with small row
groups, so `audit` looks up the one file it opens (a filter) without loading the list.

`logical` is the name a file was born with, which the audit index refers to. When `forget`
rewrites a shard without some of its rows, the new file keeps the logical name and lists the
original row numbers it no longer holds (`removed_rows`), so every other record's index entry
stays valid: its row now is its original row minus the removed rows before it.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpusgate.transforms.common import files

FILE_SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),  # shards | quarantine | index | index/<k>
        pa.field("path", pa.string(), nullable=False),  # relative to the run folder
        pa.field("logical", pa.string(), nullable=False),  # the name the index refers to
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("bytes", pa.int64(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("removed_rows", pa.list_(pa.int64()), nullable=False),  # original numbering
    ]
)


@dataclass(frozen=True, order=True)
class FileWritten:
    kind: str
    path: str
    rows: int
    bytes: int
    sha256: str
    logical: str = ""  # "" means: the same as path
    removed_rows: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.logical:
            object.__setattr__(self, "logical", self.path)
        object.__setattr__(self, "removed_rows", tuple(self.removed_rows))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["removed_rows"] = list(self.removed_rows)
        return out

    def current_row(self, original: int) -> int | None:
        """Where an original row is now (None: it was removed)."""
        at = bisect.bisect_left(self.removed_rows, original)
        if at < len(self.removed_rows) and self.removed_rows[at] == original:
            return None
        return original - at


class HashingStream:
    """What pyarrow writes to: hashes and counts bytes on their way to the real file."""

    def __init__(self, inner: Any) -> None:
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


class HashedParquetWriter:
    """A Parquet file written once, hashed as it is written (no second read for the sha256)."""

    def __init__(self, location: str, schema: pa.Schema) -> None:
        self._stream = HashingStream(files.create(location))
        self._writer = pq.ParquetWriter(self._stream, schema, compression="zstd")
        self.rows = 0

    def write(self, table: pa.Table | pa.RecordBatch, row_group_size: int | None = None) -> None:
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if table.num_rows:
            self._writer.write_table(table, row_group_size=row_group_size)
            self.rows += table.num_rows

    def close(self) -> tuple[int, str]:
        """(bytes, sha256) of the finished file."""
        self._writer.close()
        self._stream.close()
        return self._stream.size, self._stream.digest.hexdigest()


def write_table(
    run_dir: str, kind: str, path: str, table: pa.Table, row_group_size: int
) -> FileWritten:
    writer = HashedParquetWriter(files.join(run_dir, path), table.schema)
    writer.write(table, row_group_size)
    size, sha = writer.close()
    return FileWritten(kind, path, table.num_rows, size, sha)


def write_file_list(location: str, written: list[FileWritten]) -> tuple[int, str]:
    """files.parquet, sorted by path; (bytes, sha256)."""
    rows = sorted(written, key=lambda f: f.path)
    table = pa.Table.from_pylist([f.as_dict() for f in rows], schema=FILE_SCHEMA)
    writer = HashedParquetWriter(location, FILE_SCHEMA)
    writer.write(table, row_group_size=4096)
    return writer.close()


def lookup(location: str, logical: str) -> FileWritten | None:
    """The current file of a logical name, read with a filter (statistics skip the rest)."""
    with files.open_read(location) as handle:
        table = pq.read_table(handle, filters=[("logical", "=", logical)])
    if not table.num_rows:
        return None
    return FileWritten(**table.slice(0, 1).to_pylist()[0])


def read_file_list(location: str, kind: str | None = None) -> list[FileWritten]:
    """Every row (or those of one kind): for `forget`, `report --runs`, verification."""
    with files.open_read(location) as handle:
        table = pq.read_table(handle, filters=[("kind", "=", kind)] if kind else None)
    return [FileWritten(**row) for row in table.to_pylist()]

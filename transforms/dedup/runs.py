"""Partitioned run files: how dedup's shuffles move data (GB/T 45654-2025 4.2.1/4.2.2 at corpus
scale, DESIGN §8: no step holds the corpus).

A step writes the rows it produced as one file with one Arrow record batch per target
partition and emits a small reference (partition, file, offset, length) per partition it
holds; Beam's GroupByKey then moves only those references (the same pattern as the audit index,
`transforms/output/buckets.py`), and the next step reads the batches of its partition. So the
runner shuffles a few thousand references per million rows instead of millions of elements:
the local runner's memory stays flat in the corpus size, and the per-element cost of a Beam
shuffle (~30 µs on the FnApiRunner) is paid per batch, not per band key.

Handles, hashes and band keys are numpy arrays: 16-byte ids as `S16` (big-endian bytes, so
bytewise order is numeric order; numpy sorts, compares and searches them without Python
objects), band keys as uint64. A partition is the first 8 bytes of an id (or the key itself)
modulo the partition count: ids and keys are hashes, so partitions come out even.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from corpusgate.transforms.common import files

__all__ = [
    "ID",
    "RunRef",
    "concat_ranges",
    "from_ids",
    "id_partitions",
    "ids",
    "iter_runs",
    "key_partitions",
    "later_copies",
    "lookup",
    "read_runs",
    "write_run",
]

ID = pa.binary(16)


class RunRef(NamedTuple):
    """One partition's rows: an Arrow IPC message at [offset, offset + length) of a file."""

    location: str
    offset: int
    length: int


def ids(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A fixed_size_binary(16) Arrow column as an `S16` numpy array (zero-copy when one chunk)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if len(column) == 0:
        return np.zeros(0, dtype="S16")
    data = np.frombuffer(column.buffers()[1], dtype="S16")
    return data[column.offset : column.offset + len(column)]


def from_ids(values: np.ndarray) -> pa.Array:
    """An `S16` numpy array as a fixed_size_binary(16) Arrow column."""
    data = np.ascontiguousarray(values, dtype="S16")
    return pa.FixedSizeBinaryArray.from_buffers(ID, len(data), [None, pa.py_buffer(data.tobytes())])


def id_partitions(values: np.ndarray, partitions: int) -> np.ndarray:
    """Partition of each 16-byte id: its first 8 bytes (big-endian) modulo `partitions`."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    heads = np.ascontiguousarray(values, dtype="S16").view(">u8")[::2]
    return (heads % np.uint64(partitions)).astype(np.int64)


def concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated aranges: starts[j], ..., starts[j] + lengths[j] - 1, for every j."""
    before = np.cumsum(lengths) - lengths
    return np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - before, lengths)


def lookup(sorted_nodes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index of each wanted id in `sorted_nodes`, -1 where absent."""
    if len(sorted_nodes) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.clip(np.searchsorted(sorted_nodes, wanted), 0, len(sorted_nodes) - 1)
    return np.where(sorted_nodes[at] == wanted, at, -1)


def later_copies(
    values: np.ndarray, keys: pa.Array | pa.ChunkedArray
) -> tuple[np.ndarray, np.ndarray]:
    """Of rows that share a 16-byte id: (row of each later copy, row of the first copy of its
    id), where the first has the smallest string in `keys`. `keys` are read only for the rows
    of repeated ids, which are few (a partition's keys as Python strings would be the largest
    thing a step holds)."""
    empty = np.zeros(0, dtype=np.int64)
    by_id = np.argsort(values, kind="stable")
    ranked = values[by_id]
    same = ranked[1:] == ranked[:-1]
    repeated = np.zeros(len(values), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    rows = by_id[repeated]
    if len(rows) == 0:
        return empty, empty
    wanted = np.array(keys.take(pa.array(rows)).to_pylist(), dtype=object)
    order = rows[np.lexsort((wanted, values[rows]))]
    grouped = values[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = grouped[1:] != grouped[:-1]
    # Each row's group start: the last start at or before it.
    first = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    later = np.flatnonzero(~starts)
    return order[later], order[first[later]]


def key_partitions(keys: np.ndarray, partitions: int) -> np.ndarray:
    return (keys % np.uint64(partitions)).astype(np.int64)


def write_run(folder: str, table: pa.Table, partition: np.ndarray) -> list[tuple[int, RunRef]]:
    """Write `table`'s rows grouped by `partition` (one record batch each) to a new file
    under `folder`; (partition, ref) for every partition present. The file is the batches'
    Arrow IPC messages back to back; the schema is the reader's (each tag has one), and each
    ref holds its batch's offset, so a reader seeks straight to it instead of parsing an IPC
    file footer that lists every partition (measured: 0.3 ms per open of a 256-batch file,
    paid by each of its 256 readers)."""
    if table.num_rows == 0:
        return []
    order = np.argsort(partition, kind="stable")
    table = table.take(pa.array(order))
    sorted_parts = partition[order]
    cuts = np.flatnonzero(np.diff(sorted_parts)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(sorted_parts)]))
    location = files.join(folder, f"run-{uuid.uuid4().hex}.arrow")
    chunks: list[bytes] = []
    refs = []
    offset = 0
    for start, end in zip(starts, ends, strict=True):
        batch = table.slice(start, end - start).combine_chunks().to_batches()[0]
        data = batch.serialize().to_pybytes()
        refs.append((int(sorted_parts[start]), RunRef(location, offset, len(data))))
        chunks.append(data)
        offset += len(data)
    files.write_bytes(location, b"".join(chunks))
    return refs


def iter_runs(refs: Iterable[RunRef], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The referenced batches one by one, each file opened once, in a stable order."""
    by_file: dict[str, list[RunRef]] = {}
    for ref in refs:
        by_file.setdefault(ref.location, []).append(ref)
    for location in sorted(by_file):
        with files.open_read(location) as handle:
            for ref in sorted(by_file[location]):
                handle.seek(ref.offset)
                yield ipc.read_record_batch(pa.py_buffer(handle.read(ref.length)), schema)


def read_runs(refs: Iterable[RunRef], schema: pa.Schema) -> pa.Table:
    """All the referenced batches as one table (empty with `schema` when there are none)."""
    batches = list(iter_runs(refs, schema))
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches, schema=schema)

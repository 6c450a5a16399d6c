"""The node table: every item of a dedup job (this run's records and earlier runs'), written
once to partitioned run files and read back by the steps that need signatures or ids
(GB/T 45654-2025 4.2.1/4.2.2).

A node is named by its handle, 16 bytes of BLAKE2b over (published-before flag, record id):
a record re-read by this run and the same record published last month are two nodes (the
new copy is a duplicate of the published one), and handles spread evenly over partitions.
Two items with one handle (a native id repeated in a source) are one node, the item read
first (`first_rows`): the later copies leave the shards as `duplicate_record_id`
(`output/unique_ids.py`), so dedup must not decide for the record by their text.
`ref` is the caller's opaque handle on the record, pickled.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from corpusgate.transforms.dedup.item import METHOD_TAGS, DedupItem
from corpusgate.transforms.dedup.runs import ID, from_ids, ids, later_copies

__all__ = ["NODE_SCHEMA", "first_rows", "handle_of", "node_table"]

NODE_SCHEMA = pa.schema(
    [
        pa.field("node", ID, nullable=False),
        pa.field("order", pa.string(), nullable=False),  # item.order_key: smallest is kept
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("exact", ID, nullable=False),
        pa.field("method", pa.uint8(), nullable=False),  # item.METHOD_TAGS
        pa.field("signature", pa.binary(), nullable=False),
        pa.field("bands", pa.binary(), nullable=False),
        pa.field("shingles", pa.int32(), nullable=False),
        pa.field("previous", pa.bool_(), nullable=False),
        pa.field("ref", pa.binary(), nullable=False),  # pickled
    ]
)


def handle_of(record_id: str, previous: bool) -> bytes:
    data = (b"\x01" if previous else b"\x00") + record_id.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).digest()


def node_table(items: Sequence[DedupItem]) -> pa.Table:
    columns: list[list[object]] = [[] for _ in range(10)]
    node, order, record, source, exact, method, signature, bands, shingles, previous = columns
    refs = []
    for i in items:
        node.append(handle_of(i.record_id, i.previous))
        order.append(i.order)
        record.append(i.record_id)
        source.append(i.source_id)
        exact.append(i.exact)
        method.append(METHOD_TAGS[i.method])
        signature.append(i.signature)
        bands.append(i.bands)
        shingles.append(i.shingles)
        previous.append(i.previous)
        refs.append(pickle.dumps(i.ref, protocol=pickle.HIGHEST_PROTOCOL))
    return pa.Table.from_arrays(
        [
            from_ids(np.frombuffer(b"".join(node), dtype="S16")),  # type: ignore[arg-type]
            pa.array(order, pa.string()),
            pa.array(record, pa.string()),
            pa.array(source, pa.string()),
            from_ids(np.frombuffer(b"".join(exact), dtype="S16")),  # type: ignore[arg-type]
            pa.array(method, pa.uint8()),
            pa.array(signature, pa.binary()),
            pa.array(bands, pa.binary()),
            pa.array(shingles, pa.int32()),
            pa.array(previous, pa.bool_()),
            pa.array(refs, pa.binary()),
        ],
        schema=NODE_SCHEMA,
    )


def first_rows(table: pa.Table) -> pa.Table:
    """`table` (NODE_SCHEMA) with one row per node: the one of smallest `order`, which among
    rows of one record id is the copy read first. Rows stay in their order."""
    later, _ = later_copies(ids(table["node"]), table["order"])
    if len(later) == 0:
        return table
    keep = np.ones(table.num_rows, dtype=bool)
    keep[later] = False
    return table.filter(pa.array(keep))

"""Who stays and who goes in each cluster (GB/T 45654-2025 4.2.1/4.2.2: one copy is kept, the
others are quarantined `exact_duplicate` / `near_duplicate` naming the kept record).

One partition of clusters at a time, in two passes over its member rows (each row: the
cluster's root, and the member's node-table row), read batch by batch so a cluster of
millions of copies never sits in memory whole: the first pass finds each cluster's keeper
(smallest `order`: earlier runs' records, then source priority, then record id), the second
decides every other member against it and counts what each keeper absorbed, per source.

A removed record is an `exact_duplicate` when its normalised text is its keeper's, else a
`near_duplicate`; its similarity is estimated against the keeper itself (a member that
joined through a chain of near copies may sit below the threshold: it is still removed,
since the copy it resembles is removed in the keeper's favour, and the figure says so).
Records of earlier runs are never decided (they are already published).
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from corpusgate.schemas.reasons import EXACT_DUPLICATE, NEAR_DUPLICATE
from corpusgate.transforms.dedup.item import METHOD_TAGS, DupDecision
from corpusgate.transforms.dedup.nodes import NODE_SCHEMA
from corpusgate.transforms.dedup.runs import ID, from_ids, ids, lookup

__all__ = ["MEMBER_SCHEMA", "decide"]

MEMBER_SCHEMA = pa.schema([pa.field("root", ID, nullable=False), *NODE_SCHEMA])
_METHOD_NAMES = {tag: name for name, tag in METHOD_TAGS.items()}
_MEMBER_COLUMNS = ("order", "previous", "exact", "record_id", "source_id", "ref", "method")


@dataclass
class _Keeper:
    order: str
    record_id: str
    source_id: str
    exact: bytes
    method: int
    signature: bytes
    previous: bool
    ref: bytes
    size: int = 0
    _loaded_ref: Any = None  # `ref` unpickled once: every member's decision names it

    def loaded_ref(self) -> Any:
        if self._loaded_ref is None:
            self._loaded_ref = pickle.loads(self.ref)  # our own bytes, written by node_table
        return self._loaded_ref

    def decision(
        self,
        record_id: str,
        source_id: str,
        ref: bytes,
        reason: str | None,
        similarity: float | None,
        method: str,
        absorbed: Counter[str] | None = None,
    ) -> tuple[str, DupDecision]:
        counts = absorbed or Counter()
        return record_id, DupDecision(
            record_id=record_id,
            source_id=source_id,
            cluster_id=self.record_id,
            keeper_id=self.record_id,
            keeper_source=self.source_id,
            keeper_previous=self.previous,
            reason=reason,
            similarity=similarity,
            method=method,
            cluster_size=self.size,
            absorbed=sum(counts.values()),
            absorbed_from=tuple(sorted(counts.items())),
            ref=pickle.loads(ref),  # our own bytes, written by node_table
            keeper_ref=None if self.previous else self.loaded_ref(),
        )


def _roots(batch: pa.RecordBatch) -> list[bytes]:
    raw = batch.column("root").buffers()[1].to_pybytes()
    start = batch.column("root").offset
    return [raw[16 * (start + i) : 16 * (start + i + 1)] for i in range(batch.num_rows)]


def _similarity(method: int, signature: bytes, keeper: _Keeper) -> tuple[float | None, str]:
    """A member's estimated similarity to its keeper, when the two are not exact copies."""
    if method != keeper.method or not signature or not keeper.signature:
        return None, ""
    if method == METHOD_TAGS["minhash"]:
        a = np.frombuffer(signature, dtype="<u4")
        b = np.frombuffer(keeper.signature, dtype="<u4")
        return float(np.count_nonzero(a == b)) / len(a), "minhash"
    a_bits = int.from_bytes(signature, "little")
    b_bits = int.from_bytes(keeper.signature, "little")
    return 1.0 - (a_bits ^ b_bits).bit_count() / 64, "simhash"


def _keepers(batches: Iterable[pa.RecordBatch]) -> dict[bytes, _Keeper]:
    keepers: dict[bytes, _Keeper] = {}
    for batch in batches:
        roots = _roots(batch)
        orders = batch.column("order").to_pylist()
        # The batch's candidate per cluster first (the first of the smallest order), so only
        # those rows become Python: one `take`, not a one-row slice per new keeper.
        best: dict[bytes, int] = {}
        for i, (root, order) in enumerate(zip(roots, orders, strict=True)):
            j = best.get(root)
            if j is None or order < orders[j]:
                best[root] = i
        sizes = Counter(roots)
        chosen = batch.take(pa.array(list(best.values()), pa.int64())).to_pylist()
        for (root, i), row in zip(best.items(), chosen, strict=True):
            keeper = keepers.get(root)
            size = sizes[root] + (keeper.size if keeper else 0)
            if keeper is None or orders[i] < keeper.order:
                keeper = _Keeper(
                    orders[i],
                    row["record_id"],
                    row["source_id"],
                    row["exact"],
                    row["method"],
                    row["signature"],
                    row["previous"],
                    row["ref"],
                )
                keepers[root] = keeper
            keeper.size = size
    return keepers


def decide(batches: Iterable[pa.RecordBatch]) -> Iterator[tuple[str, DupDecision]]:
    """Decisions for this run's members of the clusters in `batches` (MEMBER_SCHEMA rows,
    one per node; the iterable is read twice). Memory: one keeper per cluster and a batch."""
    keepers = _keepers(batches)
    absorbed: dict[bytes, Counter[str]] = {root: Counter() for root in keepers}
    for batch in batches:
        roots = _roots(batch)
        # Column by column, and a signature only for a member that is no exact copy: most
        # members are (a whole row as a dict, signature and band keys included, cost more).
        orders, previous, exacts, record_ids, sources, refs, methods = (
            batch.column(name).to_pylist() for name in _MEMBER_COLUMNS
        )
        signatures = batch.column("signature")
        for i, root in enumerate(roots):
            keeper = keepers[root]
            if orders[i] == keeper.order or previous[i]:
                continue
            source_id = sources[i]
            absorbed[root][source_id] += 1
            if exacts[i] == keeper.exact:
                reason, similarity, method = EXACT_DUPLICATE, 1.0, "exact"
            else:
                reason = NEAR_DUPLICATE
                similarity, method = _similarity(methods[i], signatures[i].as_py(), keeper)
            yield keeper.decision(record_ids[i], source_id, refs[i], reason, similarity, method)
    for root, keeper in keepers.items():
        if not keeper.previous:
            yield keeper.decision(
                keeper.record_id, keeper.source_id, keeper.ref, None, 1.0, "exact", absorbed[root]
            )


def members(label_nodes: np.ndarray, label_roots: np.ndarray, table: pa.Table) -> pa.Table:
    """MEMBER_SCHEMA rows: each labelled node's row in `table` (this partition's nodes) with
    its cluster root; a node given twice as an item appears once."""
    nodes = ids(table["node"])
    order = np.argsort(nodes, kind="stable")
    at = lookup(nodes[order], label_nodes)
    found = at >= 0
    rows = table.take(pa.array(order[at[found]]))
    return pa.Table.from_arrays([from_ids(label_roots[found]), *rows.columns], schema=MEMBER_SCHEMA)

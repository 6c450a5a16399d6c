"""Which records may be copies of which (GB/T 45654-2025 4.2.1/4.2.2): exact groups, LSH band
buckets, and the verification of candidate pairs by estimated similarity. Each function is
one partition's share of a shuffle step (`stage.py`); none sees more than its partition.

- `exact_links`: records with one exact hash are one group; its smallest handle represents
  it and every other member is linked to it. Only representatives go on to the bands, so a
  text copied a million times costs the near-duplicate search one record.
- `bucket_pairs`: records sharing a band key are candidates. Each bucket is sorted by handle;
  its first member is paired with every other (a star) and consecutive members are paired (a
  chain), so a bucket of k gives 2k - 3 pairs instead of k(k - 1)/2, and a true pair is still
  linked when the bucket's first member happens to be unrelated to both.
- `attach` / `verify`: a pair is checked where its members' signatures are: the first
  member's signature joins the pair in its partition, the second's in the next, and the pair
  becomes an edge when the estimate reaches the threshold.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from corpusgate.transforms.dedup.graph import dedupe_edges, distinct_rows
from corpusgate.transforms.dedup.item import METHOD_TAGS
from corpusgate.transforms.dedup.minhash import estimated_jaccards
from corpusgate.transforms.dedup.runs import concat_ranges, from_ids, ids, lookup
from corpusgate.transforms.dedup.simhash import BITS

__all__ = [
    "HALF_SCHEMA",
    "Verifier",
    "attach",
    "band_entries",
    "bucket_pairs",
    "exact_links",
]

MINHASH = METHOD_TAGS["minhash"]
SIMHASH = METHOD_TAGS["simhash"]

Pairs = tuple[np.ndarray, np.ndarray]

# A candidate pair with its first member's signature, on the way to its second member.
HALF_SCHEMA = pa.schema(
    [
        pa.field("a", pa.binary(16), nullable=False),
        pa.field("b", pa.binary(16), nullable=False),
        pa.field("method", pa.uint8(), nullable=False),
        pa.field("signature", pa.binary(), nullable=False),
    ]
)


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted keys: (start, length) of every run of equal keys."""
    if len(keys) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate(([0], cuts))
    lengths = np.diff(np.concatenate((starts, [len(keys)])))
    return starts, lengths


def exact_links(hashes: np.ndarray, nodes: np.ndarray) -> Pairs:
    """(member, representative) for every member of an exact group but its smallest handle."""
    hashes, nodes = distinct_rows(hashes, nodes)
    starts, lengths = _runs(hashes)
    head = np.repeat(starts, lengths)
    member = np.arange(len(nodes)) != head
    return nodes[member], nodes[head][member]


def band_entries(table: pa.Table, exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(band key, node) for every band of every node in `table` not in `exclude` (the exact
    groups' non-representatives)."""
    nodes = ids(table["node"])
    keep = ~np.isin(nodes, exclude) if len(exclude) else np.ones(len(nodes), dtype=bool)
    bands = table["bands"].to_pylist()
    chosen = np.flatnonzero(keep)
    per_node = np.array([len(bands[i]) // 8 for i in chosen], dtype=np.int64)
    keys = np.frombuffer(b"".join(bands[i] for i in chosen), dtype="<u8").astype(np.uint64)
    return keys, np.repeat(nodes[chosen], per_node)


def bucket_pairs(keys: np.ndarray, nodes: np.ndarray) -> Pairs:
    """Candidate pairs (a < b) from records sharing a band key: per bucket a star from its
    smallest member and a chain through the rest, without repeats."""
    keys, nodes = distinct_rows(keys, nodes)
    starts, lengths = _runs(keys)
    shared = lengths > 1
    starts, lengths = starts[shared], lengths[shared]
    if len(starts) == 0:
        empty = np.zeros(0, dtype="S16")
        return empty, empty
    # Star: the bucket's first member with each other member.
    others = concat_ranges(starts, lengths)
    heads = np.repeat(starts, lengths)
    star = others != heads
    a = [nodes[heads[star]]]
    b = [nodes[others[star]]]
    # Chain: consecutive members after the first (positions 1-2, 2-3, ...).
    long = lengths > 2
    if long.any():
        left = concat_ranges(starts[long] + 1, lengths[long] - 2)
        a.append(nodes[left])
        b.append(nodes[left + 1])
    return dedupe_edges(np.concatenate(a), np.concatenate(b))


def attach(pairs: Pairs, table: pa.Table) -> pa.Table:
    """Pairs whose first member is in `table` (this partition's nodes), with its signature."""
    a, b = pairs
    nodes = ids(table["node"])
    order = np.argsort(nodes, kind="stable")
    at = lookup(nodes[order], a)
    found = at >= 0
    rows = pa.array(order[at[found]])
    return pa.Table.from_arrays(
        [
            from_ids(a[found]),
            from_ids(b[found]),
            table["method"].take(rows),
            table["signature"].take(rows),
        ],
        schema=HALF_SCHEMA,
    )


class Verifier:
    """Whether a pair's estimated similarity reaches the settings' bar."""

    def __init__(self, threshold: float, max_distance: int) -> None:
        self.threshold = threshold
        self.max_distance = max_distance

    def verify(self, halves: pa.Table, table: pa.Table) -> Pairs:
        """Edges (a, b) among `halves` whose second member is in `table` and whose signatures
        are close enough; pairs signed by different methods are never edges."""
        a, b = ids(halves["a"]), ids(halves["b"])
        nodes = ids(table["node"])
        order = np.argsort(nodes, kind="stable")
        at = lookup(nodes[order], b)
        rows = order[np.where(at >= 0, at, 0)]
        method_a = halves["method"].to_numpy()
        method_b = table["method"].to_numpy()[rows]
        ok = (at >= 0) & (method_a == method_b)
        sig_a = halves["signature"].to_pylist()
        sig_b = table["signature"].take(pa.array(rows)).to_pylist()
        close = np.zeros(len(a), dtype=bool)
        for method, measure in ((MINHASH, self._minhash), (SIMHASH, self._simhash)):
            chosen = np.flatnonzero(ok & (method_a == method))
            if len(chosen):
                close[chosen] = measure([sig_a[i] for i in chosen], [sig_b[i] for i in chosen])
        return a[close], b[close]

    def _minhash(self, left: list[bytes], right: list[bytes]) -> np.ndarray:
        x = np.frombuffer(b"".join(left), dtype="<u4").reshape(len(left), -1)
        y = np.frombuffer(b"".join(right), dtype="<u4").reshape(len(right), -1)
        return estimated_jaccards(x, y) >= self.threshold

    def _simhash(self, left: list[bytes], right: list[bytes]) -> np.ndarray:
        x = np.frombuffer(b"".join(left), dtype="<u8")
        y = np.frombuffer(b"".join(right), dtype="<u8")
        distance = np.bitwise_count(x ^ y)
        return distance <= min(self.max_distance, BITS)

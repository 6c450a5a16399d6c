"""Exact groups, LSH buckets and the verification of candidates (GB/T 45654-2025 4.2.1/4.2.2)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from corpusgate.transforms.dedup import DedupSettings, DedupSpec, dedup_items
from corpusgate.transforms.dedup.candidates import (
    Verifier,
    attach,
    band_entries,
    bucket_pairs,
    exact_links,
)
from corpusgate.transforms.dedup.nodes import node_table
from corpusgate.transforms.dedup.runs import ids, lookup

A, B, C, D, E = (bytes([i]) * 16 for i in range(1, 6))


def _s16(*values: bytes) -> np.ndarray:
    return np.frombuffer(b"".join(values), dtype="S16")


def _pairs(a: np.ndarray, b: np.ndarray) -> list[tuple[bytes, bytes]]:
    return [(x.tobytes(), y.tobytes()) for x, y in zip(a.view("V16"), b.view("V16"), strict=True)]


@pytest.mark.parametrize(
    ("hashes", "nodes", "links"),
    [
        ([A, A, B, A], [D, B, C, C], [(C, B), (D, B)]),  # group A: B is smallest
        ([A, B, C], [A, B, C], []),  # no group
        ([A, A], [C, C], []),  # the same node twice is no duplicate
        ([], [], []),
    ],
)
def test_exact_links(
    hashes: list[bytes], nodes: list[bytes], links: list[tuple[bytes, bytes]]
) -> None:
    member, rep = exact_links(_s16(*hashes), _s16(*nodes))
    assert sorted(_pairs(member, rep)) == links


@pytest.mark.parametrize(
    ("keys", "nodes", "pairs"),
    [
        ([1, 2, 3], [A, B, C], []),  # no shared key
        ([7, 7], [B, A], [(A, B)]),
        # Bucket of four: star from A, chain B-C-D.
        ([5, 5, 5, 5], [D, B, A, C], [(A, B), (A, C), (A, D), (B, C), (C, D)]),
        # Two buckets sharing a pair: it is listed once.
        ([1, 1, 2, 2, 2], [A, B, A, B, E], [(A, B), (A, E), (B, E)]),
        ([9, 9, 9], [A, A, B], [(A, B)]),  # a node listed twice in a bucket
    ],
)
def test_bucket_pairs(
    keys: list[int], nodes: list[bytes], pairs: list[tuple[bytes, bytes]]
) -> None:
    a, b = bucket_pairs(np.array(keys, dtype=np.uint64), _s16(*nodes))
    assert _pairs(a, b) == pairs


def test_lookup() -> None:
    table = np.sort(_s16(B, D, A))
    assert lookup(table, _s16(D, C, A)).tolist() == [2, -1, 0]
    assert lookup(table[:0], _s16(A)).tolist() == [-1]


def _items(texts: dict[str, str], method: str = "minhash") -> pa.Table:
    settings = DedupSettings(method=method)
    records = [
        {"record_id": k, "source_id": "s", "text": t, "lineage": {"language": "en"}}
        for k, t in texts.items()
    ]
    return node_table(dedup_items(records, list(texts), DedupSpec(settings)))


BASE = " ".join(f"word{i}" for i in range(60))
NEAR = BASE.replace("word10 ", "changed ")
FAR = " ".join(f"other{i}" for i in range(60))


def test_band_entries_skip_excluded_nodes_and_texts_without_shingles() -> None:
    table = _items({"a": BASE, "b": NEAR, "c": "!!!"})
    nodes = ids(table["node"])
    bands = DedupSettings().band_shape()[0]
    keys, owners = band_entries(table, nodes[1:2])
    assert len(keys) == bands  # only "a": "b" is excluded, "c" has no bands
    assert set(owners.tolist()) == {nodes[0]}


@pytest.mark.parametrize("method", ["minhash", "simhash"])
def test_verify_keeps_close_pairs_only(method: str) -> None:
    table = _items({"a": BASE, "b": NEAR, "c": FAR}, method)
    a, b, c = ids(table["node"])
    halves = attach((_s16(a.tobytes(), a.tobytes()), _s16(b.tobytes(), c.tobytes())), table)
    assert halves.num_rows == 2
    verifier = Verifier(threshold=0.7, max_distance=3 if method == "minhash" else 12)
    x, y = verifier.verify(halves, table)
    assert _pairs(x, y) == [(a.tobytes(), b.tobytes())]


def test_verify_never_joins_pairs_signed_by_different_methods() -> None:
    minhash = _items({"a": BASE})
    simhash = _items({"b": BASE}, "simhash")
    both = pa.concat_tables([minhash, simhash])
    a, b = ids(both["node"])
    halves = attach((_s16(a.tobytes()), _s16(b.tobytes())), both)
    x, _ = Verifier(0.5, 64).verify(halves, both)
    assert len(x) == 0

"""Keepers and decisions per cluster (GB/T 45654-2025 4.2.1/4.2.2): the keeper rule is one
total order (earlier runs, then source priority, then record id)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from corpusgate.schemas.reasons import EXACT_DUPLICATE, NEAR_DUPLICATE
from corpusgate.transforms.dedup import DedupItem, DedupSettings, DedupSpec, dedup_items, order_key
from corpusgate.transforms.dedup.decide import decide, members
from corpusgate.transforms.dedup.nodes import node_table
from corpusgate.transforms.dedup.runs import ids

BASE = " ".join(f"word{i}" for i in range(80))
NEAR = BASE.replace("word40 ", "changed ")


@pytest.mark.parametrize(
    ("keys", "smallest"),
    [
        ([(False, 1, "a"), (True, 9, "z")], (True, 9, "z")),  # published before wins
        ([(False, 2, "a"), (False, 0, "z")], (False, 0, "z")),  # then source priority
        ([(False, 0, "b"), (False, 0, "a")], (False, 0, "a")),  # then record id
        ([(False, 10, "a"), (False, 9, "b")], (False, 9, "b")),  # priority is numeric
    ],
)
def test_order_key(keys: list[tuple[bool, int, str]], smallest: tuple[bool, int, str]) -> None:
    assert min(keys, key=lambda k: order_key(*k)) == smallest


def _cluster(
    rows: list[tuple[str, str, str]], keepers: list[str], previous: set[str] = frozenset()
) -> list[DedupItem]:
    spec = DedupSpec(DedupSettings(keeper_sources=keepers))
    records = [
        {"record_id": r, "source_id": s, "text": t, "lineage": {"language": "en"}}
        for r, s, t in rows
    ]
    items = dedup_items(records, [f"ref-{r}" for r, _, _ in rows], spec)
    return [i.as_previous() if i.record_id in previous else i for i in items]


def _decide(items: list[DedupItem]) -> dict[str, Any]:
    table = node_table(items)
    nodes = ids(table["node"])
    root = np.repeat(np.sort(nodes)[:1], len(nodes))  # all one cluster
    batches = members(nodes, root, table).to_batches(max_chunksize=2)  # several batches
    return dict(decide(batches))


def test_keeper_by_source_priority_then_record_id() -> None:
    decided = _decide(
        _cluster([("r3", "web", BASE), ("r1", "web", BASE), ("r2", "wiki", NEAR)], ["wiki"])
    )
    keeper = decided["r2"]
    assert (keeper.reason, keeper.absorbed, keeper.absorbed_from) == (None, 2, (("web", 2),))
    assert keeper.cluster_size == 3 and keeper.ref == keeper.keeper_ref == "ref-r2"
    for rid in ("r1", "r3"):
        d = decided[rid]
        assert (d.keeper_id, d.keeper_source, d.cluster_id, d.reason) == (
            "r2",
            "wiki",
            "r2",
            NEAR_DUPLICATE,
        )
        assert d.method == "minhash" and 0.6 <= d.similarity < 1.0
        assert d.ref == f"ref-{rid}" and d.keeper_ref == "ref-r2"


def test_detail_lines() -> None:
    decided = _decide(
        _cluster([("r3", "web", BASE), ("r2", "wiki", NEAR)], ["wiki"], previous={"r2"})
    )
    assert decided["r3"].detail.startswith(
        "keeper r2 (wiki, an earlier run); minhash similarity 0."
    )
    decided = _decide(_cluster([("a", "s", BASE), ("b", "s", BASE)], []))
    assert decided["a"].detail == "kept; absorbed 1 (s: 1)"
    assert decided["b"].detail == "keeper a (s, this run); exact similarity 1.000"


def test_exact_copy_of_the_keeper_is_an_exact_duplicate() -> None:
    decided = _decide(_cluster([("b", "s", BASE), ("a", "s", BASE.upper()), ("c", "s", NEAR)], []))
    assert decided["a"].reason is None
    assert (decided["b"].reason, decided["b"].similarity, decided["b"].method) == (
        EXACT_DUPLICATE,
        1.0,
        "exact",
    )
    assert decided["c"].reason == NEAR_DUPLICATE


def test_a_record_published_before_keeps_and_gets_no_decision() -> None:
    decided = _decide(
        _cluster([("new", "wiki", BASE), ("old", "web", NEAR)], ["wiki"], previous={"old"})
    )
    assert set(decided) == {"new"}
    d = decided["new"]
    assert (d.keeper_id, d.keeper_previous, d.keeper_ref, d.reason) == (
        "old",
        True,
        None,
        NEAR_DUPLICATE,
    )


def test_records_signed_by_different_methods_have_no_similarity() -> None:
    minhash = _cluster([("a", "s", BASE)], [])
    spec = DedupSpec(DedupSettings(method="simhash"))
    records = [{"record_id": "b", "source_id": "s", "text": NEAR, "lineage": {}}]
    simhash = dedup_items(records, ["ref-b"], spec)
    decided = _decide(minhash + simhash)
    assert (decided["b"].similarity, decided["b"].method) == (None, "")


def test_members_keep_one_row_per_labelled_node() -> None:
    items = _cluster([("a", "s", BASE), ("b", "s", NEAR)], [])
    table = node_table(items)
    nodes = ids(table["node"])
    rows = members(nodes[:1], nodes[:1], pa.concat_tables([table, table]))
    assert rows.num_rows == 1

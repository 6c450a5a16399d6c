"""Connected components by large-star / small-star (GB/T 45654-2025 4.2.1/4.2.2), checked
against a plain union-find, and the rounds they take."""

from __future__ import annotations

import numpy as np
import pytest

from corpusgate.transforms.dedup.graph import dedupe_edges, labels, large_star, small_star


def _ids(n: int, seed: int) -> np.ndarray:
    return np.frombuffer(np.random.default_rng(seed).bytes(16 * n), dtype="S16")


def _both(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate((a, b)), np.concatenate((b, a))


def _round(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One round as FindDuplicates runs it, on one partition."""
    x, y = large_star(*_both(a, b))
    larger = x > y
    return small_star(np.where(larger, x, y), np.where(larger, y, x))


def _components(a: np.ndarray, b: np.ndarray, rounds: int) -> tuple[dict[bytes, bytes], int]:
    for _ in range(rounds):
        a, b = _round(a, b)
    node, root, broken = labels(*_both(a, b))
    found = {
        n.tobytes(): r.tobytes() for n, r in zip(node.view("V16"), root.view("V16"), strict=True)
    }
    return found, broken


def _union_find(nodes: np.ndarray, a: list[int], b: list[int]) -> dict[bytes, bytes]:
    parent = list(range(len(nodes)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a, b, strict=True):
        parent[find(x)] = find(y)
    groups: dict[int, list[int]] = {}
    for i in range(len(nodes)):
        groups.setdefault(find(i), []).append(i)
    raw = [nodes[i : i + 1].tobytes() for i in range(len(nodes))]
    out = {}
    for members in groups.values():
        if len(members) > 1 or any(a_ == b_ for a_, b_ in zip(a, b, strict=True) if a_ in members):
            smallest = min(raw[i] for i in members)
            for i in members:
                out[raw[i]] = smallest
    return out


@pytest.mark.parametrize(("n", "edges", "seed"), [(10, 8, 1), (200, 150, 2), (2000, 2500, 3)])
def test_components_equal_union_find(n: int, edges: int, seed: int) -> None:
    nodes = _ids(n, seed)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, edges).tolist()
    b = rng.integers(0, n, edges).tolist()
    keep = [i for i in range(edges) if a[i] != b[i]]
    a, b = [a[i] for i in keep], [b[i] for i in keep]
    found, broken = _components(nodes[a], nodes[b], rounds=10)
    assert broken == 0
    assert found == _union_find(nodes, a, b)


@pytest.mark.parametrize(("length", "bound"), [(10, 4), (100, 6), (1000, 9), (10_000, 12)])
def test_chain_settles_in_logarithmic_rounds(length: int, bound: int) -> None:
    """A chain of near copies in random id order (the worst shape dedup meets) settles in
    about log2(length) rounds; before that, `labels` reports the nodes outside a star."""
    nodes = _ids(length, length)
    needed = next(r for r in range(1, 30) if _components(nodes[:-1], nodes[1:], r)[1] == 0)
    assert needed <= bound
    found, _ = _components(nodes[:-1], nodes[1:], needed)
    assert set(found.values()) == {np.sort(nodes)[:1].tobytes()}
    assert len(found) == length
    assert _components(nodes[:-1], nodes[1:], needed - 1)[1] > 0


def test_default_rounds_cover_a_chain_of_a_thousand() -> None:
    from corpusgate.transforms.dedup.settings import DedupSettings

    nodes = _ids(1000, 1000)
    assert _components(nodes[:-1], nodes[1:], DedupSettings().max_rounds)[1] == 0


def test_star_is_already_settled() -> None:
    nodes = np.sort(_ids(5, 9))
    centre, leaves = nodes[:1], nodes[1:]
    found, broken = _components(np.repeat(centre, 4), leaves, rounds=1)
    assert broken == 0
    assert set(found.values()) == {centre.tobytes()}


def test_labels_report_what_is_not_a_star() -> None:
    x, y, z = np.sort(_ids(3, 4))
    # A path x - y - z: y has a smaller neighbour and a larger one.
    node, root, broken = labels(*_both(np.array([x, y]), np.array([y, z])))
    assert broken == 1
    assert node.tolist() == [x, y, z] and root.tolist() == [x, x, y]


def test_dedupe_edges_drops_repeats_and_self_loops() -> None:
    x, y = np.sort(_ids(2, 5))
    u, v = dedupe_edges(np.array([x, x, y, x]), np.array([y, y, y, x]))
    assert u.tolist() == [x] and v.tolist() == [y]

"""Connected components of the duplicate graph, computed in Beam (GB/T 45654-2025 4.2.1/4.2.2:
a cluster of copies keeps one record), without any step holding all pairs or all ids.

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014): alternate

- large-star: every node u links each larger neighbour v to m(u), the smallest of u and its
  neighbours (each edge is seen at both ends);
- small-star: every node u links each smaller neighbour v, and itself, to m, the smallest of
  them (each edge is seen at its larger end only);

until every component is a star around its smallest node. Each step is one shuffle of the
edges by node; each function here is one partition's step, on `S16` id arrays. A bounded
number of rounds runs (a Beam graph is fixed before it runs); `labels` then checks that every
node is either a root (all neighbours larger) or a leaf with one smaller neighbour, a check
each node makes alone and that holds exactly when the graph is a forest of such stars; a
graph that needs more rounds fails the run with a message saying so, never a wrong cluster.
Each round roughly squares the reach of a star, so chains of thousands of copies settle in
a few rounds (`tests/transforms/test_dedup_graph.py` measures it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["NotConverged", "dedupe_edges", "distinct_rows", "labels", "large_star", "small_star"]

Edges = tuple[np.ndarray, np.ndarray]


class NotConverged(RuntimeError):
    """The rounds ran out before every component became a star."""


def distinct_rows(u: np.ndarray, v: np.ndarray) -> Edges:
    """Distinct (u, v) rows, sorted by u then v (any sortable dtypes)."""
    if len(u) == 0:
        return u, v
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return u[first], v[first]


def dedupe_edges(u: np.ndarray, v: np.ndarray) -> Edges:
    """Distinct (u, v) rows without self-loops, sorted by u then v."""
    keep = u != v
    return distinct_rows(u[keep], v[keep])


def _group_min(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """For rows sorted by (u, v): the smallest v of each row's u group, per row."""
    starts = np.ones(len(u), dtype=bool)
    starts[1:] = u[1:] != u[:-1]
    head = np.maximum.accumulate(np.where(starts, np.arange(len(u)), 0))
    return v[head]


def large_star(u: np.ndarray, v: np.ndarray) -> Edges:
    """One partition's large-star: rows (u, v) hold every neighbour v of each u here.
    Returns undirected edges (v, m(u)) for each neighbour v > u."""
    u, v = dedupe_edges(u, v)
    if len(u) == 0:
        return u, v
    smallest = _group_min(u, v)
    m = np.where(smallest < u, smallest, u)
    larger = v > u
    return v[larger], m[larger]


def small_star(u: np.ndarray, v: np.ndarray) -> Edges:
    """One partition's small-star: rows (u, v) with v < u hold every smaller neighbour of
    each u here. Returns undirected edges (v, m) for those v, and (u, m), with m the smallest
    of them (self-loops dropped)."""
    u, v = dedupe_edges(u, v)
    if len(u) == 0:
        return u, v
    m = _group_min(u, v)  # all v < u, so the smallest v is the smallest of u's star
    first = np.ones(len(u), dtype=bool)
    first[1:] = u[1:] != u[:-1]
    a = np.concatenate((v, u[first]))
    b = np.concatenate((m, m[first]))
    keep = a != b
    return a[keep], b[keep]


def labels(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One partition's final step: rows (u, v) hold every neighbour of each u here.
    Returns (node, root) for each node and how many nodes break the star condition (zero
    when the rounds sufficed)."""
    u, v = dedupe_edges(u, v)
    if len(u) == 0:
        return u, v, 0
    first = np.ones(len(u), dtype=bool)
    first[1:] = u[1:] != u[:-1]
    group = np.cumsum(first) - 1
    degree = np.bincount(group)
    node = u[first]
    smallest = v[first]  # rows are sorted by v within u
    is_root = smallest > node
    is_leaf = (smallest < node) & (degree == 1)
    broken = int(np.count_nonzero(~(is_root | is_leaf)))
    root = np.where(is_root, node, smallest)
    return node, root, broken

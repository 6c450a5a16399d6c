"""The plumbing every dedup shuffle shares (GB/T 45654-2025 4.2.1/4.2.2 at corpus scale):
tagged run references, the step base class that reads one partition's runs and writes the
next step's, the step that spills `DedupItem`s into the node table, and the step that keys
each node for exact (or band) grouping.

A step's `process` gets (partition, [(tag, run reference)]) from the shuffle, reads the
batches of that partition per tag (`runs.read_runs`), runs its pure core and buffers the
tables it produces per bundle (`Output`), so a bundle writes one run file per output tag,
flushed at `spill_mb`. References leave as tagged outputs (partition, (tag, ref)).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.transforms.window import GlobalWindows

from corpusgate.transforms.common import files
from corpusgate.transforms.dedup.candidates import HALF_SCHEMA, band_entries
from corpusgate.transforms.dedup.decide import MEMBER_SCHEMA
from corpusgate.transforms.dedup.item import DedupItem
from corpusgate.transforms.dedup.nodes import NODE_SCHEMA, first_rows, node_table
from corpusgate.transforms.dedup.runs import (
    ID,
    RunRef,
    from_ids,
    id_partitions,
    ids,
    key_partitions,
    read_runs,
    write_run,
)
from corpusgate.transforms.dedup.settings import DedupSettings

__all__ = [
    "SCHEMAS",
    "Grouping",
    "KeyNodesFn",
    "Output",
    "Ref",
    "SpillItemsFn",
    "StepFn",
    "Written",
    "at_larger",
    "both_ways",
    "edge_table",
    "group_by_key",
]

Grouping = Callable[[], beam.PTransform]

# Tags of run references, and the schemas of what they hold.
NODES, EXACT, BANDS, EXCLUDED, PAIRS, HALVES, EDGES, LABELS, MEMBERS = (
    "nodes",
    "exact",
    "bands",
    "excluded",
    "pairs",
    "halves",
    "edges",
    "labels",
    "members",
)
KEYED = pa.schema([pa.field("key", ID, nullable=False), pa.field("node", ID, nullable=False)])
BANDED = pa.schema(
    [pa.field("key", pa.uint64(), nullable=False), pa.field("node", ID, nullable=False)]
)
EDGE = pa.schema([pa.field("u", ID, nullable=False), pa.field("v", ID, nullable=False)])
SINGLE = pa.schema([pa.field("node", ID, nullable=False)])
SCHEMAS = {
    NODES: NODE_SCHEMA,
    EXACT: KEYED,
    BANDS: BANDED,
    EXCLUDED: SINGLE,
    PAIRS: EDGE,
    HALVES: HALF_SCHEMA,
    EDGES: EDGE,
    LABELS: EDGE,
    MEMBERS: MEMBER_SCHEMA,
}

Ref = tuple[int, tuple[str, RunRef]]  # (partition, (tag, run reference))
Written = Iterator[tuple[str, list[Ref]]]  # what a step wrote, per output tag


def group_by_key() -> beam.PTransform:
    """The shuffle every step uses (references only); swap it with `grouping=`."""
    return beam.GroupByKey()


def edge_table(u: np.ndarray, v: np.ndarray) -> pa.Table:
    return pa.Table.from_arrays([from_ids(u), from_ids(v)], schema=EDGE)


class Output:
    """Tables on their way to one tag's run files: buffered per bundle (so a bundle writes
    one file per tag, not one per partition it reduced) and written when large."""

    def __init__(self, tag: str, folder: str, partitions: int, limit_bytes: int) -> None:
        self.tag = tag
        self._folder = folder
        self._partitions = partitions
        self._limit = limit_bytes
        self._tables: list[pa.Table] = []
        self._parts: list[np.ndarray] = []
        self._bytes = 0

    def by_id(self, table: pa.Table, column: str) -> list[Ref]:
        return self.add(table, id_partitions(ids(table[column]), self._partitions))

    def add(self, table: pa.Table, partition: np.ndarray) -> list[Ref]:
        """Buffer `table`; the references of whatever this made it write."""
        if table.num_rows:
            self._tables.append(table)
            self._parts.append(partition)
            self._bytes += table.nbytes
        return self.flush() if self._bytes >= self._limit else []

    def flush(self) -> list[Ref]:
        if not self._tables:
            return []
        table = pa.concat_tables(self._tables)
        partition = np.concatenate(self._parts)
        self._tables, self._parts, self._bytes = [], [], 0
        written = write_run(files.join(self._folder, self.tag), table, partition)
        return [(part, (self.tag, ref)) for part, ref in written]


class StepFn(beam.DoFn):
    """Base of every step: reads the tagged runs of one partition, calls `step`, writes what
    it returns to the runs of the next steps (tagged outputs of (partition, (tag, ref)))."""

    outputs: tuple[str, ...] = ()

    def __init__(self, folder: str, settings: DedupSettings) -> None:
        self._folder = folder
        self._settings = settings
        self._out: dict[str, Output] = {}

    def start_bundle(self) -> None:
        s = self._settings
        limit = s.spill_mb << 20
        self._out = {t: Output(t, self._folder, s.partitions, limit) for t in self.outputs}

    def process(self, element: tuple[int, Iterable[tuple[str, RunRef]]]) -> Iterator[Any]:
        partition, tagged = element
        refs: dict[str, list[RunRef]] = {}
        for tag, ref in tagged:
            refs.setdefault(tag, []).append(ref)
        for tag, pieces in self.step(partition, refs):
            for part, ref in pieces:
                yield beam.pvalue.TaggedOutput(tag, (part, ref))

    def read(self, refs: dict[str, list[RunRef]], tag: str) -> pa.Table:
        table = read_runs(refs.get(tag, []), SCHEMAS[tag])
        return first_rows(table) if tag == NODES else table

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        raise NotImplementedError

    def finish_bundle(self) -> Iterator[Any]:
        for tag, out in self._out.items():
            for part, ref in out.flush():
                yield beam.pvalue.TaggedOutput(tag, GlobalWindows.windowed_value((part, ref)))


def both_ways(out: Output, u: np.ndarray, v: np.ndarray) -> list[Ref]:
    """Edges for a step that needs every neighbour of a node: each edge at both ends."""
    return out.by_id(edge_table(np.concatenate((u, v)), np.concatenate((v, u))), "u")


def at_larger(out: Output, u: np.ndarray, v: np.ndarray) -> list[Ref]:
    """Edges for small-star: each edge once, at its larger end, as (larger, smaller)."""
    larger = u > v
    return out.by_id(edge_table(np.where(larger, u, v), np.where(larger, v, u)), "u")


class SpillItemsFn(StepFn):
    """DedupItems -> node table runs, by handle."""

    outputs = (NODES,)

    def __init__(self, folder: str, settings: DedupSettings) -> None:
        super().__init__(folder, settings)
        self._items: list[DedupItem] = []

    def start_bundle(self) -> None:
        super().start_bundle()
        self._items = []
        self._bytes = 0

    def process(self, item: DedupItem) -> Iterator[Any]:  # type: ignore[override]
        self._items.append(item)
        # An item costs about its signature and bands, plus ~300 bytes of ids and objects.
        self._bytes += len(item.signature) + len(item.bands) + 300
        if self._bytes >= self._settings.spill_mb << 20:
            yield from self._spill()

    def _spill(self) -> Iterator[Any]:
        if not self._items:
            return iter(())
        table = node_table(self._items)
        self._items, self._bytes = [], 0
        refs = self._out[NODES].by_id(table, "node")
        return (beam.pvalue.TaggedOutput(NODES, (part, ref)) for part, ref in refs)

    def finish_bundle(self) -> Iterator[Any]:
        for tagged in self._spill():
            yield beam.pvalue.TaggedOutput(tagged.tag, GlobalWindows.windowed_value(tagged.value))
        yield from super().finish_bundle()


class KeyNodesFn(StepFn):
    """A partition's nodes (one row per node: `nodes.first_rows`) -> exact entries (by exact
    hash), or band entries straight away when exact dedup is off. Keyed here, after the
    shuffle by handle, rather than as items are spilled: only here are all the items of one
    record id together, so a later copy of a repeated native id adds no key of its own."""

    outputs = (EXACT, BANDS)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, NODES)
        s = self._settings
        if s.exact:
            # Copies (`from_ids`): columns of the table read would keep every node's
            # signature alive while the entries wait in the buffer (measured: 186 MiB at
            # 200,000 records, the whole node table, held for 32 bytes a row).
            exact, node = (from_ids(ids(table[name])) for name in ("exact", "node"))
            keyed = pa.Table.from_arrays([exact, node], schema=KEYED)
            yield EXACT, self._out[EXACT].by_id(keyed, "key")
        elif s.near:  # no exact groups: every item is its own representative
            keys, owners = band_entries(table, np.zeros(0, dtype="S16"))
            banded = pa.Table.from_arrays([pa.array(keys), from_ids(owners)], schema=BANDED)
            yield BANDS, self._out[BANDS].add(banded, key_partitions(keys, s.partitions))

"""`FindDuplicates`: the Beam transform that decides what is a duplicate of what (GB/T
45654-2025 4.2.1/4.2.2), from `DedupItem`s to one `DupDecision` per record that has a cluster.

```
items (+ earlier runs' items) ─► SpillItems ─► node table, exact entries (run files)
 exact entries ─► ExactGroups ─► links member→representative ─────────────────────┐
 node table + links ─► RepresentativeBands ─► band entries                         │
 band entries ─► Buckets ─► candidate pairs ─► AttachFirst ─► Verify ─► edges ─────┤
 edges ─► (LargeStar ─► SmallStar) × max_rounds ─► Labels ─► node→root            ◄┘
 node table + labels ─► Members ─► Decide ─► (record_id, DupDecision)
```

Every arrow between steps is a shuffle by partition that moves only references to run files
(`runs.py`): each step reads its partition's batches, calls a pure core (`candidates`,
`graph`, `decide`) and writes its output runs for the next step's partitions. No step holds
more than its partition of one step's data (DESIGN §8), the local runner's memory does not
grow with the corpus, and every GroupByKey is `grouping()` (default `beam.GroupByKey`), one
place to swap in another shuffle.

Run files go under `work_dir/dedup/`, a location every worker reads and writes (the run's
`_tmp/` folder); the caller removes it with the rest of `_tmp/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.transforms.window import GlobalWindows

from corpusgate.transforms.common import files
from corpusgate.transforms.dedup.candidates import (
    HALF_SCHEMA,
    Verifier,
    attach,
    band_entries,
    bucket_pairs,
    exact_links,
)
from corpusgate.transforms.dedup.decide import MEMBER_SCHEMA, decide, members
from corpusgate.transforms.dedup.graph import NotConverged, labels, large_star, small_star
from corpusgate.transforms.dedup.item import DedupItem, DupDecision
from corpusgate.transforms.dedup.nodes import NODE_SCHEMA, handle_of, node_table
from corpusgate.transforms.dedup.published import (
    check_params,
    read_params,
    read_signature_file,
    write_kept,
)
from corpusgate.transforms.dedup.runs import (
    ID,
    RunRef,
    from_ids,
    id_partitions,
    ids,
    iter_runs,
    key_partitions,
    read_runs,
    write_run,
)
from corpusgate.transforms.dedup.settings import DedupSettings, DedupSpec

__all__ = ["FindDuplicates", "Grouping", "PublishSignatures", "ReadSignatures", "group_by_key"]

NAMESPACE = "dedup"
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


def _edge_table(u: np.ndarray, v: np.ndarray) -> pa.Table:
    return pa.Table.from_arrays([from_ids(u), from_ids(v)], schema=EDGE)


class _Output:
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


class _StepFn(beam.DoFn):
    """Base of every step: reads the tagged runs of one partition, calls `step`, writes what
    it returns to the runs of the next steps (tagged outputs of (partition, (tag, ref)))."""

    outputs: tuple[str, ...] = ()

    def __init__(self, folder: str, settings: DedupSettings) -> None:
        self._folder = folder
        self._settings = settings
        self._out: dict[str, _Output] = {}

    def start_bundle(self) -> None:
        s = self._settings
        limit = s.spill_mb << 20
        self._out = {t: _Output(t, self._folder, s.partitions, limit) for t in self.outputs}

    def process(self, element: tuple[int, Iterable[tuple[str, RunRef]]]) -> Iterator[Any]:
        partition, tagged = element
        refs: dict[str, list[RunRef]] = {}
        for tag, ref in tagged:
            refs.setdefault(tag, []).append(ref)
        for tag, pieces in self.step(partition, refs):
            for part, ref in pieces:
                yield beam.pvalue.TaggedOutput(tag, (part, ref))

    def read(self, refs: dict[str, list[RunRef]], tag: str) -> pa.Table:
        return read_runs(refs.get(tag, []), SCHEMAS[tag])

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        raise NotImplementedError

    def finish_bundle(self) -> Iterator[Any]:
        for tag, out in self._out.items():
            for part, ref in out.flush():
                yield beam.pvalue.TaggedOutput(tag, GlobalWindows.windowed_value((part, ref)))


def _both_ways(out: _Output, u: np.ndarray, v: np.ndarray) -> list[Ref]:
    """Edges for a step that needs every neighbour of a node: each edge at both ends."""
    return out.by_id(_edge_table(np.concatenate((u, v)), np.concatenate((v, u))), "u")


def _at_larger(out: _Output, u: np.ndarray, v: np.ndarray) -> list[Ref]:
    """Edges for small-star: each edge once, at its larger end, as (larger, smaller)."""
    larger = u > v
    return out.by_id(_edge_table(np.where(larger, u, v), np.where(larger, v, u)), "u")


class _SpillItemsFn(_StepFn):
    outputs = (NODES, EXACT, BANDS)

    def __init__(self, folder: str, settings: DedupSettings, nodes_only: bool = False) -> None:
        super().__init__(folder, settings)
        self._nodes_only = nodes_only
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
            return
        table = node_table(self._items)
        self._items, self._bytes = [], 0
        s = self._settings
        pieces: list[tuple[str, list[Ref]]] = [(NODES, self._out[NODES].by_id(table, "node"))]
        if self._nodes_only:
            pass
        elif s.exact:
            keyed = pa.Table.from_arrays([table["exact"], table["node"]], schema=KEYED)
            pieces.append((EXACT, self._out[EXACT].by_id(keyed, "key")))
        elif s.near:  # no exact groups: every item is its own representative
            keys, owners = band_entries(table, np.zeros(0, dtype="S16"))
            banded = pa.Table.from_arrays([pa.array(keys), from_ids(owners)], schema=BANDED)
            pieces.append((BANDS, self._out[BANDS].add(banded, key_partitions(keys, s.partitions))))
        for tag, refs in pieces:
            for part, ref in refs:
                yield beam.pvalue.TaggedOutput(tag, (part, ref))

    def finish_bundle(self) -> Iterator[Any]:
        for tagged in self._spill():
            yield beam.pvalue.TaggedOutput(tagged.tag, GlobalWindows.windowed_value(tagged.value))
        yield from super().finish_bundle()


class _ExactFn(_StepFn):
    outputs = (EDGES, EXCLUDED)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, EXACT)
        member, rep = exact_links(ids(table["key"]), ids(table["node"]))
        excluded = pa.Table.from_arrays([from_ids(member)], schema=SINGLE)
        yield EDGES, _both_ways(self._out[EDGES], member, rep)
        yield EXCLUDED, self._out[EXCLUDED].by_id(excluded, "node")


class _RepresentativeBandsFn(_StepFn):
    outputs = (BANDS,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, NODES)
        excluded = ids(self.read(refs, EXCLUDED)["node"])
        keys, owners = band_entries(table, excluded)
        banded = pa.Table.from_arrays([pa.array(keys), from_ids(owners)], schema=BANDED)
        parts = key_partitions(keys, self._settings.partitions)
        yield BANDS, self._out[BANDS].add(banded, parts)


class _BucketsFn(_StepFn):
    outputs = (PAIRS,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, BANDS)
        a, b = bucket_pairs(table["key"].to_numpy(), ids(table["node"]))
        yield PAIRS, self._out[PAIRS].by_id(_edge_table(a, b), "u")


class _AttachFn(_StepFn):
    outputs = (HALVES,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        pairs = self.read(refs, PAIRS)
        if pairs.num_rows == 0:
            return
        halves = attach((ids(pairs["u"]), ids(pairs["v"])), self.read(refs, NODES))
        yield HALVES, self._out[HALVES].by_id(halves, "b")


class _VerifyFn(_StepFn):
    outputs = (EDGES,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        halves = self.read(refs, HALVES)
        if halves.num_rows == 0:
            return
        s = self._settings
        verifier = Verifier(s.threshold, s.simhash.max_distance)
        a, b = verifier.verify(halves, self.read(refs, NODES))
        yield EDGES, _both_ways(self._out[EDGES], a, b)


class _StarFn(_StepFn):
    """One half of a round: large-star (its output goes to each edge's larger end, for the
    small-star that follows) or small-star (its output goes to both ends, for the next
    large-star or the labels)."""

    outputs = (EDGES,)

    def __init__(self, folder: str, settings: DedupSettings, large: bool) -> None:
        super().__init__(folder, settings)
        self._large = large

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, EDGES)
        star, route = (large_star, _at_larger) if self._large else (small_star, _both_ways)
        u, v = star(ids(table["u"]), ids(table["v"]))
        yield EDGES, route(self._out[EDGES], u, v)


class _LabelsFn(_StepFn):
    outputs = (LABELS,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, EDGES)
        node, root, broken = labels(ids(table["u"]), ids(table["v"]))
        if broken:
            raise NotConverged(
                f"dedup clustering did not settle in {self._settings.max_rounds} rounds "
                f"({broken} nodes of partition {partition} are not in a star yet): a chain "
                "of near copies is longer than the rounds reach; raise dedup.max_rounds"
            )
        yield LABELS, self._out[LABELS].by_id(_edge_table(node, root), "u")


class _MembersFn(_StepFn):
    outputs = (MEMBERS,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        found = self.read(refs, LABELS)
        if found.num_rows == 0:
            return
        rows = members(ids(found["u"]), ids(found["v"]), self.read(refs, NODES))
        yield MEMBERS, self._out[MEMBERS].by_id(rows, "root")


class _Batches:
    """A partition's member batches, re-read from the run files on every iteration."""

    def __init__(self, refs: Sequence[RunRef]) -> None:
        self._refs = refs

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return iter_runs(self._refs, MEMBER_SCHEMA)


class _DecideFn(beam.DoFn):
    def __init__(self) -> None:
        self._kept = beam.metrics.Metrics.counter(NAMESPACE, "keepers")
        self._removed = beam.metrics.Metrics.counter(NAMESPACE, "removed")

    def process(
        self, element: tuple[int, Iterable[tuple[str, RunRef]]]
    ) -> Iterator[tuple[str, DupDecision]]:
        _, tagged = element
        refs = [ref for tag, ref in tagged if tag == MEMBERS]
        for record_id, verdict in decide(_Batches(refs)):
            (self._removed if verdict.removed else self._kept).inc()
            yield record_id, verdict


class FindDuplicates(beam.PTransform):
    """PCollection[DedupItem] -> PCollection[(record_id, DupDecision)]: a decision for every
    record of this run that has a cluster (keepers included); records without one get none.

    `previous`: items of records published by earlier runs (`published.ReadSignatures`);
    they join clusters but can only be keepers and get no decision. `work_dir`: where the
    run files go (every worker must reach it). `grouping`: the shuffle (`group_by_key`)."""

    def __init__(
        self,
        settings: DedupSettings,
        work_dir: str,
        *,
        previous: beam.PCollection | None = None,
        grouping: Grouping = group_by_key,
    ) -> None:
        super().__init__()
        if not work_dir:
            raise ValueError("FindDuplicates needs a work_dir every worker can read and write")
        self._settings = settings
        self._folder = files.join(work_dir, "dedup")
        self._previous = previous
        self._grouping = grouping

    def _step(self, label: str, fn: _StepFn, *inputs: beam.PCollection) -> Any:
        refs = inputs[0] if len(inputs) == 1 else inputs | f"{label}Inputs" >> beam.Flatten()
        grouped = refs | f"{label}Group" >> self._grouping()
        return grouped | label >> beam.ParDo(fn).with_outputs(*fn.outputs)

    def expand(self, items: beam.PCollection) -> beam.PCollection:
        s = self._settings
        if not s.enabled or not (s.exact or s.near):
            return items.pipeline | "NoDuplicates" >> beam.Create([])
        folder = self._folder
        if self._previous is not None:
            earlier = self._previous | "MarkPrevious" >> beam.Map(DedupItem.as_previous)
            items = (items, earlier) | "WithPrevious" >> beam.Flatten()
        spilled = items | "SpillItems" >> beam.ParDo(_SpillItemsFn(folder, s)).with_outputs(
            *_SpillItemsFn.outputs
        )
        nodes = spilled[NODES]
        edges: list[beam.PCollection] = []
        bands = spilled[BANDS]
        if s.exact:
            exact = self._step("ExactGroups", _ExactFn(folder, s), spilled[EXACT])
            edges.append(exact[EDGES])
            if s.near:
                reps = self._step(
                    "RepresentativeBands",
                    _RepresentativeBandsFn(folder, s),
                    nodes,
                    exact[EXCLUDED],
                )
                bands = reps[BANDS]
        if s.near:
            pairs = self._step("Buckets", _BucketsFn(folder, s), bands)[PAIRS]
            halves = self._step("AttachFirst", _AttachFn(folder, s), nodes, pairs)[HALVES]
            edges.append(self._step("Verify", _VerifyFn(folder, s), nodes, halves)[EDGES])
        graph = edges[0] if len(edges) == 1 else tuple(edges) | "AllEdges" >> beam.Flatten()
        for r in range(1, s.max_rounds + 1):
            graph = self._step(f"LargeStar{r}", _StarFn(folder, s, large=True), graph)[EDGES]
            graph = self._step(f"SmallStar{r}", _StarFn(folder, s, large=False), graph)[EDGES]
        found = self._step("Labels", _LabelsFn(folder, s), graph)[LABELS]
        rows = self._step("Members", _MembersFn(folder, s), nodes, found)[MEMBERS]
        return rows | "DecideGroup" >> self._grouping() | "Decide" >> beam.ParDo(_DecideFn())


class ReadSignatures(beam.PTransform):
    """Locations of signature files (`published.py`) -> PCollection[DedupItem] of records
    published before, for `FindDuplicates(..., previous=...)`. The files' parameters are
    checked here, on the launcher, so a mismatch fails before the job starts."""

    def __init__(self, locations: Sequence[str], spec: DedupSpec) -> None:
        super().__init__()
        self._locations = sorted(locations)
        self._spec = spec
        for location in self._locations:
            check_params(read_params(location), spec.settings, location)

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection:
        return (
            pbegin
            | "SignatureFiles" >> beam.Create(self._locations)
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.FlatMap(read_signature_file, self._spec)
        )


class _RemovedFn(beam.DoFn):
    """Removed records' node handles, spilled to run files by partition."""

    def __init__(self, folder: str, settings: DedupSettings) -> None:
        self._folder = folder
        self._settings = settings
        self._handles: list[bytes] = []

    def start_bundle(self) -> None:
        self._handles = []

    def process(self, element: tuple[str, DupDecision]) -> Iterator[Ref]:
        record_id, verdict = element
        if verdict.removed:
            self._handles.append(handle_of(record_id, False))
        if len(self._handles) * 64 >= self._settings.spill_mb << 20:
            yield from self._spill()

    def _spill(self) -> list[Ref]:
        out = _Output(EXCLUDED, self._folder, self._settings.partitions, 1)
        table = pa.Table.from_arrays(
            [from_ids(np.frombuffer(b"".join(self._handles), dtype="S16"))], schema=SINGLE
        )
        self._handles = []
        return out.by_id(table, "node") if table.num_rows else []

    def finish_bundle(self) -> Iterator[Any]:
        for ref in self._spill():
            yield GlobalWindows.windowed_value(ref)


class _WriteKeptFn(beam.DoFn):
    def __init__(self, folder: str, settings: DedupSettings) -> None:
        self._folder = folder
        self._settings = settings

    def process(
        self, element: tuple[int, Iterable[tuple[str, RunRef]]]
    ) -> Iterator[tuple[str, int]]:
        partition, tagged = element
        refs: dict[str, list[RunRef]] = {}
        for tag, ref in tagged:
            refs.setdefault(tag, []).append(ref)
        removed = set(read_runs(refs.get(EXCLUDED, []), SINGLE)["node"].to_pylist())
        # One file per partition, named for it: a retried bundle rewrites the same file.
        location = files.join(self._folder, f"part-{partition:05d}.parquet")
        batches = iter_runs(refs.get(NODES, []), NODE_SCHEMA)
        rows = write_kept(location, batches, removed, self._settings)
        if rows:
            yield location, rows


class PublishSignatures(beam.PTransform):
    """(items, decisions) -> the signature files of this run's kept records (`published.py`
    has the format) under `folder`, one per partition of record handles; outputs (location,
    rows) per file. Later runs read them with `ReadSignatures`; `takedown` matches
    complaints against them."""

    def __init__(
        self,
        settings: DedupSettings,
        folder: str,
        work_dir: str,
        *,
        grouping: Grouping = group_by_key,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._folder = folder
        self._work = files.join(work_dir, "dedup-publish")
        self._grouping = grouping

    def expand(self, inputs: tuple[beam.PCollection, beam.PCollection]) -> beam.PCollection:
        items, decisions = inputs
        s = self._settings
        spill = _SpillItemsFn(self._work, s, nodes_only=True)
        nodes = items | "SpillItems" >> beam.ParDo(spill).with_outputs(*spill.outputs)
        removed = decisions | "SpillRemoved" >> beam.ParDo(_RemovedFn(self._work, s))
        return (
            (nodes[NODES], removed)
            | "Both" >> beam.Flatten()
            | "ByPartition" >> self._grouping()
            | "Write" >> beam.ParDo(_WriteKeptFn(self._folder, s))
        )

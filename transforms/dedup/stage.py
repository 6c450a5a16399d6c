"""`FindDuplicates`: the Beam transform that decides what is a duplicate of what (GB/T
45654-2025 4.2.1/4.2.2), from `DedupItem`s to one `DupDecision` per record that has a cluster.

```
items (+ earlier runs' items) ─► SpillItems ─► node table ─► KeyNodes ─► exact entries
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

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam
import pyarrow as pa

from corpusgate.schemas.reasons import EXACT_DUPLICATE, NEAR_DUPLICATE
from corpusgate.transforms.common import files
from corpusgate.transforms.dedup.candidates import (
    Verifier,
    attach,
    band_entries,
    bucket_pairs,
    exact_links,
)
from corpusgate.transforms.dedup.decide import MEMBER_SCHEMA, decide, members
from corpusgate.transforms.dedup.graph import NotConverged, labels, large_star, small_star
from corpusgate.transforms.dedup.item import DedupItem, DupDecision
from corpusgate.transforms.dedup.runs import RunRef, from_ids, ids, iter_runs, key_partitions
from corpusgate.transforms.dedup.settings import DedupSettings
from corpusgate.transforms.dedup.steps import (
    BANDED,
    BANDS,
    EDGES,
    EXACT,
    EXCLUDED,
    HALVES,
    LABELS,
    MEMBERS,
    NODES,
    PAIRS,
    SINGLE,
    Grouping,
    KeyNodesFn,
    SpillItemsFn,
    StepFn,
    Written,
    at_larger,
    both_ways,
    edge_table,
    group_by_key,
)

__all__ = ["FindDuplicates", "Grouping", "group_by_key"]

NAMESPACE = "dedup"


class _ExactFn(StepFn):
    outputs = (EDGES, EXCLUDED)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, EXACT)
        member, rep = exact_links(ids(table["key"]), ids(table["node"]))
        excluded = pa.Table.from_arrays([from_ids(member)], schema=SINGLE)
        yield EDGES, both_ways(self._out[EDGES], member, rep)
        yield EXCLUDED, self._out[EXCLUDED].by_id(excluded, "node")


class _RepresentativeBandsFn(StepFn):
    outputs = (BANDS,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, NODES)
        excluded = ids(self.read(refs, EXCLUDED)["node"])
        keys, owners = band_entries(table, excluded)
        banded = pa.Table.from_arrays([pa.array(keys), from_ids(owners)], schema=BANDED)
        parts = key_partitions(keys, self._settings.partitions)
        yield BANDS, self._out[BANDS].add(banded, parts)


class _BucketsFn(StepFn):
    outputs = (PAIRS,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, BANDS)
        a, b = bucket_pairs(table["key"].to_numpy(), ids(table["node"]))
        yield PAIRS, self._out[PAIRS].by_id(edge_table(a, b), "u")


class _AttachFn(StepFn):
    outputs = (HALVES,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        pairs = self.read(refs, PAIRS)
        if pairs.num_rows == 0:
            return
        halves = attach((ids(pairs["u"]), ids(pairs["v"])), self.read(refs, NODES))
        yield HALVES, self._out[HALVES].by_id(halves, "b")


class _VerifyFn(StepFn):
    outputs = (EDGES,)

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        halves = self.read(refs, HALVES)
        if halves.num_rows == 0:
            return
        s = self._settings
        verifier = Verifier(s.threshold, s.simhash.max_distance)
        a, b = verifier.verify(halves, self.read(refs, NODES))
        yield EDGES, both_ways(self._out[EDGES], a, b)


class _StarFn(StepFn):
    """One half of a round: large-star (its output goes to each edge's larger end, for the
    small-star that follows) or small-star (its output goes to both ends, for the next
    large-star or the labels)."""

    outputs = (EDGES,)

    def __init__(self, folder: str, settings: DedupSettings, large: bool) -> None:
        super().__init__(folder, settings)
        self._large = large

    def step(self, partition: int, refs: dict[str, list[RunRef]]) -> Written:
        table = self.read(refs, EDGES)
        star, route = (large_star, at_larger) if self._large else (small_star, both_ways)
        u, v = star(ids(table["u"]), ids(table["v"]))
        yield EDGES, route(self._out[EDGES], u, v)


class _LabelsFn(StepFn):
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
        yield LABELS, self._out[LABELS].by_id(edge_table(node, root), "u")


class _MembersFn(StepFn):
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
    """Counters (for watching a run, STYLE §3): `clustered`, `kept`, `quarantined_<reason>`."""

    def __init__(self) -> None:
        counter = beam.metrics.Metrics.counter
        self._clustered = counter(NAMESPACE, "clustered")
        self._kept = counter(NAMESPACE, "kept")
        self._reasons = {
            reason: counter(NAMESPACE, f"quarantined_{reason}")
            for reason in (EXACT_DUPLICATE, NEAR_DUPLICATE)
        }

    def process(
        self, element: tuple[int, Iterable[tuple[str, RunRef]]]
    ) -> Iterator[tuple[str, DupDecision]]:
        _, tagged = element
        refs = [ref for tag, ref in tagged if tag == MEMBERS]
        for record_id, verdict in decide(_Batches(refs)):
            self._clustered.inc()
            (self._reasons[verdict.reason] if verdict.reason else self._kept).inc()
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

    def _step(self, label: str, fn: StepFn, *inputs: beam.PCollection) -> Any:
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
        spilled = items | "SpillItems" >> beam.ParDo(SpillItemsFn(folder, s)).with_outputs(
            *SpillItemsFn.outputs
        )
        nodes = spilled[NODES]
        keyed = self._step("KeyNodes", KeyNodesFn(folder, s), nodes)
        edges: list[beam.PCollection] = []
        bands = keyed[BANDS]
        if s.exact:
            exact = self._step("ExactGroups", _ExactFn(folder, s), keyed[EXACT])
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

"""One record, one id (GB/T 45654-2025 B.2.1.1.3: an auditor asks for a record by its id and
gets one record). A source whose native ids repeat (`id: 1` twice, or `1` and `"1"`) would
otherwise publish two rows under one `record_id`.

Only sources that map a native id (`fields.id`) can repeat one: every other record id is made
from where the record was read, which is unique. For those sources the piece writers note each
row's (id, where it was read, piece, row) as they write it (`IdEntries`), spilled to run files
by id partition (`dedup/runs.py`: only references travel through the shuffle). `UniqueIds`
reads one partition at a time and, for every id held by more than one row, keeps the row read
first (`identity.origin_order`: file, then position) and notes each later row that is headed
for the shards as `duplicate_record_id` (check `normalize`): `finalize` moves it to the
quarantine, so the manifest still balances. A later copy already quarantined for a cause stays
as it is; when the first copy was quarantined for a cause, the later copies are still
duplicates and leave the shards.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa

from corpusgate.schemas.reasons import DUPLICATE_RECORD_ID, NORMALIZE
from corpusgate.transforms.common import files
from corpusgate.transforms.dedup import runs
from corpusgate.transforms.dedup.runs import ID, RunRef, from_ids, ids, read_runs
from corpusgate.transforms.dedup.steps import Output
from corpusgate.transforms.output.finalize import RowNote
from corpusgate.transforms.spine.identity import origin_order, origin_parts

__all__ = ["ENTRY_SCHEMA", "IdEntries", "UniqueIdSpec", "UniqueIds", "later_copies"]

NAMESPACE = "unique_ids"
ENTRY_SCHEMA = pa.schema(
    [
        pa.field("id", ID, nullable=False),  # the record id's 16 bytes
        pa.field("origin", pa.string(), nullable=False),  # identity.origin_order
        pa.field("piece", pa.string(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("kept", pa.bool_(), nullable=False),  # headed for the shards
    ]
)
# A partition holds records / 256 entries (~100 bytes each): 400 MB at 10^9 records that all
# come from sources with native ids.
PARTITIONS = 256
_SPILL_BYTES = 8 << 20


@dataclass(frozen=True)
class UniqueIdSpec:
    """Where the entries go (a folder every worker reaches) and whose rows are noted."""

    folder: str
    sources: frozenset[str]  # sources that map a native id
    # Fewer for a small corpus (curate follows the index's bucket count): on an object store
    # each partition costs every writer a read request.
    partitions: int = PARTITIONS

    def entries(self, kept: bool) -> IdEntries:
        """A writer's entries; `kept`: its rows are headed for the shards."""
        return IdEntries(self, kept)


class IdEntries:
    """The entries of one writer's rows, buffered and spilled to run files by partition."""

    def __init__(self, spec: UniqueIdSpec, kept: bool) -> None:
        self._spec = spec
        self._kept = kept
        self._out = Output("ids", spec.folder, spec.partitions, _SPILL_BYTES)
        self.written: list[tuple[int, RunRef]] = []

    def add(self, rows: Sequence[dict[str, Any]], piece: str, first_row: int) -> None:
        mine = [i for i, row in enumerate(rows) if row["source_id"] in self._spec.sources]
        if not mine:
            return
        table = pa.Table.from_arrays(
            [
                from_ids(
                    np.frombuffer(
                        b"".join(bytes.fromhex(rows[i]["record_id"]) for i in mine), dtype="S16"
                    )
                ),
                pa.array([origin_order(rows[i]["lineage"].get("origin")) for i in mine]),
                pa.array([piece] * len(mine), pa.string()),
                pa.array([first_row + i for i in mine], pa.int64()),
                pa.array([self._kept] * len(mine), pa.bool_()),
            ],
            schema=ENTRY_SCHEMA,
        )
        self.written.extend((part, ref) for part, (_, ref) in self._out.by_id(table, "id"))

    def flush(self) -> None:
        self.written.extend((part, ref) for part, (_, ref) in self._out.flush())


def later_copies(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(row of each later copy, row of the first copy of its id) in `table` (ENTRY_SCHEMA):
    the first is the one read first (`identity.origin_order`)."""
    return runs.later_copies(ids(table["id"]), table["origin"])


class _UniqueIdsFn(beam.DoFn):
    """Counters: `repeated` (later copies found), `moved` (of those, headed for the shards)."""

    def __init__(self) -> None:
        self._repeated = beam.metrics.Metrics.counter(NAMESPACE, "repeated")
        self._moved = beam.metrics.Metrics.counter(NAMESPACE, "moved")

    def process(
        self, element: tuple[int, Iterable[RunRef]]
    ) -> Iterator[tuple[tuple[str, int], RowNote]]:
        _, refs = element
        table = read_runs(refs, ENTRY_SCHEMA)
        later, first = later_copies(table)
        self._repeated.inc(len(later))
        kept = table["kept"].to_numpy(zero_copy_only=False)
        pieces, rows, origins = (table[name] for name in ("piece", "row", "origin"))
        for at, keeper in zip(later, first, strict=True):
            if not kept[at]:
                continue
            self._moved.inc()
            uri, position = origin_parts(origins[int(keeper)].as_py())
            status = "in the shards" if kept[keeper] else "quarantined for a cause"
            detail = (
                f"this id was first read at {uri or '?'} position {position} "
                f"({status}); a record id names one record"
            )
            ref = (pieces[int(at)].as_py(), rows[int(at)].as_py())
            yield ref, RowNote(NORMALIZE, None, DUPLICATE_RECORD_ID, detail)


class UniqueIds(beam.PTransform):
    """PCollection[(partition, RunRef)] of `IdEntries` runs -> PCollection[(RowRef, RowNote)]:
    a `duplicate_record_id` note on every later copy of an id that is headed for the shards."""

    def expand(self, refs: beam.PCollection) -> beam.PCollection:
        return (
            refs | "ByPartition" >> beam.GroupByKey() | "LaterCopies" >> beam.ParDo(_UniqueIdsFn())
        )


def entries_folder(run_dir: str) -> str:
    return files.join(run_dir, "_tmp", "ids")

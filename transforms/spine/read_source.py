"""`ReadSource`: input files of registered sources → records and quarantine rows.

Work is planned per file (`plan.ReadTask`), so files spread over workers; a large JSON Lines
file may be cut into byte ranges first (`PlanReads`, `ranges`), so several workers share it.
Each file or range is read by the pure readers (which never raise for what a file holds: a
damaged file ends in a quarantine row) and mapped to records on the spot. Besides records and
quarantine rows it emits, per file or range, (source_id, items read) — the `read` side of the
manifest's balance — and the records a reader skipped by design (WARC requests, metadata, ...),
counted per file and type.
"""

from __future__ import annotations

from collections import Counter

import apache_beam as beam
from apache_beam.metrics import Metrics

from corpusgate.transforms.spine.checks import QUARANTINE
from corpusgate.transforms.spine.plan import ReadTask
from corpusgate.transforms.spine.progress import RunProgress
from corpusgate.transforms.spine.ranges import count_newlines, cut_task, file_key, number_ranges
from corpusgate.transforms.spine.readers import RawFailure, Skipped, read_file
from corpusgate.transforms.spine.to_record import id_of, normalize

__all__ = ["QUARANTINE", "READ_COUNTS", "SKIPPED", "PlanReads", "ReadSource"]

READ_COUNTS = "read_counts"
SKIPPED = "skipped"


class _ReadFileFn(beam.DoFn):
    def __init__(self, progress: tuple[str, float] | None) -> None:
        self._progress_key = progress  # (run id, seconds between lines)
        self._seen = Metrics.counter("read", "seen")
        self._failed = Metrics.counter("read", "quarantined")

    def setup(self) -> None:
        self._progress = RunProgress.shared(*self._progress_key) if self._progress_key else None

    def process(self, task, *only):  # type: ignore[no-untyped-def] - Beam reads hints here
        # task: ReadTask; only: () or (source_id -> frozenset of record ids,)
        count = 0
        skipped: Counter[str] = Counter()
        source_id = task.context.source_id
        # With `only` (source -> ids), just the records of those ids: the rest are never built.
        wanted: frozenset[str] | None = only[0].get(source_id, frozenset()) if only else None
        span = (task.start, task.stop, task.lines_before) if task.stop is not None else None
        for item in read_file(task.path, task.format, task.uri, span):
            if isinstance(item, Skipped):  # not a document by design: counted, not read
                skipped[item.record_type] += 1
                continue
            count += 1
            if self._progress is not None:  # per record, so "read" never lags "kept"
                self._progress.add_read(source_id, 1)
            if wanted is not None and (
                isinstance(item, RawFailure) or id_of(item, task.context) not in wanted
            ):
                continue
            ok, row = normalize(item, task.context)
            if ok:
                yield row
            elif wanted is None:
                self._failed.inc()
                yield beam.pvalue.TaggedOutput(QUARANTINE, row)
        self._seen.inc(count)
        yield beam.pvalue.TaggedOutput(READ_COUNTS, (source_id, count))
        for record_type, n in sorted(skipped.items()):
            yield beam.pvalue.TaggedOutput(SKIPPED, ((source_id, task.uri, record_type), n))


class PlanReads(beam.PTransform):
    """The run's read tasks as a PCollection, with every plain JSON Lines file larger than
    `split_bytes` cut into ranges of about that size, each knowing its first line (`ranges`).
    Made once and read by every pass. `split_bytes` 0 keeps one task per file."""

    def __init__(self, tasks: list[ReadTask], split_bytes: int = 0) -> None:
        super().__init__()
        self._tasks = tasks
        self._split_bytes = split_bytes

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection:
        tasks = pbegin | "PlanFiles" >> beam.Create(self._tasks)
        if self._split_bytes <= 0:
            return tasks
        split = self._split_bytes
        return (
            tasks
            | "SpreadFiles" >> beam.Reshuffle()
            | "CutFiles" >> beam.FlatMap(cut_task, split)
            | "SpreadRanges" >> beam.Reshuffle()
            | "CountLines" >> beam.Map(lambda task: (file_key(task), (task, count_newlines(task))))
            | "ByFile" >> beam.GroupByKey()
            | "NumberRanges" >> beam.FlatMapTuple(lambda _, counted: number_ranges(counted))
        )


class ReadSource(beam.PTransform):
    """Outputs: `records`, `quarantine`, `read_counts`, `skipped`.

    `progress` (run id, seconds) prints what was read (`progress.RunProgress`).
    `only`, a PCollection of (source_id, frozenset of record ids), reads just the usable
    records of those ids (no quarantine rows): the id is all that is computed for the others."""

    def __init__(
        self,
        tasks: list[ReadTask] | beam.PCollection,
        *,
        reshuffle: bool = False,
        progress: tuple[str, float] | None = None,
        only: beam.PCollection | None = None,
    ) -> None:
        super().__init__()
        self._tasks = tasks
        self._reshuffle = reshuffle
        self._progress = progress
        self._only = only

    def expand(self, pbegin: beam.pvalue.PBegin) -> dict[str, beam.PCollection]:
        tasks = self._tasks
        if isinstance(tasks, list):
            tasks = pbegin | "PlanFiles" >> beam.Create(tasks)
        files = tasks | "SpreadFiles" >> beam.Reshuffle()
        side = [beam.pvalue.AsDict(self._only)] if self._only is not None else []
        outputs = files | "ReadAndMap" >> beam.ParDo(
            _ReadFileFn(self._progress), *side
        ).with_outputs(QUARANTINE, READ_COUNTS, SKIPPED, main="records")
        records = outputs.records
        if self._reshuffle:
            # On a cluster, spread the records of a few large files over every worker.
            records = records | "SpreadRecords" >> beam.Reshuffle()
        return {
            "records": records,
            QUARANTINE: outputs[QUARANTINE],
            READ_COUNTS: outputs[READ_COUNTS],
            SKIPPED: outputs[SKIPPED],
        }

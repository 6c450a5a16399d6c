"""`ReadSource`: input files of registered sources → records and quarantine rows.

Work is planned per file (`plan.ReadTask`), so files spread over workers; each file is read by
the pure readers (which never raise for what a file holds: a damaged file ends in a quarantine
row) and mapped to records on the spot. Besides records and quarantine rows it emits, per
file, (source_id, items read) — the `read` side of the manifest's balance — and the records a
reader skipped by design (WARC requests, metadata, ...), counted per file and type.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

import apache_beam as beam
from apache_beam.metrics import Metrics

from corpusgate.transforms.spine.checks import QUARANTINE
from corpusgate.transforms.spine.plan import ReadTask
from corpusgate.transforms.spine.readers import RawFailure, Skipped, read_file
from corpusgate.transforms.spine.to_record import id_of, normalize

__all__ = ["QUARANTINE", "READ_COUNTS", "SKIPPED", "ReadSource"]

READ_COUNTS = "read_counts"
SKIPPED = "skipped"


class Progress:
    """Per-worker progress on stderr at most every `interval` seconds (0: silent).

    Local runners share the launcher's terminal, so the user sees records read per source and
    the rate while a long run goes on; remote workers' lines go to the runner's logs."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.started = time.monotonic()
        self.last = self.started
        self.read: Counter[str] = Counter()

    def add(self, source_id: str, count: int) -> None:
        self.read[source_id] += count
        now = time.monotonic()
        if self.interval <= 0 or now - self.last < self.interval:
            return
        self.last = now
        total = sum(self.read.values())
        elapsed = now - self.started
        top = ", ".join(f"{s} {n:,}" for s, n in self.read.most_common(4))
        more = f" (+{len(self.read) - 4} sources)" if len(self.read) > 4 else ""
        print(
            f"corpusgate: progress: {total:,} records read in {elapsed:,.0f}s "
            f"({total / max(elapsed, 1e-9):,.0f}/s): {top}{more}",
            file=sys.stderr,
            flush=True,
        )


class _ReadFileFn(beam.DoFn):
    def __init__(self, progress_interval: float) -> None:
        self._interval = progress_interval
        self._seen = Metrics.counter("read", "seen")
        self._failed = Metrics.counter("read", "quarantined")

    def setup(self) -> None:
        self._progress = Progress(self._interval)

    def process(self, task, *only):  # type: ignore[no-untyped-def] - Beam reads hints here
        # task: ReadTask; only: () or (source_id -> frozenset of record ids,)
        count = 0
        skipped: Counter[str] = Counter()
        source_id = task.context.source_id
        # With `only` (source -> ids), just the records of those ids: the rest are never built.
        wanted: frozenset[str] | None = only[0].get(source_id, frozenset()) if only else None
        for item in read_file(task.path, task.format, task.uri):
            if isinstance(item, Skipped):  # not a document by design: counted, not read
                skipped[item.record_type] += 1
                continue
            count += 1
            if count % 1000 == 0:
                self._progress.add(source_id, 1000)
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
        self._progress.add(source_id, count % 1000)
        self._seen.inc(count)
        yield beam.pvalue.TaggedOutput(READ_COUNTS, (source_id, count))
        for record_type, n in sorted(skipped.items()):
            yield beam.pvalue.TaggedOutput(SKIPPED, ((source_id, task.uri, record_type), n))


class ReadSource(beam.PTransform):
    """Outputs: `records`, `quarantine`, `read_counts`, `skipped`.

    `only`, a PCollection of (source_id, frozenset of record ids), reads just the usable
    records of those ids (no quarantine rows): the id is all that is computed for the others."""

    def __init__(
        self,
        tasks: list[ReadTask],
        *,
        reshuffle: bool = False,
        progress_interval: float = 0,
        only: beam.PCollection | None = None,
    ) -> None:
        super().__init__()
        self._tasks = tasks
        self._reshuffle = reshuffle
        self._interval = progress_interval
        self._only = only

    def expand(self, pbegin: beam.pvalue.PBegin) -> dict[str, beam.PCollection]:
        files = pbegin | "PlanFiles" >> beam.Create(self._tasks) | "SpreadFiles" >> beam.Reshuffle()
        side = [beam.pvalue.AsDict(self._only)] if self._only is not None else []
        outputs = files | "ReadAndMap" >> beam.ParDo(
            _ReadFileFn(self._interval), *side
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

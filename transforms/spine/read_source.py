"""`ReadSource`: input files of registered sources → records and quarantine rows.

Work is planned per file (`ReadTask`), so files spread over workers; each file is read by the
pure readers and normalised on the spot. Besides records and quarantine rows it emits one
(source_id, count) per file: the `read` side of the manifest's balance.
"""

from __future__ import annotations

from dataclasses import dataclass

import apache_beam as beam
from apache_beam.metrics import Metrics

from corpusgate.transforms.spine.checks import QUARANTINE
from corpusgate.transforms.spine.readers import Skipped, read_file
from corpusgate.transforms.spine.to_record import SourceContext, normalize

__all__ = ["QUARANTINE", "READ_COUNTS", "ReadSource", "ReadTask"]

READ_COUNTS = "read_counts"


@dataclass(frozen=True)
class ReadTask:
    context: SourceContext
    path: str
    format: str
    uri: str


class _ReadFileFn(beam.DoFn):
    def __init__(self) -> None:
        self._seen = Metrics.counter("read", "seen")
        self._failed = Metrics.counter("read", "quarantined")

    def process(self, task: ReadTask):  # type: ignore[no-untyped-def]
        count = 0
        for item in read_file(task.path, task.format, task.uri):
            if isinstance(item, Skipped):
                continue  # not a document by design; not in the read count
            count += 1
            ok, row = normalize(item, task.context)
            if ok:
                yield row
            else:
                self._failed.inc()
                yield beam.pvalue.TaggedOutput(QUARANTINE, row)
        self._seen.inc(count)
        yield beam.pvalue.TaggedOutput(READ_COUNTS, (task.context.source_id, count))


class ReadSource(beam.PTransform):
    """Outputs: main (records), `quarantine`, `read_counts`."""

    def __init__(self, tasks: list[ReadTask], *, reshuffle: bool = False) -> None:
        super().__init__()
        self._tasks = tasks
        self._reshuffle = reshuffle

    def expand(self, pbegin):  # type: ignore[no-untyped-def]
        files = pbegin | "PlanFiles" >> beam.Create(self._tasks) | "SpreadFiles" >> beam.Reshuffle()
        outputs = files | "ReadAndNormalize" >> beam.ParDo(_ReadFileFn()).with_outputs(
            QUARANTINE, READ_COUNTS, main="records"
        )
        records = outputs.records
        if self._reshuffle:
            # On a cluster, spread the records of a few large files over every worker.
            records = records | "SpreadRecords" >> beam.Reshuffle()
        return {
            "records": records,
            QUARANTINE: outputs[QUARANTINE],
            READ_COUNTS: outputs[READ_COUNTS],
        }

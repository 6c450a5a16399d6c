"""`CheckStage`: the one Beam wrapper every record check runs in.

It builds the check from its spec once per worker (`DoFn.setup`), asks it about each record
(in batches when the check says a batched call is cheaper), turns each verdict into the kept
record or the quarantine row with `apply_verdict`, and counts, for every stage alike:

    <stage>/seen, kept, changed (kept with a new text), quarantined, quarantined_<reason>

These counters are for watching a run; the manifest's counts come from the data (STYLE §3).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows

from corpusgate.schemas.records import Record
from corpusgate.transforms.common.heap import freeze_long_lived
from corpusgate.transforms.spine.checks import (
    PAIRS,
    QUARANTINE,
    RECORDS,
    CheckSpec,
    RecordCheck,
    Verdict,
    apply_verdict,
)

__all__ = ["CheckStage"]


class _Counters:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.seen = Metrics.counter(namespace, "seen")
        self.kept = Metrics.counter(namespace, "kept")
        self.changed = Metrics.counter(namespace, "changed")
        self.quarantined = Metrics.counter(namespace, "quarantined")
        self._by_reason: dict[str, Any] = {}

    def count(self, verdict: Verdict) -> None:
        self.seen.inc()
        if verdict.kept:
            self.kept.inc()
            if verdict.text is not None:
                self.changed.inc()
            return
        self.quarantined.inc()
        counter = self._by_reason.get(verdict.reason)
        if counter is None:
            counter = Metrics.counter(self.namespace, f"quarantined_{verdict.reason}")
            self._by_reason[verdict.reason] = counter
        counter.inc()


class _CheckFn(beam.DoFn):
    def __init__(self, spec: CheckSpec, consumes: tuple[str, ...]) -> None:
        self._spec = spec
        self._consumes = consumes
        self._check: RecordCheck | None = None
        self._pending: list[Record] = []
        self._side: tuple[Any, ...] = ()

    def setup(self) -> None:
        self._check = self._spec.build()
        self._counters = _Counters(self._spec.name)
        freeze_long_lived()  # the check's models and tables live as long as the worker

    def start_bundle(self) -> None:
        self._pending = []

    def process(self, record, *side):  # type: ignore[no-untyped-def] - Beam reads hints here
        assert self._check is not None
        if self._check.batch_size <= 1:
            yield from self._route([record], [self._check.check(record, *side)], wrap=False)
            return
        self._pending.append(record)
        self._side = side
        if len(self._pending) >= self._check.batch_size:
            yield from self._flush(wrap=False)

    def finish_bundle(self) -> Iterator[Any]:
        # Outputs of finish_bundle carry their window explicitly (batch pipelines: global).
        yield from self._flush(wrap=True)

    def _flush(self, *, wrap: bool) -> Iterator[Any]:
        if not self._pending:
            return
        assert self._check is not None
        records, self._pending = self._pending, []
        verdicts = self._check.check_batch(records, *self._side)
        if len(verdicts) != len(records):
            raise RuntimeError(
                f"{self._spec.name}: check_batch returned {len(verdicts)} verdicts "
                f"for {len(records)} records"
            )
        yield from self._route(records, verdicts, wrap=wrap)

    def _route(
        self, records: Sequence[Record], verdicts: Sequence[Verdict], *, wrap: bool
    ) -> Iterator[Any]:
        def emit(tag: str | None, value: Any) -> Any:
            if wrap:
                value = GlobalWindows.windowed_value(value)
            return value if tag is None else beam.pvalue.TaggedOutput(tag, value)

        for record, verdict in zip(records, verdicts, strict=True):
            self._counters.count(verdict)
            out = apply_verdict(record, verdict)
            if not verdict.kept:
                for key in self._consumes:
                    out.pop(key, None)  # type: ignore[misc]
                yield emit(QUARANTINE, out)
                continue
            for kind, key in verdict.pairs:
                yield emit(PAIRS, (kind, key, record["record_id"]))
            for key in self._consumes:
                out.pop(key, None)  # type: ignore[misc]
            yield emit(None, out)


class CheckStage(beam.PTransform):
    """Records in; {records, quarantine, pairs} out, routed and counted by one rule.

    `consumes` names transient record keys (a reader's HTTP headers and page HTML) that no
    later step needs: they leave the record here instead of travelling to the writers.
    `side_inputs` are handed to `check(record, *side)` in order.
    """

    def __init__(
        self,
        spec: CheckSpec,
        *,
        consumes: tuple[str, ...] = (),
        side_inputs: Sequence[Any] = (),
    ) -> None:
        super().__init__()
        self._spec = spec
        self._consumes = consumes
        self._side_inputs = tuple(side_inputs)

    def expand(self, records: beam.PCollection) -> dict[str, beam.PCollection]:
        out = records | "Check" >> beam.ParDo(
            _CheckFn(self._spec, self._consumes), *self._side_inputs
        ).with_outputs(QUARANTINE, PAIRS, main=RECORDS)
        return {RECORDS: out[RECORDS], QUARANTINE: out[QUARANTINE], PAIRS: out[PAIRS]}

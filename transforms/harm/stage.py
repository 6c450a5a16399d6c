"""The Harm stage of `curate`: post-collection verification (4.1.1 b) and filtering (4.2.1).

Two passes over the source, so memory never holds the corpus (DESIGN §8):

    pass 1   records ─► ChooseSample (ids of the bottom k by rank of (seed, record_id),
                        + population)
             records of the chosen ids (a read that builds no other record)
                     ─► ScoreSample (detect each where it was read; per source, the k small
                        results) ─► DecideGate (`gate_report`) ─► decisions
    pass 2   records ─► Harm (score every record; the decisions as a side input) ─► kept
                                                                             └─► quarantine

A record's sample rank depends on (seed, record_id) alone, so pass 1 keeps k ids per source
and nothing else, then reads the sources once more for the texts of those ids (a bundle of
fewer than k records would otherwise hold all its texts until the merge). The chosen records
are scored where they are read, spread over the workers like the read; only each one's small
result goes on to its source's combine (a combine of texts scored all k of a source on one
worker). The gate's decision table (one small report per source) is the only thing pass 2
waits for. Pass 2 then streams:
a rejected source leaves whole (`source_rejected`, the verification's id in
`lineage.assessment_id`); in an accepted source a flagged record is
quarantined `harmful_content` with its codes; the rest pass with a decision naming any signal.

The gate reports also go to the run's summary, from which the driver appends one verification
row per source to the store (append-only, B.2.1.1.1).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam

from corpusgate.schemas.reasons import HARM, HARMFUL_CONTENT, SOURCE_GATE, SOURCE_REJECTED
from corpusgate.schemas.records import Record
from corpusgate.transforms.common.heap import freeze_long_lived
from corpusgate.transforms.harm.detect import DetectResult, HarmDetector, HarmPolicy
from corpusgate.transforms.harm.gate.assessment import SampleEntry, gate_report, model_accuracy
from corpusgate.transforms.harm.gate.statistics import BottomK
from corpusgate.transforms.harm.keywords import UPDATE_INTERVAL, KeywordLibrary
from corpusgate.transforms.harm.settings import HarmSettings
from corpusgate.transforms.spine.check_stage import CheckStage
from corpusgate.transforms.spine.checks import RecordCheck, Verdict, decision, keep, quarantine

__all__ = [
    "ChooseSample",
    "DecideGate",
    "GateChoice",
    "HarmFilter",
    "HarmSettings",
    "HarmSpec",
    "HarmStage",
    "ScoreSample",
    "assessment_id_for",
    "in_sample",
    "library_warning",
]

NAME = "harm"
# uuid5 namespace of verification ids: uuid5(NS, f"{run_id}/{source_id}").
_NAMESPACE = uuid.UUID("6f1c1f0e-5a0b-4c55-9d55-2c3d7c4b6a11")


def assessment_id_for(run_id: str, source_id: str) -> str:
    """The verification id a run writes into lineages and the store: same run, same id."""
    return str(uuid.uuid5(_NAMESPACE, f"{run_id}/{source_id}"))


def library_warning(library: KeywordLibrary, today: dt.date) -> str | None:
    """The warning a run prints when the library misses B.1.1 c's weekly update, else None."""
    if not library.is_stale(today):
        return None
    age = (today - library.build_date).days
    return (
        f"keyword library v{library.version} was built {library.build_date.isoformat()}, "
        f"{age} days ago; B.1.1 c expects an update at least every {UPDATE_INTERVAL.days} days "
        "(review new terms: corpusgate keywords review import / keywords add)"
    )


def _detect_all(
    detector: HarmDetector, texts: Sequence[str], languages: Sequence[str | None]
) -> list[DetectResult]:
    batch = getattr(detector, "detect_batch", None)
    if batch is not None:
        return list(batch(texts, languages))
    return [detector.detect(text) for text in texts]


@dataclass(frozen=True)
class HarmSpec:
    """What workers receive: the checked policy and where the keyword library is (None: the
    library shipped inside the package, which every worker installs)."""

    policy: HarmPolicy
    library_dir: str | None = None
    run_id: str = ""
    # source -> the kind of text it holds, whose measured detector error the gate corrects by
    source_types: Mapping[str, str | None] = field(default_factory=dict)
    name: str = NAME

    def __post_init__(self) -> None:
        known = set(self.policy.detector_error)
        for source_id, kind in self.source_types.items():
            if kind is not None and kind not in known:
                raise ValueError(
                    f"source {source_id}: content_type {kind!r} has no measured detector error "
                    f"in the harm policy; use one of {', '.join(sorted(known))} "
                    "(or measure it: corpusgate harm calibrate)"
                )

    def detector(self) -> HarmDetector:
        return HarmDetector.shared(self.policy, self.library_dir)

    def build(self) -> HarmFilter:
        return HarmFilter(self.detector())


def _language(record: Record) -> str | None:
    return record["lineage"].get("language")


def _describe(flags: list[dict[str, Any]]) -> str:
    codes = sorted({f["code"] for f in flags})
    by = sorted({f"{f['detector']}={f['score']:.2f}" for f in flags})
    return f"codes {', '.join(codes)} ({'; '.join(by)})"


def _gate_line(gate: dict[str, Any]) -> str:
    return (
        f"{gate['flagged']}/{gate['sample_size']} sampled flagged, rate {gate['rate']:.2%}, "
        f"{gate['confidence']:.0%} CI [{gate['ci_low']:.2%}, {gate['ci_high']:.2%}]"
    )


class HarmFilter(RecordCheck):
    """Pass 2: each record scored, then judged by its source's gate decision and its flags."""

    batch_size = 256

    def __init__(self, detector: HarmDetector) -> None:
        self.detector = detector

    def check(self, record: Record, *side: Any) -> Verdict:
        return self.check_batch([record], *side)[0]

    def check_batch(self, records: Sequence[Record], *side: Any) -> list[Verdict]:
        (decisions,) = side
        results = _detect_all(
            self.detector, [r["text"] for r in records], [_language(r) for r in records]
        )
        return [self._judge(r, res, decisions) for r, res in zip(records, results, strict=True)]

    @staticmethod
    def _judge(record: Record, result: DetectResult, decisions: dict[str, Any]) -> Verdict:
        gate = decisions.get(record["source_id"])
        if gate is None:
            raise RuntimeError(
                f"no gate decision for source {record['source_id']!r}: pass 1 and pass 2 of "
                "the harm stage saw different records"
            )
        lineage = {"harm": result.flags, "assessment_id": gate["assessment_id"]}
        if gate["decision"] == "reject":
            detail = (
                f"assessment {gate['assessment_id']}: {_gate_line(gate)} > {gate['threshold']:.0%}"
            )
            return quarantine(SOURCE_GATE, SOURCE_REJECTED, detail, lineage=lineage)
        passed = (
            decision(SOURCE_GATE, detail=f"assessment {gate['assessment_id']}: {_gate_line(gate)}"),
        )
        if result.flagged:
            return quarantine(
                HARM, HARMFUL_CONTENT, _describe(result.flags), passed=passed, lineage=lineage
            )
        return keep(HARM, "no flag", passed=passed, lineage=lineage)


# ---------------------------------------------------------------------- pass 1: the gate


@dataclass
class _Sample:
    """A source's bottom-k candidates (with their payload) and how many records it has."""

    bottom: BottomK
    population: int = 0


@dataclass(frozen=True)
class GateChoice:
    """A source's sample (the ids of its bottom k by rank of (seed, record_id)) and how many
    records it has: all that pass 1 keeps of a source."""

    ids: frozenset[str]
    population: int


class _BottomKFn(beam.CombineFn):
    """Mergeable across workers: bottom-k keeps k entries, the count is a sum."""

    def __init__(self, k: int, seed: str) -> None:
        self._k = k
        self._seed = seed

    def create_accumulator(self) -> _Sample:
        return _Sample(BottomK(self._k, self._seed))

    def merge_accumulators(self, accs: Any) -> _Sample:
        accs = iter(accs)
        first = next(accs)
        for other in accs:
            first.bottom.merge(other.bottom)
            first.population += other.population
        return first


class _ChooseFn(_BottomKFn):
    """Ids only: a bundle's accumulator holds at most k ids, never k texts. (With texts, each
    bundle of fewer than k records kept all of them until the merge, so a local run held the
    text of every record of every source at once.)"""

    def add_input(self, acc: _Sample, record_id: str) -> _Sample:
        acc.bottom.add(record_id)
        acc.population += 1
        return acc

    def extract_output(self, acc: _Sample) -> GateChoice:
        return GateChoice(frozenset(acc.bottom.record_ids()), acc.population)


class _SampleFn(_BottomKFn):
    """The chosen records' detection results (`SampleEntry`), for the gate report."""

    def add_input(self, acc: _Sample, item: tuple[str, SampleEntry]) -> _Sample:
        record_id, entry = item
        acc.bottom.add(record_id, entry)
        acc.population += 1
        return acc

    def extract_output(self, acc: _Sample) -> _Sample:
        return acc


class ChooseSample(beam.PTransform):
    """Records → (source_id, GateChoice): each source's k sample ids and its population."""

    def __init__(self, policy: HarmPolicy) -> None:
        super().__init__()
        self._k = policy.sample_size
        self._seed = policy.seed

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        return (
            records
            | "Item" >> beam.Map(lambda r: (r["source_id"], r["record_id"]))
            | "BottomK" >> beam.CombinePerKey(_ChooseFn(self._k, self._seed))
        )


def in_sample(record: Record, choices: Mapping[str, GateChoice]) -> bool:
    """Is the record one of its source's chosen sample?"""
    choice = choices.get(record["source_id"])
    return choice is not None and record["record_id"] in choice.ids


class _ScoreFn(beam.DoFn):
    """A batch of chosen records → (source_id, (record_id, SampleEntry)) each."""

    def __init__(self, spec: HarmSpec) -> None:
        self._spec = spec

    def setup(self) -> None:
        self._detector = self._spec.detector()
        freeze_long_lived()

    def process(self, records: list[Record]) -> Iterator[tuple[str, tuple[str, SampleEntry]]]:
        results = _detect_all(
            self._detector, [r["text"] for r in records], [_language(r) for r in records]
        )
        for record, res in zip(records, results, strict=True):
            entry = SampleEntry(res.flagged, res.language, tuple(res.model_hits), tuple(res.codes))
            yield record["source_id"], (record["record_id"], entry)


class ScoreSample(beam.PTransform):
    """The chosen records → (source_id, `_Sample` of their results): scored in the stage that
    reads them, then at most k small entries per source meet in its combine."""

    def __init__(self, spec: HarmSpec) -> None:
        super().__init__()
        self._spec = spec

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        policy = self._spec.policy
        return (
            records
            | "Batch"
            >> beam.BatchElements(
                min_batch_size=HarmFilter.batch_size, max_batch_size=HarmFilter.batch_size
            )
            | "Detect" >> beam.ParDo(_ScoreFn(self._spec))
            | "BottomK" >> beam.CombinePerKey(_SampleFn(policy.sample_size, policy.seed))
        )


class _DecideFn(beam.DoFn):
    def __init__(self, spec: HarmSpec) -> None:
        self._spec = spec

    def setup(self) -> None:
        self._detector = self._spec.detector()
        self._accuracy = model_accuracy(self._detector)

    def process(
        self, item: tuple[str, _Sample], choices: Mapping[str, GateChoice]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        source_id, sample = item
        report = gate_report(
            sample.bottom.items(),
            choices[source_id].population,
            self._spec.policy,
            methods=self._detector.methods,
            accuracy=self._accuracy,
            source_type=self._spec.source_types.get(source_id),
        )
        report["assessment_id"] = assessment_id_for(self._spec.run_id, source_id)
        report["run_id"] = self._spec.run_id
        yield source_id, report


class DecideGate(beam.PTransform):
    """(source_id, sample) → (source_id, gate report): only the samples are scored; the
    population comes from each source's `GateChoice`."""

    def __init__(self, spec: HarmSpec, choices: beam.PCollection) -> None:
        super().__init__()
        self._spec = spec
        self._choices = choices

    def expand(self, samples: beam.PCollection) -> beam.PCollection:
        return samples | "ScoreSample" >> beam.ParDo(
            _DecideFn(self._spec), beam.pvalue.AsDict(self._choices)
        )


GATE = "gate"  # output tag of the per-source gate reports


class HarmStage(beam.PTransform):
    """Both passes. Pass 1 chooses each source's sample ids from `rank_records` and scores the
    chosen records of `sample_records` (a read of the same sources that builds only the chosen
    records, `ReadSource(only=...)`); pass 2 filters `records` with the decisions as a side
    input. Without them all three come from `records`, which a local runner then holds in
    memory until the decisions exist: fine for tests, not for a corpus."""

    def __init__(
        self,
        spec: HarmSpec,
        rank_records: beam.PCollection | None = None,
        sample_records: beam.PCollection | None = None,
        choices: beam.PCollection | None = None,
    ) -> None:
        super().__init__()
        self._spec = spec
        self._rank_records = rank_records
        self._sample_records = sample_records
        self._choices = choices

    def expand(self, records: beam.PCollection) -> dict[str, beam.PCollection]:
        choices = self._choices
        if choices is None:
            ranked = self._rank_records if self._rank_records is not None else records
            choices = ranked | "ChooseSample" >> ChooseSample(self._spec.policy)
        sample = self._sample_records
        if sample is None:
            sample = records | "InSample" >> beam.Filter(in_sample, beam.pvalue.AsDict(choices))
        decisions = (
            sample
            | "GateSample" >> ScoreSample(self._spec)
            | "DecideGate" >> DecideGate(self._spec, choices)
        )
        out = records | "Filter" >> CheckStage(
            self._spec, side_inputs=[beam.pvalue.AsDict(decisions)]
        )
        return {**out, GATE: decisions}

"""The Harm stage of `curate`: post-collection verification (4.1.1 b) and filtering (4.2.1).

    records ─► ScoreHarm ─┬─► KeyBySource ─► SampleBottomK ─┐
                          │   CountBySource ────────────────┴─► DecideGate ─► (side input)
                          └──────────────────────────────────────► GateSource ─► kept
                                                                              └─► quarantine

- ScoreHarm runs `HarmDetector` on every record and fills lineage `harm` with its flags.
- The gate draws each source's bottom-k sample (keyed hash of seed and record_id, the same
  sample `corpusgate assess` draws) and decides it with `assess.gate_report`.
- GateSource: a rejected source leaves whole, every record quarantined `source_rejected` with
  the verification's id in `lineage.assessment_id`; in an accepted source a flagged record is
  quarantined `harmful_content` with its codes; the rest pass with a decision naming any
  signal.
- `summary` carries ("gate", source_id, report) for `after_run`, which appends one
  verification row per source to the store and sets its status; and ("harm_library",
  "keywords", ...) with the keyword library's age (B.1.1 c weekly update).
"""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from corpusgate.schemas.reasons import (
    HARM,
    HARMFUL_CONTENT,
    PASS,
    SOURCE_GATE,
    SOURCE_REJECTED,
)
from corpusgate.schemas.records import Record, add_decision, to_quarantine
from corpusgate.transforms.harm.detect import HarmDetector, HarmPolicy
from corpusgate.transforms.harm.gate.assessment import (
    SampleEntry,
    gate_report,
    model_accuracy,
)
from corpusgate.transforms.harm.gate.statistics import BottomK
from corpusgate.transforms.harm.keywords import UPDATE_INTERVAL, KeywordLibrary
from corpusgate.transforms.spine.checks import QUARANTINE, RECORDS, SUMMARY, CheckContext

__all__ = ["GateSource", "ScoreHarm", "assessment_id_for", "library_warning", "make_check"]

GATE = "gate"
LIBRARY = "harm_library"
# uuid5 namespace of verification ids: uuid5(NS, f"{run_id}/{source_id}").
_NAMESPACE = uuid.UUID("6f1c1f0e-5a0b-4c55-9d55-2c3d7c4b6a11")
_FLAGGED = "_harm_flagged"  # transient key between ScoreHarm and GateSource
_LANGUAGE = "_harm_language"
_MODEL_HITS = "_harm_model_hits"
_TRANSIENT = frozenset({_FLAGGED, _LANGUAGE, _MODEL_HITS})


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
        "(corpusgate keywords build)"
    )


class _ScoreHarmFn(beam.DoFn):
    def __init__(self, policy: HarmPolicy, library_dir: str | None) -> None:
        self._policy = policy
        self._library_dir = library_dir
        self._seen = Metrics.counter("harm", "seen")
        self._flagged = Metrics.counter("harm", "flagged")
        self._detector: HarmDetector | None = None

    def setup(self) -> None:
        self._detector = HarmDetector.load(self._policy, self._library_dir)

    def process(self, record: Record) -> Iterator[Record]:
        assert self._detector is not None
        self._seen.inc()
        result = self._detector.detect(record["text"])
        record["lineage"]["harm"] = result.flags
        if result.flagged:
            self._flagged.inc()
        record[_FLAGGED] = result.flagged  # type: ignore[typeddict-unknown-key]
        record[_LANGUAGE] = result.language  # type: ignore[typeddict-unknown-key]
        record[_MODEL_HITS] = result.model_hits  # type: ignore[typeddict-unknown-key]
        yield record


class ScoreHarm(beam.PTransform):
    """Records in, the same records out with lineage `harm` filled (nothing removed)."""

    def __init__(self, policy: HarmPolicy, library_dir: str | None = None) -> None:
        super().__init__()
        self._policy = policy
        self._library_dir = library_dir

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        return records | "Detect" >> beam.ParDo(_ScoreHarmFn(self._policy, self._library_dir))


class _SampleFn(beam.CombineFn):
    """A source's bottom-k sample, mergeable across workers (gate_stats.BottomK)."""

    def __init__(self, k: int, seed: str) -> None:
        self._k = k
        self._seed = seed

    def create_accumulator(self) -> BottomK:
        return BottomK(self._k, self._seed)

    def add_input(self, acc: BottomK, item: tuple[str, SampleEntry]) -> BottomK:
        acc.add(item[0], item[1])
        return acc

    def merge_accumulators(self, accs: Any) -> BottomK:
        accs = iter(accs)
        first = next(accs)
        for other in accs:
            first.merge(other)
        return first

    def extract_output(self, acc: BottomK) -> list[tuple[int, str, SampleEntry]]:
        return acc.items()


def _decide(
    kv: tuple[str, list[tuple[int, str, SampleEntry]]],
    populations: dict[str, int],
    policy: HarmPolicy,
    methods: list[str],
    accuracy: dict[str, dict[str, Any]],
    run_id: str,
) -> tuple[str, dict[str, Any]]:
    source_id, sample = kv
    report = gate_report(sample, populations[source_id], policy, methods=methods, accuracy=accuracy)
    report["assessment_id"] = assessment_id_for(run_id, source_id)
    report["run_id"] = run_id
    return source_id, report


class _GateSourceFn(beam.DoFn):
    def __init__(self) -> None:
        self._kept = Metrics.counter("harm", "kept")
        self._rejected = Metrics.counter("harm", f"quarantined_{SOURCE_REJECTED}")
        self._harmful = Metrics.counter("harm", f"quarantined_{HARMFUL_CONTENT}")

    def process(
        self, scored: dict[str, Any], decisions: dict[str, dict[str, Any]]
    ) -> Iterator[Any]:
        # The scored record also feeds the sampler: Beam forbids mutating an input, so copy
        # what changes here (the record, its lineage and decision list).
        flagged = bool(scored[_FLAGGED])
        record = {k: v for k, v in scored.items() if k not in _TRANSIENT}
        lineage = dict(scored["lineage"])
        lineage["decisions"] = list(lineage["decisions"])
        record["lineage"] = lineage
        gate = decisions[record["source_id"]]
        lineage["assessment_id"] = gate["assessment_id"]
        verdict = (
            f"{gate['flagged']}/{gate['sample_size']} sampled flagged, rate {gate['rate']:.2%}, "
            f"{gate['confidence']:.0%} CI [{gate['ci_low']:.2%}, {gate['ci_high']:.2%}]"
        )
        if gate["decision"] == "reject":
            self._rejected.inc()
            detail = f"assessment {gate['assessment_id']}: {verdict} > {gate['threshold']:.0%}"
            yield beam.pvalue.TaggedOutput(
                QUARANTINE,
                to_quarantine(record, SOURCE_GATE, SOURCE_REJECTED, detail),  # type: ignore[arg-type]
            )
            return
        add_decision(record, SOURCE_GATE, PASS, f"assessment {gate['assessment_id']}: {verdict}")  # type: ignore[arg-type]
        flags = lineage.get("harm") or []
        if flagged:
            self._harmful.inc()
            yield beam.pvalue.TaggedOutput(
                QUARANTINE,
                to_quarantine(record, HARM, HARMFUL_CONTENT, _describe(flags)),  # type: ignore[arg-type]
            )
            return
        self._kept.inc()
        add_decision(record, HARM, PASS, "no flag")  # type: ignore[arg-type]
        yield record


def _describe(flags: list[dict[str, Any]]) -> str:
    codes = sorted({f["code"] for f in flags})
    by = sorted({f"{f['detector']}={f['score']:.2f}" for f in flags})
    return f"codes {', '.join(codes)} ({'; '.join(by)})"


class GateSource(beam.PTransform):
    """Scored records in; {"records", "quarantine", "summary"} out (see the module doc)."""

    def __init__(
        self,
        policy: HarmPolicy,
        run_id: str,
        methods: list[str],
        accuracy: dict[str, dict[str, Any]],
    ) -> None:
        super().__init__()
        self._policy = policy
        self._run_id = run_id
        self._methods = methods
        self._accuracy = accuracy

    def expand(self, scored: beam.PCollection) -> dict[str, beam.PCollection]:
        policy = self._policy
        keyed = scored | "KeyBySource" >> beam.Map(
            lambda r: (
                r["source_id"],
                (
                    r["record_id"],
                    SampleEntry(
                        r[_FLAGGED],
                        r[_LANGUAGE],
                        tuple(r[_MODEL_HITS]),
                        tuple(sorted({f["code"] for f in r["lineage"]["harm"]})),
                    ),
                ),
            )
        )
        samples = keyed | "SampleBottomK" >> beam.CombinePerKey(
            _SampleFn(policy.sample_size, policy.seed)
        )
        populations = (
            scored
            | "OnePerRecord" >> beam.Map(lambda r: (r["source_id"], 1))
            | "CountBySource" >> beam.CombinePerKey(sum)
        )
        decisions = samples | "DecideGate" >> beam.Map(
            _decide,
            beam.pvalue.AsDict(populations),
            policy,
            self._methods,
            self._accuracy,
            self._run_id,
        )
        out = scored | "GateAndFilter" >> beam.ParDo(
            _GateSourceFn(), beam.pvalue.AsDict(decisions)
        ).with_outputs(QUARANTINE, main=RECORDS)
        summary = decisions | "TagGate" >> beam.MapTuple(lambda sid, rep: (GATE, sid, rep))
        return {RECORDS: out[RECORDS], QUARANTINE: out[QUARANTINE], SUMMARY: summary}


class CheckHarm(beam.PTransform):
    """ScoreHarm → GateSource, plus the keyword library's age in the summary."""

    def __init__(
        self,
        policy: HarmPolicy,
        run_id: str,
        *,
        library_dir: str | None = None,
        today: dt.date | None = None,
    ) -> None:
        super().__init__()
        # Build one detector now: a bad policy, model or library fails the build, not a worker,
        # and the methods and model accuracy the gate records come from what will really run.
        detector = HarmDetector.load(policy, library_dir)
        library = detector.matcher.library
        self._policy = policy
        self._run_id = run_id
        self._library_dir = library_dir
        self._methods = detector.methods
        self._accuracy = model_accuracy(detector)
        today = today or dt.date.today()
        self.warning = library_warning(library, today)
        self._library_info = {
            "version": library.version,
            "build_date": library.build_date.isoformat(),
            "age_days": (today - library.build_date).days,
            "stale": library.is_stale(today),
            "warning": self.warning,
        }

    def expand(self, records: beam.PCollection) -> dict[str, beam.PCollection]:
        scored = records | "ScoreHarm" >> ScoreHarm(self._policy, self._library_dir)
        out = scored | "GateSource" >> GateSource(
            self._policy, self._run_id, self._methods, self._accuracy
        )
        info = records.pipeline | "LibraryAge" >> beam.Create(
            [(LIBRARY, "keywords", self._library_info)]
        )
        summary = (out[SUMMARY], info) | "HarmSummary" >> beam.Flatten()
        return {RECORDS: out[RECORDS], QUARANTINE: out[QUARANTINE], SUMMARY: summary}


def policy_from_context(ctx: CheckContext) -> HarmPolicy:
    settings = ctx.settings
    path = settings.get("policy")
    if path is not None and not isinstance(path, str):
        raise ValueError(f"harm.policy {path!r}: expected a file path")
    policy = HarmPolicy.load(ctx.path(path) if path else None)
    return policy.with_settings(settings, "harm")


def make_check(ctx: CheckContext) -> CheckHarm | None:
    """The run's harm stage. Settings (run config key `harm`):

    policy          a harm policy file (default: the shipped configs/policies/harm.yaml)
    sample_size     items per source sample (default: the policy's, 4,000)
    seed            the sample's key (default: the policy's)
    gate_threshold  the source gate's limit (default 0.05)
    """
    policy = policy_from_context(ctx)
    if not ctx.facts:
        return None
    check = CheckHarm(policy, ctx.run_id)
    if check.warning:
        # The CLI silences logging below ERROR; a stale library must still be seen.
        print(f"corpusgate: warning: {check.warning}", file=sys.stderr)
    return check


def after_run(
    ctx: CheckContext, summaries: dict[str, list[Any]], store: Any, manifest: dict[str, Any]
) -> None:
    """Append one verification row per source and set its status (append-only store)."""
    for source_id, report in summaries.get(GATE) or []:
        store.add_gate_report(
            source_id,
            "verification",
            report,
            actor=f"corpusgate run {ctx.run_id}",
            run_id=ctx.run_id,
            assessment_id=report["assessment_id"],
        )
        status = "verified_rejected" if report["decision"] == "reject" else "verified_accepted"
        store.set_status(source_id, status, run_id=ctx.run_id, note=report["action"])

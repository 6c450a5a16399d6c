"""The 5% gate's sample → answer, shared by `corpusgate assess` (4.1.1 a) and `run` (4.1.1 b).

Pure core, no Beam. Both paths draw the same bottom-k sample (keyed hash of seed and
record_id, `gate_stats.BottomK`), run the same `HarmDetector` on it and call `gate_report`, so
an assessment before collection and the verification inside a run agree record for record
when given the same seed and the same records.

`gate_report` gives the observed (raw) rate and its exact Clopper–Pearson interval, and, when
the policy has the whole decision's measured error for the source's type, the Rogan–Gladen
corrected prevalence with an interval that includes the detector's own uncertainty
(`statistics.corrected_interval`). The decision follows the standard's rule (reject above 5%)
applied to the corrected prevalence (the raw rate without a measured error), says whether its
interval supports it (else: inconclusive, with the sample size that would settle it), and
lists, per classifier with measured sensitivity and specificity, the corrected prevalence of
what that model detects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from corpusgate.transforms.harm.detect import HarmDetector, HarmPolicy
from corpusgate.transforms.harm.gate.statistics import (
    BottomK,
    corrected_interval,
    corrected_prevalence,
    gate_decision,
)

__all__ = [
    "REJECT_ACTION",
    "SampleEntry",
    "assess_records",
    "gate_report",
    "model_accuracy",
]

REJECT_ACTION = "source rejected: not collected / not used for training (4.1.1)"
ACCEPT_ACTION = "source accepted: records filtered one by one (4.2.1)"


@dataclass(frozen=True)
class SampleEntry:
    """What the gate keeps of a sampled record: small, so a 4,000-item sample stays small."""

    flagged: bool
    language: str
    model_hits: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()


def model_accuracy(detector: HarmDetector) -> dict[str, dict[str, Any]]:
    """Per loaded model: language, sensitivity, specificity from its card (None if absent)."""
    out = {}
    for name, model in detector.classifiers.items():
        metrics = model.card.get("metrics") or {}
        out[name] = {
            "language": model.card.get("language"),
            "sensitivity": metrics.get("sensitivity"),
            "specificity": metrics.get("specificity"),
            "decides_alone": name in detector.policy.decide_alone,
        }
    return out


def _sample_digest(record_ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(record_ids)).encode("utf-8")).hexdigest()


def gate_report(
    sample: list[tuple[int, str, SampleEntry]],
    population: int,
    policy: HarmPolicy,
    *,
    methods: list[str],
    accuracy: Mapping[str, Mapping[str, Any]] | None = None,
    source_type: str | None = None,
) -> dict[str, Any]:
    """The gate's answer for one source from its bottom-k sample (rank, record_id, entry).

    `source_type` picks the policy's measured detector error (`gate.detector_error`); None
    means `default`. Without a row for it the decision falls back to the raw rate.
    """
    n = len(sample)
    if n == 0:
        raise ValueError("the sample is empty: a source with no records cannot be assessed")
    flagged_ids = [rid for _, rid, e in sample if e.flagged]
    decision = gate_decision(
        len(flagged_ids), n, policy.gate_threshold, policy.alpha, population=population
    )
    kind = source_type or "default"
    error = policy.detector_error.get(kind) if policy.corrected_gate else None
    census = n >= population
    corrected_fields: dict[str, Any] = {
        "raw_rate": decision.rate,
        "decided_on": "raw_rate",
        "source_type": kind,
        "detector_error": None,
    }
    final, inconclusive, settle = (
        decision.decision,
        decision.inconclusive,
        (decision.settling_sample_size),
    )
    if error is not None:
        est = corrected_interval(
            len(flagged_ids), n, error["fpr"], error["tpr"], policy.alpha, census=census
        )
        threshold = policy.gate_threshold
        final = "reject" if est.estimate > threshold else "accept"
        inconclusive = est.lo <= threshold <= est.hi
        settle = (
            _corrected_settling(len(flagged_ids) / n, n, error, policy) if inconclusive else None
        )
        corrected_fields.update(
            est.as_dict(),
            decided_on="corrected_rate",
            detector_error={
                "source_type": kind,
                "fpr": est.fpr,
                "fpr_counts": list(error["fpr"]),
                "tpr": est.tpr,
                "tpr_counts": list(error["tpr"]),
                "interval": (
                    "Rogan-Gladen; Bonferroni over the sample rate and the detector's measured "
                    "FPR and TPR, each an exact Clopper-Pearson interval"
                ),
            },
        )
    corrected: dict[str, Any] = {}
    for name, acc in (accuracy or {}).items():
        in_language = [e for _, _, e in sample if e.language == acc.get("language")]
        hits = sum(1 for e in in_language if name in e.model_hits)
        row: dict[str, Any] = {
            "language": acc.get("language"),
            "scored": len(in_language),
            "reached_threshold": hits,
            "decides_alone": bool(acc.get("decides_alone")),
        }
        sens, spec = acc.get("sensitivity"), acc.get("specificity")
        if in_language and sens is not None and spec is not None:
            est = corrected_prevalence(hits / len(in_language), float(sens), float(spec))
            row.update(
                rate=hits / len(in_language),
                sensitivity=float(sens),
                specificity=float(spec),
                corrected_prevalence=est.prevalence,
                note=est.note
                or "prevalence of this model's categories if its dev-set error rates hold here",
            )
        corrected[name] = row
    codes: dict[str, int] = {}
    for _, _, e in sample:
        for code in e.codes:
            codes[code] = codes.get(code, 0) + 1
    return {
        "sample_size": n,
        "population": population,
        "sampled_whole_source": n >= population,
        "flagged": len(flagged_ids),
        "rate": decision.rate,
        "ci_low": decision.lo,
        "ci_high": decision.hi,
        "confidence": 1 - decision.alpha,
        "threshold": decision.threshold,
        "decision": final,
        "inconclusive": inconclusive,
        "settling_sample_size": settle,
        **corrected_fields,
        "seed": policy.seed,
        "requested_sample_size": policy.sample_size,
        "policy": policy.version,
        "methods": methods,
        "flagged_codes": dict(sorted(codes.items())),
        "flagged_record_ids": sorted(flagged_ids),
        "sample_sha256": _sample_digest(rid for _, rid, _ in sample),
        "corrected_prevalence": corrected,
        "action": REJECT_ACTION if final == "reject" else ACCEPT_ACTION,
    }


def _corrected_settling(
    rate: float, n: int, error: Mapping[str, tuple[int, int]], policy: HarmPolicy
) -> int | None:
    """Smallest sample size (doubling, then bisection) at which the same observed rate gives
    a corrected interval excluding the threshold; None when the detector's own uncertainty
    keeps it open at any size (then only a better-measured detector settles it)."""

    def settles(m: int) -> bool:
        est = corrected_interval(rate * m, m, error["fpr"], error["tpr"], policy.alpha)
        return not est.lo <= policy.gate_threshold <= est.hi

    hi = n
    while not settles(hi):
        hi *= 2
        if hi > 10**9:
            return None
    lo = n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if settles(mid):
            hi = mid
        else:
            lo = mid
    return hi


def assess_records(
    records: Iterable[Mapping[str, Any]],
    detector: HarmDetector,
    *,
    source_type: str | None = None,
) -> dict[str, Any]:
    """Sample `records` (dicts with record_id, text and, as the run has it, language), detect
    on the sample, report: what the run's gate does, so both agree record for record."""
    policy = detector.policy
    sample = BottomK(policy.sample_size, policy.seed)
    population = 0
    for record in records:
        population += 1
        sample.add(str(record["record_id"]), (str(record["text"]), record.get("language")))
    picked = sample.items()
    results = detector.detect_batch(
        [text for _, _, (text, _) in picked], [language for _, _, (_, language) in picked]
    )
    items = [
        (
            rank,
            record_id,
            SampleEntry(result.flagged, result.language, result.model_hits, tuple(result.codes)),
        )
        for (rank, record_id, _), result in zip(picked, results, strict=True)
    ]
    if not items:
        raise ValueError("the source has no readable records: nothing to sample")
    return gate_report(
        items,
        population,
        policy,
        methods=detector.methods,
        accuracy=model_accuracy(detector),
        source_type=source_type,
    )

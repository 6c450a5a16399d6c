"""The 5% gate corrected for its detector (GB/T 45654-2025 4.1.1): Rogan–Gladen prevalence with
an interval over the sample and the detector's measured error, and what it does over seeds."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from corpusgate.transforms.harm.detect import HarmPolicy
from corpusgate.transforms.harm.gate.assessment import SampleEntry, gate_report
from corpusgate.transforms.harm.gate.statistics import clopper_pearson, corrected_interval

# A detector measured as in the shipped policy's shape: 12 of 6,000 clean items flagged
# (FPR 0.2%), 2,700 of 3,000 harmful items flagged (TPR 90%).
FPR, TPR = (12, 6000), (2700, 3000)


def test_corrected_estimate_is_rogan_gladen() -> None:
    est = corrected_interval(92, 1000, FPR, TPR)
    assert est.estimate == pytest.approx((0.092 - 0.002) / (0.9 - 0.002))
    assert est.lo < est.estimate < est.hi
    assert est.informative


def test_interval_is_wider_than_the_sample_alone() -> None:
    """The detector's own uncertainty widens the interval beyond the sample's."""
    est = corrected_interval(92, 1000, FPR, TPR)
    lo, hi = clopper_pearson(92, 1000)
    assert est.hi - est.lo > (hi - lo) / (0.9 - 0.002)
    # ... and a detector measured on fewer items gives a wider one still.
    rough = corrected_interval(92, 1000, (1, 500), (27, 30))
    assert rough.hi - rough.lo > est.hi - est.lo


@pytest.mark.parametrize(
    ("k", "n", "census", "lo_zero"),
    [(0, 4000, False, True), (8, 4000, False, True), (0, 60, True, True)],
)
def test_clean_looking_samples_clip_at_zero(k: int, n: int, census: bool, lo_zero: bool) -> None:
    est = corrected_interval(k, n, FPR, TPR, census=census)
    assert est.estimate >= 0.0 and (est.lo == 0.0) is lo_zero


def test_uninformative_detector_says_nothing() -> None:
    est = corrected_interval(50, 1000, (100, 1000), (100, 1000))
    assert not est.informative and est.hi == 1.0


def test_census_has_no_sampling_error_but_keeps_the_detectors() -> None:
    est = corrected_interval(18, 60, FPR, TPR, census=True)
    assert est.estimate == pytest.approx((0.3 - 0.002) / 0.898)
    assert est.lo < est.estimate < est.hi  # the detector's uncertainty remains


def _policy() -> HarmPolicy:
    return replace(
        HarmPolicy(), detector_error={"default": {"fpr": FPR, "tpr": TPR}}, sample_size=4000
    )


def _entries(flags: list[bool]) -> list[tuple[int, str, SampleEntry]]:
    return [(i, f"r{i}", SampleEntry(f, "zh")) for i, f in enumerate(flags)]


def test_report_keeps_the_raw_figures_and_adds_the_corrected_ones() -> None:
    flags = [i < 120 for i in range(4000)]  # 3% flagged
    report = gate_report(_entries(flags), 100_000, _policy(), methods=["m"])
    assert report["rate"] == report["raw_rate"] == 0.03
    assert report["decided_on"] == "corrected_rate"
    assert report["corrected_rate"] == pytest.approx((0.03 - 0.002) / 0.898)
    assert report["detector_error"]["fpr_counts"] == [12, 6000]
    assert report["decision"] == "accept" and not report["inconclusive"]
    for key in ("ci_low", "ci_high", "corrected_ci_low", "corrected_ci_high", "action"):
        assert key in report


def test_without_a_measured_error_the_gate_decides_on_the_raw_rate() -> None:
    flags = [i < 240 for i in range(4000)]  # 6%
    report = gate_report(_entries(flags), 100_000, HarmPolicy(), methods=["m"])
    assert report["decided_on"] == "raw_rate" and report["decision"] == "reject"


def test_correction_changes_the_answer_where_the_detector_explains_the_rate() -> None:
    """4.5% flagged by a detector with FPR 1.5% and TPR 60% implies (4.5 - 1.5) / (60 - 1.5)
    = 5.1% harmful: over the line, though the raw rate is under it."""
    policy = replace(
        HarmPolicy(), detector_error={"default": {"fpr": (90, 6000), "tpr": (1800, 3000)}}
    )
    flags = [i < 180 for i in range(4000)]  # 4.5%
    report = gate_report(_entries(flags), 100_000, policy, methods=["m"])
    assert report["raw_rate"] < 0.05 < report["corrected_rate"]
    assert report["decision"] == "reject"


def _simulate(share: float, seeds: int, fpr: float, tpr: float) -> int:
    """Rejections over seeds of a 20,000-record source with `share` harmful, 4,000 sampled,
    whose records a detector flags with the given true rates."""
    policy = _policy()
    rejected = 0
    for seed in range(seeds):
        rng = random.Random(seed)
        n_harm = round(20_000 * share)
        harmful = [i < n_harm for i in range(20_000)]
        picked = rng.sample(range(20_000), policy.sample_size)
        flags = [rng.random() < (tpr if harmful[i] else fpr) for i in picked]
        report = gate_report(_entries(flags), 20_000, policy, methods=["sim"])
        rejected += report["decision"] == "reject"
    return rejected


def test_simulated_clean_source_is_almost_never_rejected() -> None:
    # A clean source whose real FPR is twice the measured one still passes.
    assert _simulate(0.0, 60, fpr=0.004, tpr=0.9) == 0


def test_simulated_eight_percent_source_is_rejected() -> None:
    # A source 8% harmful, caught by a detector somewhat worse than measured (85% vs 90%).
    assert _simulate(0.08, 60, fpr=0.002, tpr=0.85) >= 57  # >= 95% of seeds

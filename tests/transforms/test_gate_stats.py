"""The 5% gate's statistics: reproducible bottom-k samples, exact intervals, decisions."""

from __future__ import annotations

import random

import pytest

from corpusgate.transforms.harm.gate.statistics import (
    BottomK,
    bottom_k_rank,
    clopper_pearson,
    corrected_prevalence,
    gate_decision,
    settling_sample_size,
)

# References computed independently of scipy: bisection on exact binomial tail sums
# (math.comb, 50-digit Decimal), alpha = 0.05. k=0 and k=n also have closed forms.
CLOPPER_PEARSON_REFERENCE = [
    (0, 10, 0.0, 0.308497107819),  # hi = 1 - 0.025 ** (1/10)
    (1, 10, 0.002528578544, 0.445016117028),
    (10, 10, 0.691502892181, 1.0),  # lo = 0.025 ** (1/10)
    (5, 100, 0.016431879182, 0.112834911105),
    (50, 1000, 0.037335397605, 0.065390487915),
    (0, 4000, 0.0, 0.000921794749),
]


@pytest.mark.parametrize(("k", "n", "lo", "hi"), CLOPPER_PEARSON_REFERENCE)
def test_clopper_pearson_matches_exact_binomial_reference(k, n, lo, hi):
    got_lo, got_hi = clopper_pearson(k, n)
    assert got_lo == pytest.approx(lo, abs=1e-10)
    assert got_hi == pytest.approx(hi, abs=1e-10)


def test_clopper_pearson_wider_at_higher_confidence():
    lo95, hi95 = clopper_pearson(5, 100, alpha=0.05)
    lo99, hi99 = clopper_pearson(5, 100, alpha=0.01)
    assert lo99 < lo95 < 0.05 < hi95 < hi99


@pytest.mark.parametrize(
    ("k", "n", "alpha"),
    [
        (-1, 10, 0.05),
        (11, 10, 0.05),
        (0, 0, 0.05),
        (1, 10, 0.0),
        (1, 10, 1.0),
        (1.0, 10, 0.05),
        (True, 10, 0.05),
    ],
)
def test_clopper_pearson_rejects_bad_input(k, n, alpha):
    with pytest.raises(ValueError):
        clopper_pearson(k, n, alpha)


# Rule (4.1.1): reject when the rate exceeds 5%; inconclusive when the interval holds 5%.
@pytest.mark.parametrize(
    ("k", "n", "decision", "inconclusive"),
    [
        (0, 100, "accept", False),  # hi 0.0362
        (5, 100, "accept", True),  # exactly 5% is not "exceeds"
        (6, 100, "reject", True),
        (30, 1000, "accept", False),
        (50, 1000, "accept", True),
        (51, 1000, "reject", True),
        (80, 1000, "reject", False),
        (200, 4000, "accept", True),
        (320, 4000, "reject", False),
        (4000, 4000, "reject", False),
    ],
)
def test_gate_decision_table(k, n, decision, inconclusive):
    d = gate_decision(k, n)
    assert (d.decision, d.inconclusive) == (decision, inconclusive)
    assert d.lo <= d.rate <= d.hi
    if not inconclusive:
        assert d.settling_sample_size is None


def test_rate_exactly_at_threshold_has_no_settling_size():
    assert gate_decision(50, 1000).settling_sample_size is None


@pytest.mark.parametrize(("k", "n"), [(3, 100), (8, 100), (40, 1000), (60, 1000), (2, 100)])
def test_settling_size_is_the_smallest_that_excludes_the_threshold(k, n):
    d = gate_decision(k, n)
    m = d.settling_sample_size
    assert d.inconclusive and m is not None and m > n
    rate = k / n

    def excludes(size: int) -> bool:
        # the exact interval at a real-valued count rate * size, via its beta-quantile form
        from scipy.special import betaincinv

        x = rate * size
        lo = 0.0 if x == 0 else betaincinv(x, size - x + 1, 0.025)
        hi = betaincinv(x + 1, size - x, 0.975)
        return hi < 0.05 or lo > 0.05

    assert excludes(m)
    assert not excludes(m - 1)


def test_settling_size_grows_as_the_rate_nears_the_threshold():
    sizes = [settling_sample_size(r, 100) for r in (0.02, 0.03, 0.04, 0.045)]
    assert all(s is not None for s in sizes)
    assert sizes == sorted(sizes) and len(set(sizes)) == 4


def test_settling_size_for_a_zero_rate_matches_closed_form():
    # k = 0: hi = 1 - 0.025 ** (1/n) < 0.05  <=>  n > ln 0.025 / ln 0.95 = 71.9
    assert settling_sample_size(0.0, 10) == 72


# --- bottom-k samples -------------------------------------------------------------------------


def test_rank_is_keyed_and_stable():
    # Golden value: an assessor re-deriving a sample must get the same ranks on any machine.
    assert bottom_k_rank("assessor-2025", "src-035090") == 469139345279766
    assert bottom_k_rank("assessor-2025", "a") != bottom_k_rank("assessor-2026", "a")
    assert bottom_k_rank("s", "a") != bottom_k_rank("s", "b")


@pytest.mark.parametrize("seed", ["", "x" * 65])
def test_rank_rejects_unusable_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        bottom_k_rank(seed, "r1")


IDS = [f"src-{i:06d}" for i in range(50_000)]


def test_sample_is_reproducible_from_the_seed_alone():
    sample = BottomK.of(3, "assessor-2025", IDS)
    assert sample.record_ids() == ["src-035090", "src-018040", "src-002084"]


def test_sample_does_not_depend_on_order_or_partitioning():
    whole = BottomK.of(100, "seed-1", IDS[:5000]).record_ids()
    shuffled = IDS[:5000]
    random.Random(7).shuffle(shuffled)
    assert BottomK.of(100, "seed-1", shuffled).record_ids() == whole
    parts = [BottomK.of(100, "seed-1", shuffled[i::3]) for i in range(3)]
    merged = parts[2].merge(parts[0]).merge(parts[1])
    assert merged.record_ids() == whole
    # what a full sort by rank would pick
    expected = sorted(IDS[:5000], key=lambda r: (bottom_k_rank("seed-1", r), r))[:100]
    assert whole == expected


def test_duplicates_and_overlapping_merges_count_once():
    a = BottomK.of(10, "s", IDS[:300])
    b = BottomK.of(10, "s", IDS[100:400])
    a.merge(b).merge(BottomK.of(10, "s", IDS[:300]))
    assert a.record_ids() == BottomK.of(10, "s", IDS[:400]).record_ids()
    assert len(set(a.record_ids())) == 10


def test_payload_travels_with_the_record():
    s = BottomK(2, "s")
    for rid in ("a", "b", "c"):
        s.add(rid, payload={"id": rid})
    assert all(payload == {"id": rid} for _, rid, payload in s.items())


def test_small_source_returns_every_record():
    assert sorted(BottomK.of(10, "s", ["x", "y"]).record_ids()) == ["x", "y"]


def test_merge_refuses_different_seeds():
    with pytest.raises(ValueError, match="seed"):
        BottomK(5, "a").merge(BottomK(5, "b"))


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_bottomk_rejects_bad_k(k):
    with pytest.raises(ValueError):
        BottomK(k, "s")


# --- synthetic sources with known rates at the standard's sample sizes ------------------------
# Sizes: 100 and 1,000 items (B.2.1.1.3 c, e), 4,000 items (B.2.1.2.1 a manual spot check).
# Every 100 consecutive ids hold exactly `pct` harmful ones.


@pytest.mark.parametrize(
    ("pct", "n", "k", "decision", "inconclusive"),
    [
        (3, 100, 2, "accept", True),
        (3, 1000, 29, "accept", False),
        (3, 4000, 114, "accept", False),
        (5, 100, 4, "accept", True),
        (5, 1000, 48, "accept", True),
        (5, 4000, 199, "accept", True),
        (8, 100, 10, "reject", True),
        (8, 1000, 77, "reject", False),
        (8, 4000, 315, "reject", False),
    ],
)
def test_synthetic_source_decisions(pct, n, k, decision, inconclusive):
    sample = BottomK.of(n, "assessor-2025", IDS)
    flagged = sum(1 for rid in sample.record_ids() if int(rid[4:]) % 100 < pct)
    assert flagged == k
    d = gate_decision(flagged, n)
    assert (d.decision, d.inconclusive) == (decision, inconclusive)
    if inconclusive:
        # a source at exactly 5% can never be settled; others can, with a bigger sample
        assert d.settling_sample_size is not None and d.settling_sample_size > n


# --- error-corrected prevalence ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "sens", "spec", "expected", "clipped"),
    [
        (0.10, 0.80, 0.95, 0.0666667, False),  # (0.10 + 0.95 - 1) / 0.75
        (0.05, 1.00, 1.00, 0.05, False),  # a perfect detector changes nothing
        (0.01, 0.80, 0.90, 0.0, True),  # fewer flags than the false-positive rate alone
        (1.00, 0.60, 0.90, 1.0, True),
    ],
)
def test_rogan_gladen(rate, sens, spec, expected, clipped):
    c = corrected_prevalence(rate, sens, spec)
    assert c.prevalence == pytest.approx(expected, abs=1e-6)
    assert c.clipped is clipped
    assert bool(c.note) is clipped


@pytest.mark.parametrize(("sens", "spec"), [(0.5, 0.5), (0.3, 0.6)])
def test_uninformative_detector_gives_no_estimate(sens, spec):
    c = corrected_prevalence(0.1, sens, spec)
    assert c.prevalence is None and "chance" in c.note


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_corrected_prevalence_rejects_out_of_range(bad):
    with pytest.raises(ValueError):
        corrected_prevalence(bad, 0.9, 0.9)


def test_a_whole_source_sample_is_a_census_not_an_estimate() -> None:
    from corpusgate.transforms.harm.gate.statistics import gate_decision

    census = gate_decision(2, 60, population=60)
    assert (census.lo, census.hi) == (2 / 60, 2 / 60)
    assert census.decision == "accept" and not census.inconclusive
    assert census.settling_sample_size is None
    sampled = gate_decision(2, 60, population=6000)
    assert sampled.inconclusive and sampled.lo < 0.05 < sampled.hi

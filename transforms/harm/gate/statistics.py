"""Statistics of the 5% source gate (GB/T 45654-2025 4.1.1): sampling, intervals, decisions.

Pure Python (scipy only for the beta quantile; it ships with datasketch). Nothing here knows
about Beam: the pipeline wraps `BottomK` in a combiner and calls `gate_decision` on the counts.

- A record's rank is a keyed hash of (seed, record_id). A source's sample is the k records with
  the smallest ranks: uniform without replacement, independent of read order, and mergeable
  across workers, so an assessor who is given the seed re-derives exactly the same sample.
- The interval is the exact Clopper–Pearson interval. The decision follows the standard's rule
  (reject when the observed rate exceeds the threshold); when the interval contains the
  threshold the sample cannot support either answer, and the result says so and how large a
  sample would settle it.
- Detectors err: with a detector's sensitivity and specificity, the Rogan–Gladen estimator turns
  the flagged rate into an estimate of the true prevalence. `corrected_interval` gives that
  estimate an interval that carries both the sample's uncertainty and the uncertainty of the
  detector's own measured error rates (each a count on a labelled set), so a decision made on
  it knows what it does not know.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from scipy.special import betaincinv

__all__ = [
    "RANK_BITS",
    "BottomK",
    "CorrectedInterval",
    "CorrectedPrevalence",
    "GateDecision",
    "bottom_k_rank",
    "clopper_pearson",
    "corrected_interval",
    "corrected_prevalence",
    "gate_decision",
    "settling_sample_size",
]

RANK_BITS = 64
_MAX_KEY_BYTES = 64  # blake2b's key limit
# A settling size beyond this is reported as unreachable rather than searched for.
_MAX_SETTLING_N = 10**15


def bottom_k_rank(seed: str, record_id: str) -> int:
    """The record's rank in a sample drawn with `seed`: a 64-bit keyed BLAKE2b of its id.

    The seed is the key (not a prefix of the message) so ranks under different seeds are
    independent and nobody can pick record ids that land in a known seed's sample.
    """
    key = seed.encode("utf-8")
    if not key:
        raise ValueError("sample seed must be a non-empty string")
    if len(key) > _MAX_KEY_BYTES:
        raise ValueError(f"sample seed is {len(key)} bytes; at most {_MAX_KEY_BYTES} are allowed")
    digest = hashlib.blake2b(record_id.encode("utf-8"), digest_size=RANK_BITS // 8, key=key)
    return int.from_bytes(digest.digest(), "big")


class _Largest:
    """Heap entry ordered in reverse, so heapq's min-heap keeps the largest (rank, id) on top."""

    __slots__ = ("key", "payload")

    def __init__(self, key: tuple[int, str], payload: Any) -> None:
        self.key = key
        self.payload = payload

    def __lt__(self, other: _Largest) -> bool:
        return self.key > other.key


class BottomK:
    """The k records with the smallest ranks under `seed`, with an optional payload each.

    Ties between equal ranks (a 64-bit collision) break on record_id, so the sample does not
    depend on the order records arrive in or on how the input was split before `merge`.
    A record id seen twice (a retried bundle) is kept once, with the payload first seen.
    """

    def __init__(self, k: int, seed: str) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"sample size k must be a positive integer, got {k!r}")
        bottom_k_rank(seed, "")  # validate the seed now, not on the first record
        self.k = k
        self.seed = seed
        self._heap: list[_Largest] = []
        self._ids: set[str] = set()

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, record_id: str, payload: Any = None) -> None:
        self._offer((bottom_k_rank(self.seed, record_id), record_id), payload)

    def _offer(self, key: tuple[int, str], payload: Any) -> None:
        record_id = key[1]
        if record_id in self._ids:
            return
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, _Largest(key, payload))
            self._ids.add(record_id)
        elif key < self._heap[0].key:
            dropped = heapq.heapreplace(self._heap, _Largest(key, payload))
            self._ids.discard(dropped.key[1])
            self._ids.add(record_id)

    def merge(self, other: BottomK) -> BottomK:
        """Fold `other` into this sample (in place) and return self."""
        if (other.k, other.seed) != (self.k, self.seed):
            raise ValueError(
                f"cannot merge samples of different k/seed: ({self.k}, {self.seed!r}) "
                f"and ({other.k}, {other.seed!r})"
            )
        for entry in other._heap:
            self._offer(entry.key, entry.payload)
        return self

    def items(self) -> list[tuple[int, str, Any]]:
        """(rank, record_id, payload) of the sample, smallest rank first."""
        return [(e.key[0], e.key[1], e.payload) for e in sorted(self._heap, key=lambda e: e.key)]

    def record_ids(self) -> list[str]:
        return [record_id for _, record_id, _ in self.items()]

    def __iter__(self) -> Iterator[tuple[int, str, Any]]:
        return iter(self.items())

    @classmethod
    def of(cls, k: int, seed: str, record_ids: Iterable[Hashable]) -> BottomK:
        sample = cls(k, seed)
        for record_id in record_ids:
            sample.add(str(record_id))
        return sample


def _check_counts(k: int, n: int) -> None:
    for name, value in (("k", k), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if n < 1:
        raise ValueError(f"sample size n must be at least 1, got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"flagged count k must be between 0 and n={n}, got {k}")


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")


def _interval(k: float, n: float, alpha: float) -> tuple[float, float]:
    # The beta-quantile form is also defined for a non-integer k, which the settling-size
    # search needs (an observed rate held fixed at another sample size).
    lo = 0.0 if k <= 0 else float(betaincinv(k, n - k + 1, alpha / 2))
    hi = 1.0 if k >= n else float(betaincinv(k + 1, n - k, 1 - alpha / 2))
    return lo, hi


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided (1 - alpha) Clopper–Pearson interval for k successes in n trials."""
    _check_counts(k, n)
    _check_alpha(alpha)
    return _interval(k, n, alpha)


def _excludes(rate: float, n: int, threshold: float, alpha: float) -> bool:
    lo, hi = _interval(rate * n, n, alpha)
    return hi < threshold or lo > threshold


def settling_sample_size(
    rate: float, n: int, threshold: float = 0.05, alpha: float = 0.05
) -> int | None:
    """Smallest sample size m >= n at which the observed `rate`, held fixed, gives an interval
    excluding `threshold`; None when rate == threshold (no sample size settles it) or when m
    would exceed 10**15.

    The flagged count at size m is taken as rate * m (not rounded), so the answer is a smooth
    function of the rate; the interval narrows as m grows, which makes a bisection valid.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate!r}")
    if rate == threshold:
        return None
    if _excludes(rate, n, threshold, alpha):
        return n
    lo_n, hi_n = n, max(2 * n, 2)
    while not _excludes(rate, hi_n, threshold, alpha):
        lo_n, hi_n = hi_n, hi_n * 2
        if hi_n > _MAX_SETTLING_N:
            return None
    while hi_n - lo_n > 1:  # invariant: lo_n does not settle it, hi_n does
        mid = (lo_n + hi_n) // 2
        if _excludes(rate, mid, threshold, alpha):
            hi_n = mid
        else:
            lo_n = mid
    return hi_n


@dataclass(frozen=True)
class GateDecision:
    """The gate's answer for one source's sample.

    `decision` applies the standard's rule to the observed rate; `inconclusive` is True when
    the exact interval contains the threshold, and `settling_sample_size` then says how many
    items a sample with the same observed rate would need to settle it.
    """

    k: int
    n: int
    rate: float
    lo: float
    hi: float
    decision: Literal["accept", "reject"]
    inconclusive: bool
    settling_sample_size: int | None
    threshold: float
    alpha: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "n": self.n,
            "rate": self.rate,
            "ci_low": self.lo,
            "ci_high": self.hi,
            "confidence": 1 - self.alpha,
            "threshold": self.threshold,
            "decision": self.decision,
            "inconclusive": self.inconclusive,
            "settling_sample_size": self.settling_sample_size,
        }


def gate_decision(
    k: int, n: int, threshold: float = 0.05, alpha: float = 0.05, population: int | None = None
) -> GateDecision:
    """Decide a source from k flagged items in a sample of n (4.1.1: reject above 5%).

    When the sample is the whole source (`n >= population`) the rate is a census, not an
    estimate: there is no sampling error, so the interval is the rate itself and the decision
    is never inconclusive (the detectors' own errors remain; see `corrected_prevalence`).
    """
    _check_counts(k, n)
    _check_alpha(alpha)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be strictly between 0 and 1, got {threshold!r}")
    rate = k / n
    if population is not None and n >= population:
        lo = hi = rate
    else:
        lo, hi = _interval(k, n, alpha)
    inconclusive = lo <= threshold <= hi and not (population is not None and n >= population)
    settle = settling_sample_size(rate, n, threshold, alpha) if inconclusive else None
    return GateDecision(
        k=k,
        n=n,
        rate=rate,
        lo=lo,
        hi=hi,
        decision="reject" if rate > threshold else "accept",
        inconclusive=inconclusive,
        settling_sample_size=settle,
        threshold=threshold,
        alpha=alpha,
    )


@dataclass(frozen=True)
class CorrectedPrevalence:
    """Rogan–Gladen estimate; `prevalence` is None when the detector carries no information."""

    prevalence: float | None
    raw: float | None
    clipped: bool
    note: str


def corrected_prevalence(
    rate: float, sensitivity: float, specificity: float
) -> CorrectedPrevalence:
    """True prevalence implied by a flagged `rate` from a detector with the given accuracy.

    (rate + specificity - 1) / (sensitivity + specificity - 1), clipped to [0, 1]. When
    sensitivity + specificity <= 1 the detector is no better than chance: nothing can be
    inferred and `prevalence` is None.
    """
    for name, value in (("rate", rate), ("sensitivity", sensitivity), ("specificity", specificity)):
        if not (isinstance(value, int | float) and 0.0 <= value <= 1.0) or math.isnan(value):
            raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    youden = sensitivity + specificity - 1
    if youden <= 0:
        return CorrectedPrevalence(
            prevalence=None,
            raw=None,
            clipped=False,
            note=(
                f"sensitivity + specificity = {sensitivity + specificity:.4f} <= 1: the detector "
                "is no better than chance, so its flagged rate says nothing about prevalence"
            ),
        )
    raw = (rate + specificity - 1) / youden
    value = min(1.0, max(0.0, raw))
    note = ""
    if value != raw:
        note = (
            f"estimate {raw:.4f} fell outside [0, 1] and was clipped: the flagged rate is "
            "not consistent with the detector's measured error rates on this source"
        )
    return CorrectedPrevalence(prevalence=value, raw=raw, clipped=value != raw, note=note)


@dataclass(frozen=True)
class CorrectedInterval:
    """Rogan–Gladen prevalence with an interval over sample and detector uncertainty."""

    estimate: float  # clipped to [0, 1]
    lo: float
    hi: float
    fpr: float  # the measured rates the estimate used
    tpr: float
    informative: bool  # False when the detector's TPR does not exceed its FPR

    def as_dict(self) -> dict[str, Any]:
        return {
            "corrected_rate": self.estimate,
            "corrected_ci_low": self.lo,
            "corrected_ci_high": self.hi,
            "fpr": self.fpr,
            "tpr": self.tpr,
            "informative": self.informative,
        }


def _rogan_gladen(rate: float, fpr: float, tpr: float) -> float:
    if tpr <= fpr:
        return 1.0
    return min(1.0, max(0.0, (rate - fpr) / (tpr - fpr)))


def corrected_interval(
    k: float,
    n: int,
    fpr: tuple[int, int],
    tpr: tuple[int, int],
    alpha: float = 0.05,
    *,
    census: bool = False,
) -> CorrectedInterval:
    """Prevalence implied by k flagged of n sampled, for a detector that flagged fpr[0] of
    fpr[1] clean items and tpr[0] of tpr[1] harmful ones, with a (1 - alpha) interval.

    The estimate is (k/n - FPR) / (TPR - FPR) (Rogan and Gladen 1978), clipped to [0, 1]. The
    interval splits alpha between the three binomial proportions (Bonferroni) and takes each
    one's exact Clopper–Pearson bounds where they push the estimate furthest: the low end
    uses the sample's lower rate with the highest FPR and TPR, the high end the opposite. It
    is conservative (its coverage is at least 1 - alpha) and needs no simulation, so an
    assessor recomputes it from the counts. For a census the sample rate has no error and
    alpha is split between the two detector rates only.
    """
    _check_alpha(alpha)
    for hits, total in (fpr, tpr):
        _check_counts(hits, total)
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"flagged count k must be between 0 and n={n}, got {k}")
    parts = 2 if census else 3
    a = alpha / parts
    rate = k / n
    r_lo, r_hi = (rate, rate) if census else _interval(k, n, a)
    f_lo, f_hi = _interval(fpr[0], fpr[1], a)
    t_lo, t_hi = _interval(tpr[0], tpr[1], a)
    f, t = fpr[0] / fpr[1], tpr[0] / tpr[1]
    return CorrectedInterval(
        estimate=_rogan_gladen(rate, f, t),
        lo=_rogan_gladen(r_lo, f_hi, t_hi) if t_hi > f_hi else 0.0,
        hi=_rogan_gladen(r_hi, f_lo, t_lo),
        fpr=f,
        tpr=t,
        informative=t > f,
    )

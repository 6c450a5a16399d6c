"""MinHash signatures, band keys, LSH shape, and SimHash candidates (GB/T 45654-2025 4.2.1/4.2.2)."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from corpusgate.transforms.dedup.minhash import (
    EMPTY,
    MinHasher,
    band_keys,
    candidate_probability,
    estimated_jaccard,
    lsh_shape,
)
from corpusgate.transforms.dedup.shingles import ShingleSets, mix64
from corpusgate.transforms.dedup.simhash import (
    simhash_band_keys,
    simhash_distance,
    simhash_fingerprint,
    simhash_similarity,
)

RNG_SEED = 20240601


def _pair(jaccard: float, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two sets of 64-bit shingle hashes with exactly the given Jaccard similarity."""
    shared = round(2 * size * jaccard / (1 + jaccard))
    own = size - shared
    values = mix64(rng.choice(1 << 40, size=shared + 2 * own, replace=False).astype(np.uint64))
    a = np.concatenate((values[:shared], values[shared : shared + own]))
    b = np.concatenate((values[:shared], values[shared + own :]))
    return a, b


@pytest.mark.parametrize("jaccard", [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0])
def test_estimate_is_within_four_standard_errors(jaccard: float) -> None:
    rng = np.random.default_rng(RNG_SEED)
    hasher = MinHasher(128, 42)
    a, b = _pair(jaccard, 400, rng)
    true = len(set(a.tolist()) & set(b.tolist())) / len(set(a.tolist()) | set(b.tolist()))
    error = np.sqrt(max(true * (1 - true), 1e-9) / 128)
    estimate = estimated_jaccard(hasher.signature(a), hasher.signature(b))
    assert abs(estimate - true) <= 4 * error + 1e-9


def test_estimates_track_exact_jaccard_as_well_as_datasketch() -> None:
    """The measurement behind choosing the vectorised hashes: on the same shingle sets,
    mean absolute error against the exact Jaccard is no worse than datasketch's."""
    rng = np.random.default_rng(RNG_SEED)
    hasher = MinHasher(128, 7)
    ours, theirs = [], []
    for jaccard in np.linspace(0.05, 0.95, 60):
        a, b = _pair(float(jaccard), 200, rng)
        true = len(set(a.tolist()) & set(b.tolist())) / len(set(a.tolist()) | set(b.tolist()))
        ours.append(abs(estimated_jaccard(hasher.signature(a), hasher.signature(b)) - true))
        sketches = []
        for values in (a, b):
            sketch = MinHash(num_perm=128, seed=7)
            sketch.update_batch([v.tobytes() for v in values])
            sketches.append(sketch)
        theirs.append(abs(sketches[0].jaccard(sketches[1]) - true))
    assert np.mean(ours) < 0.035
    assert np.mean(ours) <= np.mean(theirs) + 0.01


def test_signature_is_deterministic_and_order_free() -> None:
    values = mix64(np.arange(50, dtype=np.uint64))
    first = MinHasher(64, 1).signature(values)
    again = MinHasher(64, 1).signature(values[::-1].copy())
    assert (first == again).all()
    assert not (first == MinHasher(64, 2).signature(values)).all()


def test_empty_set_signature_is_all_empty() -> None:
    assert (MinHasher(16, 1).signature(np.zeros(0, np.uint64)) == EMPTY).all()


def test_batch_signatures_equal_single_ones_including_long_texts() -> None:
    rng = np.random.default_rng(RNG_SEED)
    sizes = [3, 0, 5000, 1, 4096, 70, 0, 9000]  # long ones take the chunked path
    values = [mix64(rng.integers(0, 1 << 62, size=n, dtype=np.uint64)) for n in sizes]
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    sets = ShingleSets(np.concatenate(values), offsets)
    hasher = MinHasher(128, 3)
    batch = hasher.signatures(sets)
    for row, single in zip(batch, values, strict=True):
        assert (row == hasher.signature(single)).all()


def test_band_keys_change_only_in_the_band_that_changed() -> None:
    sig = MinHasher(128, 1).signature(mix64(np.arange(100, dtype=np.uint64)))
    keys = band_keys(sig, 25, 5)
    other = sig.copy()
    other[12] ^= 1  # row 12 sits in band 2 (rows 10-14)
    changed = band_keys(other, 25, 5) != keys
    assert changed.tolist() == [i == 2 for i in range(25)]
    # Equal values in two bands still give two keys: the band index is mixed in.
    flat = np.zeros(128, dtype=np.uint32)
    assert len(set(band_keys(flat, 25, 5).tolist())) == 25
    # A matrix of signatures gives the same keys row by row.
    both = band_keys(np.stack([sig, other]), 25, 5)
    assert (both[0] == keys).all()


def test_band_keys_refuse_a_shape_larger_than_the_signature() -> None:
    with pytest.raises(ValueError, match="need 130"):
        band_keys(np.zeros(128, np.uint32), 26, 5)


@pytest.mark.parametrize(
    ("threshold", "shape"), [(0.5, (33, 3)), (0.6, (29, 4)), (0.7, (22, 5)), (0.8, (17, 7))]
)
def test_lsh_shape_makes_pairs_at_the_threshold_candidates(
    threshold: float, shape: tuple[int, int]
) -> None:
    bands, rows = lsh_shape(threshold, 128)
    assert (bands, rows) == shape
    assert candidate_probability(threshold, bands, rows) >= 0.98
    # One band fewer would miss the target: the shape is the cheapest that reaches it.
    fewer = bands - 1
    assert candidate_probability(threshold, fewer, 128 // fewer) < 0.98


@pytest.mark.parametrize("flips", [0, 1, 2, 3])
def test_simhash_keys_find_every_pair_within_max_distance(flips: int) -> None:
    rng = np.random.default_rng(flips)
    for _ in range(200):
        a = int(rng.integers(0, 1 << 63)) | (int(rng.integers(0, 2)) << 63)
        b = a
        for bit in rng.choice(64, size=flips, replace=False):
            b ^= 1 << int(bit)
        assert simhash_distance(a, b) == flips
        shared = set(simhash_band_keys(a, 3, 2).tolist()) & set(simhash_band_keys(b, 3, 2).tolist())
        assert shared, f"{a:064b} and {b:064b} share no key"


def test_simhash_keys_rarely_join_distant_fingerprints() -> None:
    rng = np.random.default_rng(5)
    joined = 0
    for _ in range(500):
        a, b = (int(x) for x in rng.integers(0, 1 << 62, size=2))
        joined += bool(
            set(simhash_band_keys(a, 3, 2).tolist()) & set(simhash_band_keys(b, 3, 2).tolist())
        )
    assert joined <= 2


def test_simhash_fingerprint_and_similarity() -> None:
    assert simhash_fingerprint(np.zeros(0, np.uint64)) == 0
    base = mix64(np.arange(300, dtype=np.uint64))
    near = base.copy()
    near[:6] = mix64(np.arange(1000, 1006, dtype=np.uint64))
    far = mix64(np.arange(5000, 5300, dtype=np.uint64))
    a, b, c = (simhash_fingerprint(x) for x in (base, near, far))
    assert simhash_similarity(a, b) > simhash_similarity(a, c)
    assert simhash_similarity(a, a) == 1.0

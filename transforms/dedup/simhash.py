"""SimHash fingerprints (the `simhash` package), their LSH band keys and similarity: the second
near-duplicate method (GB/T 45654-2025 4.2.1/4.2.2), meant for short texts and paragraphs.

The fingerprint is the package's 64-bit Charikar SimHash over the record's shingles (the same
shingles MinHash uses, `shingles.py`); each shingle is given to it as its 64-bit hash spelled
as 8 Latin-1 characters, with a hash function that turns them back into those 8 bytes, so the
package uses our hash instead of an MD5 per feature.

Candidates: the 64 bits are cut into `max_distance + match_blocks` blocks; two fingerprints
within `max_distance` differing bits agree on at least `match_blocks` blocks (pigeonhole), so
one band key per choice of `match_blocks` blocks finds every such pair (Manku, Jain and Das
Sarma, WWW 2007). Similarity is 1 - distance / 64.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations, pairwise

import numpy as np
from simhash import Simhash

from corpusgate.transforms.dedup.shingles import mix64

__all__ = [
    "BITS",
    "SIMHASH_TAG",
    "simhash_band_keys",
    "simhash_distance",
    "simhash_fingerprint",
    "simhash_similarity",
]

BITS = 64
SIMHASH_TAG = 2  # mixed into band keys (MinHash uses 1)
_COMBO_SALT = 0xE7037ED1A0B428DB


def _feature_bytes(feature: bytes) -> bytes:
    """The package's `hashfunc` (it UTF-8-encodes each feature first): the shingle's 8 bytes."""
    return feature.decode("utf-8").encode("latin-1")


def simhash_fingerprint(shingles: np.ndarray) -> int:
    """64-bit SimHash of the shingle hashes; 0 for a text without shingles."""
    if len(shingles) == 0:
        return 0
    raw = shingles.astype(">u8").tobytes().decode("latin-1")
    features = [raw[i : i + 8] for i in range(0, len(raw), 8)]
    return int(Simhash(features, f=BITS, hashfunc=_feature_bytes).value)


@lru_cache(maxsize=8)
def _masks(max_distance: int, match_blocks: int) -> tuple[tuple[int, int], ...]:
    """(combination index, bit mask) for every choice of `match_blocks` of the blocks."""
    blocks = max_distance + match_blocks
    edges = [round(i * BITS / blocks) for i in range(blocks + 1)]
    block_masks = [((1 << (hi - lo)) - 1) << lo for lo, hi in pairwise(edges)]
    out = []
    for index, chosen in enumerate(combinations(range(blocks), match_blocks)):
        mask = 0
        for block in chosen:
            mask |= block_masks[block]
        out.append((index, mask))
    return tuple(out)


def simhash_band_keys(fingerprint: int, max_distance: int, match_blocks: int) -> np.ndarray:
    """uint64 keys, one per block combination: equal on some key for any two fingerprints at
    most `max_distance` bits apart."""
    masks = _masks(max_distance, match_blocks)
    values = np.array([fingerprint & mask for _, mask in masks], dtype=np.uint64)
    salt = np.arange(len(masks), dtype=np.uint64) * np.uint64(_COMBO_SALT) + np.uint64(SIMHASH_TAG)
    return mix64(mix64(values) ^ salt)


def simhash_distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def simhash_similarity(a: int, b: int) -> float:
    return 1.0 - simhash_distance(a, b) / BITS

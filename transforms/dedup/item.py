"""What dedup knows of one record, and what it decides about it (GB/T 45654-2025 4.2.1/4.2.2).

`signatures.dedup_items` is the only place dedup reads records; the rest of dedup sees only
the small `DedupItem` (no text): ids, the keeper priority, the exact hash, the near-duplicate
signature and its band keys, and the caller's opaque `ref` (where the record lies), carried
through to the decision.

The keeper rule is one total order, `order_key`: a record published by an earlier run first,
then the source's position in `keeper_sources`, then the record id, then where it was read
(`identity.origin_order`; a native id repeated in a source gives two rows one id, and the
copy read first is the record). The smallest key of a cluster is its keeper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corpusgate.transforms.dedup.minhash import MINHASH_TAG
from corpusgate.transforms.dedup.simhash import SIMHASH_TAG

__all__ = [
    "METHOD_TAGS",
    "DedupItem",
    "DupDecision",
    "order_key",
]

# The method of a signature, as stored in items and signature files ("" / 0: none).
METHOD_TAGS: Mapping[str, int] = {"": 0, "minhash": MINHASH_TAG, "simhash": SIMHASH_TAG}


def order_key(previous: bool, priority: int, record_id: str, origin: str = "") -> str:
    """The keeper order: the smallest key of a cluster is kept."""
    return f"{0 if previous else 1}{priority:05d}|{record_id}|{origin}"


@dataclass(frozen=True, slots=True)
class DedupItem:
    """One record as dedup sees it (~0.7 KB with 128 permutations)."""

    record_id: str
    source_id: str
    priority: int  # position of the source in keeper_sources (smaller is kept)
    exact: bytes  # 16-byte hash of the normalised text
    method: str  # "minhash" | "simhash" | "" (no shingles: exact dedup only)
    signature: bytes  # minhash: num_perm uint32 LE; simhash: 8-byte uint64 LE; else b""
    bands: bytes  # LSH band keys, uint64 LE each
    shingles: int  # n-grams shingled (0: the text has no letters or digits)
    ref: Any = None  # the caller's handle on the record (piece and row), carried through
    previous: bool = False  # published by an earlier run: it can only be a keeper
    origin: str = ""  # identity.origin_order of where it was read ("" for earlier runs')

    @property
    def order(self) -> str:
        return order_key(self.previous, self.priority, self.record_id, self.origin)

    def as_previous(self) -> DedupItem:
        return DedupItem(
            self.record_id,
            self.source_id,
            self.priority,
            self.exact,
            self.method,
            self.signature,
            self.bands,
            self.shingles,
            self.ref,
            True,
            self.origin,
        )


@dataclass(frozen=True)
class DupDecision:
    """What dedup decided about one record of a cluster (keepers too).

    `similarity` is the estimated similarity to the keeper (Jaccard for MinHash, 1 - d/64 for
    SimHash; 1.0 for the keeper and for exact copies; None when the record and its keeper
    were signed by different methods and are not exact copies). A keeper carries how many
    records of this run it absorbed, per source; a removed record names its keeper.
    """

    record_id: str
    source_id: str
    cluster_id: str  # the keeper's record id: stable while the keeper stays
    keeper_id: str
    keeper_source: str
    keeper_previous: bool  # the keeper was published by an earlier run
    reason: str | None  # exact_duplicate | near_duplicate | None (the keeper)
    similarity: float | None
    method: str  # exact | minhash | simhash: how `similarity` was measured
    cluster_size: int  # records in the cluster, earlier runs' included
    absorbed: int = 0  # keeper only: this run's records removed in its favour
    absorbed_from: tuple[tuple[str, int], ...] = ()  # keeper only: (source_id, count), sorted
    ref: Any = None  # this record's ref, from its item
    keeper_ref: Any = None  # the keeper's ref (None for a keeper from an earlier run)

    @property
    def removed(self) -> bool:
        return self.reason is not None

    @property
    def detail(self) -> str:
        """One line for a quarantine row's or a decision's `detail`: whom a removed record
        yields to and how alike they are; what a keeper absorbed."""
        if self.reason is None:
            sources = ", ".join(f"{source}: {n}" for source, n in self.absorbed_from)
            return f"kept; absorbed {self.absorbed}" + (f" ({sources})" if sources else "")
        run = "an earlier run" if self.keeper_previous else "this run"
        similarity = "not comparable" if self.similarity is None else f"{self.similarity:.3f}"
        return (
            f"keeper {self.keeper_id} ({self.keeper_source}, {run}); "
            f"{self.method or 'estimated'} similarity {similarity}"
        )

"""IP complaints (GB/T 45654-2025 4.2.2 c): which published records are the complained work or
a near copy of it, found through the signature files published beside the shards.

The work is signed exactly as a record would be (`signatures.text_signature`), then each
signature file is scanned: a record matches when its normalised text is the work's (the
exact hash), or its MinHash estimate of Jaccard reaches `threshold`, or its SimHash is
within the settings' `max_distance` bits. The scan compares the work's signature with every
stored signature in numpy (one row group at a time): for one query that costs no more than
reading the band keys, and unlike a band lookup it misses no record at any threshold, which
is what a takedown owes the complainant.

Only near copies of the whole work are found: a record that quotes the work inside a much
longer text has a low Jaccard similarity to it (see the report's limits).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow.parquet as pq

from corpusgate.transforms.common import files
from corpusgate.transforms.dedup.published import check_params, read_params
from corpusgate.transforms.dedup.settings import DedupSpec
from corpusgate.transforms.dedup.signatures import TextSignature, text_signature
from corpusgate.transforms.dedup.simhash import BITS

__all__ = ["ComplaintMatch", "find_complaint_matches", "match_file"]

_COLUMNS = ["record_id", "source_id", "exact", "method", "signature"]


@dataclass(frozen=True, order=True)
class ComplaintMatch:
    record_id: str
    source_id: str
    similarity: float  # estimated Jaccard (minhash), 1 - d/64 (simhash), 1.0 (exact copy)
    method: str  # exact | minhash | simhash
    location: str  # the signature file that listed it


def match_file(
    location: str, work: TextSignature, spec: DedupSpec, threshold: float
) -> list[ComplaintMatch]:
    """The records of one signature file that match the work."""
    check_params(read_params(location), spec.settings, location)
    query = np.frombuffer(work.minhash, dtype="<u4") if work.minhash else None
    max_distance = spec.settings.simhash.max_distance
    out: list[ComplaintMatch] = []
    with files.open_read(location) as handle:
        parquet = pq.ParquetFile(handle)
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group, columns=_COLUMNS)
            exact = np.array([e == work.exact for e in table["exact"].to_pylist()], dtype=bool)
            methods = table["method"].to_pylist()
            signatures = table["signature"].to_pylist()
            similarity = np.where(exact, 1.0, 0.0)
            matched = exact.copy()
            minhash = [i for i, m in enumerate(methods) if m == "minhash" and not exact[i]]
            if minhash and query is not None:
                rows = np.frombuffer(b"".join(signatures[i] for i in minhash), dtype="<u4")
                estimate = np.count_nonzero(rows.reshape(len(minhash), -1) == query, axis=1)
                estimate = estimate / len(query)
                similarity[minhash] = estimate
                matched[minhash] = estimate >= threshold
            simhash = [i for i, m in enumerate(methods) if m == "simhash" and not exact[i]]
            if simhash and work.shingles:
                rows = np.frombuffer(b"".join(signatures[i] for i in simhash), dtype="<u8")
                distance = np.bitwise_count(rows ^ np.uint64(work.simhash))
                similarity[simhash] = 1.0 - distance / BITS
                matched[simhash] = distance <= max_distance
            ids = table["record_id"].to_pylist()
            sources = table["source_id"].to_pylist()
            for i in np.flatnonzero(matched):
                method = "exact" if exact[i] else methods[i]
                out.append(
                    ComplaintMatch(ids[i], sources[i], float(similarity[i]), method, location)
                )
    return out


def find_complaint_matches(
    work_text: str,
    locations: Iterable[str],
    spec: DedupSpec,
    *,
    threshold: float | None = None,
    language: str | None = None,
) -> list[ComplaintMatch]:
    """Every published record (in the signature files at `locations`) that is the work or a
    near copy of it, most similar first. `threshold` is the estimated Jaccard a MinHash
    record must reach (default: the run's dedup threshold); `language` picks the shingles
    as for a record (None: by script)."""
    bar = spec.settings.threshold if threshold is None else threshold
    if not 0.0 < bar <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {bar}")
    work = text_signature(work_text, language, spec)
    found = [m for location in sorted(locations) for m in match_file(location, work, spec, bar)]
    return sorted(found, key=lambda m: (-m.similarity, m.record_id))

"""Training data usage records (GB/T 45654-2025 B.2.1.1.2 b-c): records used, per source and
language, counted from the published shards.

Only two columns are read (`source_id`, `lineage.language`), so a recount costs a scan of a
small part of each shard. The manifest's language counts are taken when records are read,
before any check removes some; these are the records actually used for training.
"""

from __future__ import annotations

from collections import Counter

import pyarrow.parquet as pq

from corpusgate.transforms.common import files
from corpusgate.transforms.evidence.diversity import UNDETERMINED, SourceFacts
from corpusgate.transforms.output.published import Published

__all__ = ["source_facts", "written_usage"]


def written_usage(published: Published) -> dict[tuple[str, str], int]:
    """(source_id, language) -> records in the run's shards ("und" when not identified)."""
    counts: Counter[tuple[str, str]] = Counter()
    for listed in published.listed("shards"):
        with files.open_read(published.path(listed.path)) as handle:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(columns=["source_id", "lineage.language"]):
                for row in batch.to_pylist():
                    language = (row.get("lineage") or {}).get("language") or UNDETERMINED
                    counts[(row["source_id"], language)] += 1
    return dict(sorted(counts.items()))


def source_facts(manifest: dict) -> list[SourceFacts]:
    """Each source's kind, modality and origin, as the manifest keeps its registry entry."""
    out = []
    for source_id, row in manifest["sources"].items():
        entry = row.get("registry_entry") or {}
        out.append(
            SourceFacts(
                source_id=source_id,
                kind=str(entry.get("kind") or ""),
                modality=str(entry.get("modality") or "text"),
                origin=str(entry.get("origin") or ""),
            )
        )
    return out

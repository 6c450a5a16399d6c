"""Exact and near-duplicate removal at corpus scale (GB/T 45654-2025 4.2.1 and 4.2.2: training
data is deduplicated, so what the provider defends holds each text once; 4.2.2 c: a
complained work and its near copies are found through the same signatures).

Pure cores, no Beam: `normalize` (the one normaliser and the exact hash), `shingles` (tokens
and n-grams by script), `minhash` / `simhash` (signatures, band keys, similarity),
`signatures` (records -> `DedupItem`), `candidates` (exact groups, buckets, verification),
`graph` (connected components, large-star / small-star), `decide` (keepers and decisions),
`published` (signature files beside published shards), `takedown` (complaint matching),
`runs` / `nodes` (partitioned run files and the node table the shuffles move).
Beam: `stage.FindDuplicates`, `incremental.PublishSignatures` / `ReadSignatures`, and their
shared plumbing in `steps`. Importing this package imports no Beam.
"""

from corpusgate.transforms.dedup.item import DedupItem, DupDecision, order_key
from corpusgate.transforms.dedup.settings import DedupSettings, DedupSpec
from corpusgate.transforms.dedup.signatures import dedup_item, dedup_items, text_signature

__all__ = [
    "DedupItem",
    "DedupSettings",
    "DedupSpec",
    "DupDecision",
    "dedup_item",
    "dedup_items",
    "order_key",
    "text_signature",
]

"""Signature files beside published shards: what later runs need to deduplicate against this
one without re-reading its text, and what an IP complaint is matched against (GB/T
45654-2025 4.2.1/4.2.2, 4.2.2 c).

Format (Parquet, zstd; one row per published record):

| column | type | holds |
|---|---|---|
| record_id | string | the published record |
| source_id | string | its source |
| exact | fixed_size_binary(16) | BLAKE2b-128 of the normalised text (`normalize.py`) |
| method | string | `minhash`, `simhash`, or "" (no letters or digits: exact only) |
| signature | binary | minhash: num_perm x uint32 LE; simhash: uint64 LE; else empty |
| bands | binary | LSH band keys, uint64 LE each |
| shingles | int32 | n-grams the signature was computed over |

Key-value metadata `corpusgate.dedup` holds the JSON of `signature_params`: the normaliser
and tokeniser versions, num_perm, seed, shingle sizes and folding, band shape, SimHash
blocks. A run reads earlier files only when everything that shapes a signature matches
(else `SignatureMismatch` names what differs); a different band shape alone is fine, the
band keys are recomputed from the signatures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusgate.transforms.common import files
from corpusgate.transforms.dedup.item import METHOD_TAGS, DedupItem
from corpusgate.transforms.dedup.minhash import band_keys
from corpusgate.transforms.dedup.settings import DedupSettings, DedupSpec
from corpusgate.transforms.dedup.simhash import simhash_band_keys

__all__ = [
    "METADATA_KEY",
    "SIGNATURE_SCHEMA",
    "SignatureMismatch",
    "check_params",
    "read_params",
    "read_signature_file",
    "signature_params",
    "signature_table",
    "write_kept",
    "write_signature_file",
]

METADATA_KEY = b"corpusgate.dedup"
FORMAT = 1
# Bump when normalize.py or shingles.py would hash the same text differently.
NORMALISER_VERSION = 1
TOKENISER_VERSION = 1

SIGNATURE_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("exact", pa.binary(16), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("signature", pa.binary(), nullable=False),
        pa.field("bands", pa.binary(), nullable=False),
        pa.field("shingles", pa.int32(), nullable=False),
    ]
)
# What shapes a signature (must match to compare) vs. what only shapes band keys.
_SIGNATURE_KEYS = (
    "format",
    "normaliser",
    "tokeniser",
    "num_perm",
    "seed",
    "chars",
    "words",
    "fold_chinese",
)


_METHOD_NAMES = {tag: name for name, tag in METHOD_TAGS.items()}


class SignatureMismatch(ValueError):
    """Signature files made with settings that give different signatures for the same text."""


def signature_params(settings: DedupSettings) -> dict[str, Any]:
    bands, rows = settings.band_shape()
    return {
        "format": FORMAT,
        "normaliser": NORMALISER_VERSION,
        "tokeniser": TOKENISER_VERSION,
        "num_perm": settings.minhash.num_perm,
        "seed": settings.minhash.seed,
        "chars": settings.shingles.chars,
        "words": settings.shingles.words,
        "fold_chinese": settings.shingles.fold_chinese,
        "bands": bands,
        "rows": rows,
        "simhash_max_distance": settings.simhash.max_distance,
        "simhash_match_blocks": settings.simhash.match_blocks,
    }


def check_params(found: dict[str, Any], settings: DedupSettings, where: str) -> bool:
    """Raise SignatureMismatch when `found` signatures cannot be compared with this run's;
    return whether the band keys must be recomputed (another band shape)."""
    mine = signature_params(settings)
    differ = [k for k in _SIGNATURE_KEYS if found.get(k) != mine[k]]
    if differ:
        said = ", ".join(f"{k}: file {found.get(k)!r} vs run {mine[k]!r}" for k in differ)
        raise SignatureMismatch(
            f"{where}: signatures were made with other settings ({said}); "
            "dedup against it needs the settings it was published with"
        )
    return any(found.get(k) != mine[k] for k in mine if k not in _SIGNATURE_KEYS)


def signature_table(items: Sequence[DedupItem]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "record_id": i.record_id,
                "source_id": i.source_id,
                "exact": i.exact,
                "method": i.method,
                "signature": i.signature,
                "bands": i.bands,
                "shingles": i.shingles,
            }
            for i in items
        ],
        schema=SIGNATURE_SCHEMA,
    )


def write_signature_file(location: str, items: Sequence[DedupItem], settings: DedupSettings) -> int:
    """Write the items' signatures to `location`; returns the rows written."""
    table = signature_table(items)
    meta = {METADATA_KEY: json.dumps(signature_params(settings), sort_keys=True).encode()}
    table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=65_536)
    files.write_bytes(location, sink.getvalue().to_pybytes())
    return table.num_rows


def read_params(location: str) -> dict[str, Any]:
    with files.open_read(location) as handle:
        metadata = pq.ParquetFile(handle).schema_arrow.metadata or {}
    if METADATA_KEY not in metadata:
        raise SignatureMismatch(f"{location}: not a corpusgate dedup signature file")
    return json.loads(metadata[METADATA_KEY])


def _rebanded(table: pa.Table, settings: DedupSettings) -> list[bytes]:
    """Band keys for this run's band shape, from the stored signatures."""
    bands, rows = settings.band_shape()
    out = []
    for method, signature in zip(
        table["method"].to_pylist(), table["signature"].to_pylist(), strict=True
    ):
        if method == "minhash":
            sig = np.frombuffer(signature, dtype="<u4")
            out.append(band_keys(sig, bands, rows).astype("<u8").tobytes())
        elif method == "simhash":
            fingerprint = int.from_bytes(signature, "little")
            keys = simhash_band_keys(
                fingerprint, settings.simhash.max_distance, settings.simhash.match_blocks
            )
            out.append(keys.astype("<u8").tobytes())
        else:
            out.append(b"")
    return out


def read_signature_file(location: str, spec: DedupSpec) -> Iterator[DedupItem]:
    """The records of a signature file as items published before (`previous=True`)."""
    rebuild = check_params(read_params(location), spec.settings, location)
    with files.open_read(location) as handle:
        parquet = pq.ParquetFile(handle)
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group)
            bands = _rebanded(table, spec.settings) if rebuild else table["bands"].to_pylist()
            for row, band in zip(table.to_pylist(), bands, strict=True):
                yield DedupItem(
                    record_id=row["record_id"],
                    source_id=row["source_id"],
                    priority=spec.priority_for(row["source_id"]),
                    exact=row["exact"],
                    method=row["method"],
                    signature=row["signature"],
                    bands=band,
                    shingles=row["shingles"],
                    previous=True,
                )


def write_kept(
    location: str, batches: Iterable[pa.RecordBatch], removed: set[bytes], settings: DedupSettings
) -> int:
    """Write the node rows of `batches` (`nodes.NODE_SCHEMA`) that are this run's and not in
    `removed` (node handles) as a signature file; returns the rows written (0: no file)."""
    meta = {METADATA_KEY: json.dumps(signature_params(settings), sort_keys=True).encode()}
    schema = SIGNATURE_SCHEMA.with_metadata(meta)
    rows = 0
    handle = None
    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches:
            previous = batch.column("previous").to_pylist()
            keep = [
                not earlier and node not in removed
                for node, earlier in zip(batch.column("node").to_pylist(), previous, strict=True)
            ]
            kept = pa.Table.from_batches([batch]).filter(pa.array(keep, pa.bool_()))
            if kept.num_rows == 0:
                continue
            names = [_METHOD_NAMES[m] for m in kept["method"].to_pylist()]
            table = pa.Table.from_arrays(
                [
                    kept["record_id"],
                    kept["source_id"],
                    kept["exact"],
                    pa.array(names, pa.string()),
                    kept["signature"],
                    kept["bands"],
                    kept["shingles"],
                ],
                schema=schema,
            )
            if writer is None:
                handle = files.create(location)
                writer = pq.ParquetWriter(handle, schema, compression="zstd")
            writer.write_table(table, row_group_size=65_536)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
        if handle is not None:
            handle.close()
    return rows

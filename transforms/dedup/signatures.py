"""Records -> `DedupItem`s (GB/T 45654-2025 4.2.1/4.2.2): normalise, hash exactly, shingle by
language, sign (MinHash or SimHash, per source kind) and cut the signature into band keys.

`dedup_items` works on a batch (what a piece writer buffers): normalisation and the exact hash
run per text (C calls), tokens, shingles, MinHash minima and band keys for the whole batch
at once in numpy, which is where short texts gain most. `dedup_item` is the one-record form.
`text_signature` signs a loose text (a complained work) exactly as a record would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpusgate.transforms.dedup.item import DedupItem
from corpusgate.transforms.dedup.minhash import band_keys, minhasher
from corpusgate.transforms.dedup.normalize import exact_hash, normalize_text
from corpusgate.transforms.dedup.runs import concat_ranges
from corpusgate.transforms.dedup.settings import DedupSpec
from corpusgate.transforms.dedup.shingles import (
    ShingleSets,
    fold_chinese,
    shingle_sets,
    tokenize,
    uses_characters,
)
from corpusgate.transforms.dedup.simhash import simhash_band_keys, simhash_fingerprint
from corpusgate.transforms.spine.identity import origin_order

__all__ = ["TextSignature", "dedup_item", "dedup_items", "text_signature"]


def _shingles(
    normalized: Sequence[str], languages: Sequence[str | None], spec: DedupSpec
) -> ShingleSets:
    options = spec.settings.shingles
    texts = [fold_chinese(t) for t in normalized] if options.fold_chinese else normalized
    tokens = tokenize(texts)
    counts = tokens.counts()
    sizes = np.array(
        [
            options.chars
            if uses_characters(language, int(count), int(unsegmented))
            else options.words
            for language, count, unsegmented in zip(
                languages, counts, tokens.unsegmented, strict=True
            )
        ],
        dtype=np.int64,
    )
    return shingle_sets(tokens, sizes)


def _signed(
    sets: ShingleSets, methods: Sequence[str], spec: DedupSpec
) -> list[tuple[bytes, bytes]]:
    """(signature bytes, band key bytes) per text; (b"", b"") for a text without shingles."""
    settings = spec.settings
    out: list[tuple[bytes, bytes]] = [(b"", b"")] * len(methods)
    counts = sets.counts()
    minhash = [i for i, m in enumerate(methods) if m == "minhash" and counts[i]]
    if minhash:
        hasher = minhasher(settings.minhash.num_perm, settings.minhash.seed)
        picked = ShingleSets(*_subset(sets, minhash))
        sigs = hasher.signatures(picked)
        keys = band_keys(sigs, *settings.band_shape())
        for row, i in enumerate(minhash):
            out[i] = (sigs[row].astype("<u4").tobytes(), keys[row].astype("<u8").tobytes())
    for i, method in enumerate(methods):
        if method == "simhash" and counts[i]:
            fingerprint = simhash_fingerprint(sets.of(i))
            keys = simhash_band_keys(
                fingerprint, settings.simhash.max_distance, settings.simhash.match_blocks
            )
            out[i] = (fingerprint.to_bytes(8, "little"), keys.astype("<u8").tobytes())
    return out


def _subset(sets: ShingleSets, picked: list[int]) -> tuple[np.ndarray, np.ndarray]:
    if len(picked) == len(sets.offsets) - 1:
        return sets.hashes, sets.offsets
    index = np.array(picked)
    counts = sets.counts()[index]
    positions = concat_ranges(sets.offsets[index], counts)
    offsets = np.zeros(len(picked) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return sets.hashes[positions], offsets


# Tokenising holds ~60 bytes of numpy arrays per character of the texts it is given at once,
# so a batch is signed in runs of texts of about this many characters: a piece writer's whole
# row group (32 MB of text) at once peaked at 1.1 GiB.
_CHUNK_CHARS = 1 << 19


def dedup_items(
    records: Sequence[Mapping[str, Any]], refs: Sequence[Any], spec: DedupSpec
) -> list[DedupItem]:
    """The items of a batch of records: `record["text"]`, `record_id`, `source_id` and
    `record["lineage"]["language"]` (ISO 639-1 or None: then the script decides)."""
    if len(records) != len(refs):
        raise ValueError(f"{len(records)} records but {len(refs)} refs")
    out: list[DedupItem] = []
    start, chars = 0, 0
    for end, record in enumerate(records, 1):
        chars += len(record["text"] or "")
        if chars >= _CHUNK_CHARS or end == len(records):
            out.extend(_items(records[start:end], refs[start:end], spec))
            start, chars = end, 0
    return out


def _items(
    records: Sequence[Mapping[str, Any]], refs: Sequence[Any], spec: DedupSpec
) -> list[DedupItem]:
    settings = spec.settings
    normalized = [normalize_text(record["text"] or "") for record in records]
    sources = [record["source_id"] for record in records]
    signed: list[tuple[bytes, bytes]] = [(b"", b"")] * len(records)
    counts = np.zeros(len(records), dtype=np.int64)
    methods = [""] * len(records)
    if settings.near and records:
        languages = [(record.get("lineage") or {}).get("language") for record in records]
        sets = _shingles(normalized, languages, spec)
        counts = sets.counts()
        methods = [spec.method_for(s) if c else "" for s, c in zip(sources, counts, strict=True)]
        signed = _signed(sets, methods, spec)
    return [
        DedupItem(
            record_id=record["record_id"],
            source_id=source,
            priority=spec.priority_for(source),
            exact=exact_hash(text),
            method=method,
            signature=signature,
            bands=bands,
            shingles=int(count),
            ref=ref,
            origin=origin_order((record.get("lineage") or {}).get("origin")),
        )
        for record, ref, text, source, method, (signature, bands), count in zip(
            records, refs, normalized, sources, methods, signed, counts, strict=True
        )
    ]


def dedup_item(record: Mapping[str, Any], ref: Any, spec: DedupSpec) -> DedupItem:
    """The item of one record (`dedup_items` of one)."""
    return dedup_items([record], [ref], spec)[0]


@dataclass(frozen=True)
class TextSignature:
    """A loose text signed as a record would be, under both methods (a complaint may be
    matched against files holding either)."""

    exact: bytes
    shingles: int
    minhash: bytes  # num_perm uint32 LE, b"" without shingles
    simhash: int


def text_signature(text: str, language: str | None, spec: DedupSpec) -> TextSignature:
    normalized = normalize_text(text)
    sets = _shingles([normalized], [language], spec)
    shingles = sets.of(0)
    settings = spec.settings
    minhash = b""
    if len(shingles):
        hasher = minhasher(settings.minhash.num_perm, settings.minhash.seed)
        minhash = hasher.signature(shingles).astype("<u4").tobytes()
    return TextSignature(
        exact=exact_hash(normalized),
        shingles=len(shingles),
        minhash=minhash,
        simhash=simhash_fingerprint(shingles),
    )

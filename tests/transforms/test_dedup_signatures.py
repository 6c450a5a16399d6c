"""Records -> DedupItems (GB/T 45654-2025 4.2.1/4.2.2): awkward rows, language or script,
method by source kind, a batch equal to its records one by one."""

from __future__ import annotations

import pytest

import corpusgate.transforms.dedup.signatures as signatures
from corpusgate.transforms.dedup import (
    DedupSettings,
    DedupSpec,
    dedup_item,
    dedup_items,
    text_signature,
)
from corpusgate.transforms.dedup.normalize import exact_hash, normalize_text

SPEC = DedupSpec(
    DedupSettings(
        methods_by_kind={"user_input": "simhash"},
        keeper_sources=["b", "a"],
        shingles={"chars": 3, "words": 5},
    ),
    {"chat": "user_input"},
)
BANDS = SPEC.settings.band_shape()[0]


def _record(text: str, language: str | None = None, source: str = "a") -> dict:
    return {"record_id": "r", "source_id": source, "text": text, "lineage": {"language": language}}


@pytest.mark.parametrize(
    ("text", "language", "method", "shingles"),
    [
        ("", None, "", 0),  # empty: exact hash only
        ("\u200b\u200b", None, "", 0),  # empty after normalisation
        ("!!! ??? ...", None, "", 0),  # punctuation only
        ("a", None, "minhash", 1),  # very short: one shingle
        ("床前明月光", None, "minhash", 3),  # by script: characters
        ("床前明月光", "en", "minhash", 1),  # declared English: one 5-gram of 5 tokens
        ("one two three four", "zh", "minhash", 2),  # declared Chinese: 3-grams of 4 words
        ("用Python写代码 and more words here", None, "minhash", 5),  # 4 of 9 tokens CJK: words
    ],
)
def test_item_of_awkward_rows(text: str, language: str | None, method: str, shingles: int) -> None:
    item = dedup_item(_record(text, language), ref=("piece", 3), spec=SPEC)
    assert (item.method, item.shingles) == (method, shingles)
    assert item.exact == exact_hash(normalize_text(text))
    assert item.ref == ("piece", 3) and item.previous is False
    if method:
        assert len(item.signature) == 4 * 128 and len(item.bands) == 8 * BANDS
    else:
        assert item.signature == item.bands == b""


def test_method_and_priority_follow_the_source() -> None:
    chat = dedup_item(_record("see you at nine", source="chat"), None, SPEC)
    assert chat.method == "simhash" and len(chat.signature) == 8
    assert len(chat.bands) == 8 * 10  # C(3 + 2, 2) block pairs
    assert [dedup_item(_record("x", source=s), None, SPEC).priority for s in "abz"] == [1, 0, 2]


def test_near_off_signs_nothing() -> None:
    spec = DedupSpec(DedupSettings(near=False))
    item = dedup_item(_record("some words to shingle"), None, spec)
    assert (item.method, item.signature, item.bands, item.shingles) == ("", b"", b"", 0)


def test_batch_equals_records_one_by_one() -> None:
    texts = ["", "a", "床前明月光，疑是地上霜。", "see you at nine", "one two three four five"]
    sources = ["a", "b", "a", "chat", "b"]
    records = [
        {"record_id": f"r{i}", "source_id": s, "text": t, "lineage": {}}
        for i, (t, s) in enumerate(zip(texts, sources, strict=True))
    ]
    batch = dedup_items(records, list(range(5)), SPEC)
    assert batch == [dedup_item(r, i, SPEC) for i, r in enumerate(records)]
    with pytest.raises(ValueError, match="5 records but 4 refs"):
        dedup_items(records, list(range(4)), SPEC)


def test_a_batch_larger_than_one_chunk_is_signed_in_runs_with_the_same_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tokenising holds arrays per character, so a large batch is signed a few texts at a
    time: the items are the ones the whole batch gives at once."""
    texts = [f"record {i} says " + f"word{i % 7} " * (3 + i % 11) for i in range(40)]
    records = [
        {"record_id": f"r{i}", "source_id": "a", "text": t, "lineage": {}}
        for i, t in enumerate(texts)
    ]
    whole = dedup_items(records, list(range(40)), SPEC)
    calls: list[int] = []
    real = signatures._items

    def counted(batch, refs, spec):  # type: ignore[no-untyped-def]
        calls.append(len(batch))
        return real(batch, refs, spec)

    monkeypatch.setattr(signatures, "_CHUNK_CHARS", 200)
    monkeypatch.setattr(signatures, "_items", counted)
    assert dedup_items(records, list(range(40)), SPEC) == whole
    assert len(calls) > 5 and sum(calls) == 40


def test_text_signature_matches_the_record_item() -> None:
    item = dedup_item(_record("床前明月光，疑是地上霜。"), None, SPEC)
    work = text_signature("床前明月光，疑是地上霜。", None, SPEC)
    assert (work.exact, work.minhash, work.shingles) == (item.exact, item.signature, item.shingles)

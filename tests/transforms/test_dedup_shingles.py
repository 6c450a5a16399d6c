"""Tokens and shingles chosen by script (GB/T 45654-2025 4.2.1/4.2.2): Chinese by character,
English by word, a batch computed at once equal to each text alone."""

from __future__ import annotations

import numpy as np
import pytest

from corpusgate.transforms.dedup.normalize import normalize_text
from corpusgate.transforms.dedup.shingles import (
    fold_chinese,
    shingle_sets,
    tokenize,
    uses_characters,
)


def _tokens(text: str) -> tuple[int, int]:
    batch = tokenize([normalize_text(text)])
    return int(batch.counts()[0]), int(batch.unsegmented[0])


@pytest.mark.parametrize(
    ("text", "tokens", "unsegmented"),
    [
        ("Hello, world!", 2, 0),
        ("床前明月光，疑是地上霜。", 10, 10),  # one token per character, punctuation dropped
        ("用Python写代码", 5, 4),  # 用 / python / 写 / 代 / 码
        ("2024年3月", 4, 2),  # digits form word tokens
        ("नमस्ते दुनिया", 2, 0),  # marks stay inside their word
        ("ภาษาไทย", 7, 7),  # Thai has no spaces: characters
        ("!!! ... ---", 0, 0),  # nothing but punctuation
        ("", 0, 0),
        ("a", 1, 0),
        ("かな漢字", 4, 4),
    ],
)
def test_tokenize(text: str, tokens: int, unsegmented: int) -> None:
    assert _tokens(text) == (tokens, unsegmented)


def test_token_hash_depends_on_the_token_not_its_place() -> None:
    batch = tokenize(["hello world", "world hello"])
    first, second = batch.hashes[:2], batch.hashes[2:]
    assert list(first) == list(second[::-1])
    assert first[0] != first[1]


@pytest.mark.parametrize(
    ("language", "tokens", "unsegmented", "chars"),
    [
        ("zh", 10, 0, True),  # the declared language wins
        ("zh-Hant", 10, 0, True),
        ("ja", 3, 0, True),
        ("en", 10, 10, False),
        ("ko", 5, 0, False),  # Korean is written with spaces
        (None, 10, 5, True),  # by script: half or more are characters of unsegmented scripts
        (None, 10, 4, False),
        (None, 0, 0, False),
    ],
)
def test_uses_characters(language: str | None, tokens: int, unsegmented: int, chars: bool) -> None:
    assert uses_characters(language, tokens, unsegmented) is chars


def _sets(texts: list[str], sizes: list[int]) -> list[set[int]]:
    result = shingle_sets(tokenize([normalize_text(t) for t in texts]), np.array(sizes))
    return [set(result.of(i).tolist()) for i in range(len(texts))]


@pytest.mark.parametrize(
    ("text", "n", "count"),
    [
        ("a b c d e", 3, 3),  # abc bcd cde
        ("a b c d e", 5, 1),
        ("a b", 3, 1),  # shorter than n: one shingle of all its tokens
        ("a", 3, 1),
        ("", 3, 0),
        ("!!!", 3, 0),
        ("a b a b a b", 2, 2),  # repeated shingles count once in a set
        ("床前明月光", 3, 3),
    ],
)
def test_shingle_counts(text: str, n: int, count: int) -> None:
    assert len(_sets([text], [n])[0]) == count


def test_short_text_shingle_differs_from_the_ngrams_of_a_longer_text() -> None:
    # "a b" is not a 3-gram of "a b c": a two-word post is not a copy of a longer one.
    short, longer = _sets(["a b", "a b c d"], [3, 3])
    assert short.isdisjoint(longer)


def test_batch_equals_each_text_alone() -> None:
    texts = [
        "The quick brown fox jumps over the lazy dog",
        "",
        "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。",
        "!!!",
        "用Python写代码",
        "a",
        "one two",
    ]
    sizes = [3, 3, 2, 3, 3, 4, 5]
    together = _sets(texts, sizes)
    alone = [_sets([t], [n])[0] for t, n in zip(texts, sizes, strict=True)]
    assert together == alone


def test_order_of_tokens_matters_inside_a_shingle() -> None:
    a, b = _sets(["a b c", "c b a"], [3, 3])
    assert a.isdisjoint(b)


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [("舉頭望明月", "举头望明月"), ("爲", "为"), ("劍", "剑"), ("hello", "hello")],
)
def test_fold_chinese(traditional: str, simplified: str) -> None:
    assert fold_chinese(traditional) == simplified

"""Shingles for near-duplicate detection (GB/T 45654-2025 4.2.1/4.2.2), chosen per record by
its language: character n-grams for scripts written without spaces (Chinese, Japanese, Thai,
Lao, Khmer, Burmese, Tibetan), word n-grams for the others.

One tokeniser serves both: every letter, digit or mark of an unsegmented script is a token of
its own, and every other run of letters, digits and marks is a word token; punctuation,
symbols and spaces separate tokens and are not shingled (editions of one text differ in
punctuation more than in words). So `用Python写代码` is 用 / python / 写 / 代 / 码, and the
n-gram size decides how many tokens a shingle spans: `chars` when the record's language is
one of the unsegmented ones (or, with no language yet, when at least half its tokens are
unsegmented characters), `words` otherwise.

Work is vectorised over a whole batch of texts with numpy: the texts joined by a separator
as UTF-32 code points, a class-table lookup, token hashes as sums of code point x power over
each token (`np.add.reduceat`), shingle hashes as sums over windows of token hashes, each mixed
with SplitMix64's finaliser. No Python loop runs per character, token or shingle, which is
what makes short texts (a poem, a post) cheap. Hashes are stable across processes and
machines (no `hash()`), as workers and later runs must agree.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from corpusgate.transforms.dedup.runs import concat_ranges

__all__ = [
    "UNSEGMENTED_LANGUAGES",
    "ShingleSets",
    "TokenBatch",
    "fold_chinese",
    "mix64",
    "shingle_sets",
    "tokenize",
    "uses_characters",
]

UNSEGMENTED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo"})

# Ranges whose letters, digits and marks are tokens on their own (scripts without spaces).
_UNSEGMENTED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3038, 0x303B),
    (0x3040, 0x31FF),  # kana, bopomofo, CJK strokes, kana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x323AF),  # CJK extensions B-H
)
# Planes past these hold no letters (private use, unassigned, tags); variation selectors
# (U+E0100..) are marks but only decorate the character before them.
_TABLE_END = 0x40000
_WORD, _UNSEGMENTED = 1, 2
_SEPARATOR = "\n"  # joins a batch's texts: never part of a token

_MASK64 = (1 << 64) - 1
_CHAR_BASE = np.uint64(0x100000001B3)  # FNV-64 prime; odd, so its powers never vanish
_WINDOW_BASE = 0x9E3779B97F4A7C15  # 2^64 / golden ratio, odd


@lru_cache(maxsize=1)
def _classes() -> np.ndarray:
    """Token class of every code point (0: separator, 1: word character, 2: a token alone).
    Built once per process (~0.5 s)."""
    table = np.zeros(0x110000, dtype=np.uint8)
    for cp in range(_TABLE_END):
        if unicodedata.category(chr(cp))[0] in "LNM":
            table[cp] = _WORD
    for lo, hi in _UNSEGMENTED_RANGES:
        block = table[lo : hi + 1]
        block[block == _WORD] = _UNSEGMENTED
    return table


@lru_cache(maxsize=8)
def _powers(length: int) -> np.ndarray:
    """_CHAR_BASE^i for i < length (mod 2^64); lengths are powers of two, so few are cached."""
    out = np.full(length, _CHAR_BASE, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out, dtype=np.uint64)


def _window_factors(width: int) -> np.ndarray:
    out = np.empty(width, dtype=np.uint64)
    factor = 1
    for k in range(width):
        out[k] = factor
        factor = (factor * _WINDOW_BASE) & _MASK64
    return out


def mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, elementwise on uint64 (wrapping arithmetic is the point)."""
    x = values.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    from corpusgate.transforms.harm.fold import traditional_to_simplified

    return traditional_to_simplified()


def fold_chinese(normalized: str) -> str:
    """Traditional -> simplified, one character at a time (OpenCC's t2s table, as the keyword
    matcher uses it): variant forms (爲/為 -> 为, 劍 -> 剑) compare equal in shingles."""
    return _t2s()(normalized)


@dataclass(frozen=True)
class TokenBatch:
    """The tokens of a batch of texts: hashes in text order, text i's at
    `hashes[offsets[i]:offsets[i + 1]]`, and per text how many are unsegmented characters."""

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len(texts) + 1
    unsegmented: np.ndarray  # int64, len(texts)

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


def tokenize(normalized: Sequence[str]) -> TokenBatch:
    """Tokens of normalised texts (`normalize.normalize_text`)."""
    n = len(normalized)
    empty = TokenBatch(np.zeros(0, np.uint64), np.zeros(n + 1, np.int64), np.zeros(n, np.int64))
    if n == 0:
        return empty
    joined = _SEPARATOR.join(normalized)
    if not joined:
        return empty
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    kind = _classes()[cps]
    previous = np.empty_like(kind)
    previous[0] = 0
    previous[1:] = kind[:-1]
    # A token starts at every unsegmented character and where a word run begins.
    starts_mask = (kind == _UNSEGMENTED) | ((kind == _WORD) & (previous != _WORD))
    starts = np.flatnonzero(starts_mask)
    if len(starts) == 0:
        return empty
    # Position of each character inside its token, for the power it is weighted with.
    index = np.arange(len(cps))
    offset = index - np.maximum.accumulate(np.where(starts_mask, index, 0))
    powers = _powers(1 << max(int(offset.max()).bit_length(), 4))
    # Separators weigh nothing; cps + 1 keeps U+0000 from vanishing.
    weighted = np.where(kind > 0, (cps.astype(np.uint64) + np.uint64(1)) * powers[offset], 0)
    hashes = mix64(np.add.reduceat(weighted.astype(np.uint64), starts))
    # Which text each token belongs to: texts start after each separator.
    text_starts = np.zeros(n, dtype=np.int64)
    text_starts[1:] = np.cumsum([len(t) + 1 for t in normalized[:-1]])
    owner = np.searchsorted(text_starts, starts, side="right") - 1
    counts = np.bincount(owner, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    unsegmented = np.bincount(owner, weights=kind[starts] == _UNSEGMENTED, minlength=n)
    return TokenBatch(hashes, offsets, unsegmented.astype(np.int64))


def uses_characters(language: str | None, tokens: int, unsegmented: int) -> bool:
    """Character n-grams for this record? By its language when known, else by its script."""
    if language:
        return language.split("-")[0].lower() in UNSEGMENTED_LANGUAGES
    return tokens > 0 and unsegmented * 2 >= tokens


@dataclass(frozen=True)
class ShingleSets:
    """Shingle hashes per text, in text order: text i's at `hashes[offsets[i]:offsets[i+1]]`.
    A shingle that occurs twice is listed twice: MinHash ignores repeats (a minimum over a
    multiset is the minimum over its set) and SimHash counts them as weights, as it should,
    so no step sorts them away."""

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64

    def of(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


def shingle_sets(tokens: TokenBatch, sizes: np.ndarray) -> ShingleSets:
    """The n-gram hashes of each text's tokens, n = sizes[i]. A text with fewer than n tokens
    is one shingle of all of them; a text without tokens has none."""
    counts = tokens.counts()
    n_texts = len(counts)
    t = tokens.hashes
    owners: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for width in np.unique(sizes[counts > 0]):
        width = int(width)
        factors = _window_factors(width)
        mine = (sizes == width) & (counts > 0)
        full = np.flatnonzero(mine & (counts >= width))
        if len(full):
            windows = counts[full] - width + 1
            first = concat_ranges(tokens.offsets[full], windows)
            acc = np.zeros(len(first), dtype=np.uint64)
            for k in range(width):
                acc += t[first + k] * factors[k]
            owners.append(np.repeat(full, windows))
            values.append(mix64(acc ^ np.uint64(width)))
        short = np.flatnonzero(mine & (counts < width))
        if len(short):
            # One shingle of all the text's tokens; its width is mixed in, so it never equals
            # an n-gram of a longer text shingled with the same n.
            positions = concat_ranges(tokens.offsets[short], counts[short])
            rank = positions - np.repeat(tokens.offsets[short], counts[short])
            heads = np.cumsum(counts[short]) - counts[short]
            sums = np.add.reduceat(t[positions] * factors[rank], heads)
            owners.append(short)
            values.append(mix64(sums ^ counts[short].astype(np.uint64)))
    if not values:
        return ShingleSets(np.zeros(0, np.uint64), np.zeros(n_texts + 1, np.int64))
    owner = np.concatenate(owners)
    value = np.concatenate(values)
    if len(values) > 1:  # pieces of several widths: bring each text's shingles together
        order = np.argsort(owner, kind="stable")
        owner, value = owner[order], value[order]
    offsets = np.zeros(n_texts + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n_texts), out=offsets[1:])
    return ShingleSets(value, offsets)

"""Text normalisation for keyword matching, with a map back to the original offsets.

The steps, in order:

1. NFKC (folds full/half width, compatibility forms, ligatures) and lower case;
2. an optional character-level converter, e.g. traditional → simplified Chinese
   (`CharTableConverter`; no such library ships with the project yet);
3. evasion separators removed: invisible characters anywhere, separator runs between two CJK
   characters (`赌*博`, `赌 博`) and between single Latin letters (`d.r.u.g`).

Speed matters (tens of MB/s): every pass over the whole text is a C-level call (`normalize`,
`lower`, compiled regexes). Per-character Python work happens only for the rare characters
whose NFKC/lower form changes length or can compose with a neighbour, and the map back to the
original is a short list of segments searched with `bisect`, built from what was removed.

Sentence punctuation (，。；：！？ and brackets) is not a separator: stripping it would let a
term match across a sentence boundary. Digits are not separators either (`6.4` stays).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

# Matched after NFKC + lower, so full-width forms already are ASCII here.
SEPARATOR_CHARS = (
    " \t\n\r\f\v\u3000"  # whitespace (U+3000 survives only if NFKC is skipped)
    "*.-_|/\\~^+=#@&$%'\"`"
    "·•‧∙・◆◇★☆○●◎※♀♂♡♥丶ˉ¯°"
)
# Removed wherever they are: zero-width space/joiners, word joiner, BOM, soft hyphen.
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_SEP = re.escape(SEPARATOR_CHARS + INVISIBLE_CHARS)

_CJK_SEP = re.compile(f"(?<=[{_CJK}])[{_SEP}]+(?=[{_CJK}])")
# A run of single ASCII letters joined by separators: "d.r.u.g", "s e x".
_SINGLE_LETTERS = re.compile(f"(?<![a-z0-9])[a-z](?:[{_SEP}]+[a-z](?![a-z0-9]))+")
_SEP_RUN = re.compile(f"[{_SEP}]+")
_INVISIBLE = re.compile(f"[{re.escape(INVISIBLE_CHARS)}]+")

# Ranges scanned for characters whose NFKC + lower form is exactly one character that cannot
# compose with its neighbour; text made only of those maps one-to-one onto its folded form.
_CANDIDATE_RANGES = (
    (0x0000, 0x052F),  # Latin, Greek, Cyrillic
    (0x2000, 0x206F),  # general punctuation
    (0x3000, 0x30FF),  # CJK symbols, kana
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFF00, 0xFFEF),  # full/half width forms
    (0x1F300, 0x1FAFF),  # emoji
)

Converter = Callable[[str], str]


def _char_class(codepoints: list[int]) -> str:
    runs: list[tuple[int, int]] = []
    for cp in codepoints:
        if runs and runs[-1][1] == cp - 1:
            runs[-1] = (runs[-1][0], cp)
        else:
            runs.append((cp, cp))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in runs
    )


@dataclass(frozen=True)
class _FoldTables:
    unsafe: re.Pattern[str]  # runs of characters needing the per-chunk path
    changing: re.Pattern[str]  # safe characters whose NFKC form differs
    table: dict[str, str]


@lru_cache(maxsize=1)
def _fold_tables() -> _FoldTables:
    safe: list[int] = []
    table: dict[str, str] = {}
    for lo, hi in _CANDIDATE_RANGES:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            folded = unicodedata.normalize("NFKC", ch)
            if (
                len(folded) != 1
                or len(folded.lower()) != 1
                or unicodedata.combining(ch)
                or unicodedata.combining(folded)
                or 0xD800 <= cp <= 0xDFFF
            ):
                continue
            safe.append(cp)
            if folded != ch:
                table[ch] = folded
    return _FoldTables(
        re.compile(f"[^{_char_class(safe)}]+"),
        re.compile(f"[{_char_class(sorted(ord(c) for c in table))}]"),
        table,
    )


def _unsafe_pattern() -> re.Pattern[str]:
    return _fold_tables().unsafe


def _fold_plain(text: str) -> str:
    """NFKC + lower of text made only of safe characters, one character for one.

    `unicodedata.normalize` runs at ~20 MB/s on Chinese with full-width punctuation; replacing
    just the few characters that change is several times faster and gives the same result.
    """
    tables = _fold_tables()
    # str.replace scans at memory speed; the regex callback then only sees the rare rest.
    for src, dst in _COMMON_WIDE:
        if src in text:
            text = text.replace(src, dst)
    if tables.changing.search(text) is None:
        return text.lower()
    table = tables.table
    return tables.changing.sub(lambda m: table[m.group()], text).lower()


# The full-width punctuation of everyday Chinese text, folded as NFKC does.
_COMMON_WIDE = tuple((c, unicodedata.normalize("NFKC", c)) for c in "，（）：；！？％＋－／")


class CharTableConverter:
    """A character-for-character converter (e.g. traditional → simplified) from a table.

    Only one-to-one character tables keep offsets exact, so multi-character keys or values are
    rejected. Feed it a library's character table (OpenCC's `TSCharacters`, for instance).
    """

    def __init__(self, table: Mapping[str, str]) -> None:
        for src, dst in table.items():
            if len(src) != 1 or len(dst) != 1:
                raise ValueError(
                    f"converter table entry {src!r} -> {dst!r}: only single characters keep offsets"
                )
        self._table = str.maketrans(dict(table))

    def __call__(self, text: str) -> str:
        return text.translate(self._table)


@dataclass(frozen=True)
class _Segment:
    """Folded text [f_start, f_start+f_len) came from original [o_start, o_start+o_len)."""

    f_start: int
    o_start: int
    f_len: int
    o_len: int
    identity: bool


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus what is needed to map its offsets back to the original."""

    text: str
    original_length: int
    # Final text [n_start, ...) continues folded text at f_start (segments between removals).
    _kept_n: tuple[int, ...] = field(default=(), repr=False)
    _kept_f: tuple[int, ...] = field(default=(), repr=False)
    # Empty when folding was one-to-one.
    _fold: tuple[_Segment, ...] = field(default=(), repr=False)
    _fold_starts: tuple[int, ...] = field(default=(), repr=False)

    def _to_folded(self, pos: int) -> int:
        if not self._kept_n:
            return pos
        i = bisect_right(self._kept_n, pos) - 1
        return self._kept_f[i] + pos - self._kept_n[i]

    def _fold_to_original(self, fpos: int, *, end: bool) -> int:
        """Original offset where folded char `fpos` starts (or ends, with `end`)."""
        if not self._fold:
            return fpos + 1 if end else fpos
        seg = self._fold[bisect_right(self._fold_starts, fpos) - 1]
        if seg.identity:
            return seg.o_start + fpos - seg.f_start + (1 if end else 0)
        return seg.o_start + seg.o_len if end else seg.o_start

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) covering normalised [start, end); ValueError if out of range."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) outside normalised text of {len(self.text)}")
        return (
            self._fold_to_original(self._to_folded(start), end=False),
            self._fold_to_original(self._to_folded(end - 1), end=True),
        )


def _fold_slow(text: str, unsafe: re.Pattern[str]) -> tuple[str, list[_Segment]]:
    """NFKC + lower chunk by chunk where characters change length or compose."""
    pieces: list[str] = []
    segments: list[_Segment] = []
    f_pos = 0
    o_pos = 0  # original text folded so far

    def emit(o_start: int, o_end: int, folded: str, identity: bool) -> None:
        nonlocal f_pos
        if o_end > o_start:
            pieces.append(folded)
            segments.append(_Segment(f_pos, o_start, len(folded), o_end - o_start, identity))
            f_pos += len(folded)

    for m in unsafe.finditer(text):
        # The character before an unsafe run may compose with it ("e" + U+0301).
        region_start = max(m.start() - 1, o_pos)
        emit(o_pos, region_start, _fold_plain(text[o_pos:region_start]), True)
        chunk_start = region_start
        for i in range(region_start + 1, m.end() + 1):
            chunk = text[chunk_start:i]
            if i < m.end():
                nxt = text[i]
                joined = unicodedata.normalize("NFKC", chunk + nxt)
                if unicodedata.combining(nxt) or joined != (
                    unicodedata.normalize("NFKC", chunk) + unicodedata.normalize("NFKC", nxt)
                ):
                    continue  # nxt belongs to this chunk
            folded = unicodedata.normalize("NFKC", chunk).lower()
            emit(chunk_start, i, folded, len(folded) == len(chunk))
            chunk_start = i
        o_pos = m.end()
    emit(o_pos, len(text), _fold_plain(text[o_pos:]), True)
    return "".join(pieces), segments


def _removal_spans(folded: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _CJK_SEP.finditer(folded)]
    for m in _SINGLE_LETTERS.finditer(folded):
        spans.extend(s.span() for s in _SEP_RUN.finditer(folded, m.start(), m.end()))
    spans.extend(m.span() for m in _INVISIBLE.finditer(folded))
    if len(spans) < 2:
        return spans
    spans.sort()
    merged = [spans[0]]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def normalize(text: str, converter: Converter | None = None) -> Normalized:
    """Normalise `text` for matching; `converter` must map character for character."""
    unsafe = _unsafe_pattern()
    fold: tuple[_Segment, ...] = ()
    if unsafe.search(text) is None:
        folded = _fold_plain(text)
    else:
        folded, segments = _fold_slow(text, unsafe)
        if any(not s.identity for s in segments):
            fold = tuple(segments)
    if converter is not None:
        converted = converter(folded)
        if len(converted) != len(folded):
            raise ValueError(
                "converter changed the text length; only character-level converters keep offsets"
            )
        folded = converted

    removals = _removal_spans(folded)
    if not removals:
        return Normalized(
            folded, len(text), _fold=fold, _fold_starts=tuple(s.f_start for s in fold)
        )
    pieces: list[str] = []
    kept_n: list[int] = []
    kept_f: list[int] = []
    n_pos = 0
    f_pos = 0
    for s, e in removals:
        if s > f_pos:
            pieces.append(folded[f_pos:s])
            kept_n.append(n_pos)
            kept_f.append(f_pos)
            n_pos += s - f_pos
        f_pos = e
    kept_n.append(n_pos)
    kept_f.append(f_pos)
    pieces.append(folded[f_pos:])
    return Normalized(
        "".join(pieces),
        len(text),
        _kept_n=tuple(kept_n),
        _kept_f=tuple(kept_f),
        _fold=fold,
        _fold_starts=tuple(s.f_start for s in fold),
    )


def normalize_term(term: str, converter: Converter | None = None) -> str:
    """A keyword in the form the matcher looks for (same steps as the text)."""
    return normalize(term.strip(), converter).text

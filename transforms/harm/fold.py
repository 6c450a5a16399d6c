"""Text normalisation for keyword matching, with a map back to the original offsets.

The steps, in order:

1. NFKC (folds full/half width, compatibility forms, ligatures) and lower case;
2. an optional character-level converter, e.g. traditional → simplified Chinese
   (`traditional_to_simplified()`: OpenCC's t2s applied to single characters, so offsets hold);
3. evasion separators removed: invisible characters anywhere, separator runs between two CJK
   characters (`赌*博`, `赌 博`) and between single Latin letters (`d.r.u.g`).

Speed matters (tens of MB/s): every pass over the whole text is a C-level call (`lower`,
`str.replace`, compiled regexes that start with a bare character class, so `re` skips ahead
with a table test), and passes are few. Most text is *quiet* (see `_quiet_pattern`): one
search proves it holds nothing that needs the slow fold, no invisible character and no
converter key; it is then folded with `str.replace` + `lower`, left to the converter
untouched, and cut with one `re.sub`, whose offsets are derived only if a span is asked for.
Per-character Python work happens only for the rare characters whose NFKC/lower form changes
length or can compose with a neighbour; the map back to the original is a short list of
segments searched with `bisect`, built from what was removed. The paths give identical results
(`test_quiet_path_agrees_with_the_general_path`).

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
from typing import Any

# Matched after NFKC + lower, so full-width forms already are ASCII here.
SEPARATOR_CHARS = (
    " \t\n\r\f\v\u3000"  # whitespace (U+3000 survives only if NFKC is skipped)
    "*.-_|/\\~^+=#@&$%'\"`"
    "·•‧∙・◆◇★☆○●◎※♀♂♡♥丶ˉ¯°"
)
# Removed wherever they are: zero-width space/joiners, word joiner, BOM, soft hyphen, the
# variation selectors that turn a symbol into an emoji (U+FE0F) or text (U+FE0E).
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\ufe0e\ufe0f"
# Emoji and pictographs: separators like `*` (nobody writes one inside a Chinese word).
EMOJI_RANGES = "\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
# Sentence punctuation (after NFKC: ，→, ；→; ...): a separator only between *single* CJK
# characters (`网，上，赌，场`), where no sentence can end; `豪赌，博弈` keeps its comma.
PUNCTUATION_CHARS = ",、。;:!?…"
_SEP = re.escape(SEPARATOR_CHARS + INVISIBLE_CHARS) + EMOJI_RANGES
_PS = _SEP + re.escape(PUNCTUATION_CHARS)
# Between lone Latin letters `*` is not a separator but a mask (`f*ck`, `a f*ggot`): a letter
# beside a `*` belongs to a masked word and is not lone.
_LSEP = re.escape(SEPARATOR_CHARS.replace("*", "") + INVISIBLE_CHARS) + EMOJI_RANGES
# Patterns that search whole texts start with a lone character class, written `[x][x]*`
# rather than `[x]+`: `re` skips ahead with a class test only when the pattern starts with a
# bare class (CPython's `_get_charset_prefix`); a leading repeat or look-behind makes it try a
# full match at every position, 3-5x slower on text where the class is rare.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
# One scan finds every separator run that goes, as `_joins` decides: a maximal run between two
# CJK characters, or between two lone letters (no letter or digit beside either). The class
# comes first; the look-behind checks what precedes the run's first separator (a separator
# there fails it, so only maximal runs start), and the look-ahead is not consumed, so
# back-to-back runs like "d.r.u.g" all match.
# The last two branches join a run holding punctuation when the CJK character before it has no
# CJK neighbour on its left, or the one after it none on its right.
_JOINING_RUN = re.compile(
    f"[{_PS}](?:"
    f"(?<=[{_CJK}][{_SEP}])[{_SEP}]*(?=[{_CJK}])"
    f"|(?<=(?<![a-z0-9*])[a-z][{_LSEP}])[{_LSEP}]*(?=[a-z](?![a-z0-9*]))"
    f"|(?<=(?<![{_CJK}])[{_CJK}][{_PS}])[{_PS}]*(?=[{_CJK}])"
    f"|(?<=[{_CJK}][{_PS}])[{_PS}]*(?=[{_CJK}](?![{_CJK}]))"
    ")"
)
_SEP_RUN = re.compile(f"[{_PS}][{_PS}]*")
_SEP_ONLY = re.compile(f"[{_SEP}]*")
_LSEP_ONLY = re.compile(f"[{_LSEP}]*")
_INVISIBLE = re.compile(f"[{re.escape(INVISIBLE_CHARS)}][{re.escape(INVISIBLE_CHARS)}]*")

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
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs
    )


@dataclass(frozen=True)
class _FoldTables:
    unsafe: re.Pattern[str]  # runs of characters needing the per-chunk path
    changing: re.Pattern[str]  # safe characters whose NFKC form differs
    table: dict[str, str]
    safe: tuple[int, ...]  # sorted code points folding one-to-one


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
    unsafe = f"[^{_char_class(safe)}]"
    return _FoldTables(
        re.compile(f"{unsafe}{unsafe}*"),  # not `+`: see _JOINING_RUN
        re.compile(f"[{_char_class(sorted(ord(c) for c in table))}]"),
        table,
        tuple(safe),
    )


def _quiet_pattern(keys: frozenset[str], *, quiet: bool = True) -> re.Pattern[str]:
    """A search for any character that takes a text off the quiet path.

    Quiet text is made of safe characters (they fold one-to-one) that NFKC leaves alone or
    that are `_COMMON_WIDE` punctuation, holds no invisible character and folds to no converter
    key (`keys`). One search proves all of it for most texts, where separate scans would read
    the text four times (a class scan costs as much as `lower()`), and then folding,
    converting and separator removal take their short ways. With `quiet=False`, characters
    NFKC changes are allowed: the search then proves the text plain and free of invisibles.
    """
    tables = _fold_tables()
    fold = tables.table
    common = {src for src, _ in _COMMON_WIDE}
    allowed = [
        cp
        for cp in tables.safe
        if (ch := chr(cp)) not in INVISIBLE_CHARS
        and fold.get(ch, ch).lower() not in keys
        and not (quiet and ch in fold and ch not in common)
    ]
    return re.compile(f"[^{_char_class(allowed)}]")


@lru_cache(maxsize=1)
def _quiet_without_converter() -> re.Pattern[str]:
    return _quiet_pattern(frozenset())


@lru_cache(maxsize=1)
def _plain_and_visible() -> re.Pattern[str]:
    return _quiet_pattern(frozenset(), quiet=False)


def _unsafe_pattern() -> re.Pattern[str]:
    return _fold_tables().unsafe


def _fold_plain(text: str) -> str:
    """NFKC + lower of text made only of safe characters, one character for one.

    `unicodedata.normalize` runs at ~20 MB/s on Chinese with full-width punctuation; replacing
    just the few characters that change is several times faster and gives the same result.
    """
    tables = _fold_tables()
    text = _fold_common_wide(text)
    if tables.changing.search(text) is None:
        return text.lower()
    table = tables.table
    return tables.changing.sub(lambda m: table[m.group()], text).lower()


def _fold_common_wide(text: str) -> str:
    # `in` and str.replace scan at memory speed; a regex callback then only sees the rare rest.
    for src, dst in _COMMON_WIDE:
        if src in text:
            text = text.replace(src, dst)
    return text


# The full-width punctuation of everyday Chinese text, folded as NFKC does.
_COMMON_WIDE = tuple((c, unicodedata.normalize("NFKC", c)) for c in "，（）：；！？％＋－／")


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_BMP_SIZE = 0x10000
_CODE_POINTS = 0x110000
# Below this length `str.translate` beats the array set-up (~3 µs); they break even near 100
# characters of Chinese.
_ARRAY_MIN = 128


class CharTableConverter:
    """A character-for-character converter (e.g. traditional → simplified) from a table.

    Only one-to-one character tables keep offsets exact, so multi-character keys or values are
    rejected. Text holding no key is returned as it is after one regex scan (the common case:
    simplified text through a t2s table). Otherwise a text of `_ARRAY_MIN` characters or more
    is converted as an array: its UTF-32 code units index a numpy table of every code point
    (4.4 MB, built at first use), four times as fast on Chinese as `str.translate`, which looks
    every character up through Python objects. Shorter texts (keywords, titles), where the array
    set-up costs more than it saves, go through `str.translate` over an ordinal-indexed list,
    about twice as fast as the dict `str.maketrans` gives.
    """

    # Whether the output may hold an invisible character the input did not: `normalize` then
    # cannot skip its search for them after converting.
    adds_invisible: bool

    def __init__(self, table: Mapping[str, str]) -> None:
        for src, dst in table.items():
            if len(src) != 1 or len(dst) != 1:
                raise ValueError(
                    f"converter table entry {src!r} -> {dst!r}: only single characters keep offsets"
                )
        self._pairs = {src: dst for src, dst in table.items() if src != dst}
        self.adds_invisible = any(dst in INVISIBLE_CHARS for dst in self._pairs.values())
        self._full = str.maketrans(self._pairs)
        bmp = sorted(ord(src) for src in self._pairs if ord(src) < _BMP_SIZE)
        # BMP-only classes compile to a bitmap test; one astral member would make `re` test
        # every character against a list of ranges (~40x slower here).
        self._bmp_keys = re.compile(f"[{_char_class(bmp)}]") if bmp else None
        self._astral_keys = len(bmp) < len(self._pairs)
        self._bmp_list: list[int] | None = None
        self._array: Any = None  # numpy uint32 table, code point -> code point
        self._quiet: re.Pattern[str] | None = None

    def quiet_pattern(self) -> re.Pattern[str]:
        """`normalize`'s one-scan test for text this converter (and folding) leaves alone."""
        if self._quiet is None:
            self._quiet = _quiet_pattern(frozenset(self._pairs))
        return self._quiet

    def __reduce__(self) -> tuple[type[CharTableConverter], tuple[dict[str, str]]]:
        return (CharTableConverter, (self._pairs,))

    def __call__(self, text: str) -> str:
        if self._astral_keys and _ASTRAL.search(text) is not None:
            return self._by_array(text) if len(text) >= _ARRAY_MIN else text.translate(self._full)
        if self._bmp_keys is None or self._bmp_keys.search(text) is None:
            return text
        if len(text) >= _ARRAY_MIN:
            return self._by_array(text)
        # The list stops at U+FFFF; `translate` keeps a character whose lookup raises
        # LookupError (IndexError here) as it is, so astral characters pass untouched.
        if self._bmp_list is None:
            table = list(range(_BMP_SIZE))
            for src, dst in self._pairs.items():
                if ord(src) < _BMP_SIZE:
                    table[ord(src)] = ord(dst)
            self._bmp_list = table
        return text.translate(self._bmp_list)

    def _by_array(self, text: str) -> str:
        import numpy as np  # imported here: the module stays cheap to import

        if self._array is None:
            table = np.arange(_CODE_POINTS, dtype=np.uint32)
            for src, dst in self._pairs.items():
                table[ord(src)] = ord(dst)
            self._array = table
        # UTF-32 gives one code unit per character; "surrogatepass" carries lone surrogates
        # (legal in a str) through both ways, so the length never changes.
        units = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return self._array[units].tobytes().decode("utf-32-le", "surrogatepass")


# The CJK unified ideographs and extension A. Compatibility ideographs are not listed (NFKC has
# folded them before the converter runs), nor extensions B-G: OpenCC maps ~350 rare characters
# there, and one astral key costs every text a second scan (see `CharTableConverter`).
_T2S_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))
# Characters OpenCC's TSCharacters lists as possibly staying themselves (`乾\t干 乾`): which one
# is right depends on the word (乾隆 vs 乾净), and OpenCC decides that with its phrase tables,
# which a one-character table cannot use. They are left unfolded, else simplified text such as
# 戏说乾隆 would read 戏说干隆 and fire the term 说干. Taken from OpenCC 1.4.2's TSCharacters and
# TSCharactersExt (dumped with the wheel's `opencc_dict`): the entries whose candidate list holds
# the character itself and whose first candidate differs.
T2S_AMBIGUOUS = frozenset("谿扞昇釐麽陞薹脩蒐袷祕於氾剋劄徵夥吒乾")


@lru_cache(maxsize=1)
def traditional_to_simplified() -> CharTableConverter:
    """Traditional → simplified Chinese, character by character, from OpenCC's `t2s.json`.

    Built once per process (~0.1 s) by converting every CJK character on its own, so only
    OpenCC's one-character mappings are used and offsets are kept; phrase-level conversions
    (OpenCC also rewrites some words as a whole) are left out, and so are the characters whose
    conversion depends on the word (`T2S_AMBIGUOUS`). Several traditional characters may share
    one simplified form (`發`, `髮` → `发`); keywords go through the same table, so that folding
    can only add matches, never lose one.
    """
    import opencc  # imported here: the table is built at first use, not at import

    t2s = opencc.OpenCC("t2s.json")
    table: dict[str, str] = {}
    for lo, hi in _T2S_RANGES:
        for cp in range(lo, hi + 1):
            src = chr(cp)
            dst = t2s.convert(src)
            if dst != src and len(dst) == 1 and src not in T2S_AMBIGUOUS:
                table[src] = dst
    if not table:
        raise ValueError("OpenCC t2s.json gave no character mappings; is its data installed?")
    return CharTableConverter(table)


@dataclass(frozen=True)
class _Segment:
    """Folded text [f_start, f_start+f_len) came from original [o_start, o_start+o_len)."""

    f_start: int
    o_start: int
    f_len: int
    o_len: int
    identity: bool


# Not frozen (read it, don't set it): a frozen dataclass's __init__ costs ~2 µs, a tenth of
# normalising a paragraph; slots bring it to ~0.2 µs.
@dataclass(slots=True)
class Normalized:
    """Normalised text plus what is needed to map its offsets back to the original."""

    text: str
    original_length: int
    # See `unconverted`; until `_settle` runs, in the offsets of `_unremoved` when that is set.
    _unconverted: str | None = None
    # Final text [n_start, ...) continues folded text at f_start (segments between removals).
    _kept_n: tuple[int, ...] = field(default=(), repr=False)
    _kept_f: tuple[int, ...] = field(default=(), repr=False)
    # Empty when folding was one-to-one.
    _fold: tuple[_Segment, ...] = field(default=(), repr=False)
    _fold_starts: tuple[int, ...] = field(default=(), repr=False)
    # Folded text before `_JOINING_RUN` cut it, when `_kept_n`/`_kept_f` are yet to be derived:
    # most texts are never asked for a span, so they never pay for the offsets.
    _unremoved: str | None = field(default=None, repr=False)

    @property
    def unconverted(self) -> str | None:
        """`text` without the converter (same length, same offsets), kept only when the
        converter changed something: the matcher asks whether a span was written in
        traditional characters."""
        if self._unremoved is not None and self._unconverted is not None:
            self._settle()
        return self._unconverted

    def _settle(self) -> None:
        """Derive what the cut left for later: the offsets, and the unconverted text cut alike."""
        assert self._unremoved is not None
        kept, self._kept_n, self._kept_f = _kept(
            _joining_removals(self._unremoved), len(self._unremoved)
        )
        if self._unconverted is not None:
            self._unconverted = "".join(self._unconverted[a:b] for a, b in kept)
        self._unremoved = None

    def _to_folded(self, pos: int) -> int:
        if self._unremoved is not None:
            self._settle()
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


def _is_alnum_lower(ch: str) -> bool:
    return "a" <= ch <= "z" or "0" <= ch <= "9" or ch == "*"


def _single_letter(text: str, i: int) -> bool:
    """`text[i]` is a lone ASCII letter: no letter, digit or `*` either side ("d" in "d.r.u.g")."""
    if not "a" <= text[i] <= "z":
        return False
    if i > 0 and _is_alnum_lower(text[i - 1]):
        return False
    return i + 1 >= len(text) or not _is_alnum_lower(text[i + 1])


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _joins(folded: str, start: int, end: int) -> bool:
    """The separator run folded[start:end] joins two CJK characters or two lone letters."""
    before = folded[start - 1]
    after = folded[end]
    plain = _SEP_ONLY.fullmatch(folded, start, end) is not None
    if _is_cjk(before) and _is_cjk(after):
        if plain:
            return True
        # Punctuation joins only single characters (see PUNCTUATION_CHARS).
        return (start < 2 or not _is_cjk(folded[start - 2])) or (
            end + 1 >= len(folded) or not _is_cjk(folded[end + 1])
        )
    return (
        _LSEP_ONLY.fullmatch(folded, start, end) is not None
        and "a" <= before <= "z"
        and "a" <= after <= "z"
        and _single_letter(folded, start - 1)
        and _single_letter(folded, end)
    )


def _joining_removals(folded: str) -> list[tuple[int, int]]:
    """`_removal_spans` of text known to hold no invisible character."""
    # Only runs with a CJK character or a letter on both sides can go; one C-level scan finds
    # just those, instead of a Python step for every space and dot of the text.
    return [m.span() for m in _JOINING_RUN.finditer(folded)]


def _removal_spans(folded: str) -> list[tuple[int, int]]:
    """Spans to delete, sorted and disjoint.

    A whole separator run goes when it joins two CJK characters (`赌 * 博`) or two lone
    letters (`d.r.u.g`, `s e x`); elsewhere only its invisible characters go. Maximal runs
    never touch, so the spans need no merging.
    """
    # Seven substring tests (memchr) cost less than one regex scan of a seven-character class.
    if not any(ch in folded for ch in INVISIBLE_CHARS):
        return _joining_removals(folded)
    spans: list[tuple[int, int]] = []
    size = len(folded)
    for m in _SEP_RUN.finditer(folded):
        start, end = m.span()
        if start and end < size and _joins(folded, start, end):
            spans.append((start, end))
        else:
            spans.extend(i.span() for i in _INVISIBLE.finditer(folded, start, end))
    return spans


def normalize(text: str, converter: Converter | None = None) -> Normalized:
    """Normalise `text` for matching; `converter` must map character for character."""
    if converter is None:
        quiet: re.Pattern[str] | None = _quiet_without_converter()
    elif isinstance(converter, CharTableConverter):
        quiet = converter.quiet_pattern()
    else:
        quiet = None  # an arbitrary callable: nothing known about what it changes
    if quiet is not None and quiet.search(text) is None:
        folded = _fold_common_wide(text).lower()
        return _removed(text, folded, None, (), True)
    fold: tuple[_Segment, ...] = ()
    # Traditional text lands here (it holds converter keys), and text with a rare full-width
    # form: one search still proves most of it quiet but for the converter, or at least plain
    # and free of invisible characters.
    invisible_free = True
    if converter is not None and _quiet_without_converter().search(text) is None:
        folded = _fold_common_wide(text).lower()
    elif _plain_and_visible().search(text) is None:
        folded = _fold_plain(text)
    else:
        invisible_free = False
        unsafe = _unsafe_pattern()
        if unsafe.search(text) is None:
            folded = _fold_plain(text)
        else:
            folded, segments = _fold_slow(text, unsafe)
            if any(not s.identity for s in segments):
                fold = tuple(segments)
    unconverted: str | None = None
    if converter is not None:
        converted = converter(folded)
        if len(converted) != len(folded):
            raise ValueError(
                "converter changed the text length; only character-level converters keep offsets"
            )
        if converted is not folded:
            if converted != folded:
                unconverted = folded
            # Only a table known to add none keeps the text free of invisible characters.
            invisible_free = invisible_free and (
                isinstance(converter, CharTableConverter) and not converter.adds_invisible
            )
        folded = converted
    return _removed(text, folded, unconverted, fold, invisible_free)


def _removed(
    text: str,
    folded: str,
    unconverted: str | None,
    fold: tuple[_Segment, ...],
    invisible_free: bool,
) -> Normalized:
    """The `Normalized` of `text` once separator runs are cut from its folded form."""
    fold_starts = tuple(s.f_start for s in fold) if fold else ()
    if invisible_free:
        # The common case: `re.sub` cuts in C; offsets (and the unconverted text cut alike)
        # wait until asked for, which most texts never are.
        cut = _JOINING_RUN.sub("", folded)
        if len(cut) == len(folded):
            return Normalized(folded, len(text), unconverted, _fold=fold, _fold_starts=fold_starts)
        return Normalized(
            cut, len(text), unconverted, _fold=fold, _fold_starts=fold_starts, _unremoved=folded
        )
    removals = _removal_spans(folded)
    if not removals:
        return Normalized(folded, len(text), unconverted, _fold=fold, _fold_starts=fold_starts)
    kept, kept_n, kept_f = _kept(removals, len(folded))
    return Normalized(
        "".join(folded[a:b] for a, b in kept),
        len(text),
        None if unconverted is None else "".join(unconverted[a:b] for a, b in kept),
        _kept_n=kept_n,
        _kept_f=kept_f,
        _fold=fold,
        _fold_starts=fold_starts,
    )


def _kept(
    removals: list[tuple[int, int]], size: int
) -> tuple[list[tuple[int, int]], tuple[int, ...], tuple[int, ...]]:
    """The folded [start, end) slices that stay, and where each starts in the final text
    (`kept_n`) and in the folded one (`kept_f`)."""
    kept: list[tuple[int, int]] = []
    kept_n: list[int] = []
    kept_f: list[int] = []
    n_pos = 0
    f_pos = 0
    for s, e in removals:
        if s > f_pos:
            kept.append((f_pos, s))
            kept_n.append(n_pos)
            kept_f.append(f_pos)
            n_pos += s - f_pos
        f_pos = e
    kept_n.append(n_pos)
    kept_f.append(f_pos)
    kept.append((f_pos, size))
    return kept, tuple(kept_n), tuple(kept_f)


def normalize_term(term: str, converter: Converter | None = None) -> str:
    """A keyword in the form the matcher looks for (same steps as the text)."""
    return normalize(term.strip(), converter).text

"""The multi-pattern matcher over the keyword library (GB/T 45654-2025 B.1.1).

The library itself (files, versions, reviews, quotas) lives in `library.py`; its names are
re-exported here. The matcher only tags: it returns every hit (code, term, tier, list version,
original offsets, and the view it was seen in) and a per-code summary; thresholds and decisions
belong to `detect.py`. Text and terms are normalised alike (`fold.py`), traditional Chinese
folded to simplified by default, so `賭博` in a text fires the term `赌博` and the hit's offsets
point into the original traditional text.

Views beyond the normalised text (`variants.py`), for expressions only: English inflections and
`*` masks and pinyin spellings (extra patterns), leetspeak (a same-length fold of the text) and
homophones (a same-length fold of CJK text to one character per
syllable). Two-character CJK terms must sit on jieba's word boundaries (`segment.py`) unless
the policy lists them as safe.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import ahocorasick_rs

from corpusgate.transforms.harm.fold import (
    CharTableConverter,
    Converter,
    Normalized,
    normalize,
    normalize_term,
    traditional_to_simplified,
)
from corpusgate.transforms.harm.library import (
    EXPRESSION,
    MANIFEST,
    MENTION,
    UPDATE_INTERVAL,
    CodeList,
    KeywordLibrary,
    LibraryStats,
    Term,
    default_library_dir,
    list_filename,
    list_version,
    parse_list,
)
from corpusgate.transforms.harm.segment import on_word_boundaries
from corpusgate.transforms.harm.variants import (
    expand_english,
    homophone_ok,
    homophone_table,
    leet_view,
    pinyin_spellings,
)

__all__ = [
    "DETECTOR",
    "EXPRESSION",
    "MANIFEST",
    "MENTION",
    "UPDATE_INTERVAL",
    "CodeList",
    "CodeSummary",
    "KeywordHit",
    "KeywordLibrary",
    "KeywordMatcher",
    "LibraryStats",
    "Term",
    "default_library_dir",
    "list_filename",
    "list_version",
    "parse_list",
]

DETECTOR = "keywords"


@dataclass(frozen=True)
class KeywordHit:
    code: str
    term: str  # the library term, normalised (after traditional → simplified folding)
    list_version: str
    start: int  # offsets in the original text
    end: int
    weight: float = 1.0
    detector: str = DETECTOR
    tier: str = EXPRESSION
    view: str = "text"  # text | variant | leet | pinyin | homophone


@dataclass(frozen=True)
class CodeSummary:
    hits: int
    terms: int  # distinct terms
    # Sum of the distinct terms' weights: a repeated term does not grow it.
    score: float
    list_version: str = ""
    detector: str = field(default=DETECTOR)


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


_Entry = tuple[str, str, float]  # code, list version, weight
_LATIN_RUN = re.compile("[a-z]")
_UNITS = "utf-16-le"  # what the automaton reads; see KeywordMatcher


class _Automaton:
    """Aho-Corasick over the UTF-16-LE bytes of a text; hits at character offsets."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self._auto = (
            ahocorasick_rs.BytesAhoCorasick(
                [key.encode(_UNITS, "surrogatepass") for key in keys],
                matchkind=ahocorasick_rs.MatchKind.Standard,
            )
            if keys
            else None
        )

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if self._auto is None or not text:
            return []
        data = text.encode(_UNITS)
        found = self._auto.find_matches_as_indexes(data, overlapping=True)
        if not found:
            return []
        if len(data) == 2 * len(text):  # one code unit per character
            return [(index, start >> 1, end >> 1) for index, start, end in found if not start & 1]
        return _char_offsets(data, found)


class _MultiAutomaton:
    """One automaton over several key lists: `find` gives each list's hits (as `_Automaton`
    gives them, indexed in that list); a key in two lists hits in both."""

    def __init__(self, key_lists: list[list[str]]) -> None:
        owners: dict[str, list[tuple[int, int]]] = {}
        for which, keys in enumerate(key_lists):
            for index, key in enumerate(keys):
                owners.setdefault(key, []).append((which, index))
        merged = sorted(owners)
        self._owners = [tuple(owners[key]) for key in merged]
        self._lists = len(key_lists)
        self._auto = _Automaton(merged)

    def find(self, text: str) -> list[list[tuple[int, int, int]]]:
        out: list[list[tuple[int, int, int]]] = [[] for _ in range(self._lists)]
        owners = self._owners
        for index, start, end in self._auto.find(text):
            for which, own in owners[index]:
                out[which].append((own, start, end))
        return out


class KeywordMatcher:
    """Aho-Corasick over normalised text; build once per worker (it holds the automata).

    The automaton is `ahocorasick_rs` (Rust, dense transitions) over the UTF-16-LE bytes of the
    normalised text: two bytes per Chinese character instead of UTF-8's three. A match must
    start on a code-unit boundary (odd offsets straddle two characters and are dropped), and
    offsets become character offsets by halving, or, in a text holding astral characters, by a
    walk done only for texts with a hit. Lone surrogates raise `UnicodeEncodeError`.

    `fold_traditional` (on by default) adds OpenCC's character-level traditional → simplified
    table to both the terms and the text, after `converter` if one is given, with two rules:

    - a term that library entries share after folding (`迷藥` and `迷药` in one code) fires once
      per code, with the smaller weight;
    - a term the library spells with characters the converter changes (`代開`) fires only on a
      span the text itself wrote with such characters (it was vetted in that spelling only).

    `word_boundaries` (on by default) keeps a two-character CJK expression only where jieba puts
    word boundaries at both its ends, unless it is in `boundary_safe` (a mention is kept either
    way: it never flags, and checking every `女人` of a novel costs more than it tells). `views` (on by default) adds
    the expression variants of `variants.py`.
    """

    def __init__(
        self,
        library: KeywordLibrary,
        converter: Converter | None = None,
        *,
        fold_traditional: bool = True,
        word_boundaries: bool = True,
        boundary_safe: frozenset[str] = frozenset(),
        views: bool = True,
    ) -> None:
        self.library = library
        self._args = (converter, fold_traditional, word_boundaries, boundary_safe, views)
        self._converter = _chain(
            converter, traditional_to_simplified() if fold_traditional else None
        )
        self._word_boundaries = word_boundaries
        self._boundary_safe = frozenset(normalize_term(t, self._converter) for t in boundary_safe)
        # key -> code -> (list version, weight, fires only on a span in the other script)
        payload: dict[str, dict[str, tuple[str, float, bool]]] = {}
        tiers: dict[tuple[str, str], str] = {}
        for code_list in library.lists.values():
            for term, weight in code_list.terms.items():
                key = normalize_term(term, self._converter)
                if len(key) < 2:
                    continue  # a single character would fire everywhere
                converted_only = (
                    self._converter is not None and normalize_term(term, converter) != key
                )
                per_code = payload.setdefault(key, {})
                seen = per_code.get(code_list.code)
                entry = (code_list.version, weight, converted_only)
                # An entry spelled as the key beats a converted spelling; else the lower weight.
                if seen is None or (seen[2], weight) > (converted_only, seen[1]):
                    per_code[code_list.code] = entry
                # A term that is an expression under a code stays one after folding.
                tier = code_list.tier(term)
                if tiers.get((key, code_list.code)) != EXPRESSION:
                    tiers[(key, code_list.code)] = tier
        self._tiers = tiers
        keys = sorted(payload)
        # Latin ends must sit on word boundaries ("ass" is not in "class").
        self._patterns: list[tuple[str, bool, bool, tuple[_Entry, ...], tuple[_Entry, ...]]] = []
        for key in keys:
            entries = payload[key].items()
            self._patterns.append(
                (
                    key,
                    _is_word_char(key[0]),
                    _is_word_char(key[-1]),
                    tuple((code, v, w) for code, (v, w, only) in entries if not only),
                    tuple((code, v, w) for code, (v, w, only) in entries if only),
                )
            )
        self.pattern_count = len(keys)
        self._views = views
        self._build_views(payload if views else {})
        # One automaton for the library's keys and the Latin views' extra keys (variants,
        # pinyin): a Latin text is scanned once rather than three times, its leet fold once
        # rather than twice. `_MultiAutomaton.find` sorts its hits back into the three key lists.
        self._automaton = _MultiAutomaton([keys, self._variant_keys, self._pinyin_keys])

    def _build_views(self, payload: dict[str, dict[str, tuple[str, float, bool]]]) -> None:
        """Variant keys of the expressions: key -> (library key, entries)."""
        expressions: dict[str, tuple[_Entry, ...]] = {}
        for key, per_code in payload.items():
            entries = tuple(
                (code, v, w)
                for code, (v, w, only) in sorted(per_code.items())
                if not only and self._tiers.get((key, code)) == EXPRESSION
            )
            if entries:
                expressions[key] = entries
        latin = [k for k in expressions if k.isascii() and any(c.isalpha() for c in k)]
        variants = {v: t for v, t in expand_english(latin).items() if v not in payload}
        self._variant_keys = sorted(variants)
        self._variant_of = [variants[k] for k in self._variant_keys]
        self._expressions = expressions
        pinyin: dict[str, str] = {}
        homophones: dict[str, str] = {}
        table = homophone_table() if any(_is_cjk(k[0]) for k in expressions) else {}
        for key in sorted(expressions):
            if len(key) >= 3 and all(_is_cjk(c) for c in key):
                for spelling in pinyin_spellings(key):
                    pinyin.setdefault(spelling, key)
                homophones.setdefault("".join(table.get(c, c) for c in key), key)
        self._pinyin_keys = sorted(pinyin)
        self._pinyin_of = [pinyin[k] for k in self._pinyin_keys]
        self._homophone_keys = sorted(homophones)
        self._homophone_of = [homophones[k] for k in self._homophone_keys]
        self._homophones = _Automaton(self._homophone_keys)
        self._sound = CharTableConverter(table) if table else None

    def __reduce__(self) -> tuple[Callable[..., KeywordMatcher], tuple[object, ...]]:
        # The Rust automata do not pickle; rebuilding them from the library takes ~1 s.
        return (_rebuild, (self.library, *self._args))

    def normalize_term(self, term: str) -> str:
        """`term` as this matcher looks for it (and reports it in `KeywordHit.term`)."""
        return normalize_term(term, self._converter)

    def normalize(self, text: str) -> Normalized:
        """The one normalisation pass the detector shares between this matcher and models."""
        return normalize(text, self._converter)

    def match(self, text: str) -> list[KeywordHit]:
        """Every (possibly overlapping) hit, ordered by original start, then code."""
        if not text:
            return []
        return self.match_normalized(self.normalize(text))

    def match_normalized(self, norm: Normalized) -> list[KeywordHit]:
        """`match` on text `normalize` already folded (shared with the classifiers)."""
        folded = norm.text
        hits: list[KeywordHit] = []
        found, variant_found, pinyin_found = self._automaton.find(folded)
        size = len(folded)
        patterns = self._patterns
        unconverted = norm.unconverted
        for index, start, end in found:
            key, left_word, right_word, entries, converted_only = patterns[index]
            if left_word and start > 0 and _is_word_char(folded[start - 1]):
                continue
            if right_word and end < size and _is_word_char(folded[end]):
                continue
            if converted_only and unconverted is not None and unconverted[start:end] != key:
                entries = entries + converted_only
            if not entries:
                continue
            tiers = [self._tiers.get((key, code), EXPRESSION) for code, _, _ in entries]
            # Only an expression needs its word boundaries checked: a mention never flags.
            if EXPRESSION in tiers and not self._whole_words(folded, key, start, end):
                continue
            ostart, oend = norm.original_span(start, end)
            for (code, version, weight), tier in zip(entries, tiers, strict=True):
                hits.append(KeywordHit(code, key, version, ostart, oend, weight, tier=tier))
        if self._views and folded:
            self._match_views(norm, hits, variant_found, pinyin_found)
        hits.sort(key=lambda h: (h.start, h.end, h.code, h.term, h.view))
        return hits

    def _whole_words(self, folded: str, key: str, start: int, end: int) -> bool:
        if (
            not self._word_boundaries
            or len(key) != 2
            or not (_is_cjk(key[0]) and _is_cjk(key[1]))
            or key in self._boundary_safe
        ):
            return True
        return on_word_boundaries(folded, start, end)

    def _emit(
        self, norm: Normalized, key: str, start: int, end: int, view: str, hits: list[KeywordHit]
    ) -> None:
        seen = {(h.start, h.end, h.term) for h in hits}
        ostart, oend = norm.original_span(start, end)
        if (ostart, oend, key) in seen:
            return
        for code, version, weight in self._expressions[key]:
            hits.append(KeywordHit(code, key, version, ostart, oend, weight, view=view))

    def _match_views(
        self,
        norm: Normalized,
        hits: list[KeywordHit],
        variant_found: list[tuple[int, int, int]],
        pinyin_found: list[tuple[int, int, int]],
    ) -> None:
        """The views' hits after the text's own, in a fixed order (variants, leet, pinyin,
        homophones): a span and term already hit is not emitted again."""
        folded = norm.text
        size = len(folded)
        # Variant and pinyin keys are Latin: without a lower-case letter (the text is folded)
        # none can match and no word mixes letters with leet characters.
        has_latin = _LATIN_RUN.search(folded) is not None

        def latin_word(start: int, end: int, text: str) -> bool:
            return (start == 0 or not text[start - 1].isalnum()) and (
                end == size or not text[end].isalnum()
            )

        if has_latin and self._variant_keys:
            for index, start, end in variant_found:
                if latin_word(start, end, folded):
                    self._emit(norm, self._variant_of[index], start, end, "variant", hits)
            leet = leet_view(folded)
            if leet is not None:
                leet_found, leet_variants, _ = self._automaton.find(leet)
                for index, start, end in leet_found:
                    key = self._patterns[index][0]
                    fresh = folded[start:end] != key
                    if fresh and key in self._expressions and latin_word(start, end, leet):
                        self._emit(norm, key, start, end, "leet", hits)
                for index, start, end in leet_variants:
                    if latin_word(start, end, leet) and folded[start:end] != leet[start:end]:
                        self._emit(norm, self._variant_of[index], start, end, "leet", hits)
        if has_latin and self._pinyin_keys:
            for index, start, end in pinyin_found:
                if latin_word(start, end, folded):
                    self._emit(norm, self._pinyin_of[index], start, end, "pinyin", hits)
        if self._sound is not None and self._homophone_keys:
            sound = self._sound(folded)
            if sound is not folded:
                for index, start, end in self._homophones.find(sound):
                    key = self._homophone_of[index]
                    if homophone_ok(key, folded[start:end]):
                        self._emit(norm, key, start, end, "homophone", hits)

    @staticmethod
    def summarize(hits: Iterable[KeywordHit], tier: str | None = None) -> dict[str, CodeSummary]:
        """Per code: hits, distinct terms and their summed weight (of one tier, if given)."""
        counts: dict[str, int] = {}
        terms: dict[str, dict[str, float]] = {}
        versions: dict[str, str] = {}
        for hit in hits:
            if tier is not None and hit.tier != tier:
                continue
            counts[hit.code] = counts.get(hit.code, 0) + 1
            terms.setdefault(hit.code, {})[hit.term] = hit.weight
            versions[hit.code] = hit.list_version
        return {
            code: CodeSummary(
                counts[code],
                len(terms[code]),
                round(sum(terms[code].values()), 6),
                versions[code],
            )
            for code in sorted(counts)
        }

    def summary(self, text: str) -> dict[str, CodeSummary]:
        """Per code: hit count, distinct terms and score for one text."""
        return self.summarize(self.match(text))


def _char_offsets(data: bytes, found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Hits at UTF-16-LE byte offsets as hits at character offsets, in one walk of `data`.

    Hits off a character boundary are dropped: an odd offset, or one at the second unit of a
    surrogate pair (a term with a lone surrogate, which no character-level match could give).
    """
    size = len(data)

    def on_boundary(pos: int) -> bool:
        return not pos & 1 and (pos == size or not 0xDC <= data[pos + 1] <= 0xDF)

    kept = [hit for hit in found if on_boundary(hit[1]) and on_boundary(hit[2])]
    chars: dict[int, int] = {}
    byte_pos = char_pos = 0
    for offset in sorted({pos for _, start, end in kept for pos in (start, end)}):
        char_pos += len(data[byte_pos:offset].decode(_UNITS))
        byte_pos = offset
        chars[offset] = char_pos
    return [(index, chars[start], chars[end]) for index, start, end in kept]


def _rebuild(
    library: KeywordLibrary,
    converter: Converter | None,
    fold_traditional: bool,
    word_boundaries: bool,
    boundary_safe: frozenset[str],
    views: bool,
) -> KeywordMatcher:
    return KeywordMatcher(
        library,
        converter,
        fold_traditional=fold_traditional,
        word_boundaries=word_boundaries,
        boundary_safe=boundary_safe,
        views=views,
    )


def _chain(first: Converter | None, second: Converter | None) -> Converter | None:
    if first is None:
        return second
    if second is None:
        return first
    return lambda text: second(first(text))

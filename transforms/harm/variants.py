"""Spellings a harmful expression hides behind, for the matcher (GB/T 45654-2025 B.1.1, A.1/A.2).

People writing spam or slurs dodge a plain list: `f*ggot`, `n1gg3r`, `faggots`, `冰度` for 冰毒,
`dai kai fa piao` for 代开发票. The matcher gives each expression a few extra views, all built
here once per worker:

- English: inflections and plurals (regular suffix rules: the field's usual stemming
  shortcut, no dictionary needed for a few hundred slurs), and `*` masks of any run of inner
  letters or of every inner vowel, kept only when they stand for one term (`n***er`);
- leetspeak: a character-for-character fold (`0→o 1→i 3→e 4→a 5→s 7→t @→a $→s`) applied only to
  words that mix letters with those characters, so offsets hold and `1990` stays a year;
- pinyin: the toneless syllables of a Chinese expression (pypinyin), written together or
  apart in every way, for terms of three syllables or more (two-syllable pinyin collides with
  English words);
- homophones: every CJK character folded to one representative of its toneless syllable, so
  `赌常` and `赌场` meet; used for expressions of three characters or more, and a hit must keep
  at least half of the term's own characters (a fully different word that merely sounds the
  same is left alone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "LEET",
    "english_forms",
    "expand_english",
    "homophone_ok",
    "homophone_table",
    "leet_view",
    "masked_forms",
    "pinyin_key",
    "pinyin_spellings",
]

LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!")
_LEET_TABLE = str.maketrans(LEET)
# A letter beside a leet character: the only words worth a leet view (`f4gg0t`, not `1990`).
# Led by the leet class, which the regex engine skips to fast (two branches each led by a
# class tested every position: 4x slower on English text); it finds the leet character of the
# first letter/leet pair, and `leet_view` grows that to the same word either way.
_LEET_MIX = re.compile(r"[013457@$!](?:(?=[a-z])|(?<=[a-z].))")
_VOWELS = frozenset("aeiou")


def english_forms(term: str) -> set[str]:
    """`term` and its regular inflections: plural (-s/-es/-ies), -ed, -ing, -er(s).

    Applied to the last word of a phrase. Doubling a final consonant (`fag` → `fagging`) is
    included both ways: a wrong extra form only costs a pattern that never occurs in text.
    """
    words = term.split(" ")
    last = words[-1]
    if not last.isalpha() or len(last) < 3:
        return {term}
    stems = {last}
    forms = {last}
    if last.endswith("y") and last[-2] not in _VOWELS:
        forms |= {last[:-1] + "ies", last[:-1] + "ied"}
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        forms.add(last + "es")
    else:
        forms.add(last + "s")
    if last.endswith("e"):
        stems.add(last[:-1])
    elif last[-1] not in _VOWELS and last[-2] in _VOWELS:
        stems.add(last + last[-1])
    for stem in stems:
        forms |= {stem + "ed", stem + "ing", stem + "er", stem + "ers", stem + "in", stem + "z"}
    prefix = " ".join(words[:-1])
    return {f"{prefix} {f}" if prefix else f for f in forms}


def masked_forms(term: str) -> set[str]:
    """`*` masks of a one-word Latin term of four letters or more (none for other terms): every
    run of inner letters starred (`f*ck`, `n***er`, `n****r`) and every inner vowel (`f*gg*t`)."""
    if " " in term or len(term) < 4 or not term.isalpha() or not term.isascii():
        return set()
    size = len(term)
    forms = {
        term[:i] + "*" * (j - i) + term[j:] for i in range(1, size - 1) for j in range(i + 1, size)
    }
    vowels = "".join("*" if 0 < i < size - 1 and c in _VOWELS else c for i, c in enumerate(term))
    if vowels != term:
        forms.add(vowels)
    return forms


def leet_view(text: str) -> str | None:
    """`text` with leet characters folded inside words that mix them with letters, or None
    when nothing changes. Same length, so offsets hold."""
    mix = _LEET_MIX.search(text)
    if mix is None:
        return None
    # Grow each letter/leet pair to its whole word; words are few, the text may be long.
    pieces: list[str] = []
    done = 0
    size = len(text)
    while mix is not None:
        start, end = mix.start(), mix.end()
        while start > 0 and text[start - 1] in _WORD_CHARS:
            start -= 1
        while end < size and text[end] in _WORD_CHARS:
            end += 1
        start = max(start, done)
        pieces.append(text[done:start])
        pieces.append(text[start:end].translate(_LEET_TABLE))
        done = end
        mix = _LEET_MIX.search(text, end)
    pieces.append(text[done:])
    return "".join(pieces)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def pinyin_key(term: str) -> str | None:
    """The toneless pinyin of an all-CJK term of three syllables or more, run together."""
    syllables = pinyin_syllables(term)
    return "".join(syllables) if syllables else None


def pinyin_syllables(term: str) -> list[str] | None:
    """The toneless syllables of an all-CJK term of three characters or more, else None."""
    if len(term) < 3 or not all(_is_cjk(ch) for ch in term):
        return None
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(term, style=Style.NORMAL, errors="ignore")


def pinyin_spellings(term: str, max_syllables: int = 6) -> set[str]:
    """Every way of writing the term's pinyin with or without a space between syllables
    (`daikaifapiao`, `dai kai fa piao`, `daikai fapiao` ...), for terms of three to
    `max_syllables` syllables whose pinyin has eight letters or more (shorter runs collide
    with English words). Matched as patterns on the text itself, so no letters-only pass."""
    syllables = pinyin_syllables(term)
    if not syllables or len(syllables) > max_syllables or len("".join(syllables)) < 8:
        return set()
    out = set()
    for mask in range(2 ** (len(syllables) - 1)):
        parts = [syllables[0]]
        for i, syllable in enumerate(syllables[1:]):
            parts.append((" " if mask >> i & 1 else "") + syllable)
        out.add("".join(parts))
    return out


@lru_cache(maxsize=1)
def homophone_table() -> dict[str, str]:
    """Each CJK unified ideograph -> the first character (by code point) sharing its most common
    toneless reading. One character for one, so a converter built on it keeps offsets."""
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    # pypinyin's own table and tone stripping, read directly: what `pinyin(ch, Style.NORMAL)`
    # answers for one character (its first reading), in 0.08 s instead of a second of its
    # per-call segmenting, which every process building a detector paid (Dataflow workers too).
    # tests/transforms/test_harm_evasion.py holds it equal to `pinyin()` on every character.
    reading: dict[str, str] = {}
    first: dict[str, str] = {}
    for cp in range(0x4E00, 0xA000):
        readings = pinyin_dict.get(cp)
        if not readings:
            continue
        syllable = convert(readings.split(",")[0], Style.NORMAL, strict=True)
        if not syllable or not syllable.isalpha():
            continue
        ch = chr(cp)
        reading[ch] = syllable
        first.setdefault(syllable, ch)
    return {ch: first[s] for ch, s in reading.items() if first[s] != ch}


def homophone_ok(term: str, seen: str) -> bool:
    """A homophone hit keeps at least half of the term's own characters."""
    same = sum(1 for a, b in zip(term, seen, strict=True) if a == b)
    return same * 2 >= len(term) and seen != term


def expand_english(terms: Iterable[str]) -> dict[str, str]:
    """Variant spelling -> the term it stands for, for every Latin term given. Inflections of
    every term, `*` masks of each term and its inflections; a spelling two terms could stand
    for (`f***` for several words) is dropped, and a term's own spelling is never a variant."""
    terms = sorted(set(terms))
    claims: dict[str, set[str]] = {}
    for term in terms:
        for form in english_forms(term):
            for variant in {form} | masked_forms(form):
                claims.setdefault(variant, set()).add(term)
    return {
        variant: next(iter(owners))
        for variant, owners in claims.items()
        if len(owners) == 1 and variant not in terms
    }

"""The matching normaliser: NFKC, width, case, traditional→simplified, separators, offsets."""

from __future__ import annotations

import pickle
import random
import re
import unicodedata
from collections.abc import Callable

import pytest

from corpusgate.transforms.harm.fold import (
    EMOJI_RANGES,
    INVISIBLE_CHARS,
    PUNCTUATION_CHARS,
    SEPARATOR_CHARS,
    T2S_AMBIGUOUS,
    CharTableConverter,
    _removal_spans,
    normalize,
    normalize_term,
    traditional_to_simplified,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("赌博", "赌博"),
        ("赌*博", "赌博"),
        ("赌 * 博", "赌博"),
        ("赌\u3000博", "赌博"),  # ideographic space
        ("赌\n博", "赌博"),  # a line break inside a word
        ("赌 \n 博 x\ny", "赌博 xy"),
        ("赌＊博", "赌博"),  # full-width asterisk
        ("赌\u200b博", "赌博"),  # zero-width space
        ("冰·毒", "冰毒"),
        ("豪赌，博弈", "豪赌,博弈"),  # sentence punctuation between words is kept
        ("豪赌。博弈", "豪赌。博弈"),
        ("网，上，赌，场全天", "网上赌场全天"),  # ... and goes between single characters
        ("百、家、乐", "百家乐"),
        ("赌，博", "赌博"),
        ("出售冰🚀毒", "出售冰毒"),  # emoji are separators
        ("冰❤️毒", "冰毒"),  # with the emoji variation selector U+FE0F
        ("天气好😀我们", "天气好我们"),
        ("赌1博", "赌1博"),  # digits are not separators
        ("d.r.u.g", "drug"),
        ("D-R-U-G dealer", "drug dealer"),
        ("Ｄ.Ｒ.Ｕ.Ｇ", "drug"),  # full-width letters
        ("drug.dealer", "drug.dealer"),  # words, not single letters
        ("a cat", "a cat"),
        ("a f*ck", "a f*ck"),  # a letter beside a mask is not lone
        ("d*r*u*g", "d*r*u*g"),
        ("version 6.4", "version 6.4"),
        ("ＡＢＣ１２３", "abc123"),
        ("ﬁne", "fine"),  # ligature expands
        ("Cafe\u0301", "café"),  # combining accent composes
        ("ｶﾞｲﾄﾞ", "ガイド"),  # half-width katakana with voicing marks
        ("İ", "i̇"),  # lower() lengthens
        ("…赌…博", "...赌博"),
        ("HELLO 世界", "hello 世界"),
    ],
)
def test_normalised_text(text: str, expected: str) -> None:
    assert normalize(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "赌*博",
        "开头 赌 * 博 结尾",
        "ﬁﬁ赌_博ﬁ",
        "Cafe\u0301 d.r.u.g ok",
        "ｶﾞ赌\u200b\u200b博…x",
        "İİ 冰·毒",
        "\u200b\u200b赌博",
        "中文（全角）标点：赌－博",
        "😀 emoji 赌|博 😀\ufe0f",
    ],
)
def test_every_normalised_char_maps_back_inside_the_original(text: str) -> None:
    norm = normalize(text)
    prev_start = 0
    for i in range(len(norm.text)):
        start, end = norm.original_span(i, i + 1)
        assert 0 <= start < end <= len(text)
        assert start >= prev_start  # offsets never run backwards
        # The original slice normalises to text containing this character.
        assert norm.text[i] in normalize(text[start:end]).text
        prev_start = start


@pytest.mark.parametrize(
    ("text", "term", "original"),
    [
        ("他在赌*博场", "赌博", "赌*博"),
        ("xx 赌 ＊ 博 yy", "赌博", "赌 ＊ 博"),
        ("ﬁﬁ冰\u200b毒ﬁ", "冰毒", "冰\u200b毒"),
        ("Café d.r.u.g!", "drug", "d.r.u.g"),
        ("ＤＲＵＧ", "drug", "ＤＲＵＧ"),
        ("ﬁne wine", "fine", "ﬁne"),
    ],
)
def test_term_span_maps_back_to_the_original_slice(text: str, term: str, original: str) -> None:
    norm = normalize(text)
    start = norm.text.index(term)
    ostart, oend = norm.original_span(start, start + len(term))
    assert text[ostart:oend] == original


def test_span_outside_text_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        normalize("赌博").original_span(1, 5)


def test_character_converter_plugs_in_and_keeps_offsets() -> None:
    t2s = CharTableConverter({"賭": "赌", "毒": "毒", "氷": "冰"})
    norm = normalize("在賭*博", t2s)
    assert norm.text == "在赌博"
    assert norm.original_span(1, 3) == (1, 4)
    assert normalize_term("賭博", t2s) == "赌博"


@pytest.mark.parametrize("table", [{"賭博": "赌博"}, {"賭": ""}, {"": "x"}])
def test_converter_tables_must_be_one_to_one(table: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="single characters"):
        CharTableConverter(table)


def test_converter_changing_length_is_refused() -> None:
    with pytest.raises(ValueError, match="length"):
        normalize("赌博", lambda s: s + "x")


# --- separator removal against the regex formulation it replaced ---------------------------

_SEP = re.escape(SEPARATOR_CHARS + INVISIBLE_CHARS) + EMOJI_RANGES
_PS = _SEP + re.escape(PUNCTUATION_CHARS)
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_REF_CJK_SEP = re.compile(f"(?<=[{_CJK}])[{_SEP}]+(?=[{_CJK}])")
# Punctuation joins only where a single CJK character stands on one side.
_REF_PUNCT_LEFT = re.compile(f"(?<=(?<![{_CJK}])[{_CJK}])[{_PS}]+(?=[{_CJK}])")
_REF_PUNCT_RIGHT = re.compile(f"(?<=[{_CJK}])[{_PS}]+(?=[{_CJK}](?![{_CJK}]))")
# Between lone letters `*` is a mask, not a separator, and a letter beside one is not lone.
_LSEP = re.escape(SEPARATOR_CHARS.replace("*", "") + INVISIBLE_CHARS) + EMOJI_RANGES
_REF_SINGLE = re.compile(f"(?<![a-z0-9*])[a-z](?:[{_LSEP}]+[a-z](?![a-z0-9*]))+")
_REF_SEP_RUN = re.compile(f"[{_SEP}]+")
_REF_LSEP_RUN = re.compile(f"[{_LSEP}]+")
_REF_INVISIBLE = re.compile(f"[{re.escape(INVISIBLE_CHARS)}]+")


def _reference_removals(folded: str) -> list[tuple[int, int]]:
    """The rule as three regexes (slow: look-behinds at every position), merged."""
    spans = [m.span() for m in _REF_CJK_SEP.finditer(folded)]
    spans += [m.span() for m in _REF_PUNCT_LEFT.finditer(folded)]
    spans += [m.span() for m in _REF_PUNCT_RIGHT.finditer(folded)]
    for m in _REF_SINGLE.finditer(folded):
        spans.extend(s.span() for s in _REF_LSEP_RUN.finditer(folded, m.start(), m.end()))
    spans.extend(m.span() for m in _REF_INVISIBLE.finditer(folded))
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _fuzz(seed: int, count: int) -> list[str]:
    alphabet = [*"abz19 .*-_赌博冰，。,、\u200b\u3000·\n😀", "\u00ad", "x y", "a.b", "\ufe0f"]
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10))) for _ in range(count)]


@pytest.mark.parametrize(
    "folded",
    [
        "",
        " ",
        "赌 博",
        " 赌 博 ",
        "d.r.u.g",
        "a.bc",
        "1a.b",
        "x a.b",
        "a\u200bb",
        "ab\u200b cd",
        "赌\u200b 博",
        "赌 \u200bx",
        "a . b",
        "a.1",
        "é.a.b",
        "赌.a.b博",
        "\u200b",
        "赌\n博",
        "a\nb",
        "\n赌 博\n",
        "赌 a 博",
        "1赌 博",
        "a b1",
        "赌 博.c",
    ],
)
def test_removals_match_the_regex_rule(folded: str) -> None:
    assert _removal_spans(folded) == _reference_removals(folded)


def test_removals_match_the_regex_rule_on_random_text() -> None:
    for folded in _fuzz(7, 5000):
        assert _removal_spans(folded) == _reference_removals(folded), folded


# --- the quiet path against the general one -------------------------------------------------


class _Opaque:
    """A converter `normalize` knows nothing about, so it cannot take the quiet path: it folds
    with the general steps and looks for invisible characters after converting."""

    def __init__(self, convert: Callable[[str], str]) -> None:
        self._convert = convert

    def __call__(self, text: str) -> str:
        return "".join(list(self._convert(text)))  # a new object, as an unknown converter gives


_MIXED = [
    *"赌博冰毒中文發展頭髮乾隆於是戲說 \n.*-_·，。（）：；！？％＋－／～．ＡＢｃ１abcXYZ9",
    "\u200b",
    "\u00ad",
    "\u3000",
    "\xa0",
    "ﬁ",
    "e\u0301",
    "İ",
    "ｶﾞ",
    "…",
    "→",
    "😀",
    "\U00020000",
    "\u1100\u1161",
    "d.r.u.g",
    "赌 * 博",
]


def _mixed(seed: int, count: int, longest: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(_MIXED) for _ in range(rng.randint(0, longest))) for _ in range(count)
    ]


def _everything(text: str, convert: Callable[[str], str] | None) -> tuple[object, ...]:
    norm = normalize(text, convert)
    size = len(norm.text)
    return (
        norm.text,
        norm.unconverted,
        [norm.original_span(i, i + 1) for i in range(size)],
        [norm.original_span(i, size) for i in range(size)],
    )


@pytest.mark.parametrize("with_t2s", [False, True])
def test_quiet_path_agrees_with_the_general_path(with_t2s: bool) -> None:
    """The one-scan shortcuts (quiet text, array conversion, cut-then-map) change nothing."""
    t2s = traditional_to_simplified()
    known: Callable[[str], str] | None = t2s if with_t2s else None
    opaque = _Opaque(t2s if with_t2s else lambda s: s)
    # Short texts, and long ones (the converter's array path starts at 128 characters).
    for text in _mixed(11, 3000, 12) + _mixed(12, 60, 200):
        assert _everything(text, known) == _everything(text, opaque), text


@pytest.mark.parametrize("with_t2s", [False, True])
def test_normalised_text_is_nfkc_lower_converted_and_cut(with_t2s: bool) -> None:
    """Whatever path a text takes, its text is NFKC of the whole, lower-cased, converted, with
    the regex rule's removals cut (the mixed alphabet has no final-sigma context)."""
    t2s = traditional_to_simplified()
    convert: Callable[[str], str] = t2s if with_t2s else (lambda s: s)
    for text in _mixed(13, 3000, 12) + _mixed(14, 60, 200):
        folded = convert(unicodedata.normalize("NFKC", text).lower())
        removals = _reference_removals(folded)
        starts = [0, *(e for _, e in removals)]
        ends = [*(s for s, _ in removals), len(folded)]
        cut = "".join(folded[a:b] for a, b in zip(starts, ends, strict=True))
        assert normalize(text, t2s if with_t2s else None).text == cut, text


# --- traditional -> simplified ---------------------------------------------------------------


@pytest.fixture(scope="module")
def t2s() -> CharTableConverter:
    return traditional_to_simplified()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("賭博", "赌博"),
        ("他在賭*博場", "他在赌博场"),
        ("頭髮發展", "头发发展"),  # two traditional characters share one simplified form
        ("戲說乾隆", "戏说乾隆"),  # 乾 depends on the word (乾隆 / 乾淨): left alone
        ("於是", "於是"),
        ("北京是中国的首都", "北京是中国的首都"),  # simplified text is untouched
        ("😀賭博😀", "😀赌博😀"),  # astral characters around a BMP key
        ("ＤＲＵＧ與賭", "drug与赌"),
    ],
)
def test_traditional_folds_to_simplified(t2s: CharTableConverter, text: str, expected: str) -> None:
    assert normalize(text, t2s).text == expected


def test_t2s_offsets_point_into_the_traditional_original(t2s: CharTableConverter) -> None:
    text = "網上有人賭 * 博"
    norm = normalize(text, t2s)
    start = norm.text.index("赌博")
    ostart, oend = norm.original_span(start, start + 2)
    assert text[ostart:oend] == "賭 * 博"
    assert norm.unconverted == "網上有人賭博"  # same length and offsets as norm.text


def test_unconverted_is_kept_only_when_the_converter_changed_something(
    t2s: CharTableConverter,
) -> None:
    assert normalize("简体中文", t2s).unconverted is None
    assert normalize("賭博", None).unconverted is None


def test_t2s_table_is_one_to_one_and_leaves_the_ambiguous_out(t2s: CharTableConverter) -> None:
    assert len(t2s._pairs) > 3000
    assert not T2S_AMBIGUOUS & set(t2s._pairs)
    assert all(len(k) == 1 == len(v) for k, v in t2s._pairs.items())


def test_ambiguous_list_is_what_opencc_dictionary_says(opencc_self_candidates) -> None:
    """Re-derive T2S_AMBIGUOUS from the OpenCC wheel's own character tables."""
    found = opencc_self_candidates("TSCharacters") | opencc_self_candidates("TSCharactersExt")
    assert found == T2S_AMBIGUOUS


@pytest.mark.parametrize(
    ("table", "text", "expected"),
    [
        ({"賭": "赌"}, "賭", "赌"),
        ({"賭": "赌"}, "简体", "简体"),
        ({"\U00020000": "x"}, "a\U00020000賭", "ax賭"),  # astral key
        ({"賭": "赌", "\U00020000": "x"}, "\U00020000賭", "x赌"),
        ({"賭": "赌"}, "😀賭", "😀赌"),  # astral text, BMP key: the list table stops at U+FFFF
    ],
)
def test_char_table_converter_paths(table: dict[str, str], text: str, expected: str) -> None:
    conv = CharTableConverter(table)
    assert conv(text) == expected
    assert pickle.loads(pickle.dumps(conv))(text) == expected
    # Long text goes through the array path: same result, every character where it was.
    long_text, long_expected = text * 200, expected * 200
    assert conv(long_text) == long_expected
    assert pickle.loads(pickle.dumps(conv))(long_text) == long_expected


@pytest.mark.parametrize(
    "text",
    [
        "賭" * 200 + "\ud800",  # a lone surrogate is a legal str character
        "\udcff賭" * 100,
        "賭\ud83d\ude00" * 100,  # two lone surrogates that would form a pair in UTF-16
        "😀賭\U00020000\U0010ffff" * 50,
        "簡體\x00\n" * 60,
    ],
)
def test_array_conversion_keeps_every_character(text: str) -> None:
    table = {"賭": "赌", "簡": "简", "體": "体", "\U00020000": "x"}
    assert CharTableConverter(table)(text) == text.translate(str.maketrans(table))


def test_char_table_converter_returns_untouched_text_itself() -> None:
    text = "没有可转换的字"
    assert CharTableConverter({"賭": "赌"})(text) is text

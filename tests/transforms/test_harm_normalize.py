"""The matching normaliser: NFKC, width, case, evasion separators, offsets back."""

from __future__ import annotations

import pytest

from corpusgate.transforms.harm.normalize import CharTableConverter, normalize, normalize_term


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("赌博", "赌博"),
        ("赌*博", "赌博"),
        ("赌 * 博", "赌博"),
        ("赌\u3000博", "赌博"),  # ideographic space
        ("赌＊博", "赌博"),  # full-width asterisk
        ("赌\u200b博", "赌博"),  # zero-width space
        ("冰·毒", "冰毒"),
        ("赌，博", "赌,博"),  # sentence punctuation is kept
        ("赌。博", "赌。博"),
        ("赌1博", "赌1博"),  # digits are not separators
        ("d.r.u.g", "drug"),
        ("D-R-U-G dealer", "drug dealer"),
        ("Ｄ.Ｒ.Ｕ.Ｇ", "drug"),  # full-width letters
        ("drug.dealer", "drug.dealer"),  # words, not single letters
        ("a cat", "a cat"),
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

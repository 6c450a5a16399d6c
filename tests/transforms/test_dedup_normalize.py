"""The one dedup normaliser and the exact hash (GB/T 45654-2025 4.2.1/4.2.2)."""

from __future__ import annotations

import pytest

from corpusgate.transforms.dedup.normalize import exact_hash, normalize_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello   World", "hello world"),
        ("  leading and trailing\t\n", "leading and trailing"),
        ("ＡＢＣ１２３", "abc123"),  # full width folds to ASCII (NFKC)
        ("Straße", "strasse"),  # case folding, not lower()
        ("ﬁne", "fine"),  # ligature (NFKC)
        (
            "床前明月光，\u3000疑是地上霜。",
            "床前明月光, 疑是地上霜。",
        ),  # ideographic space, full-width comma
        ("zero\u200bwidth\ufeff", "zerowidth"),  # invisible characters go
        ("soft\u00adhyphen", "softhyphen"),
        ("\u200b \u200b", ""),  # empty after normalisation
        ("", ""),
        ("Mixed 中文 and English", "mixed 中文 and english"),
    ],
)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_ascii_text_normalizes_as_the_general_steps_do() -> None:
    """The ASCII shortcut equals NFKC, case folding, invisible characters out, spaces joined."""
    import re
    import unicodedata

    every = "".join(chr(c) for c in range(128))
    for text in (every, every[::-1] * 3, "  Tabs\tand\x1c\x1f separators  ", "MiXeD 123"):
        general = unicodedata.normalize("NFKC", text).casefold()
        general = " ".join(
            re.sub("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]", "", general).split()
        )
        assert normalize_text(text) == general


@pytest.mark.parametrize(
    "text", ["Hello   World", "ＡＢＣ", "Straße", "床前明月光，\u3000疑是", "", "ǅemal ΣΑΣ"]
)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Hello World", "hello   world", True),
        ("ＨＥＬＬＯ", "hello", True),
        ("hello world", "hello world.", False),  # punctuation is part of the text
        ("床前明月光", "牀前明月光", False),  # variant characters are not the same text
        ("", "\u200b", True),
    ],
)
def test_exact_hash_equal_exactly_when_normalised_texts_are(a: str, b: str, same: bool) -> None:
    ha, hb = exact_hash(normalize_text(a)), exact_hash(normalize_text(b))
    assert len(ha) == 16
    assert (ha == hb) is same

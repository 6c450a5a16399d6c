"""Clean sets of the harm models: short sentences cut out of paragraphs, and their parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpusgate.transforms.harm import corpora


def test_short_sentences_keep_3_to_40_words_per_line() -> None:
    text = "Hello there. This is one sentence! And a question?\nMenu Home About Contact\n" + (
        "word " * 41
    )
    assert list(corpora._short_sentences(text)) == [
        "This is one sentence!",
        "And a question?",
        "Menu Home About Contact",
    ]


def test_wikitext_tokenisation_is_undone() -> None:
    line = (
        "The 1 @,@ 000 @-@ year old \" big \" fort ( built in 1200 ) wasn 't there , it 's said ."
    )
    assert (
        corpora._detokenize_wikitext(line)
        == "The 1,000-year old \"big\" fort (built in 1200) wasn't there, it's said."
    )


def test_a_piece_takes_the_part_of_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    paragraphs = [f"Paragraph number {i} says something. It has two sentences." for i in range(40)]

    def reader(data: Path):  # type: ignore[no-untyped-def]
        for p in paragraphs:
            for sentence in corpora._short_sentences(p):
                yield sentence, p

    monkeypatch.setitem(corpora._CLEAN_READERS, "web_sentences", reader)
    rows = corpora.clean_texts(Path("."), "web_sentences")
    by_text = {r.text: r.part for r in rows}
    # The shared sentence is kept once, in the first part (fit < calibrate < holdout) of any
    # paragraph it came from: it is never held out from a paragraph a model was fitted on.
    parts = {corpora.clean_part(p) for p in paragraphs}
    assert by_text["It has two sentences."] == min(parts, key=corpora._ORDER.__getitem__)
    for i, p in enumerate(paragraphs):
        assert by_text[f"Paragraph number {i} says something."] == corpora.clean_part(p)
    held = corpora.clean_texts(Path("."), "web_sentences", ("holdout",))
    assert {r.text for r in held} == {t for t, part in by_text.items() if part == "holdout"}

"""Matching that respects words and sees through evasion (GB/T 45654-2025 B.1.1): the evasion
set the benchmark uses, on the keyword layer alone, and the variant views one by one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusgate.transforms.harm.keywords import EXPRESSION, KeywordLibrary, KeywordMatcher
from corpusgate.transforms.harm.variants import (
    english_forms,
    expand_english,
    homophone_ok,
    homophone_table,
    leet_view,
    masked_forms,
    pinyin_key,
    pinyin_spellings,
)

REPO = Path(__file__).resolve().parents[2]
CASES = [
    json.loads(line)
    for line in (REPO / "benchmarks" / "data" / "harm_evasion.jsonl")
    .read_text("utf-8")
    .splitlines()
]


@pytest.fixture(scope="module")
def shipped() -> KeywordMatcher:
    return KeywordMatcher(KeywordLibrary.load())


def _expression_codes(matcher: KeywordMatcher, text: str) -> set[str]:
    summary = KeywordMatcher.summarize(matcher.match(text), EXPRESSION)
    return {code for code, s in summary.items() if s.score >= 1.0}


@pytest.mark.parametrize("case", [c for c in CASES if c["flagged"]], ids=lambda c: c["id"])
def test_evasion_case_is_caught_by_the_keywords(shipped: KeywordMatcher, case: dict) -> None:
    assert set(case["codes"]) <= _expression_codes(shipped, case["text"])


@pytest.mark.parametrize("case", [c for c in CASES if not c["flagged"]], ids=lambda c: c["id"])
def test_clean_control_has_no_expression(shipped: KeywordMatcher, case: dict) -> None:
    assert _expression_codes(shipped, case["text"]) == set()


def test_evasion_set_covers_every_kind() -> None:
    kinds = {c["kind"] for c in CASES}
    assert {
        "cjk_punctuation",
        "emoji",
        "homophone",
        "pinyin",
        "leetspeak",
        "mask",
        "inflection",
    } <= kinds
    assert sum(not c["flagged"] for c in CASES) >= 10  # and clean text that looks alike


def test_views_are_reported_with_offsets_into_the_original(shipped: KeywordMatcher) -> None:
    text = "快来 网上赌常 开户"
    hit = next(h for h in shipped.match(text) if h.view == "homophone")
    assert (hit.term, text[hit.start : hit.end]) == ("网上赌场", "网上赌常")


@pytest.mark.parametrize(
    ("text", "safe", "fires"),
    [
        ("诗人弹琴", frozenset(), False),  # 人弹 is no word here
        ("同城约炮", frozenset(), True),
        ("后庭花", frozenset({"后庭"}), True),  # a policy-safe term skips the check
    ],
)
def test_two_character_expressions_must_be_words(
    text: str, safe: frozenset[str], fires: bool
) -> None:
    lib = KeywordLibrary.from_terms({"A.1.f": ["人弹", "约炮", "后庭"]})
    assert bool(KeywordMatcher(lib, boundary_safe=safe).match(text)) is fires


def test_mentions_get_no_variant_views() -> None:
    lib = KeywordLibrary.from_terms({"A.2.i": ["gay"]}, tiers={"gay": "mention"})
    assert KeywordMatcher(lib).match("g4y gays") == []


@pytest.mark.parametrize(
    ("term", "forms"),
    [
        ("drug", {"drugs", "drugged", "drugging"}),
        ("bitch", {"bitches"}),
        ("pussy", {"pussies"}),
        ("retard", {"retards", "retarded"}),
        ("kill all", {"kill alls"}),
    ],
)
def test_english_forms(term: str, forms: set[str]) -> None:
    assert forms <= english_forms(term)


def test_masks_and_their_owners() -> None:
    assert {"f*ck", "f**k", "fu*k"} <= masked_forms("fuck")
    assert masked_forms("gay") == set() and masked_forms("kill all") == set()
    variants = expand_english(["nigger", "faggot", "fagot"])
    assert variants["n***er"] == "nigger"
    assert variants["fag*ot"] == "faggot"
    # A spelling two terms share (`f**k`: fuck or funk) is dropped rather than given to either.
    shared = expand_english(["fuck", "funk"])
    assert "f**k" not in shared and "fu*k" not in shared and shared["f*ck"] == "fuck"
    assert "fagot" not in variants  # a term's own spelling is never a variant


@pytest.mark.parametrize(
    ("text", "view"),
    [("n1gg3r", "nigger"), ("in 1990", None), ("sp1c$", "spics"), ("abc", None)],
)
def test_leet_view(text: str, view: str | None) -> None:
    assert leet_view(text) == (None if view is None else text.replace(text.split()[-1], view))


def test_leet_view_folds_every_word_that_mixes_letters_and_leet() -> None:
    """The view against a plain restatement of its rule, on random text: each maximal word of
    letters, digits and `@$!` that holds a letter next to a leet character is folded."""
    import random
    import re

    from corpusgate.transforms.harm.variants import LEET

    table = str.maketrans(LEET)
    pair = re.compile(r"[a-z][013457@$!]|[013457@$!][a-z]")
    rng = random.Random(7)
    alphabet = "ab13z0457@$!9 .-中"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        folded = re.sub(
            r"[a-z0-9@$!]+",
            lambda m: m.group().translate(table) if pair.search(m.group()) else m.group(),
            text,
        )
        assert leet_view(text) == (folded if pair.search(text) else None), text


def test_pinyin_and_homophones() -> None:
    assert pinyin_key("代开发票") == "daikaifapiao"
    assert pinyin_key("赌博") is None  # two syllables collide with English words
    assert {"daikaifapiao", "dai kai fa piao", "daikai fapiao"} <= pinyin_spellings("代开发票")
    assert pinyin_spellings("出售冰毒当天送达") == set()  # too many syllables to spell out
    table = homophone_table()
    fold = lambda s: "".join(table.get(c, c) for c in s)  # noqa: E731
    assert fold("赌常") == fold("赌场") and fold("冰度") == fold("冰毒")
    assert homophone_ok("网上赌场", "网上赌常") and not homophone_ok("网上赌场", "忘尚度长")


def test_the_homophone_table_reads_as_pinyin_answers_for_each_character() -> None:
    # The table reads pypinyin's dictionary directly (fast); it must equal what its public
    # `pinyin()` says for every ideograph, or an upgrade changed the readings under us.
    from pypinyin import Style, pinyin

    first: dict[str, str] = {}
    expected: dict[str, str] = {}
    for cp in range(0x4E00, 0xA000):
        got = pinyin(chr(cp), style=Style.NORMAL, heteronym=False, errors="ignore")
        if got and got[0] and got[0][0].isalpha():
            expected[chr(cp)] = first.setdefault(got[0][0], chr(cp))
    assert homophone_table() == {ch: to for ch, to in expected.items() if to != ch}
    table = homophone_table()
    assert table["绿"] == table["驴"] != table.get("路", "路")  # lü and lu stay apart

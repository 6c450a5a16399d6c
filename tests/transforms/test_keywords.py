"""The keyword matcher (traditional folding included), the shipped library, B.1.1 checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from corpusgate.pipelines.cli import main as cli_main
from corpusgate.transforms.harm.fold import normalize
from corpusgate.transforms.harm.keywords import (
    KeywordLibrary,
    KeywordMatcher,
    Term,
    default_library_dir,
    list_version,
    parse_list,
)
from corpusgate.transforms.harm.taxonomy import ALL_CODES, RISK_CODES

SMALL = KeywordLibrary.from_terms(
    {
        "A.1.h": {"赌博": 1.0, "冰毒": 1.0, "drug": 0.5, "赌博机": 1.0},
        "A.1.f": ["色情"],
        "A.2.e": ["bitch"],
    }
)


@pytest.fixture(scope="module")
def small() -> KeywordMatcher:
    return KeywordMatcher(SMALL)


@pytest.fixture(scope="module")
def shipped() -> KeywordMatcher:
    return KeywordMatcher(KeywordLibrary.load())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("今天天气很好", []),
        ("他沉迷赌博", [("A.1.h", "赌博", 3, 5)]),
        ("他沉迷赌*博", [("A.1.h", "赌博", 3, 6)]),
        ("贩卖冰 毒", [("A.1.h", "冰毒", 2, 5)]),
        ("ｄ.ｒ.ｕ.ｇ", [("A.1.h", "drug", 0, 7)]),
        ("DRUG store", [("A.1.h", "drug", 0, 4)]),
        ("drugstore", []),  # Latin terms need word boundaries
        ("the drugs", [("A.1.h", "drug", 4, 9)]),  # English plurals fire the term
        # overlaps are all kept, but a two-character term must be a word (jieba: 赌博机)
        ("赌博机", [("A.1.h", "赌博机", 0, 3)]),
        ("ﬁ色情ﬁ", [("A.1.f", "色情", 1, 3)]),
        ("豪赌，博弈", []),  # a sentence boundary is not an evasion
        ("赌，博", [("A.1.h", "赌博", 0, 3)]),  # ... but punctuation between single characters is
    ],
)
def test_matcher_on_a_small_library(
    small: KeywordMatcher, text: str, expected: list[tuple[str, str, int, int]]
) -> None:
    hits = small.match(text)
    assert [(h.code, h.term, h.start, h.end) for h in hits] == expected
    for h in hits:
        assert h.list_version == list_version(h.code, 1)
        assert h.detector == "keywords"


def test_summary_counts_hits_and_scores_distinct_terms(small: KeywordMatcher) -> None:
    summary = small.summary("赌博，赌博，drug！Bitch")
    assert set(summary) == {"A.1.h", "A.2.e"}
    assert summary["A.1.h"].hits == 3
    assert summary["A.1.h"].terms == 2
    assert summary["A.1.h"].score == pytest.approx(1.5)  # 赌博 1.0 once + drug 0.5
    assert summary["A.1.h"].list_version == "keywords_a1h_v1"
    assert summary["A.2.e"].hits == 1


def test_term_in_two_codes_yields_one_hit_per_code() -> None:
    lib = KeywordLibrary.from_terms({"A.1.f": ["色情"], "A.2.e": ["色情"]})
    hits = KeywordMatcher(lib).match("色情")
    assert sorted(h.code for h in hits) == ["A.1.f", "A.2.e"]


def test_empty_library_matches_nothing() -> None:
    assert KeywordMatcher(KeywordLibrary.from_terms({})).match("赌博") == []


@pytest.mark.parametrize("weight", [0.0, -1.0, 1.5])
def test_bad_weights_are_refused(weight: float) -> None:
    with pytest.raises(ValueError, match="weight"):
        KeywordLibrary.from_terms({"A.1.h": {"赌博": weight}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("赌博\t2\n", "weight"),
        ("赌博\n赌博\n", "duplicate"),
        (" 赌博\t1\n", "padded"),
        ("赌博\tx\n", "weight"),
    ],
)
def test_list_parser_names_the_bad_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_list(text, "A.1.h.v1.txt")


# --- traditional -> simplified folding ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("他沉迷賭博", [("A.1.h", "赌博", 3, 5)]),
        ("網上賭＊博", [("A.1.h", "赌博", 2, 5)]),  # offsets into the original: 賭＊博
        ("賭博機", [("A.1.h", "赌博机", 0, 3)]),
        ("販賣冰毒", [("A.1.h", "冰毒", 2, 4)]),
    ],
)
def test_traditional_text_fires_simplified_terms(
    small: KeywordMatcher, text: str, expected: list[tuple[str, str, int, int]]
) -> None:
    hits = small.match(text)
    assert [(h.code, h.term, h.start, h.end) for h in hits] == expected


def test_folding_can_be_switched_off() -> None:
    assert KeywordMatcher(SMALL, fold_traditional=False).match("他沉迷賭博") == []


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("1980年代開始", True),  # written in traditional characters: fires, as before folding
        ("1980年代开始", False),  # simplified: the library's 代開 was never vetted on this
        ("年代開始與年代开始", True),
    ],
)
def test_term_spelled_in_traditional_fires_only_on_traditional_spans(
    text: str, fires: bool
) -> None:
    lib = KeywordLibrary.from_terms({"A.1.h": ["代開"]})
    hits = KeywordMatcher(lib, word_boundaries=False).match(text)
    assert [(h.term, text[h.start : h.end]) for h in hits] == ([("代开", "代開")] if fires else [])


def test_spellings_that_fold_together_fire_once_with_the_smaller_weight() -> None:
    lib = KeywordLibrary.from_terms({"A.1.f": {"迷藥": 1.0, "迷药": 0.5}, "A.1.a": {"迷藥": 1.0}})
    matcher = KeywordMatcher(lib)
    hits = matcher.match("迷藥")
    assert [(h.code, h.term, h.weight) for h in hits] == [
        ("A.1.a", "迷药", 1.0),
        ("A.1.f", "迷药", 0.5),
    ]
    # A.1.a only has the traditional spelling: simplified text does not fire it.
    assert [(h.code, h.weight) for h in matcher.match("买迷药")] == [("A.1.f", 0.5)]


def test_matcher_normalize_term_gives_the_reported_form(small: KeywordMatcher) -> None:
    assert small.normalize_term("賭 博") == "赌博"


def test_matcher_pickles_by_rebuilding(small: KeywordMatcher) -> None:
    import pickle

    clone = pickle.loads(pickle.dumps(small))
    for text in ("他沉迷賭博", "ｄ.ｒ.ｕ.ｇ", "今天天气很好"):
        assert clone.match(text) == small.match(text)


def test_one_automaton_over_several_lists_finds_what_each_list_finds() -> None:
    """The matcher scans once for the library's keys and the views' extra keys; each list must
    get exactly the hits an automaton of its own would give, a key shared by two lists in both."""
    from corpusgate.transforms.harm.keywords import _Automaton, _MultiAutomaton

    rng = random.Random(3)
    words = ["ab", "abc", "bc", "赌博", "博彩", "c", "xab", "𠀀b"]
    lists = [sorted(set(rng.sample(words, 4))) for _ in range(3)]
    lists[2] = sorted(set(lists[2]) | {lists[0][0]})  # one key in two lists
    multi = _MultiAutomaton(lists)
    singles = [_Automaton(keys) for keys in lists]
    for _ in range(2000):
        text = "".join(rng.choice("abcx赌博彩 𠀀") for _ in range(rng.randint(0, 14)))
        found = multi.find(text)
        for got, single in zip(found, singles, strict=True):
            assert sorted(got) == sorted(single.find(text)), (text, lists)


def _oracle(matcher: KeywordMatcher) -> Callable[[str], list[tuple[str, str, int, int, float]]]:
    """The same matching done with pyahocorasick (character level) over the same normaliser."""
    import ahocorasick

    auto = ahocorasick.Automaton()
    for key, left, right, always, converted_only in matcher._patterns:
        auto.add_word(key, (key, left, right, always, converted_only))
    auto.make_automaton()

    def run(text: str) -> list[tuple[str, str, int, int, float]]:
        norm = normalize(text, matcher._converter)
        folded = norm.text
        out = []
        for last, (key, left, right, always, converted_only) in auto.iter(folded):
            start, end = last + 1 - len(key), last + 1
            if left and start > 0 and folded[start - 1].isascii() and folded[start - 1].isalnum():
                continue
            if right and end < len(folded) and folded[end].isascii() and folded[end].isalnum():
                continue
            entries = always
            if norm.unconverted is not None and norm.unconverted[start:end] != key:
                entries = always + converted_only
            ostart, oend = norm.original_span(start, end)
            out.extend((code, key, ostart, oend, w) for code, _, w in entries)
        return sorted(out, key=lambda h: (h[2], h[3], h[0], h[1]))

    return run


_SAMPLES = [
    "",
    "他沉迷賭博和赌*博",
    "ＤＲＵＧ store d.r.u.g",
    "😀賭博😀 冰 毒",
    "ﬁ色情ﬁ 1980年代開始",
]


def test_matcher_agrees_with_a_pyahocorasick_oracle(
    shipped: KeywordMatcher, shared_data: Path
) -> None:
    import json

    path = shared_data / "zh-wiki-cmrc2018" / "cmrc2018_dev.json"
    texts = [item["context_text"] for item in json.loads(path.read_text("utf-8"))[:300]]
    oracle = _oracle(shipped)
    hits = 0
    for text in _SAMPLES + texts:
        got = [(h.code, h.term, h.start, h.end, h.weight) for h in shipped.match(text)]
        assert got == oracle(text), text[:40]
        hits += len(got)
    assert hits > 50  # the sample does exercise the matcher


# The automaton reads UTF-16-LE bytes: these terms and texts trip a matcher that forgets a
# match must start on a character (我愀一 holds "ba" at an odd byte offset: 11 62 00 61 00 4e)
# or that astral characters take two code units (😀, 𠀀 before or inside a hit), or lets a
# term with a lone surrogate match half of a pair (\ude00 is the second unit of 😀).
_UNITS_LIBRARY = KeywordLibrary.from_terms(
    {
        "A.1.h": ["ba", "我愀", "愀一", "😀赌", "赌😀", "x😀y", "賭博", "一b"],
        "A.2.e": ["ba", "博𠀀", "\ude00赌"],
    }
)
_UNITS_ALPHABET = [*"ab 一我愀赌博賭.*xyｂ", "😀", "\U00020000", "我愀一", "\u200b", "ba"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我愀一", [(0, 2), (1, 3)]),  # the terms, but not "ba" read across the characters
        ("😀赌 ba", [(0, 2), (3, 5), (3, 5)]),
        ("𠀀𠀀賭博𠀀 x😀y", [(2, 4), (3, 5), (6, 9)]),
    ],
)
def test_hits_land_on_characters_in_the_automatons_encoding(
    text: str, expected: list[tuple[int, int]]
) -> None:
    hits = KeywordMatcher(_UNITS_LIBRARY, word_boundaries=False, views=False).match(text)
    assert [(h.start, h.end) for h in hits] == expected


@pytest.mark.parametrize("fold", [True, False])
def test_matcher_agrees_with_the_oracle_on_astral_and_misaligned_text(fold: bool) -> None:
    # The oracle models the text view only: no word-boundary check, no variant views.
    matcher = KeywordMatcher(
        _UNITS_LIBRARY, fold_traditional=fold, word_boundaries=False, views=False
    )
    oracle = _oracle(matcher)
    rng = random.Random(5)
    hits = 0
    for _ in range(3000):
        text = "".join(rng.choice(_UNITS_ALPHABET) for _ in range(rng.randint(0, 20)))
        got = [(h.code, h.term, h.start, h.end, h.weight) for h in matcher.match(text)]
        assert got == oracle(text), text
        hits += len(got)
    assert hits > 1000


# --- the shipped library -------------------------------------------------------------------


def test_shipped_library_has_a_file_per_risk_code_and_verifies() -> None:
    lib = KeywordLibrary.load()
    assert set(lib.lists) == set(RISK_CODES)
    manifest = yaml.safe_load((default_library_dir() / "manifest.yaml").read_text("utf-8"))
    for entry in manifest["files"]:
        assert entry["file"] == f"{entry['code']}.v{lib.version}.txt"
        assert entry["list_version"] == list_version(entry["code"], lib.version)
    assert (default_library_dir() / "LICENCES.md").is_file()
    # Every shipped term was reviewed, by someone, on a date.
    assert all(t.reviewer and t.reviewed for t in lib.terms())
    total = sum(p.stat().st_size for p in default_library_dir().rglob("*") if p.is_file())
    assert total < 5_000_000


@pytest.mark.parametrize(
    ("text", "code"),
    [("网上有人卖冰毒", "A.1.h"), ("网上赌*博平台", "A.1.h")],
)
def test_shipped_library_finds_mild_terms(shipped: KeywordMatcher, text: str, code: str) -> None:
    assert code in shipped.summary(text)


@pytest.mark.parametrize(
    "text",
    [
        "北京是中华人民共和国的首都，位于华北平原北部。",
        "The European lobster is a species of clawed lobster from the eastern Atlantic Ocean.",
        "作为一名女性我感到自豪",
        "我是穆斯林",
    ],
)
def test_shipped_library_is_quiet_on_ordinary_text(shipped: KeywordMatcher, text: str) -> None:
    # An identity named (女性, 穆斯林) is a mention: a signal, never an expression.
    assert [h.term for h in shipped.match(text) if h.tier == "expression"] == []


def _reviewed(code: str, terms: list[str]) -> list[Term]:
    return [Term(t, code, reviewer="r", reviewed=dt.date(2000, 1, 1)) for t in terms]


def test_stats_count_against_the_b11_quotas() -> None:
    lib = KeywordLibrary.from_terms(
        {
            "A.1.a": _reviewed("A.1.a", [f"词{i:03d}" for i in range(200)]),
            "A.2.e": [
                *_reviewed("A.2.e", [f"词{i:03d}" for i in range(99)]),
                Term("未审", "A.2.e"),
            ],  # an unreviewed term never counts
        }
    )
    stats = lib.stats(dt.date(2000, 1, 2))
    assert stats.total_unique == 200  # the A.2.e terms repeat A.1.a's
    assert not stats.meets_total
    assert "A.1.a" not in stats.shortfalls
    assert "A.2.e" in stats.shortfalls  # 99 < 100
    assert "A.4.a" not in stats.shortfalls  # B.1.1 sets no quota there
    assert len(stats.shortfalls) == 16
    doc = stats.to_json()
    assert {k: doc["per_code"]["A.2.e"][k] for k in ("count", "quota", "shortfall")} == {
        "count": 99,
        "quota": 100,
        "shortfall": 1,
    }
    assert set(doc["per_code"]) == set(ALL_CODES)


@pytest.mark.parametrize(
    ("today", "stale"),
    [(dt.date(2026, 1, 1), False), (dt.date(2026, 1, 8), False), (dt.date(2026, 1, 9), True)],
)
def test_staleness_follows_the_weekly_update(today: dt.date, stale: bool) -> None:
    lib = KeywordLibrary.from_terms({}, build_date=dt.date(2026, 1, 1))
    assert lib.is_stale(today) is stale


def test_tampered_file_is_detected(tmp_path: Path) -> None:
    copy = tmp_path / "kw"
    shutil.copytree(default_library_dir(), copy)
    target = copy / f"A.2.e.v{KeywordLibrary.load().version}.txt"
    target.write_text(target.read_text("utf-8") + "新词\t1\tmanual\n", encoding="utf-8")
    with pytest.raises(ValueError, match="sha256"):
        KeywordLibrary.load(copy)


def test_missing_manifest_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="manifest"):
        KeywordLibrary.load(tmp_path)


def test_cli_stats_json_is_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    lib = KeywordLibrary.load()
    code = cli_main(["keywords", "stats", "--json", "--today", lib.build_date.isoformat()])
    doc = json.loads(capsys.readouterr().out)
    # The shipped library holds reviewed terms only and says how far it is from B.1.1 b.
    assert doc["counted"] == "reviewed terms only"
    assert doc["total_shortfall"] == max(0, 10_000 - doc["total_unique"])
    assert code == (0 if doc["meets_quotas"] else 1)
    assert doc["shortfalls"] == [c for c, v in doc["per_code"].items() if v["count"] < v["quota"]]


def test_cli_stats_warns_when_stale(capsys: pytest.CaptureFixture[str]) -> None:
    lib = KeywordLibrary.load()
    late = (lib.build_date + dt.timedelta(days=30)).isoformat()
    assert cli_main(["keywords", "stats", "--today", late]) == 1
    assert "weekly update" in capsys.readouterr().err


def test_cli_build_without_data_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(
        ["keywords", "build", "--data", str(tmp_path / "absent"), "--out", str(tmp_path / "out")]
    )
    assert code == 2
    assert "not found" in capsys.readouterr().err


# --- reproducible build (needs ../shared/data) ---------------------------------------------


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow(8)
def test_build_writes_candidates_for_review_not_the_library(
    shared_data: Path, tmp_path: Path
) -> None:
    from corpusgate.transforms.harm import keyword_build
    from corpusgate.transforms.harm.review import read_review

    day = dt.date(2026, 1, 5)
    for name in ("a", "b"):
        result = keyword_build.build(
            shared_data,
            tmp_path / name,
            build_date=day,
            only=["davidson-ngrams"],
            log=lambda _: None,
        )
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")  # deterministic
    rows = read_review(tmp_path / "a" / keyword_build.CANDIDATES)
    assert len(rows) == result.total_unique > 0
    # Candidates wait for a person: no decision, tier mention, evidence given.
    assert {r.decision for r in rows} == {""}
    assert {r.tier for r in rows} == {"mention"}
    assert not (tmp_path / "a" / "manifest.yaml").exists()
    sexhate = result.lists[0]
    assert sexhate.terms_in == (
        sexhate.invalid
        + sexhate.allow_listed
        + sexhate.deferred
        + sexhate.dropped_templates
        + sexhate.dropped_wiki
        + sexhate.kept
    )

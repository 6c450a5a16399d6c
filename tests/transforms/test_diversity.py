"""4.1.2 / B.2.1.1.2: sources and records per language and modality, the domestic/foreign mix,
and the judgment with its reason."""

from __future__ import annotations

import pytest

from corpusgate.transforms.evidence.diversity import (
    DiversitySettings,
    SourceFacts,
    judge_diversity,
    usage_from_manifest,
)

FACTS = [
    SourceFacts("zh-news", "commercial", "text", "domestic"),
    SourceFacts("zh-wiki", "open_source", "text", "foreign"),
    SourceFacts("en-wiki", "open_source", "text", "foreign"),
    SourceFacts("en-crawl", "self_collected", "text", "foreign"),
    SourceFacts("chat", "user_input", "text", "domestic"),
]


def test_two_sources_per_language_and_domestic_mixed_in_is_compliant() -> None:
    usage = {
        ("zh-news", "zh"): 60,
        ("zh-wiki", "zh"): 40,
        ("en-wiki", "en"): 45,
        ("en-crawl", "en"): 50,
        ("chat", "en"): 5,
    }
    d = judge_diversity(FACTS, usage)
    cells = {c.language: c for c in d.cells}
    assert cells["zh"].sources == ("zh-news", "zh-wiki") and cells["zh"].records == 100
    assert cells["zh"].domestic_share == pytest.approx(0.6)
    assert cells["en"].domestic_records == 5 and cells["en"].foreign_records == 95
    assert d.domestic_share == pytest.approx(65 / 200)
    assert d.result == "compliant"
    origin = d.judgments[1]
    assert "combined with domestic" in origin.reason and "text/en 5.0%" in origin.reason


def test_one_source_for_a_language_is_non_compliant_and_names_it() -> None:
    d = judge_diversity(FACTS, {("zh-news", "zh"): 10, ("zh-wiki", "zh"): 10, ("en-wiki", "en"): 9})
    sources = d.judgments[0]
    assert sources.result == "non_compliant"
    assert "text/en has 1 (en-wiki)" in sources.reason
    assert d.result == "non_compliant"


def test_foreign_only_language_breaks_the_mix_rule() -> None:
    d = judge_diversity(FACTS, {("zh-wiki", "zh"): 10, ("en-wiki", "zh"): 10})
    assert d.judgments[1].result == "non_compliant"
    assert "the run is 0.0% domestic" in d.judgments[1].reason


def test_no_foreign_data_is_compliant_for_the_mix() -> None:
    d = judge_diversity(FACTS, {("zh-news", "zh"): 10, ("chat", "zh"): 3})
    assert d.judgments[1].result == "compliant"
    assert d.judgments[1].reason == "no foreign training data was used"


def test_incidental_and_undetermined_languages_are_listed_not_judged() -> None:
    usage = {("zh-news", "zh"): 500, ("zh-wiki", "zh"): 500, ("chat", "de"): 1, ("chat", "und"): 2}
    d = judge_diversity(FACTS, usage)
    incidental = {c.language for c in d.cells if c.incidental}
    assert incidental == {"de", "und"}
    assert d.judgments[0].result == "compliant" and "not judged: text/de" in d.judgments[0].reason
    # with no allowance for stray languages, one German message needs a second source
    strict = judge_diversity(FACTS, usage, DiversitySettings(incidental_share=0.0))
    assert strict.judgments[0].result == "non_compliant"


def test_domestic_floor_is_a_setting_and_its_value_is_stated() -> None:
    usage = {("zh-news", "zh"): 10, ("zh-wiki", "zh"): 90}
    d = judge_diversity(FACTS, usage, DiversitySettings(min_domestic_share=0.2))
    assert d.judgments[1].result == "non_compliant"
    assert "at least 20.0%" in d.judgments[1].reason


def test_nothing_used_is_not_applicable() -> None:
    assert judge_diversity(FACTS, {}).result == "not_applicable"


def test_usage_from_manifest_counts_only_sources_that_wrote_records() -> None:
    manifest = {
        "sources": {"a": {"written": 3}, "b": {"written": 0}},
        "languages": {"a": {"records": {"zh": 4, "en": 1}}, "b": {"records": {"zh": 60}}},
    }
    assert usage_from_manifest(manifest) == {("a", "zh"): 4, ("a", "en"): 1}


def test_unknown_source_or_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="no registry facts: ghost"):
        judge_diversity(FACTS, {("ghost", "zh"): 1})
    with pytest.raises(ValueError, match="origin 'moon'"):
        judge_diversity([SourceFacts("x", "open_source", "text", "moon")], {("x", "zh"): 1})

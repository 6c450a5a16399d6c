"""HarmPolicy checks and the detector's decision rule (keywords, classifiers, languages)."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from corpusgate.transforms.harm.classifier import HarmClassifier
from corpusgate.transforms.harm.detect import HarmDetector, HarmPolicy, script_language
from corpusgate.transforms.harm.keywords import KeywordLibrary, KeywordMatcher
from corpusgate.transforms.harm.library import default_library_dir
from corpusgate.transforms.harm.stage import library_warning


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("澳门娱乐城，注册送彩金", "zh"),
        ("The European lobster lives on the shelf.", "en"),
        ("", "en"),  # no letters: default
        ("12345 !!!", "en"),
        ("我用 Python 写了一个 script", "zh"),  # 8 CJK of 20 letters = 0.4
        ("Lobster 龙虾 is tasty and expensive in Europe", "en"),  # 2 of 36
        ("ひらがなとカタカナ", "zh"),  # kana counts as CJK script for routing
    ],
)
def test_script_language(text: str, expected: str) -> None:
    assert script_language(text) == expected


def _policy_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "harm.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("gate: {sample_size: 0}", "sample_size 0"),
        ("gate: {sample_size: many}", "sample_size 'many'"),
        ("gate: {threshold: 1.5}", "gate threshold 1.5"),
        ("gate: {groups: [A.9]}", "gate group 'A.9'"),
        ("classifiers: {models: [], decide_alone: [m1]}", "decide_alone names ['m1']"),
        ("keywords: [a, b]", "'keywords' must be a mapping"),
        ("- just a list", "expected a mapping"),
        ("gate: {seed: ''}", "seed ''"),
        ("keywords: {threshold: 0}", "keywords.threshold 0"),
    ],
)
def test_bad_policy_names_the_value(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        HarmPolicy.load(_policy_file(tmp_path, body))


def test_shipped_policy_loads_with_defaults() -> None:
    policy = HarmPolicy.load()
    assert policy.gate_threshold == 0.05
    assert policy.sample_size == 4000
    # The calibrated models decide alone; SWSR's (dev precision 0.61) needs a keyword.
    assert policy.decide_alone == {"zh_offensive_cold_v2", "en_hate_offensive_davidson_v3"}
    assert set(policy.models) == policy.decide_alone | {"zh_sexism_swsr_v2"}
    assert policy.groups == ("A.1", "A.2", "A.3", "A.4")


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"sample_size": 1000, "seed": "s"}, None),
        ({"sample_size": -1}, "sample_size -1"),
        ({"colour": "red"}, "unknown setting"),
        ({"gate_threshold": 0}, "gate threshold 0"),
    ],
)
def test_run_config_settings_override(settings: dict[str, Any], error: str | None) -> None:
    if error:
        with pytest.raises(ValueError, match=error):
            HarmPolicy.load().with_settings(settings)
    else:
        policy = HarmPolicy.load().with_settings(settings)
        assert (policy.sample_size, policy.seed) == (1000, "s")


class _StubFastText:
    """Stands in for the third-party fastText model: harmful when the text holds 'BAD'."""

    def predict(self, lines: list[str], k: int, threshold: float):  # type: ignore[no-untyped-def]
        labels = [("__label__1", "__label__0") for _ in lines]
        probs = [((0.9, 0.1) if "bad" in line else (0.1, 0.9)) for line in lines]
        return labels, probs


def _classifier(name: str, language: str, codes: list[str]) -> HarmClassifier:
    card = {
        "name": name,
        "tokenizer": "chars",
        "threshold": 0.5,
        "appendix_a": codes,
        "language": language,
        "metrics": {"sensitivity": 0.9, "specificity": 0.95},
    }
    return HarmClassifier(_StubFastText(), card, Path(f"{name}.ftz"))


def _detector(decide_alone: frozenset[str] = frozenset()) -> HarmDetector:
    library = KeywordLibrary.from_terms(
        {
            "A.1.h": {"博彩": 1.0, "赌博": 0.5, "老虎机": 0.5},
            "A.2.e": {"bitch": 0.5},
            "A.1.a": {"wikipedia": 1.0},
        }
    )
    policy = HarmPolicy(
        models=("zh_m", "en_m"),
        decide_alone=decide_alone,
        ignore_terms=frozenset({"wikipedia"}),
    )
    models = {
        "zh_m": _classifier("zh_m", "zh", ["A.1.h"]),
        "en_m": _classifier("en_m", "en", ["A.2.e", "A.5.a"]),
    }
    return HarmDetector(policy, KeywordMatcher(library), models)


@pytest.mark.parametrize(
    ("text", "alone", "flags"),
    [
        ("正规博彩平台", frozenset(), [("A.1.h", "keywords_a1h_v1", 1.0)]),
        # two ambiguous terms reach the threshold together
        ("赌博和老虎机", frozenset(), [("A.1.h", "keywords_a1h_v1", 1.0)]),
        # one ambiguous term alone does not
        ("不要赌博", frozenset(), []),
        # the same term twice counts once
        ("赌博赌博赌博", frozenset(), []),
        # a classifier that may not decide alone needs a keyword in one of its codes
        ("BAD 不要赌博", frozenset(), [("A.1.h", "keywords_a1h_v1", 0.5), ("A.1.h", "zh_m", 0.9)]),
        ("BAD 今天天气很好", frozenset(), []),
        ("BAD 今天天气很好", frozenset({"zh_m"}), [("A.1.h", "zh_m", 0.9)]),
        # wrong language: the English model never sees Chinese text
        ("BAD 今天天气很好", frozenset({"en_m"}), []),
        # A.5 is outside the gate's A.1-A.4, even for a model deciding alone
        ("BAD weather today", frozenset({"en_m"}), [("A.2.e", "en_m", 0.9)]),
        (
            "you b.i.t.c.h BAD",
            frozenset(),
            [("A.2.e", "en_m", 0.9), ("A.2.e", "keywords_a2e_v1", 0.5)],
        ),
        # a reviewed exception never counts
        ("see Wikipedia", frozenset(), []),
        ("", frozenset(), []),
    ],
)
def test_decision_rule(
    text: str, alone: frozenset[str], flags: list[tuple[str, str, float]]
) -> None:
    result = _detector(alone).detect(text)
    assert [(f["code"], f["detector"], round(f["score"], 4)) for f in result.flags] == flags
    assert result.flagged == bool(flags)


def test_a_model_that_may_not_decide_alone_is_scored_only_with_agreement() -> None:
    detector = _detector()
    # No keyword of A.1.h: zh_m could not flag, so it is not run (no signal, no hit).
    quiet = detector.detect("BAD 今天天气很好")
    assert quiet.model_hits == () and not quiet.flagged and quiet.language == "zh"
    assert [s["name"] for s in quiet.signals if s["kind"] == "model"] == []
    # With one, it is scored, reported and flags with the keyword as evidence.
    loud = detector.detect("BAD 不要赌博")
    assert loud.model_hits == ("zh_m",)
    model = next(s for s in loud.signals if s["kind"] == "model")
    assert (model["name"], model["score"], model["tier"]) == ("zh_m", 0.9, "model")


def test_a_model_deciding_alone_reports_its_score_below_threshold() -> None:
    result = _detector(frozenset({"zh_m"})).detect("今天天气很好")
    assert result.model_scores == {"zh_m": pytest.approx(0.1)}
    assert not result.flagged and result.model_hits == ()


@pytest.mark.parametrize(
    ("built", "today", "stale"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 8), False),  # exactly a week: still fresh
        (dt.date(2026, 1, 1), dt.date(2026, 1, 9), True),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 1), True),
    ],
)
def test_library_warning_after_a_week(built: dt.date, today: dt.date, stale: bool) -> None:
    library = KeywordLibrary.from_terms({"A.1.h": ["博彩"]}, build_date=built)
    warning = library_warning(library, today)
    assert (warning is not None) == stale
    if stale:
        assert f"{(today - built).days} days ago" in warning and "B.1.1 c" in warning


def test_a_process_builds_one_detector_per_policy_and_library(tmp_path: Path) -> None:
    # The launcher, the gate and the filter of a local run share one; a changed policy or a
    # rebuilt library is another detector, never a stale one.
    library = tmp_path / "keywords"
    shutil.copytree(default_library_dir(), library)
    policy = HarmPolicy.load()
    first = HarmDetector.shared(policy, library)
    assert HarmDetector.shared(HarmPolicy.load(), library) is first
    assert HarmDetector.shared(replace(policy, keyword_threshold=2.0), library) is not first
    manifest = library / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    rebuilt = HarmDetector.shared(policy, library)
    assert rebuilt is not first and HarmDetector.shared(policy, library) is rebuilt


def test_shipped_detector_on_demo_like_text() -> None:
    detector = HarmDetector.load(HarmPolicy.load())
    spam = detector.detect("澳门娱乐城真人娱乐，注册即送88元")
    assert spam.flagged and spam.codes == ["A.1.h"]
    # An ordinary support ticket and a Creative Commons line: reviewed exceptions, no flag.
    assert not detector.detect("包裹今天已经收到了，谢谢客服。").flagged
    assert not detector.detect("Creative Commons and Wikipedia share knowledge.").flagged

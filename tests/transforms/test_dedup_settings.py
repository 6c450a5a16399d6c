"""The `dedup` section of a run config: typed, unknown keys refused, shapes checked."""

from __future__ import annotations

import pytest

from corpusgate.transforms.common.settings import SettingsError, parse_settings
from corpusgate.transforms.dedup import DedupSettings, DedupSpec


def test_defaults() -> None:
    s = DedupSettings()
    assert (s.enabled, s.exact, s.near, s.method, s.threshold) == (True, True, True, "minhash", 0.6)
    assert (s.shingles.chars, s.shingles.words, s.minhash.num_perm) == (3, 3, 128)
    assert s.band_shape() == (29, 4)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"treshold": 0.8}, "unknown key 'dedup.treshold'; did you mean 'threshold'"),
        ({"threshold": 0}, "greater than 0"),
        ({"threshold": 1.5}, "less than or equal to 1"),
        ({"method": "lsh"}, "'minhash' or 'simhash'"),
        ({"methods_by_kind": {"forum": "simhash"}}, "methods_by_kind.forum"),
        ({"minhash": {"bands": 30, "rows": 5}}, "exceeds num_perm"),
        ({"minhash": {"bands": 30}}, "give both bands and rows"),
        ({"shingles": {"chars": 0}}, "greater than or equal to 1"),
        ({"keeper_sources": ["a", "a"]}, "lists a source twice"),
    ],
)
def test_bad_settings_are_refused_with_the_key(data: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings(DedupSettings, data, prefix="dedup")


def test_explicit_band_shape_wins() -> None:
    s = parse_settings(DedupSettings, {"minhash": {"bands": 16, "rows": 8}})
    assert s.band_shape() == (16, 8)


def test_spec_method_by_kind_and_priority() -> None:
    settings = DedupSettings(methods_by_kind={"user_input": "simhash"}, keeper_sources=["b", "a"])
    spec = DedupSpec(settings, {"chat": "user_input", "wiki": "open_source"})
    assert [spec.method_for(s) for s in ("chat", "wiki", "unknown")] == [
        "simhash",
        "minhash",
        "minhash",
    ]
    assert [spec.priority_for(s) for s in ("b", "a", "c")] == [0, 1, 2]


def test_spec_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown source kind"):
        DedupSpec(DedupSettings(), {"x": "forum"})

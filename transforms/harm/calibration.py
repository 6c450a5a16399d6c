"""The harm decision's own error, measured per source type, for the gate (GB/T 45654-2025 4.1.1).

A detector with false-positive rate f adds about f to every source's flagged rate and one with
true-positive rate t hides 1 - t of the harm, against a 5% line. The gate corrects for both
(`gate.statistics.corrected_interval`) with counts measured here on text nobody tuned on:

- FPR: the `calibrate` part (`corpora.clean_part`) of the clean sets of a source type, or the
  safe rows of labelled sets (`cold_dev:safe`) for social comments;
- TPR: the harmful rows of the labelled dev splits whose text is not in the `holdout` part, so
  the benchmark's gate simulation (which draws its harmful records from the holdout) is not
  judged by the numbers it was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corpusgate.transforms.harm import corpora, labelled

__all__ = ["SOURCE_TYPES", "measure_error"]

# source type -> (clean sets, harmful sets): what each type's error is measured on. A clean
# set `x:safe` is the safe rows of labelled set x; `x_traditional` is the s2t twin of x.
SOURCE_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "encyclopedic": (
        ("cmrc2018", "cmrc2018_traditional", "wikitext2"),
        ("cold_dev", "swsr_dev", "davidson_dev"),
    ),
    "classical_poetry": (("poet_tang", "tang300"), ("cold_dev", "swsr_dev")),
    "web": (("web_pages", "wikitext2"), ("davidson_dev",)),
    "social_comments": (
        ("cold_dev:safe", "swsr_dev:safe", "davidson_dev:safe"),
        ("cold_dev", "swsr_dev", "davidson_dev"),
    ),
    "default": (
        (
            "poet_tang",
            "tang300",
            "cmrc2018",
            "cmrc2018_traditional",
            "cmrc2018_questions",
            "wikitext2",
            "web_pages",
        ),
        ("cold_dev", "swsr_dev", "davidson_dev"),
    ),
}


def _clean(data: Path, name: str) -> list[str]:
    base, _, kind = name.partition(":")
    if kind == "safe":
        return [
            r.text
            for r in labelled.labelled_texts(data, base)
            if not r.label and corpora.clean_part(r.text) != "holdout"
        ]
    plain = base.removesuffix("_traditional")
    texts = [r.text for r in corpora.clean_texts(data, plain, ("calibrate",))]
    return corpora.to_traditional(texts) if plain != base else texts


def _harmful(data: Path, name: str) -> list[str]:
    return [
        r.text
        for r in labelled.labelled_texts(data, name)
        if r.label and corpora.clean_part(r.text) != "holdout"
    ]


def measure_error(
    detector: Any,
    data: Path,
    source_types: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]],
) -> dict[str, Any]:
    """Per source type: [flagged, n] on its clean and harmful text, and the rates."""
    cache: dict[tuple[str, str], tuple[int, int]] = {}

    def count(kind: str, name: str) -> tuple[int, int]:
        key = (kind, name)
        if key not in cache:
            texts = _clean(data, name) if kind == "clean" else _harmful(data, name)
            flagged = sum(r.flagged for r in detector.detect_batch(texts))
            cache[key] = (flagged, len(texts))
        return cache[key]

    error: dict[str, dict[str, list[int]]] = {}
    rates: dict[str, dict[str, float]] = {}
    for kind, (clean_sets, harmful_sets) in source_types.items():
        fp = [count("clean", name) for name in clean_sets]
        tp = [count("harmful", name) for name in harmful_sets]
        fpr = [sum(k for k, _ in fp), sum(n for _, n in fp)]
        tpr = [sum(k for k, _ in tp), sum(n for _, n in tp)]
        if fpr[1] == 0 or tpr[1] == 0:
            raise ValueError(f"source type {kind}: no text to measure on")
        error[kind] = {"fpr": fpr, "tpr": tpr}
        rates[kind] = {"fpr": fpr[0] / fpr[1], "tpr": tpr[0] / tpr[1]}
    return {
        "detector_error": error,
        "rates": rates,
        "sets": {f"{kind}:{name}": list(v) for (kind, name), v in sorted(cache.items())},
        "methods": detector.methods,
    }

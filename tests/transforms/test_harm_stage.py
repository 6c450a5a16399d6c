"""The Harm stage under TestPipeline: the 5% gate at known rates, quarantine reasons, store rows.

Synthetic sources at 3%, 5% and 8% of 1,000 records, sampled whole (the standard names 1,000 and
4,000-item samples; 1,000 keeps the test quick): 30/1000 -> accept; 50/1000 -> accept (the rule
is "exceeds 5%"); 80/1000 -> reject. A whole-source sample is a census: no interval, never
inconclusive. The 2,500-record source is sampled (1,000 of 2,500), checked against plain Python.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
import yaml
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from corpusgate.pipelines.curate import record_verifications
from corpusgate.schemas import reasons
from corpusgate.schemas.records import new_lineage
from corpusgate.source_registry.store import Store
from corpusgate.transforms.common.settings import SettingsError, parse_settings
from corpusgate.transforms.harm.detect import HarmPolicy
from corpusgate.transforms.harm.gate.statistics import BottomK, clopper_pearson
from corpusgate.transforms.harm.stage import (
    GATE,
    HarmSettings,
    HarmSpec,
    HarmStage,
    assessment_id_for,
)
from corpusgate.transforms.spine.checks import QUARANTINE, RECORDS

RUN = "run-test"
SPAM = "正规博彩平台注册送彩金"


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("kw")
    body = "# test list\n博彩\t1\ttest\n"
    (root / "A.1.h.v1.txt").write_text(body, encoding="utf-8")
    manifest = {
        "version": 1,
        "build_date": "2099-01-01",
        "files": [
            {
                "code": "A.1.h",
                "file": "A.1.h.v1.txt",
                "list_version": "keywords_a1h_v1",
                "count": 1,
                "sha256": hashlib.sha256(body.encode()).hexdigest(),
            }
        ],
    }
    (root / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return str(root)


def _records(source_id: str, n: int, flagged: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        lineage = new_lineage(
            registry_entry_sha256="e",
            origin={"uri": "f", "kind": "line", "position": i + 1},
            run_id=RUN,
            config_sha256="c",
        )
        text = SPAM if i < flagged else f"第{i}条普通帖子"
        out.append(
            {
                "record_id": f"{source_id}-{i:05d}",
                "source_id": source_id,
                "text": text,
                "lineage": lineage,
            }
        )
    return out


POLICY = HarmPolicy(models=(), sample_size=1000, seed="test-seed")
SOURCES = {"s3": (1000, 30), "s5": (1000, 50), "s8": (1000, 80), "big": (2500, 200)}


def _expected_big() -> int:
    """Hand calculation for the source larger than its sample: the pure bottom-k sample."""
    n, flagged = SOURCES["big"]
    sample = BottomK.of(POLICY.sample_size, POLICY.seed, (f"big-{i:05d}" for i in range(n)))
    return sum(1 for rid in sample.record_ids() if int(rid.split("-")[1]) < flagged)


@pytest.mark.slow(7)
def test_gate_at_known_rates(library_dir: str) -> None:
    big_flagged = _expected_big()
    with TestPipeline(runner="FnApiRunner") as p:
        # The records are made in the pipeline: `beam.Create` of 5,500 nested dicts spent
        # seconds inferring a type from every one of them.
        records = (
            p
            | beam.Create(sorted(SOURCES.items()))
            | beam.FlatMapTuple(lambda sid, size: _records(sid, *size))
        )
        out = records | HarmStage(HarmSpec(POLICY, library_dir, RUN))
        gates = out[GATE] | beam.MapTuple(
            lambda sid, rep: (
                sid,
                rep["sample_size"],
                rep["population"],
                rep["flagged"],
                rep["decision"],
                rep["inconclusive"],
                rep["seed"],
            )
        )
        assert_that(
            gates,
            equal_to(
                [
                    ("s3", 1000, 1000, 30, "accept", False, "test-seed"),
                    # Whole sources (censuses): exactly 5% is not over 5%, and nothing is inconclusive;
                    # sampling uncertainty at these sizes is tested in test_gate_stats.py.
                    ("s5", 1000, 1000, 50, "accept", False, "test-seed"),
                    ("s8", 1000, 1000, 80, "reject", False, "test-seed"),
                    ("big", 1000, 2500, big_flagged, "reject", False, "test-seed"),
                ]
            ),
            label="gate decisions",
        )
        reasons_by_source = (
            out[QUARANTINE]
            | "QKey" >> beam.Map(lambda q: ((q["source_id"], q["check"], q["reason"]), 1))
            | "QCount" >> beam.CombinePerKey(sum)
        )
        assert_that(
            reasons_by_source,
            equal_to(
                [
                    (("s3", reasons.HARM, reasons.HARMFUL_CONTENT), 30),
                    (("s5", reasons.HARM, reasons.HARMFUL_CONTENT), 50),
                    (("s8", reasons.SOURCE_GATE, reasons.SOURCE_REJECTED), 1000),
                    (("big", reasons.SOURCE_GATE, reasons.SOURCE_REJECTED), 2500),
                ]
            ),
            label="quarantine by source and reason",
        )
        kept = (
            out[RECORDS]
            | "KKey" >> beam.Map(lambda r: (r["source_id"], 1))
            | ("KCount" >> beam.CombinePerKey(sum))
        )
        assert_that(kept, equal_to([("s3", 970), ("s5", 950)]), label="kept")
        ids = (
            out[QUARANTINE]
            | "Rejected" >> beam.Filter(lambda q: q["reason"] == reasons.SOURCE_REJECTED)
            | "Ids" >> beam.Map(lambda q: (q["source_id"], q["lineage"]["assessment_id"]))
            | "Distinct" >> beam.Distinct()
        )
        assert_that(
            ids,
            equal_to(
                [("s8", assessment_id_for(RUN, "s8")), ("big", assessment_id_for(RUN, "big"))]
            ),
            label="ids",
        )
        harmful = (
            out[QUARANTINE]
            | "Harmful" >> beam.Filter(lambda q: q["reason"] == reasons.HARMFUL_CONTENT)
            | "Detail"
            >> beam.Map(
                lambda q: (
                    q["detail"],
                    json.dumps(q["lineage"]["harm"]),
                    q["lineage"]["decisions"][-2]["check"],
                )
            )
            | "DistinctDetail" >> beam.Distinct()
        )
        assert_that(
            harmful,
            equal_to(
                [
                    (
                        "codes A.1.h (keywords_a1h_v1=1.00)",
                        json.dumps(
                            [
                                {
                                    "code": "A.1.h",
                                    "detector": "keywords_a1h_v1",
                                    "score": 1.0,
                                    "tier": "expression",
                                }
                            ]
                        ),
                        reasons.SOURCE_GATE,  # passed the gate first, then failed the harm filter
                    )
                ]
            ),
            label="harmful detail",
        )
        clean = (
            out[RECORDS]
            | "NoTransient" >> beam.Map(lambda r: ",".join(sorted(k for k in r if k[0] == "_")))
            | "DistinctKeys" >> beam.Distinct()
        )
        assert_that(clean, equal_to([""]), label="no transient keys leak")


def test_gate_hand_calculation_intervals() -> None:
    # The intervals quoted in the module docstring, so a change in gate_stats shows here.
    assert [round(x, 4) for x in clopper_pearson(30, 1000)] == [0.0203, 0.0426]
    assert [round(x, 4) for x in clopper_pearson(80, 1000)] == [0.0639, 0.0986]


def test_after_run_appends_verification_and_status(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    report = {
        "sample_size": 60,
        "population": 60,
        "flagged": 18,
        "rate": 0.3,
        "ci_low": 0.19,
        "ci_high": 0.43,
        "decision": "reject",
        "inconclusive": False,
        "seed": "s",
        "methods": ["keywords_v1"],
        "action": "source rejected",
        "assessment_id": assessment_id_for(RUN, "spam"),
        "run_id": RUN,
        "settling_sample_size": None,
    }
    ok = dict(
        report, flagged=0, rate=0.0, decision="accept", assessment_id=assessment_id_for(RUN, "ok")
    )
    record_verifications(store, RUN, [["spam", report], ["ok", ok]])
    row = store.latest_assessment("spam", "verification")
    assert row is not None
    assert (row["assessment_id"], row["flagged"], row["decision"], row["run_id"]) == (
        assessment_id_for(RUN, "spam"),
        18,
        "reject",
        RUN,
    )
    assert row["details"]["inconclusive"] is False
    assert store.status("spam") == "verified_rejected"
    assert store.status("ok") == "verified_accepted"


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"sample_size": "lots"}, "harm.sample_size': expected a whole number"),
        ({"sample_size": 0}, "harm.sample_size': input should be greater than or equal to 1"),
        ({"thresholds": 1}, "unknown key 'harm.thresholds'"),
        ({"gate_treshold": 0.1}, "did you mean 'gate_threshold'"),
    ],
)
def test_settings_reject_bad_values(settings: dict[str, Any], error: str) -> None:
    with pytest.raises(SettingsError, match=error):
        parse_settings(HarmSettings, settings, prefix="harm")


def test_a_missing_policy_file_is_named(tmp_path: Path) -> None:
    settings = parse_settings(HarmSettings, {"policy": "missing.yaml"}, base=tmp_path)
    with pytest.raises(ValueError, match="cannot read the harm policy"):
        settings.load_policy()

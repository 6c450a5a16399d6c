"""The bundled demo through the 5% gate: the spam forum is removed whole, the hobby forum
passes with its two spam posts filtered, no other source loses a record to harm, and
`assess` agrees with the run's verification (same seed, same records, same answer).

Hand calculation (each source is smaller than the 4,000-item sample, so it is sampled whole: a
census, whose raw rate has no sampling error; the gate decides on the Rogan-Gladen corrected
rate with the policy's measured detector error, default type: FPR 9/16,703, TPR 4,899/5,388).
forum-spam: the detector (policy v4, library v3) flags 15 of its 18 spam posts; the three it
misses (博彩高手带你翻身..., 大麻种子和成品均有货..., 办证请联系客服...) name gambling, a
substance and document services without a reviewed solicitation phrase. 15/60 = 25.0%,
corrected (0.25 - 0.000539) / (0.909243 - 0.000539) = 27.5% > 5% -> reject.
forum-hobby: 2/60 = 3.33%, corrected (0.033333 - 0.000539) / 0.908704 = 3.61%, and the
interval's upper end (census: the detector's FPR and TPR bounds at alpha/2 each) stays under
5% -> accept, conclusively.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.schemas import reasons
from corpusgate.source_registry.store import Store
from corpusgate.transforms.harm.stage import assessment_id_for

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]
HARM_REASONS = {reasons.SOURCE_REJECTED, reasons.HARMFUL_CONTENT}


@pytest.fixture
def demo(demo_run: DemoRun, tmp_path: Path) -> dict[str, Any]:
    return {
        "tmp": tmp_path,
        "url": demo_run.store,
        "manifest": demo_run.manifest(),
        "quarantine": demo_run.rows("quarantine"),
    }


def _gate(demo: dict[str, Any], source_id: str) -> dict[str, Any]:
    return dict(demo["manifest"]["checks"]["gate"])[source_id]


def test_spam_forum_is_removed_whole(demo: dict[str, Any]) -> None:
    rows = [r for r in demo["quarantine"] if r["source_id"] == "forum-spam-2024-06"]
    assert len(rows) == 60
    assert {(r["check"], r["reason"]) for r in rows} == {
        (reasons.SOURCE_GATE, reasons.SOURCE_REJECTED)
    }
    run_id = demo["manifest"]["run_id"]
    assert {r["lineage"]["assessment_id"] for r in rows} == {
        assessment_id_for(run_id, "forum-spam-2024-06")
    }
    gate = _gate(demo, "forum-spam-2024-06")
    assert (gate["flagged"], gate["sample_size"], gate["decision"]) == (15, 60, "reject")
    assert (gate["ci_low"], gate["ci_high"]) == (0.25, 0.25) and gate["sampled_whole_source"]
    assert gate["decided_on"] == "corrected_rate"
    assert gate["corrected_rate"] == pytest.approx((0.25 - 9 / 16703) / (4899 / 5388 - 9 / 16703))


def test_hobby_forum_passes_and_filters_its_spam(demo: dict[str, Any]) -> None:
    rows = [r for r in demo["quarantine"] if r["source_id"] == "forum-hobby-2024-06"]
    assert sorted((r["reason"], r["lineage"]["origin"]["position"]) for r in rows) == [
        (reasons.HARMFUL_CONTENT, 18),
        (reasons.HARMFUL_CONTENT, 45),
    ]
    assert all("A.1.h" in r["detail"] for r in rows)
    gate = _gate(demo, "forum-hobby-2024-06")
    assert (gate["flagged"], gate["sample_size"], gate["decision"]) == (2, 60, "accept")
    assert gate["inconclusive"] is False and gate["settling_sample_size"] is None
    assert gate["corrected_rate"] == pytest.approx((2 / 60 - 9 / 16703) / (4899 / 5388 - 9 / 16703))
    assert gate["corrected_ci_high"] < 0.05


def test_no_other_source_loses_records_to_harm(demo: dict[str, Any]) -> None:
    lost = sorted(
        (r["source_id"], r["reason"], (r["text"] or "")[:40])
        for r in demo["quarantine"]
        if r["reason"] in HARM_REASONS and not r["source_id"].startswith("forum-")
    )
    assert lost == []
    for source_id, gate in demo["manifest"]["checks"]["gate"]:
        if not source_id.startswith("forum-"):
            assert gate["decision"] == "accept", source_id


def test_store_holds_one_verification_per_source(demo: dict[str, Any]) -> None:
    store = Store(demo["url"])
    row = store.latest_assessment("forum-spam-2024-06", "verification")
    assert row is not None and row["decision"] == "reject"
    assert row["assessment_id"] == assessment_id_for(
        demo["manifest"]["run_id"], "forum-spam-2024-06"
    )


def test_assess_agrees_with_the_run(
    demo: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORPUSGATE_STORE_URL", f"sqlite:///{demo['tmp']}/assess.sqlite")
    monkeypatch.chdir(REPO)
    for source_id, expected_code in (("forum-spam-2024-06", 1), ("forum-hobby-2024-06", 0)):
        capsys.readouterr()
        assert main(["assess", source_id, "--config", "configs/demo.yaml", "--json"]) == (
            expected_code
        )
        report = json.loads(capsys.readouterr().out)
        gate = _gate(demo, source_id)
        for key in (
            "sample_size",
            "population",
            "flagged",
            "decision",
            "sample_sha256",
            "flagged_record_ids",
            "ci_low",
            "ci_high",
        ):
            assert report[key] == gate[key], (source_id, key)

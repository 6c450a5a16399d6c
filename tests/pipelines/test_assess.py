"""`corpusgate assess`: the pre-collection gate, its store record, and what `run` then skips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.source_registry.store import Store
from corpusgate.transforms.harm.gate.statistics import BottomK, gate_decision
from corpusgate.transforms.spine.identity import record_id

SPAM = "澳门娱乐城真人娱乐，注册即送88元"
ENTRY = """\
source_id: {sid}
kind: open_source
languages: [zh]
origin: domestic
location: {{paths: ["../{sid}.jsonl"]}}
fields: {{text: body, id: key}}
licence: MIT
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "reg").mkdir()
    for sid, n, spam in (("mixed", 100, 7), ("tiny", 3, 0)):
        lines = []
        for i in range(n):
            body = SPAM if i < spam else f"今天第{i}次去公园散步，天气很好。"
            lines.append(json.dumps({"key": f"k{i}", "body": body}, ensure_ascii=False))
        lines.append("not json")  # an unreadable row is not part of the population
        (tmp_path / f"{sid}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (tmp_path / "reg" / f"{sid}.yaml").write_text(ENTRY.format(sid=sid))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"registry: reg\nstore: sqlite:///{tmp_path}/s.sqlite\noutput: out\n")
    return cfg


def _expected(n_sample: int, seed: str) -> tuple[int, int]:
    ids = {record_id("mixed", f"id=k{i}"): i for i in range(100)}
    sample = BottomK.of(n_sample, seed, ids)
    return len(sample), sum(1 for rid in sample.record_ids() if ids[rid] < 7)


def test_assess_agrees_with_hand_calculation_and_is_stored(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORPUSGATE_STORE_URL", raising=False)
    code = main(
        [
            "assess",
            "mixed",
            "--config",
            str(config),
            "--sample-size",
            "50",
            "--seed",
            "s1",
            "--json",
            "--actor",
            "tester",
        ]
    )
    out = capsys.readouterr().out
    report = json.loads(out)  # exactly one JSON document
    n, flagged = _expected(50, "s1")
    hand = gate_decision(flagged, n, population=100)
    assert (report["sample_size"], report["population"], report["flagged"]) == (n, 100, flagged)
    assert report["rate"] == pytest.approx(hand.rate)
    assert (report["ci_low"], report["ci_high"]) == pytest.approx((hand.lo, hand.hi))
    assert report["decision"] == hand.decision
    assert report["inconclusive"] == hand.inconclusive
    assert code == (1 if hand.decision == "reject" else 0)
    store = Store(f"sqlite:///{config.parent}/s.sqlite")
    row = store.latest_assessment("mixed", "assessment")
    assert row is not None
    assert (
        row["assessment_id"],
        row["seed"],
        row["sample_size"],
        row["flagged"],
        row["actor"],
    ) == (report["assessment_id"], "s1", n, flagged, "tester")
    assert row["details"]["sample_sha256"] == report["sample_sha256"]
    assert store.status("mixed") == ("assessed_rejected" if code else "assessed_accepted")


def test_whole_source_reject_and_same_seed_same_sample(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORPUSGATE_STORE_URL", raising=False)
    args = ["assess", "mixed", "--config", str(config), "--json"]
    assert main(args) == 1  # 7/100 > 5%
    first = json.loads(capsys.readouterr().out)
    assert (first["flagged"], first["sample_size"], first["sampled_whole_source"]) == (7, 100, True)
    # The whole source was read: a census, so 7% is the source's rate, not an estimate.
    assert first["inconclusive"] is False and first["settling_sample_size"] is None
    assert main(args) == 1
    second = json.loads(capsys.readouterr().out)
    assert second["sample_sha256"] == first["sample_sha256"]
    assert second["assessment_id"] != first["assessment_id"]  # appended, not replaced


def test_text_report_teaches(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORPUSGATE_STORE_URL", raising=False)
    assert main(["assess", "tiny", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert "ACCEPT" in text and "inconclusive" not in text
    assert "3 of 3 records (the whole source)" in text
    # A census is never inconclusive, so --fail-inconclusive does not turn it into a failure.
    assert main(["assess", "tiny", "--config", str(config), "--fail-inconclusive"]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no source 'nope'"),
        (["mixed", "--sample-size", "0"], "harm.sample_size': input should be greater than or"),
        (["mixed", "--seed", "x" * 70], "harm.seed': string should have at most 64 characters"),
    ],
)
def test_usage_errors_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["assess", *args, "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""

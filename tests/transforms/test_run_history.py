"""B.2.1.1.1 b across runs: per source, the runs that rejected it, the runs that wrote it, and
any run that did both."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.output.report.history import source_history

if TYPE_CHECKING:
    from conftest import DemoRun


def test_rejected_and_written_in_the_same_run_is_a_breach() -> None:
    runs = [
        {"run_id": "r1", "gate": {"spam": "reject", "wiki": "accept"}, "written": {"wiki": 9}},
        {
            "run_id": "r2",
            "gate": {"spam": "accept", "wiki": "accept"},
            "written": {"spam": 5, "wiki": 9},
        },  # cleaned, re-verified, accepted: lawful
        {"run_id": "r3", "gate": {"spam": "reject"}, "written": {"spam": 2}},
    ]
    history = {h.source_id: h for h in source_history(runs)}
    assert history["spam"].rejected_in == ("r1", "r3")
    assert history["spam"].written_in == (("r2", 5), ("r3", 2))
    assert history["spam"].breaches == ("r3",)
    assert history["spam"].answer == "USED WHILE REJECTED in r3"
    assert history["wiki"].answer == "never rejected"


def test_report_runs_answers_per_source(
    demo_run: DemoRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--output", str(demo_run.output), "--runs", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    spam = next(s for s in answer["sources"] if s["source_id"] == "forum-spam-2024-06")
    assert len(spam["rejected_in"]) == 1 and spam["written_in"] == {} and not spam["breaches"]
    assert answer["rejected_sources_used"] == []
    assert main(["report", "--output", str(demo_run.output), "--runs"]) == 0
    text = capsys.readouterr().out
    assert "forum-spam-2024-06" in text
    assert "rejected by the gate; never written in a run that rejected it" in text

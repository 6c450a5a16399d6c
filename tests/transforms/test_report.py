"""The accept/reject report: gate lines, censuses, sources not collected, spot checks, HTML."""

from __future__ import annotations

import re

from corpusgate.transforms.output.report import build_report, format_html, format_report

MANIFEST = {
    "run_id": "run-1",
    "balanced": True,
    "sources": {
        "spam": {
            "read": 60,
            "written": 0,
            "quarantined": 60,
            "quarantined_by_reason": {"source_rejected": 60},
            "registry_entry": {"kind": "open_source"},
        },
        "big": {
            "read": 9000,
            "written": 8990,
            "quarantined": 10,
            "quarantined_by_reason": {"harmful_content": 10},
            "registry_entry": {"kind": "commercial"},
        },
    },
    "totals": {
        "read": 9060,
        "written": 8990,
        "quarantined": 70,
        "quarantined_by_reason": {"harmful_content": 10, "source_rejected": 60},
    },
    "not_collected": {
        "old": {"reason": "rejected before collection by assessment a1 (9/100 flagged)"}
    },
    "checks": {
        "gate": [
            [
                "spam",
                {
                    "sample_size": 60,
                    "population": 60,
                    "flagged": 18,
                    "rate": 0.3,
                    "ci_low": 0.3,
                    "ci_high": 0.3,
                    "decision": "reject",
                    "inconclusive": False,
                    "settling_sample_size": None,
                    "seed": "s",
                    "sampled_whole_source": True,
                },
            ],
            [
                "big",
                {
                    "sample_size": 4000,
                    "population": 9000,
                    "flagged": 180,
                    "rate": 0.045,
                    "ci_low": 0.0388,
                    "ci_high": 0.0519,
                    "decision": "accept",
                    "inconclusive": True,
                    "settling_sample_size": 6869,
                    "seed": "s",
                    "sampled_whole_source": False,
                },
            ],
        ]
    },
}
SPOTCHECK = {
    "kind": "manual_import",
    "result": {
        "items": 4000,
        "qualified": 3900,
        "qualified_rate": 0.975,
        "ci_low": 0.9698,
        "ci_high": 0.9795,
        "target": 0.96,
        "judgment": "pass",
        "inconclusive": False,
    },
}


def test_report_text_says_census_interval_decision_and_spot_checks() -> None:
    report = build_report(MANIFEST, [SPOTCHECK, {"kind": "manual_export"}])
    text = format_report(report, MANIFEST)
    assert "spam" in text and "whole source: exact rate  reject" in text
    assert "95% CI [3.88%, 5.19%]  accept (inconclusive: 6869 items would settle it)" in text
    assert "not collected: old - rejected before collection" in text
    assert "manual_import: 3900/4000 qualified (97.50%" in text and "against 96%: pass" in text
    assert [s["kind"] for s in report["spotchecks"]] == ["manual_import"]  # exports are not results


def test_report_html_escapes_and_lists_everything() -> None:
    manifest = {**MANIFEST, "run_id": "<run>"}
    page = format_html(build_report(manifest, [SPOTCHECK]), manifest)
    assert "&lt;run&gt;" in page and "<run>" not in page
    assert "Not collected" in page and "Spot checks" in page
    # the sources table: header, two sources, and the totals row
    sources = page.split("Sources: accepted and rejected", 1)[1].split("</table>", 1)[0]
    assert sources.count("<tr>") == 3 and sources.count("<tr class='total'>") == 1
    # self-contained: nothing fetched, nothing to run
    assert not re.search(r"<script|<link|<img|src=|url\((?!#)", page)
    assert page.count("<svg") == 2  # outcomes and gate; no languages, no mix plot

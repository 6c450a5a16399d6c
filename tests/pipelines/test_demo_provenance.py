"""The Provenance stage on the bundled demo: every kind passes and fails at least once, each
refusal is a reason in the manifest, and `audit` tells why (demo/PROVENANCE.md lists the cases)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest

from corpusgate.pipelines.cli import main
from corpusgate.source_registry.registry import Registry, validate

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "configs/demo.yaml"

# Each planted case, by source: (reason, count).
PROVENANCE_CASES = {
    "oss-snippets-hf": {"licence_not_allowed": 1, "licence_unknown": 1},
    "commercial-recipes-2024q2": {"commercial_evidence_missing": 4},
    "web-crawl-2024-04": {"robots_disallowed": 2, "no_crawl_record": 1, "optout_declared": 2},
    "user-feedback-2024-05": {"no_user_authorization": 2, "authorization_revoked": 1},
}
PROVENANCE_REASONS = {reason for cases in PROVENANCE_CASES.values() for reason in cases}
KINDS = ("open_source", "self_collected", "commercial", "user_input")


@pytest.fixture
def demo(demo_run: DemoRun) -> Path:
    return demo_run.output


def _manifest(output: Path) -> dict:
    return json.loads((output / "manifest.json").read_text())


def _rows(output: Path, kind: str) -> list[dict]:
    return [
        row
        for f in sorted((output / _manifest(output)["run_dir"] / kind).glob("*.parquet"))
        for row in pq.read_table(f).to_pylist()
    ]


def _decision(row: dict, check: str) -> str:
    """The detail of a record's decision by `check` (later stages add their own after it)."""
    decisions = row["checks"] if "checks" in row else row["lineage"]["decisions"]
    (detail,) = [d["detail"] for d in decisions if d["check"] == check]
    return detail


def _audit(capsys: pytest.CaptureFixture[str], output: Path, record_id: str) -> tuple[dict, str]:
    assert main(["audit", record_id, "--output", str(output), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert main(["audit", record_id, "--output", str(output)]) == 0
    return answer, capsys.readouterr().out


def test_every_provenance_reason_reaches_the_manifest(demo: Path) -> None:
    m = _manifest(demo)
    assert set(m["totals"]["quarantined_by_reason"]) >= PROVENANCE_REASONS
    for source_id, cases in PROVENANCE_CASES.items():
        assert cases.items() <= m["sources"][source_id]["quarantined_by_reason"].items(), source_id
    for source_id, counts in m["sources"].items():
        assert counts["read"] == counts["written"] + counts["quarantined"], source_id


def test_each_kind_keeps_some_records_and_refuses_some(demo: Path) -> None:
    m = _manifest(demo)
    kind_of = {sid: s["registry_entry"]["kind"] for sid, s in m["sources"].items()}
    written = {kind_of[r["source_id"]] for r in _rows(demo, "shards")}
    refused = {
        kind_of[r["source_id"]]
        for r in _rows(demo, "quarantine")
        if r["reason"] in PROVENANCE_REASONS
    }
    assert written >= set(KINDS) and refused >= set(KINDS)


def test_a_whole_commercial_source_is_refused_for_its_missing_review_record(demo: Path) -> None:
    rows = [r for r in _rows(demo, "quarantine") if r["source_id"] == "commercial-recipes-2024q2"]
    assert len(rows) == _manifest(demo)["sources"]["commercial-recipes-2024q2"]["read"] == 4
    assert {(r["check"], r["reason"], r["detail"]) for r in rows} == {
        (
            "commercial",
            "commercial_evidence_missing",
            "review_record ../evidence/commercial-recipes/review_record.md does not exist",
        )
    }
    # ... and `registry validate` says so before any run: the demo's only finding.
    (finding,) = validate(Registry.load(REPO / "demo/registry"))
    assert finding.source_id == "commercial-recipes-2024q2" and "review_record" in finding.field


def test_audit_of_a_licence_refused_record(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = next(r for r in _rows(demo, "quarantine") if r["reason"] == "licence_not_allowed")
    answer, text = _audit(capsys, demo, row["record_id"])
    assert answer["quarantine"]["check"] == "licence"
    assert answer["licence"]["expression"] == "CC-BY-NC-4.0"
    assert answer["licence"]["licence_class"] == "not_allowed"
    assert "licence      CC-BY-NC-4.0 [not_allowed" in text
    assert "QUARANTINED  by licence: licence_not_allowed - CC-BY-NC-4.0 (record licence)" in text


def test_audit_of_a_kept_open_source_record(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [r for r in _rows(demo, "shards") if r["source_id"] == "oss-snippets-hf"]
    sa = next(r for r in rows if r["lineage"]["licence"]["expression"] == "CC-BY-SA-4.0")
    answer, text = _audit(capsys, demo, sa["record_id"])
    assert answer["status"] == "written"
    assert answer["licence"]["licence_class"] == "allowed_with_obligations"
    assert answer["licence"]["obligations"] == ["attribution", "share_alike"]
    assert "obligations: attribution, share_alike" in text
    # A record without its own licence field falls back to the entry's CC-BY-4.0.
    fallback = {
        r["lineage"]["licence"]["expression"]
        for r in rows
        if "(entry licence)" in _decision(r, "licence")
    }
    assert fallback == {"CC-BY-4.0"}


@pytest.mark.parametrize(
    ("url", "reason", "signal"),
    [
        ("https://docs.example.org/guides/configuration", "optout_declared", "x-robots-tag:noai"),
        ("https://docs.example.org/guides/troubleshooting", "optout_declared", "meta-robots:noai"),
        (
            "https://commoncrawl.org/blog/march-april-2024-newsletter",
            "robots_disallowed",
            "Disallow: /blog/",
        ),
        ("https://prior.allenai.org/", "no_crawl_record", "prior.allenai.org"),
    ],
)
def test_refused_pages_name_their_signal(
    demo: Path, capsys: pytest.CaptureFixture[str], url: str, reason: str, signal: str
) -> None:
    row = next(r for r in _rows(demo, "quarantine") if r["lineage"]["url"] == url)
    answer, _ = _audit(capsys, demo, row["record_id"])
    assert answer["quarantine"]["reason"] == reason and signal in answer["quarantine"]["detail"]


def test_a_kept_page_cites_the_robots_snapshot_it_was_judged_by(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = next(
        r
        for r in _rows(demo, "shards")
        if r["lineage"]["url"] == "https://docs.example.org/guides/getting-started"
    )
    answer, _ = _audit(capsys, demo, row["record_id"])
    roles = {e["role"]: e for e in answer["evidence"]}
    snapshot = "../sources/web-crawl/robots/docs.example.org-2024-04-20.txt"
    assert roles["robots_snapshot"]["path"] == snapshot
    checks = [c["check"] for c in answer["checks"]]
    assert checks.index("robots") + 1 == checks.index("optout")
    assert _decision(answer, "optout") == "no opt-out signal in headers or HTML head"


@pytest.mark.parametrize(
    ("msg_id", "status", "reason", "row_id"),
    [
        ("m-001", "written", None, "../sources/user-feedback/authorizations.csv:2"),
        (
            "m-007",
            "quarantined",
            "authorization_revoked",
            "../sources/user-feedback/authorizations.csv:5",
        ),
        ("m-008", "quarantined", "no_user_authorization", None),  # u-1005 granted at 12:03
        ("m-009", "written", None, "../sources/user-feedback/authorizations.csv:6"),
        ("m-010", "quarantined", "no_user_authorization", None),  # u-1006 never granted
    ],
)
def test_user_input_cases(
    demo: Path,
    capsys: pytest.CaptureFixture[str],
    msg_id: str,
    status: str,
    reason: str | None,
    row_id: str | None,
) -> None:
    from corpusgate.transforms.spine.identity import record_id

    answer, _ = _audit(capsys, demo, record_id("user-feedback-2024-05", f"id={msg_id}"))
    assert answer["status"] == status
    assert (answer.get("quarantine") or {}).get("reason") == reason
    rows = [e["path"] for e in answer["evidence"] if e["role"] == "user_authorization"]
    assert rows == ([row_id] if row_id else [])


@pytest.mark.slow(5)
def test_a_run_refuses_a_source_whose_licence_text_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The registry validates the entry's sha256 when asked; the run must check it too, or the
    # published lineage cites a licence text nobody holds any more.
    demo_dir = tmp_path / "demo"
    shutil.copytree(REPO / "demo", demo_dir)
    licence = demo_dir / "licences/CC-BY-SA-3.0.md"
    licence.write_text(licence.read_text() + "\nAmended after the entry was written.\n")
    config = tmp_path / "run.yaml"
    config.write_text(
        f"registry: {demo_dir}/registry\nstore: sqlite:///{tmp_path}/store.sqlite\n"
        f"output: {tmp_path}/out\nprofile: local\nsources: [en-wikitext2]\n"
    )
    code = main(["run", "--config", str(config), "--json"])
    manifest = json.loads(capsys.readouterr().out)
    assert code == 0
    counts = manifest["sources"]["en-wikitext2"]
    assert counts["written"] == 0 and counts["read"] > 0
    assert counts["quarantined_by_reason"] == {"licence_evidence_changed": counts["read"]}
    rows = _rows(tmp_path / "out", "quarantine")
    assert {row["reason"] for row in rows} == {"licence_evidence_changed"}
    assert "licence_text ../licences/CC-BY-SA-3.0.md has sha256" in rows[0]["detail"]

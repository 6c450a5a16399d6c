"""The demo's personal information end to end: run, forget a subject, audit, forget again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest

from corpusgate.pipelines.cli import main

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "configs/demo.yaml"
SOURCE = "support-tickets-2024-06"


@pytest.fixture
def demo(demo_run: DemoRun, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the session's demo output and store: `forget` changes both."""
    copy = demo_run.copy(tmp_path)
    return copy.output, copy.store


def run_dir(out: Path) -> Path:
    return out / json.loads((out / "manifest.json").read_text())["run_dir"]


def rows(out: Path, kind: str) -> list[dict]:
    return [
        r
        for f in sorted((run_dir(out) / kind).glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
        if r["source_id"] == SOURCE
    ]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_keeps_redacts_and_drops(demo: tuple[Path, str]) -> None:
    out, _ = demo
    kept, held = rows(out, "shards"), rows(out, "quarantine")
    outcomes = {
        r["lineage"]["origin"]["position"]: next(
            d["outcome"] for d in r["lineage"]["decisions"] if d["check"] == "pii"
        )
        for r in kept
    }
    assert outcomes == {
        1: "pass",
        2: "pass",
        3: "redact",
        4: "redact",
        5: "pass",
        7: "redact",
        8: "redact",
        9: "pass",
        10: "pass",
        11: "pass",
    }
    assert [(r["lineage"]["origin"]["position"], r["reason"]) for r in held] == [
        (6, "sensitive_pii_no_separate_consent")
    ]
    everything = json.dumps([r["text"] for r in kept + held], ensure_ascii=False)
    for gone in (
        "18611112222",
        "li.na.demo@example.cn",
        "310104198805160029",
        "carol.example@example.net",
        "15000002222",
        "bob.example@example.org",
    ):
        assert gone not in everything
    assert "110101199003071233" in everything  # separate consent held
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sources"][SOURCE]["quarantined_by_reason"] == {
        "sensitive_pii_no_separate_consent": 1
    }
    import pyarrow.parquet as pq

    assert manifest["pair_indexes"]["pii_subjects"]["digits"] == 1  # the demo: 16 buckets
    assert "pii_subjects" not in manifest["checks"]  # per-record pairs stay out of the manifest
    subject_files = sorted((run_dir(out) / "index/pii_subjects").glob("*.parquet"))
    assert sum(pq.read_table(f).num_rows for f in subject_files) == 5
    assert manifest["files"]["by_kind"]["index/pii_subjects"]["rows"] == 5


def test_forget_withdraws_a_subject_and_audit_explains(
    demo: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out, store = demo
    monkeypatch.setenv("CORPUSGATE_STORE_URL", store)
    monkeypatch.delenv("CORPUSGATE_CONSENT_KEY", raising=False)
    before = json.loads((out / "manifest.json").read_text())
    code, text, err = cli(
        capsys,
        "forget",
        "Alice.Example@example.com",
        "--config",
        str(DEMO_CONFIG),
        "--output",
        str(out),
        "--request-id",
        "DSR-1",
        "--json",
    )
    assert code == 0, err
    result = json.loads(text)
    assert len(result["withdrawn"]) == 2 and result["request_id"] == "DSR-1"
    texts = json.dumps([r["text"] for r in rows(out, "shards")])
    assert "alice.example@example.com" not in texts
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["sources"][SOURCE]
    assert (entry["written"], entry["withdrawn"]) == (before["sources"][SOURCE]["written"] - 2, 2)
    assert manifest["balanced"] and manifest["totals"]["withdrawn"] == 2
    listed = pq.read_table(run_dir(out) / manifest["files"]["table"]).to_pylist()
    assert {f["path"] for f in listed if f["kind"] == "shards"} == {
        f"shards/{p.name}" for p in (run_dir(out) / "shards").glob("*.parquet")
    }
    assert (
        "read = written + quarantined + withdrawn"
        in (run_dir(out) / "reports/sources.txt").read_text()
    )

    gone = result["withdrawn"][0]["record_id"]
    code, text, _ = cli(capsys, "audit", gone, "--output", str(out), "--json")
    answer = json.loads(text)
    assert code == 0 and answer["status"] == "withdrawn"
    assert answer["withdrawal"]["request_id"] == "DSR-1"
    assert answer["withdrawal"]["reason"] == "consent_withdrawn"
    assert answer["consent"][0]["ref"] == "demo consent form CF-2024-0102"
    code, text, _ = cli(capsys, "audit", gone, "--output", str(out))
    assert "WITHDRAWN    at " in text and "DSR-1" in text
    # Every record still published audits to the row it is in.
    for r in rows(out, "shards"):
        code, text, _ = cli(capsys, "audit", r["record_id"], "--output", str(out), "--json")
        where = json.loads(text)["location"]
        assert (
            pq.read_table(run_dir(out) / where["file"]).to_pylist()[where["row"]]["record_id"]
            == r["record_id"]
        )

    # Again: nothing changes, nothing is appended to the store's history.
    snapshot = (out / "manifest.json").read_text()
    code, text, _ = cli(
        capsys,
        "forget",
        "alice.example@example.com",
        "--config",
        str(DEMO_CONFIG),
        "--output",
        str(out),
        "--json",
    )
    assert code == 0 and json.loads(text)["withdrawn"] == []
    assert len(json.loads(text)["already_withdrawn"]) == 2
    assert (out / "manifest.json").read_text() == snapshot
    from corpusgate.source_registry.consent import ConsentStore

    history = ConsentStore(store).withdrawal_history()
    assert [(h["request_id"], h["records"]) for h in history] == [("DSR-1", 2)]
    assert os.environ["CORPUSGATE_STORE_URL"] == store

"""End to end through the command line: run the demo, audit records, fail safely."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest

from corpusgate.pipelines.cli import main

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "configs/demo.yaml"
DEMO_REASONS = {
    "csv_column_count": 1,
    "empty_text": 1,
    "invalid_json": 1,
    "invalid_utf8": 1,
    "missing_text": 1,
}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def manifest(output: Path) -> dict:
    return json.loads((output / "manifest.json").read_text())


def shard_rows(output: Path, kind: str = "shards") -> list[dict]:
    run_dir = output / manifest(output)["run_dir"]
    return [
        row
        for f in sorted((run_dir / kind).glob("*.parquet"))
        for row in pq.read_table(f).to_pylist()
    ]


@pytest.fixture
def demo_output(demo_run: DemoRun) -> Path:
    return demo_run.output


def test_demo_run_balances_per_source_with_every_fault_quarantined(demo_output: Path) -> None:
    m = manifest(demo_output)
    assert m["balanced"]
    assert {
        "commercial-news-2024q2",
        "en-wikitext2",
        "user-feedback-2024-05",
        "web-crawl-2024-04",
        "zh-wiki-cmrc2018",
    } <= set(m["sources"])
    for entry in m["sources"].values():
        assert entry["read"] == entry["written"] + entry["quarantined"] > 0
    # The read faults planted in the demo (demo/PROVENANCE.md); checks add reasons of their own.
    assert DEMO_REASONS.items() <= m["totals"]["quarantined_by_reason"].items()
    run_dir = demo_output / m["run_dir"]
    listed = pq.read_table(run_dir / m["files"]["table"]).to_pylist()
    assert {f["path"] for f in listed if f["kind"] == "shards"} == {
        f"shards/{p.name}" for p in (run_dir / "shards").glob("*")
    }
    assert m["files"]["by_kind"]["shards"]["rows"] == m["totals"]["written"]
    assert (run_dir / "reports/sources.txt").read_text().startswith("source")
    assert not (run_dir / "_tmp").exists()
    assert (run_dir / "manifest.json").read_text() != ""
    row = shard_rows(demo_output)[0]
    assert set(row) == {"record_id", "source_id", "text", "lineage"}
    assert row["lineage"]["run_id"] == m["run_id"] and row["lineage"]["decisions"]


def test_audit_of_a_written_record(demo_output: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = next(r for r in shard_rows(demo_output) if r["source_id"] == "web-crawl-2024-04")
    code, out, _ = run_cli(
        capsys, "audit", target["record_id"], "--output", str(demo_output), "--json"
    )
    answer = json.loads(out)
    assert code == 0 and answer["status"] == "written"
    assert answer["registry_entry"]["kind"] == "self_collected"
    assert answer["origin"]["kind"] == "warc_offset" and answer["url"].startswith("https://")
    assert answer["collected_at"].startswith("2024-04-25")
    assert answer["evidence"][0]["role"] == "crawl_record"
    run_dir = demo_output / manifest(demo_output)["run_dir"]
    located = pq.read_table(run_dir / answer["location"]["file"]).to_pylist()[
        answer["location"]["row"]
    ]
    assert located["record_id"] == target["record_id"]
    code, text, _ = run_cli(capsys, "audit", target["record_id"], "--output", str(demo_output))
    assert code == 0 and "WRITTEN" in text and "warc offset" in text


def test_audit_of_a_quarantined_record(
    demo_output: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = next(r for r in shard_rows(demo_output, "quarantine") if r["reason"] == "invalid_utf8")
    code, out, _ = run_cli(
        capsys, "audit", bad["record_id"], "--output", str(demo_output), "--json"
    )
    answer = json.loads(out)
    assert code == 0 and answer["status"] == "quarantined"
    assert (
        answer["quarantine"]["reason"] == "invalid_utf8" and answer["quarantine"]["raw_bytes"] > 0
    )
    assert answer["origin"] == {
        "uri": "../sources/user-feedback/chat_export_2024-05.jsonl",
        "kind": "line",
        "position": 7,
    }


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("0" * 32, "is not in the output of run"),
        ("not-an-id", "is not a record id"),
    ],
)
def test_audit_of_an_unknown_id_exits_1(
    demo_output: Path, capsys: pytest.CaptureFixture[str], record: str, message: str
) -> None:
    code, out, err = run_cli(capsys, "audit", record, "--output", str(demo_output))
    assert code == 1 and out == "" and message in err


@pytest.mark.slow(5)
def test_a_broken_input_is_quarantined_and_the_run_still_publishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 9: a file no reader can read ends that file's reading with one `reader_error` row;
    # it no longer fails the run (which used to take every other source down with it).
    output = tmp_path / "out"
    (tmp_path / "reg").mkdir()
    (tmp_path / "not-a-dataset").mkdir()
    (tmp_path / "not-a-dataset/junk.txt").write_text("x")
    (tmp_path / "reg/broken.yaml").write_text(
        "source_id: broken\nkind: open_source\nlanguages: [en]\norigin: foreign\n"
        "location: {paths: [../not-a-dataset], format: hf}\nlicence: MIT\n"
    )
    config = tmp_path / "run.yaml"
    config.write_text(f"registry: reg\nstore: sqlite:///{tmp_path}/s.sqlite\noutput: {output}\n")
    code, _, err = run_cli(capsys, "run", "--config", str(config))
    assert code == 0, err
    counts = manifest(output)["sources"]["broken"]
    assert (counts["read"], counts["written"], counts["quarantined"]) == (1, 0, 1)
    assert counts["quarantined_by_reason"] == {"reader_error": 1}
    assert not (output / manifest(output)["run_dir"] / "_tmp").exists()


def test_a_missing_input_is_a_clear_error_before_any_pipeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg/a.yaml").write_text(
        "source_id: a\nkind: open_source\nlanguages: [en]\norigin: foreign\n"
        "location: {paths: [gone.jsonl]}\nlicence: MIT\n"
    )
    config = tmp_path / "run.yaml"
    config.write_text(f"registry: reg\nstore: sqlite:///{tmp_path}/s.sqlite\noutput: out\n")
    code, _, err = run_cli(capsys, "run", "--config", str(config))
    assert code == 2
    assert "a.yaml: field 'location.paths': 'gone.jsonl' matches no file" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["run", "audit", "registry", "report"])
def test_help_teaches_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "example" in out


def test_registry_commands(capsys: pytest.CaptureFixture[str]) -> None:
    registry = str(REPO / "demo/registry")
    code, out, _ = run_cli(capsys, "registry", "validate", "--registry", registry, "--json")
    assert code in (0, 1) and json.loads(out)["sources"] >= 5
    code, out, _ = run_cli(capsys, "registry", "list", "--registry", registry, "--json")
    assert code == 0 and len(json.loads(out)["sources"]) >= 5
    code, out, _ = run_cli(
        capsys, "registry", "show", "web-crawl-2024-04", "--registry", registry, "--json"
    )
    assert code == 0 and json.loads(out)["user_agent"] == "corpusgate-demo-bot"
    code, _, err = run_cli(capsys, "registry", "show", "nope", "--registry", registry)
    assert code == 1 and "no source 'nope'" in err


def test_report_rebuilds_from_the_manifest(
    demo_run: DemoRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = demo_run.copy(tmp_path).output
    run_dir = output / manifest(output)["run_dir"]
    (run_dir / "reports/sources.txt").unlink()
    code, out, _ = run_cli(capsys, "report", "--output", str(output), "--json")
    assert code == 0 and json.loads(out)["totals"]["read"] == manifest(output)["totals"]["read"]
    assert (run_dir / "reports/sources.txt").exists()


@pytest.mark.slow(6)
def test_a_source_rejected_before_collection_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from corpusgate.source_registry.store import Assessment, Store

    store_url = f"sqlite:///{tmp_path}/s.sqlite"
    Store(store_url).add_assessment(
        Assessment(
            source_id="zh-wiki-cmrc2018",
            stage="assessment",
            sample_size=100,
            flagged=9,
            rate=0.09,
            decision="reject",
            seed="s",
        )
    )
    config = tmp_path / "run.yaml"
    config.write_text(
        f"registry: {REPO}/demo/registry\nstore: {store_url}\noutput: {tmp_path}/out\n"
        "sources: [zh-wiki-cmrc2018, en-wikitext2]\n"
    )
    code, out, _ = run_cli(capsys, "run", "--config", str(config))
    assert code == 0
    m = manifest(tmp_path / "out")
    assert (
        m["sources"]["zh-wiki-cmrc2018"]["read"] == 0 and m["sources"]["en-wikitext2"]["read"] == 45
    )
    assert "rejected before collection" in m["not_collected"]["zh-wiki-cmrc2018"]["reason"]
    assert "not collected: zh-wiki-cmrc2018" in out


@pytest.mark.parametrize(("args", "code"), [(["registry", "list"], 0), (["nosuch"], 2)])
def test_the_console_command_exits_with_the_commands_code_and_flushes_its_output(
    args: list[str], code: int
) -> None:
    """`entry` leaves by os._exit (Arrow's pools may abort in C++ static destructors): the exit
    code is the command's and what it printed is all there."""
    script = (
        "import sys; from corpusgate.pipelines.cli import entry; "
        f"sys.argv = ['corpusgate', *{args!r}]; entry()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == code
    if code == 0:
        assert "zh-wiki-mirror-2024-06" in done.stdout  # the last source listed
    else:
        assert "invalid choice: 'nosuch'" in done.stderr

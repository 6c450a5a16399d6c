"""`corpusgate run` refuses what would otherwise be a different run or a late failure: typos in
the run config, options nobody knows, outputs it cannot write, Dataflow options that cannot
work; and a Dataflow dry run translates the demo offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusgate.pipelines.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO = (REPO / "configs/demo.yaml").read_text()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(text.replace("../", f"{REPO}/"))
    return str(path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("pii:", "ppi:"), "unknown key 'ppi' (line 18); did you mean 'pii'?"),
        (("shards:", "sahrds:"), "unknown key 'sahrds' (line 8); did you mean 'shards'?"),
        (("  row_group_rows: 5000", "  row_group_rows: many"), "key 'shards.row_group_rows'"),
        (("  target_mb: 128", "  target_mb: 128\n  target_mb: 64"), "duplicate key 'target_mb'"),
        (("  class_actions:", "  class_action:"), "did you mean 'class_actions'?"),
        (("  buckets: 16", "  buckets: 100"), "must be 16, 256, 4096 or 65536"),
    ],
)
def test_a_config_typo_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], expected: str
) -> None:
    assert change[0] in DEMO
    code, out, err = run(capsys, "--config", config(tmp_path, DEMO.replace(*change, 1)))
    assert code == 2 and out == "" and expected in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--ouput", "x"], "--ouput (did you mean --output?)"),
        (["--direct_num_wokers=2"], "did you mean --direct_num_workers?"),
        (["--output", "/etc/hostname"], "is a file, not a folder"),
        (["--output", "/proc/corpusgate-out"], "cannot be written"),
    ],
)
def test_bad_options_and_outputs_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    code, _, err = run(capsys, "--config", config(tmp_path, DEMO), *args)
    assert code == 2 and expected in err
    assert not (tmp_path / "out").exists()


DATAFLOW = ["--runner", "DataflowRunner", "--project", "my-project-123", "--region", "europe-west4"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--temp_location", "gs://ok-bucket/tmp", "--project", "P"], "--project 'P' is not"),
        (["--temp_location", "gs://x/tmp"], "--temp_location 'gs://x/tmp' is not gs://BUCKET"),
        ([], "--temp_location is required"),
        (
            ["--temp_location", "gs://ok-bucket/tmp", "--output", "/tmp/x"],
            "workers cannot write to",
        ),
    ],
)
def test_bad_dataflow_options_exit_2_without_a_network_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    output = [] if "--output" in args else ["--output", "gs://ok-bucket/out"]
    code, _, err = run(capsys, "--config", config(tmp_path, DEMO), *DATAFLOW, *output, *args)
    assert code == 2 and expected in err and "Traceback" not in err


@pytest.mark.slow(14)
def test_a_dataflow_dry_run_translates_the_demo_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("google.cloud.storage", reason="the dataflow extra is not installed")
    monkeypatch.setenv("CORPUSGATE_STORE_URL", f"sqlite:///{tmp_path}/s.sqlite")
    # Offline means offline: the workers' wheel is built without asking a package index.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    # The dataflow profile, as a user runs it: large JSON Lines files read in ranges.
    code, out, err = run(
        capsys,
        "--config",
        config(tmp_path, DEMO.replace("profile: local", "profile: dataflow")),
        *DATAFLOW,
        "--temp_location=gs://corpusgate-test/tmp",
        "--output",
        "gs://corpusgate-test/out",
        "--dry_run=True",
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["dry_run"] and summary["runner"] == "DataflowRunner"
    assert {"PlanReads", "ReadSource", "GateRead", "Harm", "Finalize", "BuildIndex"} <= set(
        summary["steps"]
    )
    assert any(
        name.startswith("corpusgate-") and name.endswith(".whl") for name in summary["staged"]
    )
    assert "workers cannot read" in err  # the demo's inputs are local files: said, not hidden


@pytest.mark.parametrize(
    ("args", "files", "split", "warned"),
    [
        (["--direct_running_mode=multi_processing", "--direct_num_workers=4"], 1, 0, "3 will"),
        (["--direct_running_mode=multi_threading", "--direct_num_workers=2"], 1, 0, "1 will"),
        (["--direct_running_mode=multi_processing", "--direct_num_workers=2"], 2, 0, None),
        (["--direct_running_mode=multi_processing", "--direct_num_workers=4"], 1, 1 << 20, None),
        (["--direct_running_mode=in_memory", "--direct_num_workers=4"], 1, 0, None),
    ],
)
def test_fewer_files_than_local_workers_is_said(
    args: list[str], files: int, split: int, warned: str | None
) -> None:
    from apache_beam.options.pipeline_options import PipelineOptions

    from corpusgate.pipelines.runner import idle_workers_warning

    said = idle_workers_warning(PipelineOptions(args), files, split)
    assert said == warned if warned is None else warned in said and "split_jsonl_mb" in said


@pytest.mark.slow(6)
def test_a_run_on_two_workers_with_one_file_says_one_waits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORPUSGATE_STORE_URL", f"sqlite:///{tmp_path}/s.sqlite")
    (tmp_path / "reg").mkdir()
    (tmp_path / "one.jsonl").write_text('{"text": "one record"}\n')
    (tmp_path / "reg/one.yaml").write_text(
        "source_id: one\nkind: open_source\nlanguages: [en]\norigin: foreign\n"
        "location: {paths: [../one.jsonl]}\nlicence: MIT\n"
    )
    (tmp_path / "run.yaml").write_text(
        "registry: reg\noutput: out\nprofile: local\n"
        "provenance: {enabled: false}\nharm: {enabled: false}\npii: {enabled: false}\n"
    )
    code, _, err = run(
        capsys,
        "--config",
        str(tmp_path / "run.yaml"),
        "--direct_running_mode=multi_threading",
        "--direct_num_workers=2",
        "--json",
    )
    assert code == 0, err
    assert "2 workers but 1 input file(s): a file is read by one worker, so 1 will wait" in err

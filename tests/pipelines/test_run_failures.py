"""A run that cannot finish publishes nothing, leaves nothing behind, and says why in one
message: losing the store mid-run, a pipeline that fails on a worker."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corpusgate.pipelines.config import load_config
from corpusgate.pipelines.curate import RunError, run_curation

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, store: str, output: Path, extra: str = "") -> Path:
    text = (REPO / "configs/demo.yaml").read_text().replace("../", f"{REPO}/")
    text = text.replace("store: sqlite:///" + f"{REPO}/out/corpusgate.sqlite", f"store: {store}")
    path = tmp_path / "run.yaml"
    path.write_text(text.replace(f"output: {REPO}/out/demo", f"output: {output}") + extra)
    return path


@pytest.mark.slow(8)
def test_losing_the_store_mid_run_publishes_nothing_and_names_the_cause(
    demo_run: DemoRun,
    private_postgres: tuple[str, Callable[[], None]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, stop = private_postgres
    monkeypatch.delenv("CORPUSGATE_STORE_URL", raising=False)
    output = demo_run.copy(tmp_path).output
    before = (output / "manifest.json").read_bytes()
    runs_before = sorted(p.name for p in (output / "runs").iterdir())
    config = load_config(_config(tmp_path, url, output))

    def stop_the_store_once_started(message: str) -> None:
        if message.startswith("run "):  # said after "started" is in the store, before Beam runs
            stop()

    with pytest.raises(Exception) as failed:
        run_curation(config, progress=stop_the_store_once_started)
    # The store's own error, not a failure to record `failed` hiding it.
    assert "OperationalError" in type(failed.value).__name__ or "connection" in str(failed.value)
    assert (output / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in (output / "runs").iterdir()) == runs_before


@pytest.mark.slow(5)
def test_a_pipeline_that_fails_publishes_nothing_and_keeps_the_previous_output(
    demo_run: DemoRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORPUSGATE_STORE_URL", f"sqlite:///{tmp_path}/s.sqlite")
    output = demo_run.copy(tmp_path).output
    before = (output / "manifest.json").read_bytes()
    runs_before = sorted(p.name for p in (output / "runs").iterdir())
    config = load_config(_config(tmp_path, f"sqlite:///{tmp_path}/s.sqlite", output))

    def break_the_run_folder(message: str) -> None:
        # Once the launcher is done, the run's folder becomes a file: every worker's write
        # into it fails, as a full disk or a revoked bucket permission would make it fail.
        if message.startswith("run "):
            (new,) = set(p.name for p in (output / "runs").iterdir()) - set(runs_before)
            shutil.rmtree(output / "runs" / new)
            (output / "runs" / new).write_text("not a folder")

    with pytest.raises(RunError, match="the pipeline failed, nothing was published"):
        run_curation(config, progress=break_the_run_folder)
    assert (output / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in (output / "runs").iterdir()) == runs_before

"""The walkthroughs in notebooks/ are executed, so they never rot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest
from nbclient import NotebookClient

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow(3)
@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")))
def test_notebook_runs(
    name: str, demo_run: DemoRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORPUSGATE_REPO", str(REPO))
    monkeypatch.setenv("CORPUSGATE_DEMO_OUTPUT", str(demo_run.output))
    monkeypatch.setenv("CORPUSGATE_STORE_URL", demo_run.store)
    monkeypatch.chdir(tmp_path)
    notebook = nbformat.read(REPO / "notebooks" / name, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO / "notebooks")}},
    ).execute()
    outputs = [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    ]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any(o.get("output_type") == "stream" for o in outputs)

"""The demo's report rendered in headless Chromium: plots drawn, no sideways overflow at a
normal or a narrow width, and the numbers on the page are the manifest's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.output.published import open_output

if TYPE_CHECKING:
    from conftest import DemoRun, Once

REPO = Path(__file__).resolve().parents[2]


def _screenshot_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "report_screenshot", REPO / "benchmarks" / "report_screenshot.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def rendered(demo_run: DemoRun, once: Once) -> dict[str, Any]:
    shot = _screenshot_module()
    if shot.find_chromium() is None:
        pytest.skip("no Chromium on PATH (scripts/setup installs the Debian package as root)")

    def render(folder: Path) -> dict[str, Any]:
        run = demo_run.copy(folder)
        main(["evidence", "--output", str(run.output), "--store", run.store])
        published = open_output(str(run.output))
        page = Path(published.path("reports/sources.html"))
        return {
            "wide": shot.render(page, folder / "report.png", 1280),
            "narrow": shot.render(page, None, 760),
            "png": str(folder / "report.png"),
            "manifest": run.manifest(),
            "report": json.loads(Path(published.path("reports/sources.json")).read_text()),
        }

    # One render for the session, whichever worker runs these tests (two pages in Chromium).
    return once("rendered-report", render)


def test_plots_are_drawn_at_a_readable_size(rendered: dict[str, Any]) -> None:
    plots = {p["name"]: p for p in rendered["wide"]["plots"]}
    assert set(plots) == {"outcomes", "gate", "mix"}
    assert all(p["width"] > 400 and p["height"] > 150 for p in plots.values())
    assert any("5% line" in t for t in plots["gate"]["texts"])
    assert Path(rendered["png"]).stat().st_size > 50_000


@pytest.mark.parametrize("width", ["wide", "narrow"])
def test_no_horizontal_overflow(rendered: dict[str, Any], width: str) -> None:
    shown = rendered[width]
    assert shown["scrollWidth"] <= shown["clientWidth"]
    assert shown["overflowing"] == []


def test_numbers_shown_are_the_manifests(rendered: dict[str, Any]) -> None:
    totals = rendered["manifest"]["totals"]
    sources_total = rendered["wide"]["totals"][0]
    assert sources_total[:6] == [
        "TOTAL",
        "",
        "",
        f"{totals['read']:,}",
        f"{totals['written']:,}",
        f"{totals['quarantined']:,}",
    ]
    diversity = rendered["report"]["diversity"]
    mix_total = rendered["wide"]["totals"][1]
    assert mix_total[3] == f"{diversity['records']:,}" == f"{totals['written']:,}"
    gate_texts = next(p for p in rendered["wide"]["plots"] if p["name"] == "gate")["texts"]
    (spam,) = [r for r in rendered["report"]["gate"] if r["source_id"] == "forum-spam-2024-06"]
    shown = f"({spam['flagged']}/{spam['sample_size']}) reject"
    assert spam["decision"] == "reject" and any(shown in t for t in gate_texts)


def test_the_page_shows_the_diversity_judgment_and_the_evidence_summary(
    rendered: dict[str, Any],
) -> None:
    headings = rendered["wide"]["headings"]
    assert any(h.startswith("Language and origin mix") and "compliant" in h for h in headings)
    assert any(h.startswith("Evidence pack (B.2.1)") for h in headings)
    assert "pending" in rendered["wide"]["badges"]  # manual spot check awaits reviewers

"""The demo with its JSON Lines files cut into ~1 KiB ranges (`split_jsonl_mb` in the profile)
publishes what the demo read whole publishes: the same counts and reasons per source, and the
same record ids, each with the same text in the same file kind or the same reason, read from
the same file and line (a record's id or origin comes from its line number, which every range
must get right)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.spine.readers import jsonl

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow(12)
def test_the_demo_read_in_ranges_publishes_what_it_publishes_read_whole(
    demo_run: DemoRun,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORPUSGATE_STORE_URL", f"sqlite:///{tmp_path}/store.sqlite")
    spans: list[tuple[str, int, int, int]] = []  # the ranges read (the local runner is in-process)
    read_span = jsonl._read_span

    def recorded(path, uri, progress, start, stop, lines_before):  # type: ignore[no-untyped-def]
        spans.append((uri, start, stop, lines_before))
        return read_span(path, uri, progress, start, stop, lines_before)

    monkeypatch.setattr(jsonl, "_read_span", recorded)
    profile = tmp_path / "split.yaml"
    profile.write_text(
        "runner: FnApiRunner\nbeam_options: {direct_running_mode: in_memory}\n"
        "split_jsonl_mb: 0.001\n"  # ~1 KiB: the demo's 58 KB wiki file is read in 57 ranges
    )
    demo = (REPO / "configs/demo.yaml").read_text()
    config = tmp_path / "demo.yaml"
    config.write_text(
        demo.replace("../", f"{REPO}/").replace("profile: local", f"profile: {profile}")
    )
    output = tmp_path / "out"
    code = main(["run", "--config", str(config), "--output", str(output), "--json"])
    _, err = capsys.readouterr()
    assert code == 0, err
    wiki = sorted({s for s in spans if s[0].endswith("cmrc2018_trial_slice.jsonl")})
    assert len(wiki) == 57 and wiki[-1][3] > 0  # each range read by every pass (three)
    assert {uri.rsplit("/", 1)[-1] for uri, *_ in spans} == {
        "cmrc2018_trial_slice.jsonl",
        "pages_2024-06.jsonl",
        "posts_2024-06.jsonl",
        "tickets_2024-06.jsonl",
        "chat_export_2024-05.jsonl",
    }
    demo_run.assert_published_alike(output)

"""Dedup on the bundled demo (demo/PROVENANCE.md "Duplicates"): a mirror's copies of the
encyclopedia are removed in favour of the encyclopedia's, the web crawl's twice-fetched pages
are kept once, `audit` names the kept copy, the report says which source lost what to which,
and a run against the published demo (`dedup.against`) removes what was already published."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.output.filelist import read_file_list

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]
MIRROR, WIKI, CRAWL = "zh-wiki-mirror-2024-06", "zh-wiki-cmrc2018", "web-crawl-2024-04"


def test_the_mirror_loses_its_copies_to_the_encyclopedia(demo_run: DemoRun) -> None:
    manifest = demo_run.manifest()
    mirror = manifest["sources"][MIRROR]
    assert mirror["quarantined_by_reason"] == {"exact_duplicate": 2, "near_duplicate": 2}
    assert mirror["written"] == 2 and mirror["balanced"]
    assert manifest["sources"][CRAWL]["quarantined_by_reason"]["exact_duplicate"] == 2
    assert manifest["dedup"]["lost_to"] == {MIRROR: {WIKI: 4}, CRAWL: {CRAWL: 2}}
    assert manifest["sources"][WIKI]["written"] == manifest["sources"][WIKI]["read"] == 40


def test_every_clustered_record_carries_its_cluster(demo_run: DemoRun) -> None:
    removed = [r for r in demo_run.rows("quarantine") if r["check"] == "dedup"]
    assert len(removed) == 6
    keepers = {r["lineage"]["dedup_cluster"] for r in removed}
    written = {r["record_id"]: r for r in demo_run.rows("shards")}
    assert keepers <= set(written)  # every keeper was written
    for row in written.values():
        cluster = row["lineage"]["dedup_cluster"]
        assert cluster == (row["record_id"] if row["record_id"] in keepers else None)
    for keeper in keepers:
        (step,) = [d for d in written[keeper]["lineage"]["decisions"] if d["check"] == "dedup"]
        assert step["outcome"] == "pass" and step["detail"].startswith("kept; absorbed ")


def _audit(capsys: pytest.CaptureFixture[str], output: Path, record_id: str) -> tuple[dict, str]:
    assert main(["audit", record_id, "--output", str(output), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert main(["audit", record_id, "--output", str(output)]) == 0
    return answer, capsys.readouterr().out


def test_audit_names_the_kept_copy_and_what_it_absorbed(
    demo_run: DemoRun, capsys: pytest.CaptureFixture[str]
) -> None:
    near = [
        r
        for r in demo_run.rows("quarantine", MIRROR)
        if r["reason"] == "near_duplicate" and "repost" not in r["text"]
    ]
    # mirror-004: a passage in traditional characters, a near copy of the simplified one.
    (row,) = [r for r in near if r["lineage"]["origin"]["position"] == 4]
    answer, text = _audit(capsys, demo_run.output, row["record_id"])
    keeper = answer["dedup"]["keeper"]
    assert answer["status"] == "quarantined" and answer["quarantine"]["reason"] == "near_duplicate"
    assert keeper["source_id"] == WIKI and keeper["file"].startswith("shards/")
    assert f"keeper {keeper['record_id']} ({WIKI}, this run); minhash similarity" in text
    assert f"kept copy    {keeper['record_id']}, written at {keeper['file']}" in text
    kept, kept_text = _audit(capsys, demo_run.output, keeper["record_id"])
    assert kept["dedup"]["role"] == "keeper" and kept["status"] == "written"
    assert f"duplicates   kept; absorbed 1 ({MIRROR}: 1)" in kept_text
    # The kept copy is where audit said.
    table = pq.read_table(demo_run.run_dir / keeper["file"]).to_pylist()
    assert table[keeper["row"]]["record_id"] == keeper["record_id"]


def test_signatures_of_the_kept_records_are_published(demo_run: DemoRun) -> None:
    manifest = demo_run.manifest()
    listed = read_file_list(str(demo_run.run_dir / "files.parquet"), "signatures")
    assert listed and all(f.path.startswith("signatures/") for f in listed)
    assert sum(f.rows for f in listed) == manifest["totals"]["written"]
    ids = {
        rid
        for f in listed
        for rid in pq.read_table(demo_run.run_dir / f.path).column("record_id").to_pylist()
    }
    assert ids == {r["record_id"] for r in demo_run.rows("shards")}
    report = (demo_run.run_dir / "reports/sources.txt").read_text()
    assert f"{MIRROR:<28} exact     2  near     2  kept in: {WIKI} 4" in report


@pytest.mark.slow(9)
def test_a_run_against_the_published_demo_removes_what_it_published(
    demo_run: DemoRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (REPO / "configs/demo.yaml").read_text().replace("../", f"{REPO}/")
    config = config.replace(
        "  keeper_sources: [zh-wiki-cmrc2018, en-wikitext2]\n",
        f"  keeper_sources: [zh-wiki-cmrc2018, en-wikitext2]\n  against: [{demo_run.output}]\n",
    )
    config = config.replace("store: sqlite:///", f"store: sqlite:///{tmp_path}/unused-")
    path = tmp_path / "again.yaml"
    path.write_text(config)
    code = main(["run", "--config", str(path), "--output", str(tmp_path / "out"), "--json"])
    again = json.loads(capsys.readouterr().out)
    assert code == 0 and again["balanced"]
    before = demo_run.manifest()
    assert again["totals"]["written"] == 0
    removed = sum(
        n
        for reason, n in again["totals"]["quarantined_by_reason"].items()
        if reason in ("exact_duplicate", "near_duplicate")
    )
    assert removed == before["totals"]["written"] + 6  # all it published, and its duplicates
    files = before["files"]["by_kind"]["signatures"]["files"]
    assert again["dedup"]["against"] == {
        "outputs": [str(demo_run.output)],
        "signature_files": files,
    }

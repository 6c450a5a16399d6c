"""Issue 9's "done when", as a run: the generated malformed corpus (every reader fault case in
JSONL, CSV, Parquet, WARC and ARC, each folder mixing good files and bad ones) registered as five
sources, plus a native id repeated across files and a folder symlinked into itself, run end to
end. The run publishes, the manifest balances, every expected reason is in each source's
quarantine, and every good record comes through."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from malformed_inputs import write_malformed_corpus

from corpusgate.pipelines.cli import main

FOLDERS = {  # folder -> (glob, native id field or None)
    "jsonl": ("**/*.jsonl*", "id"),
    "csv": ("*.csv*", "id"),
    "parquet": ("*.parquet", "id"),
    "warc": ("*.warc*", "warc_record_id"),
    "arc": ("*.arc*", None),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]], dict]:
    root = tmp_path_factory.mktemp("malformed-run")
    data = root / "data"
    expected = write_malformed_corpus(data, big_record_bytes=(1 << 20) + 4096)
    # A folder linked into itself: a `**` glob must read each file once, not once per loop.
    (data / "jsonl" / "loop").symlink_to(data / "jsonl", target_is_directory=True)
    # One native id twice, in two files: the copy read first (good.jsonl) is the record.
    (data / "jsonl" / "repeat.jsonl").write_text(
        json.dumps({"id": "jg-0", "text": "a later record reusing the id jg-0"}) + "\n"
    )
    expected["jsonl/repeat.jsonl"] = {"duplicate_record_id"}
    reg = root / "reg"
    reg.mkdir()
    for folder, (pattern, id_field) in FOLDERS.items():
        fields = "{text: text" + (f", id: {id_field}" if id_field else "") + "}"
        fmt = ", format: warc" if folder == "arc" else ""
        (reg / f"{folder}.yaml").write_text(
            f"source_id: malformed-{folder}\nkind: open_source\nlanguages: [en]\n"
            f"origin: foreign\nlocation: {{paths: ['../data/{folder}/{pattern}']{fmt}}}\n"
            f"fields: {fields}\nlicence: MIT\n"
        )
    config = root / "run.yaml"
    output = root / "out"
    config.write_text(f"registry: reg\nstore: sqlite:///{root}/s.sqlite\noutput: {output}\n")
    code = main(["run", "--config", str(config), "--json"])
    assert code == 0
    manifest = json.loads((output / "manifest.json").read_text())
    return output, expected, manifest


def _rows(output: Path, manifest: dict, kind: str) -> list[dict]:
    run_dir = output / manifest["run_dir"]
    extra = ["reason"] if kind == "quarantine" else []
    return [
        row
        for f in sorted((run_dir / kind).glob("*.parquet"))
        for row in pq.read_table(f, columns=["source_id", "lineage", *extra]).to_pylist()
    ]


def test_the_run_publishes_and_balances(run: tuple[Path, dict, dict]) -> None:
    _, _, manifest = run
    assert manifest["balanced"] is True
    for folder in FOLDERS:
        counts = manifest["sources"][f"malformed-{folder}"]
        assert counts["read"] == counts["written"] + counts["quarantined"], folder
        assert counts["written"] > 0, f"{folder}: no good record came through"


def test_every_bad_record_and_file_is_quarantined_with_its_reason(
    run: tuple[Path, dict, dict],
) -> None:
    output, expected, manifest = run
    held = _rows(output, manifest, "quarantine")
    found: dict[str, set[str]] = {}
    for row in held:
        uri = row["lineage"]["origin"]["uri"]
        found.setdefault(uri.split("data/", 1)[-1], set()).add(row["reason"])
    for name, reasons in expected.items():
        assert reasons <= found.get(name, set()), name
    # Nothing is read twice through the loop, and nothing lands under it.
    assert not any("/loop/" in name for name in found)
    counts = manifest["sources"]["malformed-jsonl"]
    assert counts["quarantined_by_reason"]["duplicate_record_id"] == 1
    by_source = Counter(row["source_id"] for row in held)
    assert sum(by_source.values()) == manifest["totals"]["quarantined"]

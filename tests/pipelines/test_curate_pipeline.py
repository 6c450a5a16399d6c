"""The curation pipeline under Beam's TestPipeline: exact outputs, and counts that add up."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from corpusgate.pipelines.curate import Stages, build_pipeline
from corpusgate.schemas import reasons
from corpusgate.source_registry.registry import Registry
from corpusgate.transforms.output.layout import IndexSettings, RunLayout, ShardSettings
from corpusgate.transforms.spine.identity import record_id
from corpusgate.transforms.spine.plan import plan_tasks
from corpusgate.transforms.spine.read_source import QUARANTINE, READ_COUNTS, ReadSource

ENTRY = """\
source_id: {sid}
kind: open_source
languages: [en]
origin: foreign
location: {{paths: ["{pattern}"]}}
fields: {{text: body, id: key}}
licence: MIT
"""


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/part1.jsonl").write_text(
        '{"key": "a1", "body": "alpha"}\n{"key": "a2", "body": ""}\nnot json\n'
    )
    (tmp_path / "a/part2.jsonl.gz").write_bytes(gzip.compress(b'{"key": "a3", "body": "gamma"}\n'))
    (tmp_path / "b.csv").write_text("key,body\nb1,beta\nb2\n")
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg/a.yaml").write_text(ENTRY.format(sid="src-a", pattern="../a/*"))
    (tmp_path / "reg/b.yaml").write_text(ENTRY.format(sid="src-b", pattern="../b.csv"))
    return Registry.load(tmp_path / "reg")


def test_plan_has_one_task_per_file_with_portable_uris(registry: Registry) -> None:
    tasks = plan_tasks(list(registry), "run-1", "cfg")
    assert [(t.context.source_id, t.uri, t.format) for t in tasks] == [
        ("src-a", "../a/part1.jsonl", "jsonl"),
        ("src-a", "../a/part2.jsonl.gz", "jsonl"),
        ("src-b", "../b.csv", "csv"),
    ]


def test_read_source_routes_records_quarantine_and_counts(registry: Registry) -> None:
    tasks = plan_tasks(list(registry), "run-1", "cfg")
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | ReadSource(tasks)
        assert_that(
            out["records"] | "Ids" >> _map(lambda r: (r["source_id"], r["record_id"], r["text"])),
            equal_to(
                [
                    ("src-a", record_id("src-a", "id=a1"), "alpha"),
                    ("src-a", record_id("src-a", "id=a3"), "gamma"),
                    ("src-b", record_id("src-b", "id=b1"), "beta"),
                ]
            ),
            label="records",
        )
        assert_that(
            out[QUARANTINE]
            | "Reasons"
            >> _map(lambda r: (r["source_id"], r["reason"], r["lineage"]["origin"]["position"])),
            equal_to(
                [
                    ("src-a", reasons.EMPTY_TEXT, 2),
                    ("src-a", reasons.INVALID_JSON, 3),
                    ("src-b", reasons.CSV_COLUMN_COUNT, 2),
                ]
            ),
            label="quarantine",
        )
        assert_that(
            out[READ_COUNTS],
            equal_to([("src-a", 3), ("src-a", 1), ("src-b", 2)]),
            label="read_counts",
        )


def test_a_read_for_chosen_ids_yields_those_records_alone(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`only` (source -> ids): the chosen records, as a full read makes them; no quarantine
    row, and `normalize` never runs on a record that was not chosen."""
    import apache_beam as beam

    from corpusgate.transforms.spine import read_source

    built: list[str] = []
    normalize = read_source.normalize

    def counting(item, ctx):  # type: ignore[no-untyped-def]
        built.append(ctx.source_id)
        return normalize(item, ctx)

    monkeypatch.setattr(read_source, "normalize", counting)
    tasks = plan_tasks(list(registry), "run-1", "cfg")
    # a2 (blank text) is chosen but fails normalisation; src-b's b1 is chosen, b2 is not.
    wanted = {
        "src-a": frozenset({record_id("src-a", "id=a3"), record_id("src-a", "id=a2")}),
        "src-b": frozenset({record_id("src-b", "id=b1")}),
    }
    with TestPipeline(runner="FnApiRunner") as p:
        only = p | "Wanted" >> beam.Create(sorted(wanted.items()))
        out = p | ReadSource(tasks, only=only)
        assert_that(
            out["records"] | "Ids" >> _map(lambda r: (r["source_id"], r["record_id"], r["text"])),
            equal_to(
                [
                    ("src-a", record_id("src-a", "id=a3"), "gamma"),
                    ("src-b", record_id("src-b", "id=b1"), "beta"),
                ]
            ),
            label="records",
        )
        assert_that(out[QUARANTINE], equal_to([]), label="quarantine")
    assert sorted(built) == ["src-a", "src-a", "src-b"]  # a2, a3, b1: nothing else was built


def _map(fn):  # type: ignore[no-untyped-def]
    import apache_beam as beam

    return beam.Map(fn)


def _run(
    registry: Registry, tmp_path: Path, shards: ShardSettings, progress_interval: float = 0
) -> RunLayout:
    """The whole pipeline without checks on the registry's sources, as run `run-1`."""
    layout = RunLayout(str(tmp_path / "out"), "run-1")
    tasks = plan_tasks(list(registry), "run-1", "cfg")
    with TestPipeline(runner="FnApiRunner") as p:
        build_pipeline(
            p,
            tasks,
            layout,
            stages=Stages(),
            config_sha256="cfg",
            shards=shards,
            index=IndexSettings(buckets=16),
            progress_interval=progress_interval,
        )
    return layout


@pytest.mark.parametrize(("num_shards", "expected_shards"), [(None, 3), (2, 2), (50, 3)])
def test_full_pipeline_writes_shards_quarantine_index_and_a_balanced_summary(
    registry: Registry, tmp_path: Path, num_shards: int | None, expected_shards: int
) -> None:
    # Pieces of one row each: the finalize step must gather them into the shards asked.
    layout = _run(
        registry, tmp_path, ShardSettings(num_shards=num_shards, max_rows=1, row_group_rows=1)
    )
    run_dir = Path(layout.run_dir)
    summary = json.loads((run_dir / "_run/summary.json").read_text())
    assert sorted(map(tuple, summary["read"])) == [("src-a", 4), ("src-b", 2)]
    outcomes = {tuple(k): n for k, n in summary["outcomes"]}
    assert outcomes == {
        ("src-a", "written", ""): 2,
        ("src-a", "quarantined", "empty_text"): 1,
        ("src-a", "quarantined", "invalid_json"): 1,
        ("src-b", "written", ""): 1,
        ("src-b", "quarantined", "csv_column_count"): 1,
    }
    files = {
        kind: [f for f in summary["files"] if f["kind"] == kind]
        for kind in ("shards", "quarantine", "index")
    }
    # Unasked, max_rows=1 cuts three shards of one row; num_shards asks for that many files,
    # but never more files than rows.
    assert len(files["shards"]) == expected_shards
    assert sorted(f["path"] for f in files["shards"]) == [
        f"shards/part-{i:05d}.parquet" for i in range(len(files["shards"]))
    ]
    assert sum(f["rows"] for f in files["shards"]) == 3
    assert sum(f["rows"] for f in files["quarantine"]) == 3
    assert sum(f["rows"] for f in files["index"]) == 6
    texts = sorted(
        t
        for f in files["shards"]
        for t in pq.read_table(run_dir / f["path"]).column("text").to_pylist()
    )
    assert texts == ["alpha", "beta", "gamma"]
    quarantined = pq.read_table(run_dir / files["quarantine"][0]["path"])
    assert quarantined.schema.field("raw").type == "binary"
    assert quarantined.schema.metadata[b"corpusgate.run_id"] == b"run-1"
    # Every record is in the index once, in the bucket of its id's first hex digit.
    index_rows = [
        (f["path"], row)
        for f in files["index"]
        for row in pq.read_table(run_dir / f["path"]).to_pylist()
    ]
    assert all(path == f"index/{row['record_id'][0]}.parquet" for path, row in index_rows)
    for _, row in index_rows:
        located = pq.read_table(run_dir / row["file"]).to_pylist()[row["row"]]
        assert located["record_id"] == row["record_id"]


def test_progress_lines_count_each_sources_records_read_kept_and_quarantined(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With an interval shorter than any step, the main read and the writers report as they
    go; no line counts more records kept or quarantined than read, and the lines end at the
    run's own counts (4 read in src-a: 2 kept, 2 quarantined; 2 in src-b: 1 and 1)."""
    import re

    _run(registry, tmp_path, ShardSettings(), progress_interval=1e-12)
    lines = [
        line for line in capsys.readouterr().err.splitlines() if "corpusgate: progress:" in line
    ]
    assert lines
    most: dict[str, tuple[int, int, int]] = {}
    for line in lines:
        for source, read, kept, held in re.findall(
            r"(src-\w) (\d+) read (\d+) kept (\d+) quarantined", line
        ):
            counts = (int(read), int(kept), int(held))
            assert counts[1] + counts[2] <= counts[0], line
            seen = most.get(source, counts)
            most[source] = tuple(max(a, b) for a, b in zip(seen, counts, strict=True))
    # Every count is printed as it is added (the clock moves between two adds), so the
    # largest figures are the final ones.
    assert most == {"src-a": (4, 2, 2), "src-b": (2, 1, 1)}

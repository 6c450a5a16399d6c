"""ParquetFileSet: rows to content-named files, with sha256, metadata and a location per row."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpusgate.schemas.records import INDEX_SCHEMA, SHARD_SCHEMA, new_lineage, shard_metadata
from corpusgate.transforms.output.shards import (
    BUCKETS,
    FileWritten,
    IndexRun,
    ParquetFileSet,
    merge_index_bucket,
)
from corpusgate.transforms.spine.identity import record_id


def rows(n: int, source: str = "src") -> list[dict]:
    return [
        {
            "record_id": record_id(source, str(i)),
            "source_id": source,
            "text": f"text {i}",
            "lineage": new_lineage(
                registry_entry_sha256="e",
                run_id="run-1",
                config_sha256="c",
                origin={"uri": "f", "kind": "line", "position": i + 1},
            ),
        }
        for i in range(n)
    ]


def write_all(
    tmp_path: Path, data: list[dict], **kw
) -> tuple[list[FileWritten], list[IndexRun], ParquetFileSet]:  # type: ignore[no-untyped-def]
    files = ParquetFileSet(
        str(tmp_path), "shards", SHARD_SCHEMA, shard_metadata("run-1", "c"), "written", **kw
    )
    out = [o for row in data for o in files.add(row)] + list(files.close())
    return (
        [o for o in out if isinstance(o, FileWritten)],
        [o for o in out if isinstance(o, IndexRun)],
        files,
    )


def index_rows(tmp_path: Path, runs: list[IndexRun]) -> list[dict]:
    return [r for run in runs for r in pq.read_table(tmp_path / run.path).to_pylist()]


def test_rows_roll_into_files_and_every_row_is_located(tmp_path: Path) -> None:
    data = rows(25)
    written, runs, files = write_all(
        tmp_path, data, max_rows=10, row_group_rows=4, index_run_rows=7
    )
    assert [w.rows for w in written] == [10, 10, 5]
    assert sum(r.rows for r in runs) == 25 and len(runs) > 1  # spilled as it went
    entries = index_rows(tmp_path, runs)
    assert sorted(e["record_id"] for e in entries) == sorted(r["record_id"] for r in data)
    for entry in entries:
        table = pq.read_table(tmp_path / entry["file"])
        assert table.column("record_id")[entry["row"]].as_py() == entry["record_id"]
        assert (entry["source_id"], entry["status"], entry["reason"]) == ("src", "written", "")
    for run in runs:  # each run is sorted, so a bucket merge can prune by statistics
        ids = pq.read_table(tmp_path / run.path).column("record_id").to_pylist()
        assert ids == sorted(ids)
    for w in written:
        path = tmp_path / w.path
        assert (
            hashlib.sha256(path.read_bytes()).hexdigest() == w.sha256
            and path.stat().st_size == w.bytes
        )
        meta = pq.ParquetFile(path).schema_arrow.metadata
        assert meta[b"corpusgate.run_id"] == b"run-1" and meta[b"corpusgate.schema_version"] == b"1"
    assert files.outcomes == {("src", "written", ""): 25}


def test_file_names_are_deterministic_and_differ_by_input(tmp_path: Path) -> None:
    first, _, _ = write_all(tmp_path / "a", rows(7))
    again, _, _ = write_all(tmp_path / "b", rows(7))
    other, _, _ = write_all(tmp_path / "c", rows(7, source="other"))
    assert [w.path for w in first] == [w.path for w in again] != [w.path for w in other]


def test_nothing_written_means_no_file(tmp_path: Path) -> None:
    written, runs, _ = write_all(tmp_path, [])
    assert written == [] and runs == []


def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        ParquetFileSet(str(tmp_path), "s", SHARD_SCHEMA, {}, "written", max_rows=0)


def test_index_buckets_merge_every_run_sorted(tmp_path: Path) -> None:
    data = rows(300)
    _, runs, _ = write_all(tmp_path, data, index_run_rows=50)
    merged = [merge_index_bucket(str(tmp_path), b, [r.path for r in runs]) for b in BUCKETS]
    written = [m for m in merged if m is not None]
    assert sum(m.rows for m in written) == 300
    for m in written:
        table = pq.read_table(tmp_path / m.path)
        assert table.schema.equals(INDEX_SCHEMA, check_metadata=False)
        ids = table.column("record_id").to_pylist()
        assert ids == sorted(ids) and {i[:2] for i in ids} == {Path(m.path).stem}

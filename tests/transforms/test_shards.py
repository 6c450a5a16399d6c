"""ParquetFileSet: rows to content-named files, with sha256, metadata and a location per row."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpusgate.schemas.records import INDEX_SCHEMA, SHARD_SCHEMA, new_lineage, shard_metadata
from corpusgate.transforms.identity import record_id
from corpusgate.transforms.shards import FileWritten, ParquetFileSet, write_index_bucket


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


def write_all(tmp_path: Path, data: list[dict], **kw) -> tuple[list[FileWritten], list[tuple]]:  # type: ignore[no-untyped-def]
    files = ParquetFileSet(
        str(tmp_path), "shards", SHARD_SCHEMA, shard_metadata("run-1", "c"), "written", **kw
    )
    out = [o for row in data for o in files.add(row)] + list(files.close())
    return [o for o in out if isinstance(o, FileWritten)], [o for o in out if isinstance(o, tuple)]


def test_rows_roll_into_files_and_every_row_is_located(tmp_path: Path) -> None:
    data = rows(25)
    written, index = write_all(tmp_path, data, max_rows=10, row_group_rows=4)
    assert [w.rows for w in written] == [10, 10, 5]
    assert len(index) == 25
    for rid, source, status, name, row, reason in index:
        table = pq.read_table(tmp_path / name)
        assert table.column("record_id")[row].as_py() == rid
        assert (source, status, reason) == ("src", "written", "")
    for w in written:
        path = tmp_path / w.path
        assert (
            hashlib.sha256(path.read_bytes()).hexdigest() == w.sha256
            and path.stat().st_size == w.bytes
        )
        meta = pq.ParquetFile(path).schema_arrow.metadata
        assert meta[b"corpusgate.run_id"] == b"run-1" and meta[b"corpusgate.schema_version"] == b"1"
    assert not list((tmp_path / "shards").glob(".tmp-*"))  # temporary names are gone


def test_file_names_depend_on_content_only(tmp_path: Path) -> None:
    first, _ = write_all(tmp_path / "a", rows(7))
    again, _ = write_all(tmp_path / "b", rows(7))
    other, _ = write_all(tmp_path / "c", rows(7, source="other"))
    assert [w.path for w in first] == [w.path for w in again] != [w.path for w in other]


def test_nothing_written_means_no_file(tmp_path: Path) -> None:
    assert write_all(tmp_path, []) == ([], [])


def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        ParquetFileSet(str(tmp_path), "s", SHARD_SCHEMA, {}, "written", max_rows=0)


def test_index_buckets_are_sorted_by_record_id(tmp_path: Path) -> None:
    entries = [
        ("b" * 32, "s", "written", "shards/x", 1, ""),
        ("a" * 32, "s", "quarantined", "q/y", 0, "r"),
    ]
    written = write_index_bucket(str(tmp_path), "ab", entries)
    table = pq.read_table(tmp_path / written.path)
    assert table.schema.equals(INDEX_SCHEMA, check_metadata=False)
    assert table.column("record_id").to_pylist() == ["a" * 32, "b" * 32] and written.rows == 2

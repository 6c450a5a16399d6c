"""Parquet fault cases: a damaged row group, a value Python cannot hold, a file that is not Parquet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers import RawFailure, RawRecord, read_file
from corpusgate.transforms.spine.readers.base import MAX_RAW_BYTES


def outcomes(items: list) -> list[tuple[str, int]]:
    return [("ok" if isinstance(i, RawRecord) else i.reason, i.locator.position) for i in items]


def test_a_damaged_row_group_is_one_failure_and_the_next_groups_are_read(tmp_path: Path) -> None:
    path = tmp_path / "groups.parquet"
    table = pa.table({"id": [f"r{i}" for i in range(1, 31)], "text": ["t"] * 30})
    pq.write_table(table, path, row_group_size=10, compression="NONE", use_dictionary=False)
    start = pq.ParquetFile(path).metadata.row_group(1).column(0).data_page_offset
    data = bytearray(path.read_bytes())
    data[start : start + 24] = b"\xff" * 24  # the page header of rows 11-20
    path.write_bytes(bytes(data))
    items = list(read_file(path, "parquet", "groups.parquet"))
    assert outcomes(items) == (
        [("ok", n) for n in range(1, 11)]
        + [(reasons.UNREADABLE_ROW_GROUP, 11)]
        + [("ok", n) for n in range(21, 31)]
    )
    assert [i.fields["id"] for i in items if isinstance(i, RawRecord)][-1] == "r30"
    assert "row group 1 (rows 11-20)" in items[10].detail


def test_a_value_python_cannot_hold_costs_its_row_only(tmp_path: Path) -> None:
    path = tmp_path / "stamps.parquet"
    seen = pa.array([0, 10**12, 0], pa.timestamp("s"))  # the middle one is past year 9999
    pq.write_table(pa.table({"text": ["a", "b", "c"], "seen": seen}), path)
    items = list(read_file(path, "parquet", "stamps.parquet"))
    assert outcomes(items) == [("ok", 1), (reasons.INVALID_VALUE, 2), ("ok", 3)]
    failure = items[1]
    assert "column seen" in failure.detail
    assert failure.raw == b'{"text": "b"}'  # the columns that do convert


def test_a_large_file_that_is_not_parquet_keeps_one_mib_of_raw(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * (3 << 20))
    (item,) = read_file(path, "parquet", "fake.parquet")
    assert isinstance(item, RawFailure) and item.reason == reasons.UNREADABLE_FILE
    assert item.raw == path.read_bytes()[:MAX_RAW_BYTES]


def test_a_remote_parquet_file(tmp_path: Path, remote_url: Callable[[Path], str]) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"text": ["a", "b"]}), path)
    items = list(read_file(remote_url(path), "parquet", "r.parquet"))
    assert [(i.fields["text"], i.locator.position) for i in items] == [("a", 1), ("b", 2)]

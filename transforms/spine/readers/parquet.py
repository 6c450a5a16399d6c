"""Parquet files, located by 1-based row number.

Read row group by row group: a damaged row group is quarantined as one failure (its rows cannot
be told apart) and reading goes on with the next, since each group is stored on its own. A row
holding a value Python cannot represent is quarantined alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    MAX_RAW_BYTES,
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
)
from corpusgate.transforms.spine.readers.stored import is_remote, open_stored, read_stored_head


def read_parquet(path: str, uri: str, batch_size: int = 2048) -> Iterator[ReadItem]:
    handle = open_stored(path) if is_remote(path) else None
    try:
        try:
            parquet = pq.ParquetFile(handle if handle is not None else path)
        except pa.ArrowInvalid as err:  # not Parquet (absence and I/O go to the boundary)
            yield RawFailure(
                reasons.UNREADABLE_FILE,
                f"not a readable Parquet file: {err}",
                read_stored_head(path, 0, MAX_RAW_BYTES),
                Locator(uri, "row", 1),
            )
            return
        yield from _row_groups(parquet, path, uri, batch_size)
    finally:
        if handle is not None:
            handle.close()


def _row_groups(
    parquet: pq.ParquetFile, path: str, uri: str, batch_size: int
) -> Iterator[ReadItem]:
    row_no = 0
    metadata = parquet.metadata
    for group in range(metadata.num_row_groups):
        expected = metadata.row_group(group).num_rows
        first = row_no + 1
        read = 0
        try:
            for batch in parquet.iter_batches(batch_size=batch_size, row_groups=[group]):
                for row in _rows(batch, uri, row_no):
                    row_no += 1
                    read += 1
                    yield row
        except (pa.ArrowException, OSError) as err:
            # Rows of this group already yielded stand; the rest cannot be located one by one.
            row_no = first - 1 + expected
            yield RawFailure(
                reasons.UNREADABLE_ROW_GROUP,
                f"parquet row group {group} (rows {first}-{first + expected - 1}) unreadable "
                f"after {read} of its rows: {err}; reading goes on with the next row group",
                b"",
                Locator(uri, "row", first + read),
            )


def _rows(batch: pa.RecordBatch, uri: str, before: int) -> Iterator[ReadItem]:
    try:
        rows = batch.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException) as err:
        # One value Python cannot hold fails the whole batch; find the rows it belongs to.
        yield from _rows_one_by_one(batch, uri, before, err)
        return
    for offset, row in enumerate(rows, start=1):
        yield RawRecord(row, Locator(uri, "row", before + offset))


def _rows_one_by_one(
    batch: pa.RecordBatch, uri: str, before: int, batch_error: Exception
) -> Iterator[ReadItem]:
    for offset in range(batch.num_rows):
        locator = Locator(uri, "row", before + offset + 1)
        one = batch.slice(offset, 1)
        try:
            (row,) = one.to_pylist()
        except (ValueError, OverflowError, pa.ArrowException) as err:
            yield _bad_row(one, locator, err)
            continue
        yield RawRecord(row, locator)


def _bad_row(one: pa.RecordBatch, locator: Locator, err: Exception) -> RawFailure:
    """The row's convertible columns as JSON for raw; the detail names the columns that fail."""
    good: dict[str, object] = {}
    bad: list[str] = []
    for name, column in zip(one.schema.names, one.columns, strict=True):
        try:
            good[name] = column.to_pylist()[0]
        except (ValueError, OverflowError, pa.ArrowException):
            bad.append(f"{name} ({column.type})")
    raw = json.dumps(good, ensure_ascii=False, default=str).encode("utf-8", "replace")
    return RawFailure(
        reasons.INVALID_VALUE,
        f"column {', '.join(bad) or '?'} holds a value Python cannot represent: {err}",
        raw,
        locator,
    )

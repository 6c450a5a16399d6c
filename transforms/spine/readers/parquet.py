"""Parquet files, located by 1-based row number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
    clip_raw,
)


def read_parquet(path: Path, uri: str, batch_size: int = 2048) -> Iterator[ReadItem]:
    row_no = 0
    try:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                row_no += 1
                yield RawRecord(row, Locator(uri, "row", row_no))
    except (pa.ArrowException, OSError) as err:
        # A damaged file: rows already yielded stand; the rest cannot be located one by one.
        with open(path, "rb") as handle:
            raw, cut = clip_raw(handle.read())
        yield RawFailure(
            reasons.UNREADABLE_FILE if row_no == 0 else reasons.TRUNCATED_FILE,
            f"parquet unreadable after row {row_no}: {err}{cut}",
            raw,
            Locator(uri, "row", row_no + 1),
        )

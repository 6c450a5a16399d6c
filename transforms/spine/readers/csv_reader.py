"""CSV with a header row (plain or gzipped), located by 1-based data row number."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
    TruncatedInput,
    clip_raw,
    iter_decompressed,
)

# Web text can hold very long fields; the stdlib default (128 KiB) would reject real rows.
csv.field_size_limit(min(sys.maxsize, (1 << 31) - 1))


class _ChunkStream(io.RawIOBase):
    """A readable byte stream over `iter_decompressed`, so csv sees gzip and plain files alike."""

    def __init__(self, path: Path) -> None:
        self._chunks = iter_decompressed(path)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _row_bytes(row: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(row)
    return out.getvalue().encode("utf-8", "surrogateescape")


def read_csv(path: Path, uri: str) -> Iterator[ReadItem]:
    # surrogateescape keeps undecodable bytes recoverable, so a bad row is quarantined whole.
    text = io.TextIOWrapper(
        io.BufferedReader(_ChunkStream(path)),
        encoding="utf-8",
        errors="surrogateescape",
        newline="",
    )
    reader = csv.reader(text)
    row_no = 0
    try:
        header = next(reader, None)
        if header is None:
            return
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                row_no += 1
                yield RawFailure(
                    reasons.INVALID_CSV,
                    f"line {reader.line_num}: {err}",
                    b"",
                    Locator(uri, "row", row_no),
                )
                continue
            if not row:
                continue  # a blank line holds no record
            row_no += 1
            locator = Locator(uri, "row", row_no)
            if any(_has_surrogate(cell) for cell in row):
                raw, cut = clip_raw(_row_bytes(row))
                yield RawFailure(
                    reasons.INVALID_UTF8, f"line {reader.line_num}: not UTF-8{cut}", raw, locator
                )
            elif len(row) != len(header):
                raw, cut = clip_raw(_row_bytes(row))
                yield RawFailure(
                    reasons.CSV_COLUMN_COUNT,
                    f"line {reader.line_num}: {len(row)} columns, the header has {len(header)}{cut}",
                    raw,
                    locator,
                )
            else:
                yield RawRecord(dict(zip(header, row, strict=True)), locator)
    except TruncatedInput as err:
        raw, cut = clip_raw(err.tail)
        yield RawFailure(
            reasons.TRUNCATED_FILE,
            f"{err} after data row {row_no}{cut}",
            raw,
            Locator(uri, "row", row_no + 1),
        )


def _has_surrogate(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell) if not cell.isascii() else False

"""CSV with a header row (plain or gzipped), located by 1-based data row number.

Read strictly, so a broken quote is an error rather than a different parse. A quoted field may
span lines, which is also how an unterminated quote swallows the rows after it; so when a row
fails, only its first physical line is quarantined and the lines after it are read again as rows
of their own. A multi-line row with the wrong column count whose first line leaves a quote open
is treated the same way.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
    has_lone_surrogate,
)
from corpusgate.transforms.spine.readers.boundary import Progress
from corpusgate.transforms.spine.readers.stored import DecodedStream, open_decoded

# Web text can hold very long fields; the stdlib default (128 KiB) would reject real rows.
csv.field_size_limit(min(sys.maxsize, (1 << 31) - 1))

# A row spanning several lines that grows past this is taken for an unterminated quote, so a
# quote opened near the top of a large file cannot pull the whole file into memory as one field.
MAX_ROW_SPAN = 64 << 20


class _RowTooLong(Exception):
    pass


class _Lines:
    """The physical lines of the text, numbered from 1; lines given back are read again."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._next_no = 1
        self._back: list[tuple[int, str]] = []  # a stack: the next line to read is last
        self.row: list[tuple[int, str]] = []  # lines the current row has taken so far
        self._row_size = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._back:
            no, line = self._back.pop()
        else:
            line = self._text.readline()
            if not line:
                raise StopIteration
            no, self._next_no = self._next_no, self._next_no + 1
        self.row.append((no, line))
        self._row_size += len(line)
        if self._row_size > MAX_ROW_SPAN and len(self.row) > 1:
            raise _RowTooLong
        return line

    def begin_row(self) -> None:
        self.row, self._row_size = [], 0

    def give_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extend(reversed(lines))


def read_csv(path: str, uri: str, progress: Progress | None = None) -> Iterator[ReadItem]:
    with open_decoded(path) as stream:
        # surrogateescape keeps undecodable bytes recoverable, so a bad row is quarantined whole.
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
        yield from _rows(stream, _Lines(text), uri)


def _rows(stream: DecodedStream, lines: _Lines, uri: str) -> Iterator[ReadItem]:
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, _RowTooLong) as err:
        reason, why = _classify(lines.row[0], err)
        yield RawFailure(
            reason,
            f"the header row cannot be read ({why}), so no data row of the file can be",
            _raw(lines.row),
            Locator(uri, "row", 1),
        )
        return
    row_no = 0
    while True:
        lines.begin_row()
        try:
            row = next(reader)
        except StopIteration:
            break
        except (csv.Error, _RowTooLong) as err:
            row_no += 1
            locator = Locator(uri, "row", row_no)
            if _cut_by_damage(stream, lines.row):
                yield _truncated(stream, lines.row, locator)
                return
            first, rest = lines.row[0], lines.row[1:]
            lines.give_back(rest)
            reason, why = _classify(first, err)
            yield RawFailure(reason, why, _raw([first]), locator)
            continue
        if not row:
            continue  # a blank line holds no record
        row_no += 1
        locator = Locator(uri, "row", row_no)
        taken = lines.row
        if _cut_by_damage(stream, taken):
            yield _truncated(stream, taken, locator)
            return
        yield _check_row(row, header, taken, lines, locator)
    if stream.damage:
        yield RawFailure(
            reasons.TRUNCATED_FILE,
            f"{stream.damage} after data row {row_no}",
            b"",
            Locator(uri, "row", row_no + 1),
        )


def _check_row(
    row: list[str],
    header: list[str],
    taken: list[tuple[int, str]],
    lines: _Lines,
    locator: Locator,
) -> ReadItem:
    first_no = taken[0][0]
    if any("\x00" in line for _, line in taken):
        return RawFailure(
            reasons.CSV_NUL_BYTE,
            f"line {first_no} holds a NUL character: binary data, or a UTF-16 file read as UTF-8",
            _raw(taken),
            locator,
        )
    if any(has_lone_surrogate(line) for _, line in taken):
        return RawFailure(reasons.INVALID_UTF8, f"line {first_no}: not UTF-8", _raw(taken), locator)
    if len(row) == len(header):
        return RawRecord(dict(zip(header, row, strict=True)), locator)
    if len(taken) > 1 and _opens_quote(taken[0][1]):
        # Most likely a quote left open on the first line swallowed the lines after it.
        lines.give_back(taken[1:])
        return RawFailure(
            reasons.CSV_UNTERMINATED_QUOTE,
            f"line {first_no} opens a quoted field that does not close before the line ends; "
            f"read with the {len(taken) - 1} line(s) after it the row has {len(row)} columns, "
            f"the header {len(header)}; those lines are read again as rows of their own",
            _raw(taken[:1]),
            locator,
        )
    return RawFailure(
        reasons.CSV_COLUMN_COUNT,
        f"line {taken[-1][0]}: {len(row)} columns, the header has {len(header)}",
        _raw(taken),
        locator,
    )


def _classify(first: tuple[int, str], err: Exception) -> tuple[str, str]:
    """The reason a row starting with line `first` failed, judged from that line alone."""
    no, line = first
    if isinstance(err, _RowTooLong):
        return reasons.CSV_UNTERMINATED_QUOTE, (
            f"line {no} opens a quoted field still open after {MAX_ROW_SPAN} characters; "
            "the lines after it are read again as rows of their own"
        )
    try:
        list(csv.reader([line], strict=True))
    except csv.Error as alone:
        if _opens_quote(line):
            return reasons.CSV_UNTERMINATED_QUOTE, (
                f"line {no} opens a quoted field that is never closed properly ({err}); "
                "the lines after it are read again as rows of their own"
            )
        if "expected after" in str(alone):
            return reasons.CSV_STRAY_QUOTE, (
                f"line {no}: a quote inside a quoted field must be doubled ({alone})"
            )
        return reasons.INVALID_CSV, f"line {no}: {alone}"
    return reasons.INVALID_CSV, f"line {no}: {err}"


def _opens_quote(line: str) -> bool:
    """Does `line` alone end inside a quoted field?"""
    try:
        list(csv.reader([line], strict=True))
    except csv.Error as err:
        return "unexpected end of data" in str(err)
    return False


def _cut_by_damage(stream: DecodedStream, taken: list[tuple[int, str]]) -> bool:
    """Does this row end in the partial last line of a damaged (truncated, corrupt) stream?"""
    return bool(stream.damage and taken and not taken[-1][1].endswith(("\n", "\r")))


def _truncated(stream: DecodedStream, taken: list[tuple[int, str]], locator: Locator) -> RawFailure:
    return RawFailure(
        reasons.TRUNCATED_FILE,
        f"{stream.damage}; the row starting on line {taken[0][0]} is cut and kept as raw",
        _raw(taken),
        locator,
    )


def _raw(lines: list[tuple[int, str]]) -> bytes:
    return "".join(line for _, line in lines).encode("utf-8", "surrogateescape")

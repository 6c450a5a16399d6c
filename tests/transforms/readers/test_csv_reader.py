"""CSV read strictly: a broken quote costs its own line, never the rows after it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers import RawFailure, RawRecord, csv_reader, read_file


def read(tmp_path: Path, data: bytes, name: str = "in.csv") -> list:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return list(read_file(path, "csv", name))


def summary(items: list) -> list[tuple[int, str, str]]:
    """(data row, reason or 'ok', id) per item."""
    return [
        (
            i.locator.position,
            "ok" if isinstance(i, RawRecord) else i.reason,
            i.fields["id"] if isinstance(i, RawRecord) else i.raw.split(b",")[0].decode(),
        )
        for i in items
    ]


CASES = {
    "unterminated quote, closed by a later quote": (
        b'id,text\n1,good\n2,"never closed\n3,swallowed?\n4,"quoted"\n5,last\n',
        [
            (1, "ok", "1"),
            (2, reasons.CSV_UNTERMINATED_QUOTE, "2"),
            (3, "ok", "3"),
            (4, "ok", "4"),
            (5, "ok", "5"),
        ],
    ),
    "unterminated quote running to the end of the file": (
        b'id,text\n1,good\n2,"never closed\n3,after\n4,after too\n',
        [(1, "ok", "1"), (2, reasons.CSV_UNTERMINATED_QUOTE, "2"), (3, "ok", "3"), (4, "ok", "4")],
    ),
    "unterminated quote whose row parses, with the wrong column count": (
        b'id,text\n1,"opens\n2,then",x\n3,fine\n',
        [
            (1, reasons.CSV_UNTERMINATED_QUOTE, "1"),
            (2, reasons.CSV_COLUMN_COUNT, "2"),
            (3, "ok", "3"),
        ],
    ),
    "a quote inside a quoted field, not doubled": (
        b'id,text\n1,"say "hi" now"\n2,fine\n',
        [(1, reasons.CSV_STRAY_QUOTE, "1"), (2, "ok", "2")],
    ),
    "a NUL character": (
        b"id,text\n1,bin\x00ary\n2,fine\n",
        [(1, reasons.CSV_NUL_BYTE, "1"), (2, "ok", "2")],
    ),
    "a legitimate quoted field over several lines": (
        b'id,text\n1,"line one\nline two, with a comma\n""quoted"""\n2,fine\n',
        [(1, "ok", "1"), (2, "ok", "2")],
    ),
    "CRLF line ends": (
        b'id,text\r\n1,a\r\n2,"b\r\nc"\r\n',
        [(1, "ok", "1"), (2, "ok", "2")],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_broken_quotes_cost_one_line(tmp_path: Path, case: str) -> None:
    data, expected = CASES[case]
    assert summary(read(tmp_path, data)) == expected


def test_the_quarantined_line_is_kept_as_stored(tmp_path: Path) -> None:
    items = read(tmp_path, b'id,text\n1,good\n2,"caf\xc3\xa9 never closed\n3,after\n')
    failure = items[1]
    assert failure.raw == b'2,"caf\xc3\xa9 never closed\n'
    assert "line 3 opens a quoted field" in failure.detail


def test_lenient_bare_quote_inside_an_unquoted_field(tmp_path: Path) -> None:
    # RFC 4180 wants such a field quoted, but its meaning is plain (5'11" tall) and it cannot
    # swallow other rows, so it is read as written.
    (item,) = read(tmp_path, b"id,text\n1,5'11\" tall\n")
    assert item.fields["text"] == "5'11\" tall"


def test_a_quoted_field_spanning_too_much_is_taken_for_an_unterminated_quote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_reader, "MAX_ROW_SPAN", 200)
    rows = b"".join(f"{i},row {i}\n".encode() for i in range(3, 40))
    items = read(tmp_path, b'id,text\n1,ok\n2,"opens here\n' + rows + b'40,"x"\n')
    outcome = summary(items)
    assert outcome[:2] == [(1, "ok", "1"), (2, reasons.CSV_UNTERMINATED_QUOTE, "2")]
    assert [o[1] for o in outcome[2:]] == ["ok"] * 38  # rows 3..40, each read on its own
    assert "opens a quoted field still open after 200 characters" in items[1].detail


def test_a_broken_header_is_one_failure_for_the_file(tmp_path: Path) -> None:
    (failure,) = read(tmp_path, b'id,"text\n1,a\n2,b\n')
    assert failure.reason == reasons.CSV_UNTERMINATED_QUOTE
    assert "header row" in failure.detail and failure.raw.startswith(b'id,"text\n')


def test_a_cut_gzip_keeps_the_rows_before_and_quarantines_the_cut_row(tmp_path: Path) -> None:
    rows = b"id,text\n" + b"".join(f"{i},row {i} {'w ' * 30}\n".encode() for i in range(400))
    packed = gzip.compress(rows)
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    items = list(read_file(path, "csv", "cut"))
    *good, last = items
    assert good and all(isinstance(i, RawRecord) for i in good)
    assert [i.locator.position for i in good] == list(range(1, len(good) + 1))
    assert isinstance(last, RawFailure) and last.reason == reasons.TRUNCATED_FILE
    assert last.locator.position == len(good) + 1
    assert last.raw and rows.split(b"\n")[len(good) + 1].startswith(last.raw)


def test_an_empty_file_has_no_rows(tmp_path: Path) -> None:
    assert read(tmp_path, b"") == []

"""JSON Lines fault cases: lone surrogate escapes, deep nesting, huge lines, gzip damage, remote."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers import RawFailure, RawRecord, read_file
from corpusgate.transforms.spine.readers.base import MAX_RAW_BYTES


def read_one(tmp_path: Path, line: bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / "in.jsonl"
    path.write_bytes(line + b"\n")
    (item,) = read_file(path, "jsonl", "in.jsonl")
    return item


@pytest.mark.parametrize(
    ("line", "outcome", "where"),
    [
        (rb'{"text": "lone \ud800 high"}', reasons.INVALID_UTF8, "field 'text'"),
        (rb'{"text": "lone \uDC00 low"}', reasons.INVALID_UTF8, "field 'text'"),
        (
            rb'{"text": "ok", "meta": {"tags": ["a", "\udbff"]}}',
            reasons.INVALID_UTF8,
            "meta.tags[1]",
        ),
        (rb'{"text": "ok", "\ud800": 1}', reasons.INVALID_UTF8, "the name of field"),
        (rb'{"text": "a pair \ud83d\ude00 is a character"}', "ok", ""),
        (rb'{"text": "an escaped backslash: \\ud800 is text"}', "ok", ""),
        (rb'{"text": "reversed pair \ude00\ud83d"}', reasons.INVALID_UTF8, "field 'text'"),
    ],
)
def test_lone_surrogate_escapes_are_quarantined_with_their_line(
    tmp_path: Path, line: bytes, outcome: str, where: str
) -> None:
    item = read_one(tmp_path, line)
    if outcome == "ok":
        assert isinstance(item, RawRecord)
        json.dumps(item.fields, ensure_ascii=False).encode("utf-8")
        return
    assert isinstance(item, RawFailure) and item.reason == outcome
    assert item.raw == line and where in item.detail
    item.detail.encode("utf-8")


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deeply_nested_json_is_invalid_json_not_a_crash(tmp_path: Path, opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    line = b'{"text": "x", "v": ' + opener * 200_000 + b"1" + closer * 200_000 + b"}"
    item = read_one(tmp_path, line)
    assert isinstance(item, RawFailure) and item.reason == reasons.INVALID_JSON
    assert "nested deeper" in item.detail and item.raw == line[:MAX_RAW_BYTES]


def test_a_50_mb_line_keeps_one_mib_of_raw_and_says_how_much_was_cut(tmp_path: Path) -> None:
    size = 50 << 20
    line = b'{"id": 1, "body": "' + b"x" * size  # never closed: invalid JSON
    item = read_one(tmp_path, line)
    assert item.reason == reasons.INVALID_JSON and len(item.raw) == MAX_RAW_BYTES
    assert item.raw == line[:MAX_RAW_BYTES]
    assert f"cut to {MAX_RAW_BYTES} of {len(line)}" in item.detail


def test_a_50_mb_record_without_text_is_still_one_record(tmp_path: Path) -> None:
    # The mapper quarantines it as missing_text; the reader's part is to read it whole, once.
    line = json.dumps({"id": 7, "body": "y" * (50 << 20)}).encode()
    item = read_one(tmp_path, line)
    assert isinstance(item, RawRecord) and len(item.fields["body"]) == 50 << 20


def test_crlf_lines_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b'{"text": "a"}\r\n\r\n{"text": "b"}\r\n')
    items = list(read_file(path, "jsonl", "crlf"))
    assert [(i.fields["text"], i.locator.position) for i in items] == [("a", 1), ("b", 3)]


def test_a_corrupt_second_member_keeps_every_line_of_the_first(tmp_path: Path) -> None:
    lines = b"".join(f'{{"text": "line {i}"}}\n'.encode() for i in range(100))
    header = gzip.compress(b"", mtime=0)[:10]
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(gzip.compress(lines) + header + b"\xfe" * 30)
    items = list(read_file(path, "jsonl", "bad"))
    *good, last = items
    assert [i.locator.position for i in good] == list(range(1, 101))
    assert last.reason == reasons.TRUNCATED_FILE and last.locator.position == 101
    assert "corrupt gzip data" in last.detail


def test_a_cut_after_a_complete_line_is_still_reported(tmp_path: Path) -> None:
    packed = gzip.compress(b'{"text": "a"}\n')
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[:-8])  # the trailer (checksum and size) is gone, the data is whole
    items = list(read_file(path, "jsonl", "cut"))
    assert [type(i).__name__ for i in items] == ["RawRecord", "RawFailure"]
    assert items[1].reason == reasons.TRUNCATED_FILE and items[1].locator.position == 2


def test_a_remote_file_reads_like_the_local_one(
    tmp_path: Path, remote_url: Callable[[Path], str]
) -> None:
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "a"}\nnot json\n{"text": "b"}\n'))
    local = list(read_file(path, "jsonl", "r"))
    remote = list(read_file(remote_url(path), "jsonl", "r"))
    assert remote == local
    assert [type(i).__name__ for i in remote] == ["RawRecord", "RawFailure", "RawRecord"]

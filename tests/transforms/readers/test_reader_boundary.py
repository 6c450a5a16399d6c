"""The error boundary: nothing a file holds, lacks or does to I/O makes `read_file` raise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
    read_file,
    sanitize_text,
)
from corpusgate.transforms.spine.readers.base import MAX_RAW_BYTES
from corpusgate.transforms.spine.readers.boundary import Progress, guarded


def two_then_fail(uri: str) -> Iterator[ReadItem]:
    yield RawRecord({"text": "a"}, Locator(uri, "line", 1))
    yield RawRecord({"text": "b"}, Locator(uri, "line", 2))
    raise RuntimeError("the library broke")


def test_an_exception_after_two_records_ends_the_file_with_one_reader_error(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"0123456789" * 10)
    progress = Progress(stored_offset=40)
    items = list(guarded(two_then_fail("f.jsonl"), str(path), "f.jsonl", "line", progress))
    first, second, failure = items
    assert isinstance(first, RawRecord) and isinstance(second, RawRecord)  # they stand
    assert isinstance(failure, RawFailure) and failure.reason == reasons.READER_ERROR
    assert failure.locator == Locator("f.jsonl", "line", 3)  # the position after the last good
    assert "RuntimeError: the library broke" in failure.detail
    assert "after f.jsonl line 2" in failure.detail
    assert failure.raw == path.read_bytes()[40:]  # the stored bytes where the reader was
    assert "stored bytes 40..100" in failure.detail


@pytest.mark.parametrize(
    ("kind", "first"), [("line", 1), ("row", 1), ("warc_offset", 0), ("index", 0)]
)
def test_a_failure_before_any_item_is_located_at_the_first_position(
    tmp_path: Path, kind: str, first: int
) -> None:
    def fails() -> Iterator[ReadItem]:
        raise OSError("disk gone")
        yield  # a generator

    (failure,) = guarded(fails(), str(tmp_path / "gone"), "u", kind, Progress())
    assert failure.locator == Locator("u", kind, first) and failure.raw == b""
    assert "OSError: disk gone" in failure.detail and "before the first item" in failure.detail


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "warc", "wet", "arc", "hf"])
def test_a_missing_file_is_one_reader_error_in_every_format(tmp_path: Path, fmt: str) -> None:
    (failure,) = read_file(tmp_path / "gone", fmt, "gone")
    assert failure.reason == reasons.READER_ERROR
    assert "FileNotFoundError" in failure.detail


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "warc"])
def test_a_folder_where_a_file_should_be_is_one_reader_error(tmp_path: Path, fmt: str) -> None:
    (failure,) = read_file(tmp_path, fmt, "folder")
    assert failure.reason == reasons.READER_ERROR
    assert "Error" in failure.detail.split(":")[0]  # IsADirectoryError, OSError, …


def test_a_folder_that_is_not_a_dataset_is_one_reader_error(tmp_path: Path) -> None:
    (tmp_path / "junk.txt").write_text("x")
    (failure,) = read_file(tmp_path, "hf", "ds")
    assert failure.reason == reasons.READER_ERROR
    assert failure.locator == Locator("ds", "index", 0)


def test_an_unknown_format_is_a_configuration_error_raised_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown input format 'xml'"):
        read_file(tmp_path / "a.xml", "xml", "a.xml")


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("plain", "plain"),
        ("中文 ok", "中文 ok"),
        ("lone \ud800 high", "lone \ufffd high"),
        ("lone \udcff low (surrogateescape)", "lone \ufffd low (surrogateescape)"),
        ("pair \U0001f600 kept", "pair \U0001f600 kept"),
    ],
)
def test_sanitize_text(text: str, clean: str) -> None:
    assert sanitize_text(text) == clean
    clean.encode("utf-8")


def test_failure_strings_survive_beam_coders_and_parquet(tmp_path: Path) -> None:
    # A file whose name is not UTF-8 and a line holding a lone surrogate escape: before issue 9
    # the quarantine row built from them crashed Beam's coder.
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"text": "lone \\ud800"}\n' + b"{" * 3 + b"\n")
    uri = b"caf\xe9.jsonl".decode("utf-8", "surrogateescape")
    items = list(read_file(path, "jsonl", uri))
    assert [i.reason for i in items] == [reasons.INVALID_UTF8, reasons.INVALID_JSON]
    rows = [
        {"uri": i.locator.uri, "detail": i.detail, "reason": i.reason, "raw": i.raw} for i in items
    ]
    assert all(r["uri"] == "caf\ufffd.jsonl" for r in rows)
    pa.Table.from_pylist(rows)  # Parquet's Arrow strings refuse lone surrogates
    with TestPipeline() as pipeline:
        out = pipeline | beam.Create(rows) | beam.Map(lambda r: (r["reason"], r["uri"]))
        assert_that(
            out,
            equal_to(
                [
                    (reasons.INVALID_UTF8, "caf\ufffd.jsonl"),
                    (reasons.INVALID_JSON, "caf\ufffd.jsonl"),
                ]
            ),
        )


def test_a_failure_keeps_at_most_the_raw_limit_and_says_how_much_was_cut() -> None:
    failure = RawFailure("r", "why", b"x" * (MAX_RAW_BYTES + 5), Locator("u", "line", 1))
    assert len(failure.raw) == MAX_RAW_BYTES
    assert failure.detail == f"why (raw bytes cut to {MAX_RAW_BYTES} of {MAX_RAW_BYTES + 5})"

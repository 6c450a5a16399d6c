"""Readers: every input item becomes exactly one record or one failure, with its locator.

Format-specific fault cases live in tests/transforms/readers/.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers import RawFailure, RawRecord, Skipped, read_file
from corpusgate.transforms.spine.readers.base import MAX_RAW_BYTES

DEMO_WARC = (
    Path(__file__).resolve().parents[2] / "demo/sources/web-crawl/dolma__warc__sample-0001.warc.gz"
)


def outcomes(items: list) -> list[tuple[str, int]]:
    """(reason or 'ok', position) per item: the shape most assertions want."""
    return [("ok" if isinstance(i, RawRecord) else i.reason, i.locator.position) for i in items]


def documents(items: list) -> list:
    """Records and failures: what counts as read (WARC requests, metadata, … are Skipped)."""
    return [i for i in items if not isinstance(i, Skipped)]


JSONL_LINES = [
    b'{"id": 1, "text": "first"}',
    b"",  # blank lines hold no record
    b'{"id": 2, "text": "cut off',
    b'{"id": 3, "text": "\xe4\xbd\xa0\xe5 bad utf-8"}',
    b"[1, 2, 3]",
    b'{"id": 4, "text": "\xe4\xbd\xa0\xe5\xa5\xbd"}',
]
JSONL_EXPECTED = [
    ("ok", 1),
    (reasons.INVALID_JSON, 3),
    (reasons.INVALID_UTF8, 4),
    (reasons.NOT_AN_OBJECT, 5),
    ("ok", 6),
]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_jsonl_locates_each_line_and_quarantines_bad_ones(tmp_path: Path, suffix: str) -> None:
    data = b"\n".join(JSONL_LINES)  # no trailing newline: the last line still counts
    path = tmp_path / f"in{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    items = list(read_file(path, "jsonl", "in"))
    assert outcomes(items) == JSONL_EXPECTED
    assert items[-1].fields["text"] == "你好"
    bad_utf8 = items[2]
    assert isinstance(bad_utf8, RawFailure) and bad_utf8.raw == JSONL_LINES[3]


def test_truncated_gzip_keeps_complete_lines_and_quarantines_the_partial_one(
    tmp_path: Path,
) -> None:
    lines = [json.dumps({"id": i, "text": f"line {i} " + "x" * 200}).encode() for i in range(400)]
    packed = gzip.compress(b"\n".join(lines) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    items = list(read_file(path, "jsonl", "cut.jsonl.gz"))
    *good, last = items
    assert all(isinstance(i, RawRecord) for i in good) and good
    assert [i.locator.position for i in good] == list(range(1, len(good) + 1))
    assert isinstance(last, RawFailure) and last.reason == reasons.TRUNCATED_FILE
    assert last.locator.position == len(good) + 1
    # The partial line is kept: it is a prefix of the real next line.
    assert last.raw and lines[len(good)].startswith(last.raw)


def test_concatenated_gzip_members_read_as_one_stream(tmp_path: Path) -> None:
    path = tmp_path / "multi.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "a"}\n') + gzip.compress(b'{"text": "b"}\n'))
    assert [i.fields["text"] for i in read_file(path, "jsonl", "m")] == ["a", "b"]


def test_oversized_raw_payload_is_cut_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"{" + b"x" * (MAX_RAW_BYTES + 10) + b"\n")
    (item,) = read_file(path, "jsonl", "big")
    assert item.reason == reasons.INVALID_JSON and len(item.raw) == MAX_RAW_BYTES
    assert "cut to" in item.detail


CSV_TEXT = (
    "id,title,body\n"
    "1,ok,plain row\n"
    '2,quoted,"a body with, a comma\nand a newline"\n'
    "3,short\n"
    "4,ok,last row\n"
)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_csv_rows_and_wrong_column_counts(tmp_path: Path, suffix: str) -> None:
    data = CSV_TEXT.encode()
    path = tmp_path / f"in{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    items = list(read_file(path, "csv", "in"))
    assert outcomes(items) == [("ok", 1), ("ok", 2), (reasons.CSV_COLUMN_COUNT, 3), ("ok", 4)]
    assert items[1].fields["body"] == "a body with, a comma\nand a newline"
    assert items[2].raw == b"3,short\n"  # the row's bytes as stored
    assert "line 5" in items[2].detail  # the physical line, after the quoted newline


def test_csv_bad_utf8_row_is_quarantined_with_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,text\n1,fine\n2,caf\xe9\n")
    items = list(read_file(path, "csv", "in"))
    assert outcomes(items) == [("ok", 1), (reasons.INVALID_UTF8, 2)]
    assert b"caf\xe9" in items[1].raw


def test_parquet_rows_and_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["a", None, "c"], "n": [1, 2, 3]}), path)
    items = list(read_file(path, "parquet", "in.parquet"))
    assert outcomes(items) == [("ok", 1), ("ok", 2), ("ok", 3)]
    assert items[1].fields == {"text": None, "n": 2}
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(path.read_bytes()[:40])
    (item,) = read_file(broken, "parquet", "broken.parquet")
    assert item.reason == reasons.UNREADABLE_FILE and item.raw == path.read_bytes()[:40]


def test_warc_responses_become_text_with_url_time_and_offset() -> None:
    everything = list(read_file(DEMO_WARC, "warc", "crawl.warc.gz"))
    items = documents(everything)
    assert len(items) == 15 and all(isinstance(i, RawRecord) for i in items)
    skipped = Counter(i.record_type for i in everything if isinstance(i, Skipped))
    # wget's arguments and log are `resource` records under metadata://: the crawler's notes.
    assert skipped == {"warcinfo": 1, "request": 15, "metadata": 1, "resource": 2}
    first = items[0]
    assert first.fields["url"] == "https://creativecommons.org/"  # <...> of WARC 1.0 removed
    assert first.fields["collected_at"] == "2024-04-25T16:27:48Z"
    assert "Creative Commons" in first.fields["text"] and "<div" not in first.fields["text"]
    # The body is sent chunked: the chunk-size line (7d72) is framing, not text.
    assert first.fields["text"].startswith("Better Sharing")
    assert first.locator.kind == "warc_offset"
    offsets = [i.locator.position for i in items]
    assert offsets == sorted(set(offsets)) and offsets[0] > 0
    assert dict(first.extras["http_headers"]).get("Content-Type", "").startswith("text/html")


def test_truncated_warc_quarantines_the_cut_record(tmp_path: Path) -> None:
    data = DEMO_WARC.read_bytes()
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[: len(data) // 2])
    items = documents(list(read_file(path, "warc", "cut.warc.gz")))
    *good, last = items
    assert good and all(isinstance(i, RawRecord) for i in good)
    assert isinstance(last, RawFailure) and last.reason == reasons.TRUNCATED_FILE


def test_warc_cut_between_records_is_still_noticed(tmp_path: Path) -> None:
    # Chop the last member's tail: a reader that stops quietly at the end of what it could
    # decode would lose the damage.
    data = DEMO_WARC.read_bytes()
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[:-20])
    items = list(read_file(path, "warc", "cut.warc.gz"))
    assert items[-1].reason == reasons.TRUNCATED_FILE


def test_wet_conversion_records(shared_data: Path) -> None:
    wet = shared_data / "web-cc-samples/whirlwind__whirlwind.warc.wet.gz"
    info, item = read_file(wet, "wet", wet.name)
    assert isinstance(info, Skipped) and info.record_type == "warcinfo"
    assert item.fields["url"] == "https://an.wikipedia.org/wiki/Escopete"
    assert "Escopete" in item.fields["text"]


def test_hf_dataset_saved_to_disk(tmp_path: Path) -> None:
    import datasets

    dataset = datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_dict({"text": ["a", "b"], "id": ["x", "y"]}),
            "test": datasets.Dataset.from_dict({"text": ["c"], "id": ["z"]}),
        }
    )
    dataset.save_to_disk(str(tmp_path / "ds"))
    items = list(read_file(tmp_path / "ds", "hf", "ds"))
    assert [(i.locator.uri, i.locator.position, i.fields["text"]) for i in items] == [
        ("ds#test", 0, "c"),
        ("ds#train", 0, "a"),
        ("ds#train", 1, "b"),
    ]


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown input format 'xml'"):
        read_file(tmp_path / "a.xml", "xml", "a.xml")


def test_hf_local_data_file_streams_offline(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "a", "n": 1}\n{"text": "b", "n": 2}\n')
    items = list(read_file(path, "hf", "rows.jsonl"))
    assert [(i.locator.kind, i.locator.position, i.fields["text"]) for i in items] == [
        ("index", 0, "a"),
        ("index", 1, "b"),
    ]

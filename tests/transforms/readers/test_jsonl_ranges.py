"""A JSON Lines file read in byte ranges (`spine.ranges`, `read_jsonl(span=...)`) yields what
reading it whole yields: the same items, kinds, locators and payloads, once each, for every
place a boundary can fall (inside a line, on a newline, on a blank line, past a last line
without a newline)."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corpusgate.transforms.spine.plan import ReadTask
from corpusgate.transforms.spine.ranges import count_newlines, cut_task, number_ranges
from corpusgate.transforms.spine.readers import RawFailure, RawRecord, read_file
from corpusgate.transforms.spine.to_record import SourceContext

if TYPE_CHECKING:
    from conftest import Bucket

LINES = [
    b'{"text": "first"}\n',
    b"\n",  # blank: no item, but it counts as a line
    b'{"text": "\\u4e2d\\u6587 second"}\r\n',
    b"not json\n",
    b'{"text": "a longer fourth line, long enough that small ranges fall inside it"}\n',
    b"\n",
    b"\n",
    b'["an array, not an object"]\n',
    b'{"text": "last, without a newline"}',
]


def _task(path: Path | str) -> ReadTask:
    context = SourceContext(
        source_id="s",
        entry_sha256="e",
        fields=(),
        licence=None,
        evidence=(),
        run_id="r",
        config_sha256="c",
    )
    return ReadTask(context, str(path), "jsonl", "data/f.jsonl")


def _seen(items: list) -> list[tuple]:  # type: ignore[type-arg]
    out = []
    for item in items:
        if isinstance(item, RawRecord):
            out.append(("record", item.locator.key(), item.fields))
        else:
            assert isinstance(item, RawFailure)
            out.append((item.reason, item.locator.key(), item.raw))
    return out


def _read_in_ranges(path: Path | str, split: int) -> list:  # type: ignore[type-arg]
    task = _task(path)
    ranges = number_ranges((t, count_newlines(t)) for t in cut_task(task, split))
    items = []
    for r in ranges:
        span = (r.start, r.stop, r.lines_before) if r.stop is not None else None
        items.extend(read_file(r.path, r.format, r.uri, span))
    return items


@pytest.mark.parametrize("trailing_newline", [False, True])
def test_every_split_size_reads_what_the_whole_file_reads(
    tmp_path: Path, trailing_newline: bool
) -> None:
    data = b"".join(LINES) + (b"\n" if trailing_newline else b"")
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    whole = _seen(list(read_file(str(path), "jsonl", "data/f.jsonl")))
    assert [kind for kind, _, _ in whole] == [
        "record",
        "record",
        "invalid_json",
        "record",
        "not_an_object",
        "record",
    ]
    for split in range(1, len(data) + 2):
        ranges = cut_task(_task(path), split)
        assert len(ranges) == (1 if split >= len(data) else -(-len(data) // split))
        assert _seen(_read_in_ranges(path, split)) == whole, f"split {split}"


def test_ranges_cover_the_file_and_count_its_newlines(tmp_path: Path) -> None:
    data = b"".join(LINES)
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    ranges = cut_task(_task(path), 10)
    assert ranges[0].start == 0 and ranges[-1].stop == len(data)
    assert all(a.stop == b.start for a, b in itertools.pairwise(ranges))
    numbered = number_ranges((t, count_newlines(t)) for t in reversed(ranges))
    assert [t.start for t in numbered] == [t.start for t in ranges]  # put back in file order
    assert [t.lines_before for t in numbered] == [data[: t.start].count(b"\n") for t in ranges]


def test_gzipped_small_and_other_formats_stay_whole(tmp_path: Path) -> None:
    data = b"".join(LINES) * 50
    gz = tmp_path / "g.jsonl"  # gzipped whatever its name says: the bytes decide
    gz.write_bytes(gzip.compress(data))
    assert cut_task(_task(gz), 64) == [_task(gz)]
    small = tmp_path / "s.jsonl"
    small.write_bytes(data)
    assert cut_task(_task(small), len(data)) == [_task(small)]
    assert cut_task(_task(small), 0) == [_task(small)]
    csv = ReadTask(_task(small).context, str(small), "csv", "data/s.csv")
    assert cut_task(csv, 64) == [csv]
    assert len(cut_task(_task(small), 64)) > 1


def test_a_range_that_cannot_be_counted_makes_its_file_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(LINES) * 10)
    ranges = cut_task(_task(path), 100)
    counted = [(t, count_newlines(t)) for t in ranges]
    counted[2] = (counted[2][0], None)  # an I/O error while counting
    assert number_ranges(counted) == [_task(path)]


def test_a_file_gone_before_counting_is_read_whole_and_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(LINES) * 10)
    ranges = cut_task(_task(path), 100)
    path.unlink()
    numbered = number_ranges((t, count_newlines(t)) for t in ranges)
    assert numbered == [_task(path)]
    items = list(read_file(str(path), "jsonl", "data/f.jsonl"))
    assert len(items) == 1 and items[0].reason == "reader_error"


def test_a_range_that_fails_names_the_line_it_started_at(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(gzip.compress(b"".join(LINES)))  # gzipped after it was cut: cannot enter
    items = list(read_file(str(path), "jsonl", "data/f.jsonl", (40, 80, 3)))
    assert len(items) == 1
    assert items[0].reason == "reader_error" and items[0].locator.key() == "data/f.jsonl#line=4"


def test_only_jsonl_is_read_in_ranges(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"text\nx\n")
    with pytest.raises(ValueError, match="only jsonl"):
        read_file(str(path), "csv", "f.csv", (0, 4, 0))


def test_ranges_of_a_file_on_an_object_store_read_what_the_local_file_reads(
    tmp_path: Path, s3_bucket: Bucket
) -> None:
    """Through Beam's S3 file system on a local emulator (moto): its size from `match`, and
    ranged reads that seek inside the object."""
    import boto3
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    # What a Beam worker has from its pipeline options: S3 settings from the environment.
    FileSystems.set_options(PipelineOptions([]))
    data = b"".join(LINES) * 20
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    name = s3_bucket.url.removeprefix("s3://")
    boto3.client("s3").put_object(Bucket=name, Key="in/f.jsonl", Body=data)
    remote = f"{s3_bucket.url}/in/f.jsonl"
    whole = _seen(list(read_file(str(path), "jsonl", "data/f.jsonl")))
    assert len(cut_task(_task(remote), 300)) == -(-len(data) // 300)
    assert _seen(_read_in_ranges(remote, 300)) == whole

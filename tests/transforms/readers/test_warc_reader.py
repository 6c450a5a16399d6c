"""Web archives written by the tests: offsets, record types, HTTP bodies, damage, ARC."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import pytest
from malformed_inputs import (
    arc_file_header,
    arc_record,
    chunked,
    gzip_members,
    html_page,
    http_response,
    response,
    warc_record,
    warcinfo,
)

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers import RawFailure, RawRecord, read_file
from corpusgate.transforms.spine.readers.base import MAX_RAW_BYTES


def read(tmp_path: Path, data: bytes, name: str = "in.warc", fmt: str = "warc") -> list:
    path = tmp_path / name
    path.write_bytes(data)
    return list(read_file(path, fmt, name))


def kinds(items: list) -> list[str]:
    return [
        "ok"
        if isinstance(i, RawRecord)
        else i.reason
        if isinstance(i, RawFailure)
        else f"skip:{i.record_type}"
        for i in items
    ]


def test_per_record_gzip_offsets_are_the_members_stored_offsets(tmp_path: Path) -> None:
    records = [warcinfo()] + [response(f"https://a.example/{i}", f"Page {i}") for i in range(3)]
    members = [gzip.compress(r) for r in records]
    items = read(tmp_path, b"".join(members), "a.warc.gz")
    starts = [sum(len(m) for m in members[:i]) for i in range(len(members))]
    assert [(i.locator.kind, i.locator.position) for i in items] == [
        ("warc_offset", s) for s in starts
    ]


def test_single_member_gzip_records_get_distinct_uncompressed_offsets(tmp_path: Path) -> None:
    # Issue 9: every record after the first used to get the file size as its offset, so two
    # responses shared one record_id.
    records = [warcinfo()] + [response(f"https://one.example/{i}", f"Page {i}") for i in range(3)]
    plain = b"".join(records)
    items = read(tmp_path, gzip.compress(plain), "one.warc.gz")
    starts = [sum(len(r) for r in records[:i]) for i in range(len(records))]
    assert [(i.locator.kind, i.locator.position) for i in items] == [("warc_offset", 0)] + [
        ("warc_uncompressed_offset", s) for s in starts[1:]
    ]
    assert len({i.locator.key() for i in items}) == 4
    assert plain[starts[2] :].startswith(b"WARC/1.0")


def test_records_that_are_not_documents_are_skipped_by_type(tmp_path: Path) -> None:
    records = [
        warcinfo(),
        warc_record("request", "https://t.example/", b"GET / HTTP/1.1\r\n\r\n"),
        warc_record("metadata", "https://t.example/", b"via: x\r\n"),
        warc_record("revisit", "https://t.example/", b""),
        warc_record("x-custom", "https://t.example/", b"whatever"),
        warc_record("resource", "https://t.example/logo.png", bytes(20), content_type="image/png"),
        warc_record("resource", "metadata://crawler/log.txt", b"crawler log line\n"),
        warc_record("resource", "file:///notes.txt", b"A text resource.\n"),
        warc_record("resource", "urn:page", html_page("HTML resource"), content_type="text/html"),
        warc_record("conversion", "https://t.example/", b"converted text"),
    ]
    items = read(tmp_path, gzip_members(records), "t.warc.gz")
    assert kinds(items) == [
        "skip:warcinfo", "skip:request", "skip:metadata", "skip:revisit", "skip:x-custom",
        "skip:resource", "skip:resource", "ok", "ok", "skip:conversion",
    ]  # fmt: skip
    assert items[7].fields["text"] == "A text resource.\n"
    assert items[8].fields["text"].startswith("HTML resource") and "html" in items[8].extras


def decoded(tmp_path: Path, body: bytes, headers: list[tuple[str, str]], **extra) -> list:  # type: ignore[no-untyped-def]
    block = http_response(body, headers=headers)
    return read(tmp_path, warc_record("response", "https://h.example/", block, **extra))


PAGE = html_page("Decoded page")


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (chunked(PAGE), [("Transfer-Encoding", "chunked")]),
        (gzip.compress(PAGE), [("Content-Encoding", "gzip")]),
        (zlib.compress(PAGE), [("Content-Encoding", "deflate")]),
        (brotli.compress(PAGE), [("Content-Encoding", "br")]),
        (
            chunked(gzip.compress(PAGE)),
            [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
        ),
    ],
    ids=["chunked", "gzip", "deflate", "br", "chunked-gzip"],
)
def test_http_bodies_are_decoded_before_text_extraction(
    tmp_path: Path, body: bytes, headers: list[tuple[str, str]]
) -> None:
    (item,) = decoded(tmp_path, body, headers)
    assert isinstance(item, RawRecord)
    assert item.fields["text"].startswith("Decoded page\n\nDecoded page: paragraph 1")


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"<html>stored decoded</html>", [("Content-Encoding", "gzip")], "gzip body is corrupt"),
        (b"zz\r\nx\r\n0\r\n\r\n", [("Transfer-Encoding", "chunked")], "not a hexadecimal"),
        (PAGE, [("Content-Encoding", "zstd")], "'zstd' is not supported"),
    ],
)
def test_an_undecodable_body_is_quarantined_with_its_bytes(
    tmp_path: Path, body: bytes, headers: list[tuple[str, str]], message: str
) -> None:
    (item,) = decoded(tmp_path, body, headers)
    assert isinstance(item, RawFailure) and item.reason == reasons.WARC_BODY_UNDECODABLE
    assert message in item.detail and "https://h.example/" in item.detail
    assert item.raw == body


def test_a_truncated_record_keeps_what_its_cut_gzip_body_decodes(tmp_path: Path) -> None:
    body = gzip.compress(PAGE)[:-12]
    (item,) = decoded(
        tmp_path, body, [("Content-Encoding", "gzip")], extra=[("WARC-Truncated", "length")]
    )
    assert isinstance(item, RawRecord) and item.fields["text"].startswith("Decoded page")


def test_an_unknown_charset_falls_back_to_detection(tmp_path: Path) -> None:
    block = http_response(PAGE, content_type="text/html; charset=no-such-charset")
    (item,) = read(tmp_path, warc_record("response", "https://c.example/", block))
    assert isinstance(item, RawRecord) and item.fields["text"].startswith("Decoded page")


@pytest.mark.parametrize("packing", ["plain", "per-record gzip", "single-member gzip"])
def test_a_short_content_length_keeps_the_record_and_quarantines_the_rest(
    tmp_path: Path, packing: str
) -> None:
    short = response("https://s.example/short", "Short record")
    declared = int(short.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    short = short.replace(
        f"Content-Length: {declared}".encode(), f"Content-Length: {declared - 25}".encode()
    )
    records = [warcinfo(), short, response("https://s.example/next", "Next record")]
    data = {
        "plain": b"".join(records),
        "per-record gzip": gzip_members(records),
        "single-member gzip": gzip.compress(b"".join(records)),
    }[packing]
    items = read(tmp_path, data, "s.warc.gz" if "gzip" in packing else "s.warc")
    assert kinds(items) == ["skip:warcinfo", "ok", reasons.WARC_INVALID_RECORD, "ok"]
    leftover = items[2]
    assert leftover.raw == short[-29:]  # 25 bytes of block and the record's CRLF CRLF
    assert "Content-Length too short" in leftover.detail
    plain_start = len(records[0]) + len(short) - 29
    expected_kind = "warc_offset" if packing == "plain" else "warc_uncompressed_offset"
    assert (leftover.locator.kind, leftover.locator.position) == (expected_kind, plain_start)
    assert items[3].fields["url"] == "https://s.example/next"


def test_a_long_content_length_swallows_but_never_stops(tmp_path: Path) -> None:
    long = response("https://l.example/long", "Long record")
    declared = int(long.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    long = long.replace(
        f"Content-Length: {declared}".encode(), f"Content-Length: {declared + 60}".encode()
    )
    records = [
        long,
        response("https://l.example/2", "Two"),
        response("https://l.example/3", "Three"),
    ]
    items = read(tmp_path, b"".join(records))
    assert kinds(items) == ["ok", reasons.WARC_INVALID_RECORD, "ok"]
    assert items[-1].fields["url"] == "https://l.example/3"


def test_a_record_without_a_usable_content_length_is_skipped_to_the_next(tmp_path: Path) -> None:
    bad = response("https://n.example/bad", "Bad").replace(
        b"Content-Length: ", b"Content-Length: x"
    )
    items = read(tmp_path, bad + response("https://n.example/ok", "Good"))
    assert kinds(items) == [reasons.WARC_INVALID_RECORD, "ok"]
    assert "is not a byte count" in items[0].detail and items[0].raw.startswith(b"WARC/1.0")


def test_a_plain_warc_cut_inside_a_record(tmp_path: Path) -> None:
    data = warcinfo() + response("https://p.example/", "Cut page")
    items = read(tmp_path, data[:-100])
    assert kinds(items) == ["skip:warcinfo", reasons.TRUNCATED_FILE]
    assert "only" in items[1].detail and items[1].raw


def test_a_non_text_response_keeps_one_mib_of_a_large_body(tmp_path: Path) -> None:
    block = http_response(bytes(3 << 20), content_type="video/mp4")
    (item,) = read(tmp_path, warc_record("response", "https://v.example/a.mp4", block))
    assert item.reason == reasons.WARC_UNSUPPORTED_CONTENT and len(item.raw) == MAX_RAW_BYTES
    assert f"cut to {MAX_RAW_BYTES} of {3 << 20}" in item.detail


def test_http_errors_are_quarantined(tmp_path: Path) -> None:
    (item,) = read(tmp_path, response("https://e.example/", "Gone", status="404 Not Found"))
    assert item.reason == reasons.WARC_HTTP_STATUS and "HTTP status 404" in item.detail


def test_a_file_that_starts_with_garbage(tmp_path: Path) -> None:
    items = read(tmp_path, b"GIF89a not an archive\n" + response("https://g.example/", "Found"))
    assert kinds(items) == [reasons.WARC_INVALID_RECORD, "ok"]
    assert items[0].raw == b"GIF89a not an archive\n"


def test_a_remote_warc(tmp_path: Path, remote_url: Callable[[Path], str]) -> None:
    path = tmp_path / "r.warc.gz"
    path.write_bytes(gzip_members([warcinfo(), response("https://r.example/", "Remote")]))
    items = list(read_file(remote_url(path), "warc", "r.warc.gz"))
    assert items == list(read_file(path, "warc", "r.warc.gz"))
    assert kinds(items) == ["skip:warcinfo", "ok"]


ARC_RECORDS = [
    arc_file_header("t.arc"),
    arc_record("http://arc.example/", http_response(html_page("ARC page"))),
    arc_record(
        "dns:arc.example", b"20240425162748\narc.example. IN A 1.2.3.4\n", content_type="text/dns"
    ),
    arc_record("http://arc.example/gone", http_response(b"", status="404 Not Found")),
]


@pytest.mark.parametrize("packing", ["arc", "arc.gz"])
def test_arc_files_are_read(tmp_path: Path, packing: str) -> None:
    data = b"".join(ARC_RECORDS) if packing == "arc" else gzip_members(ARC_RECORDS)
    items = read(tmp_path, data, f"t.{packing}")
    assert kinds(items) == ["skip:arc_header", "ok", "skip:response", reasons.WARC_HTTP_STATUS]
    page = items[1]
    assert page.fields == {
        "url": "http://arc.example/",
        "collected_at": "2024-04-25T16:27:48Z",
        "warc_record_id": None,
        "text": page.fields["text"],
    }
    assert page.fields["text"].startswith("ARC page")
    if packing == "arc.gz":
        assert page.locator.position == len(gzip.compress(ARC_RECORDS[0]))
    else:
        assert page.locator.position == len(ARC_RECORDS[0])


def test_wet_conversions_are_the_documents_of_a_wet(tmp_path: Path) -> None:
    records = [
        warcinfo(),
        warc_record("conversion", "https://w.example/", "Plain text, UTF-8: 你好".encode()),
        response("https://w.example/", "A response in a WET file"),
    ]
    items = read(tmp_path, gzip_members(records), "w.warc.wet.gz", "wet")
    assert kinds(items) == ["skip:warcinfo", "ok", "skip:response"]
    assert items[1].fields["text"] == "Plain text, UTF-8: 你好"


def test_a_refused_record_cut_by_the_end_of_the_file_is_reported_as_cut(tmp_path: Path) -> None:
    data = warcinfo() + response("https://p.example/", "Gone page", status="404 Not Found")
    items = read(tmp_path, data[:-100])
    assert kinds(items) == ["skip:warcinfo", reasons.TRUNCATED_FILE]


def test_a_wet_conversion_without_a_content_type_is_still_text(tmp_path: Path) -> None:
    record = warc_record("conversion", "https://w.example/", b"just text").replace(
        b"Content-Type: text/plain\r\n", b""
    )
    (item,) = read(tmp_path, record, "w.wet", "wet")
    assert isinstance(item, RawRecord) and item.fields["text"] == "just text"

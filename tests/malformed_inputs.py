"""Generated malformed inputs: every reader fault case of issue 9, mixed with good records.

`write_malformed_corpus(folder)` writes one folder per format (jsonl/, csv/, parquet/, warc/,
arc/), each holding good files and files that mix good records with bad ones, and returns, per
file (its path relative to `folder`), the quarantine reasons reading it must produce: reasons
of the read step, plus `missing_text` / `empty_text` for records the mapper refuses (the text
field is always `text`). Every malformed file also holds good records, which must come through.
Native ids are unique across the whole corpus: the `id` field of JSONL, CSV and Parquet rows, and
the WARC-Record-ID of every WARC document (ARC records have none), so a run keyed on them meets
no duplicate. Register each folder as one source with `fields: {text: text, id: id}` (WARC and
ARC: `id: warc_record_id`, or none); suffixes name the formats (.arc files read as `warc`).

The builders (`warc_record`, `http_response`, `arc_record`, …) write WARC 1.0 and ARC v1 bytes
by hand, so tests can say exactly what is wrong with a record. Nothing here is copied from
third-party data.
"""

from __future__ import annotations

import gzip
import json
import uuid
import zlib
from collections.abc import Iterable
from pathlib import Path

import brotli
import pyarrow as pa
import pyarrow.parquet as pq

CRLF = b"\r\n"
# Plain filler for long files. Not one word repeated: the English harm model flags "words words
# words …" (40 times) at 0.999, and a source of such lines is rejected by the 5% gate.
FILLER = "the quick brown fox jumps over the lazy dog " * 5
WARC_DATE = "2024-04-25T16:27:48Z"
ARC_DATE = "20240425162748"


def html_page(title: str, sentences: int = 2) -> bytes:
    """A small page whose main content Resiliparse keeps."""
    paragraphs = "".join(
        f"<p>{title}: paragraph {i + 1} holds ordinary sentences a reader keeps as text.</p>"
        for i in range(sentences)
    )
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><main>"
        f"<h1>{title}</h1>{paragraphs}</main></body></html>"
    ).encode()


def http_response(
    body: bytes,
    *,
    status: str = "200 OK",
    content_type: str = "text/html; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(body: bytes, size: int = 7) -> bytes:
    """`body` in Transfer-Encoding: chunked framing."""
    out = b""
    for at in range(0, len(body), size):
        piece = body[at : at + size]
        out += f"{len(piece):x}".encode() + CRLF + piece + CRLF
    return out + b"0" + CRLF + CRLF


def warc_record(
    record_type: str,
    uri: str,
    block: bytes,
    *,
    content_type: str | None = None,
    content_length: int | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> bytes:
    """One WARC/1.0 record; `content_length` overrides the true block length (to break it)."""
    if content_type is None:
        content_type = {
            "response": "application/http; msgtype=response",
            "request": "application/http; msgtype=request",
            "warcinfo": "application/warc-fields",
            "metadata": "application/warc-fields",
        }.get(record_type, "text/plain")
    record_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{record_type} {uri} {len(block)}")
    lines = [
        "WARC/1.0",
        f"WARC-Type: {record_type}",
        f"WARC-Record-ID: <urn:uuid:{record_id}>",
        f"WARC-Date: {WARC_DATE}",
        f"WARC-Target-URI: {uri}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(block) if content_length is None else content_length}",
    ]
    lines += [f"{name}: {value}" for name, value in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + block + CRLF + CRLF


def warcinfo() -> bytes:
    return warc_record("warcinfo", "", b"software: corpusgate tests\r\nformat: WARC 1.0\r\n")


def arc_file_header(name: str) -> bytes:
    block = b"1 0 corpusgate-tests\nURL IP-address Archive-date Content-type Archive-length\n"
    return (
        f"filedesc://{name} 0.0.0.0 {ARC_DATE} text/plain {len(block)}\n".encode() + block + b"\n"
    )


def arc_record(
    uri: str,
    block: bytes,
    *,
    content_type: str = "text/html",
    length: int | None = None,
    date: str = ARC_DATE,
) -> bytes:
    """One ARC v1 record: a header line, the block (HTTP headers and body), a newline."""
    size = len(block) if length is None else length
    return f"{uri} 93.184.216.34 {date} {content_type} {size}\n".encode() + block + b"\n"


def gzip_members(records: Iterable[bytes]) -> bytes:
    """One gzip member per record: how WARC and ARC files are meant to be compressed."""
    return b"".join(gzip.compress(record, mtime=0) for record in records)


def response(uri: str, title: str, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    return warc_record("response", uri, http_response(html_page(title), **kwargs))


def write_malformed_corpus(folder: Path, *, big_record_bytes: int = 3 << 20) -> dict[str, set[str]]:
    """Write the corpus under `folder`; return {relative path: reasons reading it must produce}.

    `big_record_bytes` sizes the record without a text field (larger than the 1 MiB raw limit).
    """
    expected: dict[str, set[str]] = {}
    for writer in (_jsonl, _csv, _parquet, _warc, _arc):
        for name, (data, reasons) in writer(big_record_bytes).items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, pa.Table):
                _write_parquet(data, path, name)
            else:
                path.write_bytes(data)
            expected[name] = reasons
    return expected


_Files = dict[str, tuple[bytes | pa.Table, set[str]]]


def _jsonl_line(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode() + b"\n"


def _jsonl(big: int) -> _Files:
    good = b"".join(_jsonl_line({"id": f"jg-{i}", "text": f"good JSON line {i}"}) for i in range(3))
    nested = b'{"id": "jm-deep", "text": "deep", "v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    mixed = b"".join(
        [
            _jsonl_line({"id": "jm-1", "text": "a good record before the bad ones"}),
            b'{"id": "jm-2", "text": "cut off\n',  # invalid_json
            b'{"id": "jm-3", "text": "caf\xe9"}\n',  # invalid_utf8
            b'["jm-4", "an array, not an object"]\n',  # not_an_object
            b'{"id": "jm-5", "text": "lone \\ud800 surrogate"}\n',  # invalid_utf8 (escape)
            nested,  # invalid_json (RecursionError)
            _jsonl_line({"id": "jm-7", "body": "x" * big}),  # missing_text, > 1 MiB
            _jsonl_line({"id": "jm-8", "text": "   "}),  # empty_text
            b"\n",  # a blank line holds no record
            _jsonl_line({"id": "jm-9", "text": "emoji pair \U0001f600 is fine"}),
            b'{"id": "jm-10", "text": "an escaped pair \\ud83d\\ude00 is fine too"}\n',
            _jsonl_line({"id": "jm-11", "text": "a good record after the bad ones"}),
        ]
    )

    def lines(prefix: str) -> bytes:
        return b"".join(
            _jsonl_line({"id": f"{prefix}-{i}", "text": f"line {i} " + FILLER}) for i in range(300)
        )

    packed = gzip.compress(lines("jc"), mtime=0)
    # A sound member, then one whose deflate data is garbage right after its header: zlib fails
    # at once there (garbage deeper inside a member is only caught by its checksum, at its end).
    corrupt = gzip.compress(lines("jx"), mtime=0) + gzip.compress(b"", mtime=0)[:10] + b"\xff" * 64
    return {
        "jsonl/good.jsonl": (good, set()),
        "jsonl/mixed.jsonl": (
            mixed,
            {"invalid_json", "invalid_utf8", "not_an_object", "missing_text", "empty_text"},
        ),
        "jsonl/cut.jsonl.gz": (packed[: len(packed) * 2 // 3], {"truncated_file"}),
        "jsonl/corrupt-member.jsonl.gz": (corrupt, {"truncated_file"}),
    }


def _csv(big: int) -> _Files:
    good = b'id,text\ncg-1,first good row\ncg-2,"quoted, with a comma\nand a newline"\n'
    mixed = (
        b"id,title,text\n"
        b"cm-1,ok,a good row before the bad ones\n"
        b"cm-2,short\n"  # csv_column_count
        b'cm-3,unclosed,"this quote never closes\n'  # csv_unterminated_quote
        b"cm-4,ok,a row the open quote must not swallow\n"
        b'cm-5,ok,"a quoted ""fine"" field"\n'
        b'cm-6,stray,"a "stray" quote"\n'  # csv_stray_quote
        b"cm-7,nul,binary \x00 data\n"  # csv_nul_byte
        b"cm-8,latin1,caf\xe9\n"  # invalid_utf8
        b"cm-9,blank,  \n"  # empty_text
        b"cm-10,ok,a good row after the bad ones\n"
    )
    open_at_end = b'id,text\nce-1,good row\nce-2,"opened and never closed\nce-3,swallowed?\n'
    rows = b"id,text\n" + b"".join(f"cc-{i},row {i} {'w ' * 40}\n".encode() for i in range(300))
    packed = gzip.compress(rows, mtime=0)
    return {
        "csv/good.csv": (good, set()),
        "csv/mixed.csv": (
            mixed,
            {
                "csv_column_count",
                "csv_unterminated_quote",
                "csv_stray_quote",
                "csv_nul_byte",
                "invalid_utf8",
                "empty_text",
            },
        ),
        "csv/open-at-end.csv": (open_at_end, {"csv_unterminated_quote"}),
        "csv/cut.csv.gz": (packed[: len(packed) * 2 // 3], {"truncated_file"}),
    }


def _parquet(big: int) -> _Files:
    good = pa.table({"id": ["pg-1", "pg-2"], "text": ["good Parquet row", "another"]})
    mixed = pa.table(
        {
            "id": ["pm-1", "pm-2", "pm-3", "pm-4"],
            "text": ["a good row", None, "  ", "another good row"],  # missing_text, empty_text
        }
    )
    groups = pa.table(
        {
            "id": [f"pd-{i}" for i in range(30)],
            "text": [f"row {i} of three row groups" for i in range(30)],
        }
    )
    stamps = pa.table(
        {
            "id": ["pt-1", "pt-2", "pt-3"],
            "text": ["before", "a timestamp past year 9999", "after"],
            "seen": pa.array([0, 10**12, 0], pa.timestamp("s")),
        }
    )
    return {
        "parquet/good.parquet": (good, set()),
        "parquet/mixed.parquet": (mixed, {"missing_text", "empty_text"}),
        "parquet/damaged-row-group.parquet": (groups, {"unreadable_row_group"}),
        "parquet/bad-value.parquet": (stamps, {"invalid_value"}),
    }


def _write_parquet(table: pa.Table, path: Path, name: str) -> None:
    if "damaged" not in name:
        pq.write_table(table, path)
        return
    # Three uncompressed row groups of ten rows; the middle group's first data page header is
    # overwritten, so that group cannot be decoded and the other two can.
    pq.write_table(table, path, row_group_size=10, compression="NONE", use_dictionary=False)
    column = pq.ParquetFile(path).metadata.row_group(1).column(0)
    data = bytearray(path.read_bytes())
    start = column.data_page_offset
    data[start : start + 24] = b"\xff" * 24
    path.write_bytes(bytes(data))


def _warc(big: int) -> _Files:
    page = html_page("Chunked and gzipped")
    good = [
        warcinfo(),
        warc_record(
            "request", "https://good.example/", b"GET / HTTP/1.1\r\nHost: good.example\r\n\r\n"
        ),
        response("https://good.example/", "A good page"),
        warc_record(
            "response",
            "https://good.example/coded",
            http_response(
                chunked(gzip.compress(page, mtime=0)),
                headers=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
            ),
        ),
        warc_record(
            "resource", "file:///notes/readme.txt", b"A plain text resource a reader keeps.\n"
        ),
        warc_record("metadata", "https://good.example/", b"fetchTimeMs: 12\r\n"),
    ]

    def pages(host: str) -> list[bytes]:
        return [warcinfo()] + [response(f"https://{host}/{i}", f"Page {i}") for i in range(3)]

    cut = gzip_members(
        [warcinfo()] + [response(f"https://cut.example/{i}", f"Page {i}") for i in range(4)]
    )
    return {
        "warc/good.warc.gz": (gzip_members(good), set()),
        "warc/mixed.warc.gz": (
            gzip_members(_mixed_warc("mixed.example")),
            {
                "warc_body_undecodable",
                "warc_http_status",
                "warc_unsupported_content",
                "warc_invalid_record",
            },
        ),
        "warc/short-length.warc": (
            b"".join(_mixed_warc("plain.example")),
            {
                "warc_body_undecodable",
                "warc_http_status",
                "warc_unsupported_content",
                "warc_invalid_record",
            },
        ),
        "warc/single-member.warc.gz": (
            gzip.compress(b"".join(pages("single.example")), mtime=0),
            set(),
        ),
        "warc/cut.warc.gz": (cut[: len(cut) - 200], {"truncated_file"}),
        "warc/garbage-first.warc": (
            b"this is not a WARC file\n\n" + b"".join(pages("garbage.example")),
            {"warc_invalid_record"},
        ),
    }


def _mixed_warc(host: str) -> list[bytes]:
    """Good responses mixed with every WARC fault, under `host` (record ids differ per file)."""
    return [
        warcinfo(),
        response(f"https://{host}/1", "First good page"),
        warc_record(
            "response",
            f"https://{host}/bad-gzip",
            http_response(
                b"\x1f\x8b\x08\x00not really gzip", headers=[("Content-Encoding", "gzip")]
            ),
        ),  # warc_body_undecodable
        warc_record(
            "response",
            f"https://{host}/bad-chunks",
            http_response(
                b"zz\r\nnot a chunk size\r\n0\r\n\r\n", headers=[("Transfer-Encoding", "chunked")]
            ),
        ),  # warc_body_undecodable
        warc_record(
            "response",
            f"https://{host}/br",
            http_response(
                brotli.compress(html_page("Brotli page")), headers=[("Content-Encoding", "br")]
            ),
        ),
        warc_record(
            "response",
            f"https://{host}/deflate",
            http_response(
                zlib.compress(html_page("Deflate page")), headers=[("Content-Encoding", "deflate")]
            ),
        ),
        response(
            f"https://{host}/missing", "Not found", status="404 Not Found"
        ),  # warc_http_status
        warc_record(
            "response",
            f"https://{host}/logo.png",
            http_response(b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png"),
        ),  # warc_unsupported_content
        _short_length(response(f"https://{host}/short", "Content-Length too short")),
        response(f"https://{host}/after", "The page after the short one"),  # still read
        warc_record("revisit", f"https://{host}/1", b""),  # skipped by design
    ]


def _short_length(record: bytes) -> bytes:
    """The record with a Content-Length 40 bytes short of its block: the next record starts early."""
    head, _, rest = record.partition(b"Content-Length: ")
    number, _, tail = rest.partition(b"\r\n")
    return head + b"Content-Length: " + str(int(number) - 40).encode() + b"\r\n" + tail


def _arc(big: int) -> _Files:
    def page(uri: str, title: str, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
        return arc_record(uri, http_response(html_page(title), **kwargs))

    good = [
        arc_file_header("good.arc"),
        page("http://arc.example/", "An ARC page"),
        page("http://arc.example/two", "A second ARC page"),
        arc_record(
            "dns:arc.example",
            b"20240425162748\narc.example. 300 IN A 93.184.216.34\n",
            content_type="text/dns",
        ),
    ]
    broken = arc_record("http://arc.example/short", http_response(html_page("Short ARC length")))
    header, _, block = broken.partition(b"\n")
    size = int(header.rsplit(b" ", 1)[1])
    short = header.rsplit(b" ", 1)[0] + b" " + str(size - 30).encode() + b"\n" + block
    mixed = [
        arc_file_header("mixed.arc"),
        page("http://arc.example/a", "First ARC page"),
        page("http://arc.example/gone", "Gone", status="404 Not Found"),
        arc_record(
            "http://arc.example/i.png",
            http_response(bytes(32), content_type="image/png"),
            content_type="image/png",
        ),
        short,  # warc_invalid_record: the rest of the block where the next header should be
        page("http://arc.example/b", "The ARC page after the short one"),
    ]
    cut = gzip_members(
        [arc_file_header("cut.arc")]
        + [page(f"http://arc.example/c{i}", f"Page {i}") for i in range(4)]
    )
    return {
        "arc/good.arc.gz": (gzip_members(good), set()),
        "arc/mixed.arc": (
            b"".join(mixed),
            {"warc_http_status", "warc_unsupported_content", "warc_invalid_record"},
        ),
        "arc/cut.arc.gz": (cut[: len(cut) - 150], {"truncated_file"}),
    }

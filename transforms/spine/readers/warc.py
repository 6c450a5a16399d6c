"""WARC responses and WET conversions, located by the byte offset of the WARC record.

The offset is the record's position in the file as stored (for `.warc.gz`, in the compressed
stream), the same number CDX indexes use, so an auditor can seek straight to it.
Only documents are records: `response` records in a WARC, `conversion` records in a WET;
requests, metadata, warcinfo and revisits carry no text of their own.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecordType
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
    clip_raw,
)

TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


def read_warc(path: Path, uri: str, *, wet: bool = False) -> Iterator[ReadItem]:
    wanted = WarcRecordType.conversion if wet else WarcRecordType.response
    last_offset = 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, record_types=wanted, parse_http=not wet):
            locator = Locator(uri, "warc_offset", record.stream_pos)
            payload = record.reader.read()
            # After HTTP parsing, content_length is the body's declared length; fastwarc hands
            # back a short body instead of failing when the file ends inside the record.
            if len(payload) < record.content_length:
                raw, cut = clip_raw(payload)
                yield RawFailure(
                    reasons.TRUNCATED_FILE,
                    f"the record declares {record.content_length} bytes but the file ends after "
                    f"{len(payload)}{cut}",
                    raw,
                    locator,
                )
                return
            last_offset = record.stream_pos
            yield _to_item(record, payload, locator, wet)
    damage = _gzip_damage(path)
    if damage:
        yield RawFailure(
            reasons.TRUNCATED_FILE,
            f"{damage}; nothing after the record at offset {last_offset} can be read",
            b"",
            Locator(uri, "warc_offset", last_offset),
        )


def _to_item(record, payload: bytes, locator: Locator, wet: bool) -> ReadItem:  # type: ignore[no-untyped-def]
    headers = record.headers
    url = (headers.get("WARC-Target-URI") or "").strip().strip("<>") or None
    fields = {
        "url": url,
        "collected_at": headers.get("WARC-Date"),
        "warc_record_id": headers.get("WARC-Record-ID"),
    }
    if wet:
        fields["text"] = payload.decode("utf-8", "replace")
        return RawRecord(fields, locator)
    http = record.http_headers
    status = http.status_code if http is not None else None
    content_type = (record.http_content_type or "").lower()
    extras = {"http_headers": list(http.items()) if http is not None else [], "http_status": status}
    if status != 200:
        raw, cut = clip_raw(payload)
        return RawFailure(
            reasons.WARC_HTTP_STATUS, f"HTTP status {status} for {url}{cut}", raw, locator
        )
    if content_type and content_type not in TEXT_TYPES:
        raw, cut = clip_raw(payload)
        return RawFailure(
            reasons.WARC_UNSUPPORTED_CONTENT,
            f"content type {content_type} for {url} is not text{cut}",
            raw,
            locator,
        )
    charset = record.http_charset or detect_encoding(payload)
    html = bytes_to_str(payload, charset)
    extras["html"] = html
    fields["text"] = (
        html if content_type == "text/plain" else extract_plain_text(html, main_content=True)
    )
    return RawRecord(fields, locator, extras)


def _gzip_damage(path: Path) -> str:
    """fastwarc stops quietly at a truncated gzip member; a full decode pass says whether it did."""
    if not path.name.endswith(".gz"):
        return ""
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(1 << 22):
                pass
    except (EOFError, OSError, zlib.error) as err:
        return f"gzip stream damaged: {err}"
    return ""

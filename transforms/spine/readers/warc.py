"""Web archives: WARC (responses, text resources), WET (conversions) and ARC, located by offset.

warcio parses each record (WARC 0.17–1.1 and ARC v1 headers, the HTTP headers of a response);
this module walks the file itself over a `DecodedStream`, which is what lets it

- locate each record by its offset in the file as stored (for gzip, the compressed offset of
  the record's member: the number CDX indexes use). A record that does not start a gzip member
  (a file compressed as one piece) has no stored offset of its own; it is located by its offset
  in the uncompressed bytes instead, kind `warc_uncompressed_offset`, so two records never
  share a locator;
- keep going past damage: bytes that are not a record (a Content-Length that was too short
  leaves the end of the record where the next header should be) are quarantined from where they
  start up to the next record header, and reading resumes there; a cut file keeps every record
  before the cut and quarantines the one cut through;
- notice a truncated or corrupt gzip stream in the same single pass.

Documents are `response` and text `resource` records of a WARC or ARC, `conversion` records of a
WET. Everything else (request, metadata, warcinfo, revisit, continuation, unknown types, non-text
resources, the crawler's own `metadata:` resources) is yielded as `Skipped` with its type.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException
from warcio.timeutils import timestamp_to_iso_date

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    MAX_RAW_BYTES,
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
    Skipped,
    clip_raw,
)
from corpusgate.transforms.spine.readers.boundary import Progress
from corpusgate.transforms.spine.readers.http_body import UndecodableBody, decode_body
from corpusgate.transforms.spine.readers.stored import DecodedStream, open_decoded

TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
# No header line is longer; a line reader without a bound would hold a whole binary blob.
_MAX_LINE = 1 << 20
_READ_BLOCK = 1 << 20
_WARC_VERSIONS = (b"WARC/1.0", b"WARC/1.1", b"WARC/0.17", b"WARC/0.18")
# ARC v1 record header: URL, IP address, archive date (12 or 14 digits), content type, length.
_ARC_HEADER = re.compile(rb"^\S+ \S+ \d{12,14} \S+ \d+\r?\n?$")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_PARSE_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, ValueError)


def read_warc(
    path: str, uri: str, *, wet: bool = False, progress: Progress | None = None
) -> Iterator[ReadItem]:
    with open_decoded(path) as stream:
        yield from _Archive(stream, uri, wet, progress or Progress()).items()


class _NotARecord(ValueError):
    pass


class _Tap:
    """The stream as warcio sees it: lines bounded, and the header bytes kept while recording."""

    def __init__(self, stream: DecodedStream) -> None:
        self._stream = stream
        self._kept: list[bytes] | None = None
        self.total = 0

    def start(self, first: bytes) -> None:
        self._kept, self.total = [first], len(first)

    def stop(self) -> bytes:
        """The bytes read since `start` (a head of them past `MAX_RAW_BYTES`); stop recording."""
        kept, self._kept = self._kept or [], None
        return b"".join(kept)[:MAX_RAW_BYTES]

    def readline(self, size: int | None = -1) -> bytes:
        line = self._stream.readline(
            _MAX_LINE if size is None or size < 0 else min(size, _MAX_LINE)
        )
        if self._kept is not None:
            self.total += len(line)
            if self.total <= 2 * MAX_RAW_BYTES:  # enough for a clipped raw; no more is held
                self._kept.append(line)
        return line

    def read(self, size: int | None = -1) -> bytes:
        data = self._stream.read(size)
        if self._kept is not None:
            self.total += len(data)
            if self.total <= 2 * MAX_RAW_BYTES:
                self._kept.append(data)
        return data


class _Archive:
    def __init__(self, stream: DecodedStream, uri: str, wet: bool, progress: Progress) -> None:
        self.stream = stream
        self.tap = _Tap(stream)
        self.uri = uri
        self.wet = wet
        self.progress = progress
        self.loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)
        self.format: str | None = None  # "warc" or "arc", from the first record
        self.damage_reported = False
        self.documents = ("conversion",) if wet else ("response", "resource")

    def items(self) -> Iterator[ReadItem]:
        stream = self.stream
        pending: tuple[bytes, int] | None = None  # a header line met while skipping, its offset
        record_end = -1  # where the block of the last record read ends
        while True:
            if pending is not None:
                (line, start), pending = pending, None
                gap_start = start
            else:
                gap_start = stream.tell()
                line = self.tap.readline()
                while line and not line.strip():  # blank lines end every record
                    line = self.tap.readline()
                if not line:
                    break
                start = stream.tell() - len(line)
            locator = self._locate(gap_start, start)
            self.tap.start(line)
            try:
                if not self._is_header(line):
                    # warcio would read any line of five words ending in a number as an ARC header.
                    raise _NotARecord(f"the line there is not a record header: {line[:80]!r}")
                # HTTP headers are parsed below, only for records that may be documents.
                record = self.loader.parse_record_stream(
                    self.tap, line, self.format, no_record_parse=True
                )
                _check_length(record)
                if _record_type(record) in self.documents:
                    record.http_headers = self.loader.load_http_headers(
                        record.rec_type, _target(record), record.raw_stream, record.length
                    )
            except _PARSE_ERRORS as err:
                # Data right where a record ended (no blank line between) means its
                # Content-Length fell short of its block.
                failure, pending = self._skip_to_next_record(locator, err, gap_start == record_end)
                yield failure
                record_end = -1
                continue
            self.tap.stop()
            self.format = self.format or record.format
            yield self._item(record, locator)
            record_end = stream.tell()
        if stream.damage and not self.damage_reported:
            end = Locator(self.uri, "warc_uncompressed_offset", stream.tell())
            yield RawFailure(
                reasons.TRUNCATED_FILE,
                f"{stream.damage}; every record before uncompressed byte {stream.tell()} was "
                "read, nothing after it can be",
                b"",
                end,
            )

    def _locate(self, gap_start: int, start: int) -> Locator:
        stored = self.stream.stored_offset(gap_start, start)
        if stored is None:
            return Locator(self.uri, "warc_uncompressed_offset", start)
        self.progress.stored_offset = stored
        return Locator(self.uri, "warc_offset", stored)

    def _is_header(self, line: bytes) -> bool:
        if self.format != "arc" and line.startswith(_WARC_VERSIONS):
            return True
        return self.format != "warc" and _ARC_HEADER.match(line) is not None

    def _skip_to_next_record(
        self, locator: Locator, err: Exception, after_record: bool
    ) -> tuple[RawFailure, tuple[bytes, int] | None]:
        """Quarantine the bytes from `locator` up to the next record header, returned with its offset."""
        stream = self.stream
        total = self.tap.total
        kept = [self.tap.stop()]  # the lines warcio read before giving up
        held = len(kept[0])
        pending = None
        while True:
            at = stream.tell()
            line = self.tap.readline()
            if not line:
                break
            # A gzip member that starts inside the line starts a fresh record.
            split = stream.member_start_within(at, at + len(line))
            if split is not None and self._is_header(line[split - at :]):
                pending = (line[split - at :], split)
                line = line[: split - at]
            elif self._is_header(line):
                pending = (line, at)
                line = b""
            total += len(line)
            if held < MAX_RAW_BYTES and line:
                kept.append(line[: MAX_RAW_BYTES - held])
                held += len(kept[-1])
            if pending is not None:
                break
        raw, cut = clip_raw(b"".join(kept), total)
        if pending is None and (stream.damage or isinstance(err, EOFError)):
            self.damage_reported = True
            why = stream.damage or "the file ends"
            detail = f"{why}; the record at {locator} is cut ({_short(err)}){cut}"
            return RawFailure(reasons.TRUNCATED_FILE, detail, raw, locator), None
        what = {"warc": "a WARC record", "arc": "an ARC record"}.get(
            self.format or "", "a WARC or ARC record"
        )
        hint = (
            "; the record before declares a Content-Length too short for its block"
            if after_record
            else ""
        )
        then = "reading resumes at the next record header" if pending else "no record follows"
        detail = f"{total} bytes here are not {what} ({_short(err)}){hint}; {then}{cut}"
        return RawFailure(reasons.WARC_INVALID_RECORD, detail, raw, locator), pending

    def _item(self, record: ArcWarcRecord, locator: Locator) -> ReadItem:
        kind = _record_type(record)
        if kind not in self.documents:
            return self._skip(record, kind, locator)
        http = record.http_headers
        if http is None:
            media, charset = _media_type(_declared_type(record))
            # A WET conversion is text by definition, whatever its Content-Type says.
            not_text = media not in TEXT_TYPES or _target(record).startswith("metadata:")
            if not_text and not self.wet:
                return self._skip(record, kind, locator)
            payload = self._payload(record, locator)
            if isinstance(payload, RawFailure):
                return payload
            return self._document(record, payload, media, charset, locator, http_status=None)
        status = http.get_statuscode()
        media, charset = _media_type(http.get_header("content-type") or "")
        url = _target(record)
        if status != "200":
            return self._refuse(
                record,
                reasons.WARC_HTTP_STATUS,
                f"HTTP status {status or '(none)'} for {url}",
                locator,
            )
        if media and media not in TEXT_TYPES:
            return self._refuse(
                record,
                reasons.WARC_UNSUPPORTED_CONTENT,
                f"content type {media} for {url} is not text",
                locator,
            )
        payload = self._payload(record, locator)
        if isinstance(payload, RawFailure):
            return payload
        truncated = record.rec_headers.get_header("WARC-Truncated") is not None
        try:
            body = decode_body(payload, http.headers, truncated=truncated)
        except UndecodableBody as err:
            return RawFailure(reasons.WARC_BODY_UNDECODABLE, f"{err} for {url}", payload, locator)
        return self._document(record, body, media, charset, locator, http_status=int(status))

    def _document(
        self,
        record: ArcWarcRecord,
        body: bytes,
        media: str,
        charset: str | None,
        locator: Locator,
        http_status: int | None,
    ) -> ReadItem:
        fields = _fields(record)
        http = record.http_headers
        extras: dict = {
            "http_headers": list(http.headers) if http else [],
            "http_status": http_status,
        }
        try:
            if self.wet:
                fields["text"] = body.decode("utf-8", "replace")
                return RawRecord(fields, locator)
            html = bytes_to_str(body, _known_charset(charset) or detect_encoding(body))
            if media == "text/plain":
                fields["text"] = html
            else:
                extras["html"] = html
                fields["text"] = extract_plain_text(html, main_content=True)
        except Exception as err:  # one page the extractor cannot handle must not end the file
            return RawFailure(
                reasons.READER_ERROR,
                f"{type(err).__name__} while extracting text from {fields['url']}: {err}",
                body,
                locator,
            )
        return RawRecord(fields, locator, extras)

    def _skip(self, record: ArcWarcRecord, kind: str, locator: Locator) -> ReadItem:
        _, total, short = self._drain(record, keep=0)
        if short:
            return self._cut(record, b"", total, locator)
        return Skipped(kind, locator)

    def _payload(self, record: ArcWarcRecord, locator: Locator) -> bytes | RawFailure:
        payload = record.raw_stream.read()
        if record.raw_stream.limit > 0:
            return self._cut(record, payload, len(payload), locator)
        return payload

    def _refuse(self, record: ArcWarcRecord, reason: str, why: str, locator: Locator) -> RawFailure:
        """Quarantine a record without holding more than the raw limit of its body."""
        head, total, short = self._drain(record, keep=MAX_RAW_BYTES)
        if short:
            return self._cut(record, head, total, locator)
        raw, cut = clip_raw(head, total)
        return RawFailure(reason, why + cut, raw, locator)

    def _drain(self, record: ArcWarcRecord, keep: int) -> tuple[bytes, int, bool]:
        """Read the rest of the record, holding at most `keep` bytes: (head, total, cut short)."""
        parts: list[bytes] = []
        held = total = 0
        while block := record.raw_stream.read(_READ_BLOCK):
            total += len(block)
            if held < keep:
                parts.append(block[: keep - held])
                held += len(parts[-1])
        return b"".join(parts), total, record.raw_stream.limit > 0

    def _cut(self, record: ArcWarcRecord, head: bytes, got: int, locator: Locator) -> RawFailure:
        self.damage_reported = True
        why = self.stream.damage or "the file ends"
        raw, cut = clip_raw(head, got)
        return RawFailure(
            reasons.TRUNCATED_FILE,
            f"{why}; the record declares {record.length} bytes but only {got} follow its "
            f"headers{cut}",
            raw,
            locator,
        )


def _check_length(record: ArcWarcRecord) -> None:
    """warcio reads a missing or bad length as 0 (or unbounded); here it is not a record."""
    name = "length" if record.format == "arc" else "Content-Length"
    value = record.rec_headers.get_header(name)
    if value is None or not (value.strip().isascii() and value.strip().isdigit()):
        raise _NotARecord(f"{name} {value!r} is not a byte count")


def _record_type(record: ArcWarcRecord) -> str:
    if record.format == "arc":
        return "arc_header" if record.rec_type == "arc_header" else "response"
    return (record.rec_type or "(none)").strip().lower()


def _target(record: ArcWarcRecord) -> str:
    name = "uri" if record.format == "arc" else "WARC-Target-URI"
    return (record.rec_headers.get_header(name) or "").strip().strip("<>")


def _declared_type(record: ArcWarcRecord) -> str:
    name = "content-type" if record.format == "arc" else "Content-Type"
    return record.rec_headers.get_header(name) or ""


def _media_type(value: str) -> tuple[str, str | None]:
    media = value.split(";", 1)[0].strip().lower()
    charset = _CHARSET.search(value)
    return media, charset.group(1) if charset else None


def _known_charset(name: str | None) -> str | None:
    """The declared charset if Python knows it; a bogus name falls back to detection."""
    if not name:
        return None
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _fields(record: ArcWarcRecord) -> dict:
    headers = record.rec_headers
    url = _target(record) or None
    if record.format == "arc":
        date = headers.get_header("archive-date") or ""
        collected = timestamp_to_iso_date(date) if date.isdigit() else None
        return {"url": url, "collected_at": collected, "warc_record_id": None}
    return {
        "url": url,
        "collected_at": headers.get_header("WARC-Date"),
        "warc_record_id": headers.get_header("WARC-Record-ID"),
    }


def _short(err: Exception) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= 200 else text[:200] + "…"

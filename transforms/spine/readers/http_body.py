"""Decode an archived HTTP message body: transfer codings (chunked), then content codings.

A WARC response holds the body as the server sent it, so `Transfer-Encoding: chunked` framing
and `Content-Encoding: gzip | deflate | br` have to be undone before the text is extracted;
otherwise chunk-size lines and compressed bytes end up in the corpus as "text". Decoding is
strict: a body that does not decode as its headers say raises `UndecodableBody`, whose message
names the coding and what went wrong. A record the archiver marked truncated (`WARC-Truncated`)
may end early; what decodes before the cut is kept.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import brotli

# A decoded body past this size is refused: a small compressed body can expand a thousandfold,
# and no page of text needs more.
MAX_DECODED_BYTES = 256 << 20


class UndecodableBody(ValueError):
    """The body cannot be decoded as its headers declare."""


def codings(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    """The codings a header lists, in the order they were applied; repeated headers joined."""
    found: list[str] = []
    for key, value in headers:
        if key.lower() == name:
            found += [c.strip().lower() for c in value.split(",") if c.strip()]
    return found


def decode_body(
    body: bytes, headers: Iterable[tuple[str, str]], *, truncated: bool = False
) -> bytes:
    """`body` with its transfer and content codings undone, last applied first."""
    headers = list(headers)
    for coding in reversed(codings(headers, "transfer-encoding")):
        body = _decode_transfer(body, coding, truncated)
    for coding in reversed(codings(headers, "content-encoding")):
        body = _decode_content(body, coding, truncated)
    return body


def _decode_transfer(body: bytes, coding: str, truncated: bool) -> bytes:
    if coding == "chunked":
        return dechunk(body, truncated=truncated)
    return _decode_content(body, coding, truncated)  # RFC 9112 allows gzip etc. here too


def _decode_content(body: bytes, coding: str, truncated: bool) -> bytes:
    if coding in ("identity", ""):
        return body
    if not body:
        return body  # a HEAD-like or empty 200 response: nothing was coded
    if coding in ("gzip", "x-gzip"):
        return _inflate(body, 31, "gzip", truncated)
    if coding == "deflate":
        # "deflate" means zlib-wrapped (RFC 9110), but many servers send raw deflate; a zlib
        # header is two bytes whose big-endian value is a multiple of 31.
        wrapped = len(body) >= 2 and (body[0] & 0x0F) == 8 and int.from_bytes(body[:2]) % 31 == 0
        return _inflate(body, 15 if wrapped else -15, "deflate", truncated)
    if coding == "br":
        return _unbrotli(body, truncated)
    raise UndecodableBody(f"content coding '{coding}' is not supported (gzip, deflate, br are)")


def _inflate(body: bytes, wbits: int, name: str, truncated: bool) -> bytes:
    parts: list[bytes] = []
    size = 0
    data = body
    while data:
        decoder = zlib.decompressobj(wbits)
        try:
            out = decoder.decompress(data, MAX_DECODED_BYTES + 1 - size)
        except zlib.error as err:
            if parts and name == "gzip" and not data.strip(b"\x00"):
                break  # zero padding after the last member
            raise UndecodableBody(f"{name} body is corrupt: {err}") from err
        parts.append(out)
        size += len(out)
        if size > MAX_DECODED_BYTES:
            raise UndecodableBody(f"{name} body decodes to more than {MAX_DECODED_BYTES} bytes")
        if not decoder.eof:
            if truncated:
                parts.append(decoder.flush())
                break
            raise UndecodableBody(f"{name} body ends before its end-of-stream marker")
        # gzip allows several members one after another; deflate is a single stream.
        data = decoder.unused_data if name == "gzip" else b""
    return b"".join(parts)


def _unbrotli(body: bytes, truncated: bool) -> bytes:
    decoder = brotli.Decompressor()
    try:
        out = decoder.process(body, output_buffer_limit=MAX_DECODED_BYTES + 1)
    except brotli.error as err:
        raise UndecodableBody(f"br body is corrupt: {err}") from err
    if len(out) > MAX_DECODED_BYTES:
        raise UndecodableBody(f"br body decodes to more than {MAX_DECODED_BYTES} bytes")
    if not decoder.is_finished() and not truncated:
        raise UndecodableBody("br body ends before its end-of-stream marker")
    return out


def dechunk(body: bytes, *, truncated: bool = False) -> bytes:
    """The payload of a `Transfer-Encoding: chunked` body (RFC 9112 §7.1).

    Chunk-size lines may carry extensions (`;name=value`) and end in CRLF or, leniently, LF;
    trailer fields after the last chunk are dropped.
    """
    parts: list[bytes] = []
    at = 0
    while True:
        end = body.find(b"\n", at)
        if end < 0:
            if truncated:
                break
            raise UndecodableBody(
                f"chunked body ends at byte {at} where a chunk-size line was expected"
            )
        line = body[at:end].split(b";", 1)[0].strip()
        try:
            size = int(line, 16)
        except ValueError:
            raise UndecodableBody(
                f"chunked body: {line[:40]!r} at byte {at} is not a hexadecimal chunk size"
            ) from None
        if size < 0:
            raise UndecodableBody(f"chunked body: negative chunk size at byte {at}")
        start = end + 1
        if size == 0:
            break  # the last chunk; trailer fields follow and carry no payload
        chunk = body[start : start + size]
        if len(chunk) < size:
            if truncated:
                parts.append(chunk)
                break
            raise UndecodableBody(
                f"chunked body: the chunk at byte {at} declares {size} bytes, {len(chunk)} remain"
            )
        parts.append(chunk)
        at = start + size
        if body.startswith(b"\r\n", at):
            at += 2
        elif body.startswith(b"\n", at):
            at += 1
        elif at < len(body) or not truncated:
            raise UndecodableBody(f"chunked body: no line end after the chunk ending at byte {at}")
    return b"".join(parts)

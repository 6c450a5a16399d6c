"""HTTP body decoding (RFC 9112 §7 transfer codings, RFC 9110 §8.4 content codings)."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from corpusgate.transforms.spine.readers import http_body
from corpusgate.transforms.spine.readers.http_body import UndecodableBody, dechunk, decode_body

PAGE = b"<html><body><p>Hello, archived world.</p></body></html>"
ZIPPED = gzip.compress(PAGE)


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


DECODABLE = {
    "no coding": (PAGE, []),
    "identity": (PAGE, [("Content-Encoding", "identity")]),
    "gzip": (gzip.compress(PAGE), [("Content-Encoding", "gzip")]),
    "x-gzip, two members": (
        gzip.compress(PAGE[:10]) + gzip.compress(PAGE[10:]),
        [("content-encoding", "x-gzip")],
    ),
    "deflate (zlib)": (zlib.compress(PAGE), [("Content-Encoding", "deflate")]),
    "deflate sent raw": (raw_deflate(PAGE), [("Content-Encoding", "deflate")]),
    "br": (brotli.compress(PAGE), [("Content-Encoding", "br")]),
    "chunked": (
        b"a\r\n"
        + PAGE[:10]
        + b"\r\n"
        + f"{len(PAGE) - 10:X}".encode()
        + b"\r\n"
        + PAGE[10:]
        + b"\r\n0\r\n\r\n",
        [("Transfer-Encoding", "chunked")],
    ),
    "chunked with an extension, LF ends and a trailer": (
        f"{len(PAGE):x};name=value\n".encode() + PAGE + b"\n0\nExpires: never\n\n",
        [("Transfer-Encoding", "chunked")],
    ),
    "gzip inside chunked": (
        f"{len(ZIPPED):x}\r\n".encode() + ZIPPED + b"\r\n0\r\n\r\n",
        [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
    ),
    "gzip then br, in two headers": (
        brotli.compress(gzip.compress(PAGE)),
        [("Content-Encoding", "gzip"), ("Content-Encoding", "br")],
    ),
    "an empty body with a coding": (b"", [("Content-Encoding", "gzip")]),
}


@pytest.mark.parametrize("case", DECODABLE)
def test_decodable_bodies(case: str) -> None:
    body, headers = DECODABLE[case]
    assert decode_body(body, headers) == (b"" if case.startswith("an empty") else PAGE)


UNDECODABLE = {
    "gzip that is not gzip": (b"<html>already decoded</html>", "gzip", "gzip body is corrupt"),
    "gzip cut short": (gzip.compress(PAGE * 50)[:-30], "gzip", "ends before its end-of-stream"),
    "br that is not br": (b"\xff" * 40, "br", "br body is corrupt"),
    "an unsupported coding": (PAGE, "zstd", "content coding 'zstd' is not supported"),
}


@pytest.mark.parametrize("case", UNDECODABLE)
def test_undecodable_content_codings(case: str) -> None:
    body, coding, message = UNDECODABLE[case]
    with pytest.raises(UndecodableBody, match=message):
        decode_body(body, [("Content-Encoding", coding)])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"zz\r\nabc\r\n0\r\n\r\n", "not a hexadecimal chunk size"),
        (b"10\r\nshort\r\n", "declares 16 bytes, 7 remain"),
        (b"3\r\nabcXY0\r\n\r\n", "no line end after the chunk"),
        (b"3\r\nabc\r\n", "where a chunk-size line was expected"),
        (b"<html>not chunked at all</html>", "where a chunk-size line was expected"),
    ],
)
def test_broken_chunked_framing(body: bytes, message: str) -> None:
    with pytest.raises(UndecodableBody, match=message):
        dechunk(body)


def test_a_body_the_archiver_marked_truncated_keeps_what_decodes() -> None:
    text = b"".join(f"{i**7 % 100_003} ".encode() for i in range(5000))  # compresses poorly
    packed = gzip.compress(text)[:-300]
    decoded = decode_body(packed, [("Content-Encoding", "gzip")], truncated=True)
    assert decoded and text.startswith(decoded)
    assert dechunk(b"5\r\nabcde\r\n5\r\nfg", truncated=True) == b"abcdefg"


def test_a_body_decoding_past_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_body, "MAX_DECODED_BYTES", 1 << 20)
    bomb = gzip.compress(bytes(4 << 20))
    with pytest.raises(UndecodableBody, match="decodes to more than 1048576 bytes"):
        decode_body(bomb, [("Content-Encoding", "gzip")])
    with pytest.raises(UndecodableBody, match="decodes to more than 1048576 bytes"):
        decode_body(brotli.compress(bytes(4 << 20)), [("Content-Encoding", "br")])

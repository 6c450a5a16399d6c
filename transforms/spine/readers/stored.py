"""The bytes of an input file as stored: opened locally or through Beam's FileSystems, gunzipped.

A path with a scheme (gs://, s3://, any scheme Beam's FileSystems knows) is opened through
FileSystems, so workers read what the launcher planned wherever it lives; Beam is imported only
then. Compression is detected from the bytes (the gzip magic), not the name, and handled here
rather than by FileSystems, because readers need what a plain gunzip cannot give them:

- everything decoded before a truncated or corrupt gzip stream, then a note of the damage
  (`damage`) instead of an exception, so a reader can keep what came before and quarantine
  the rest in the same single pass;
- where each gzip member starts, so a WARC record can be located by its offset in the stored
  (compressed) file, the number CDX indexes and `zcat`-free tools use.
"""

from __future__ import annotations

import io
import re
import zlib
from bisect import bisect_left, bisect_right
from typing import BinaryIO

_SCHEME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9+.]*://")
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_SALVAGE_LIMIT = 64 << 20


def is_remote(path: str) -> bool:
    """True for a URL with a scheme (gs://bucket/x), which Beam's FileSystems opens."""
    return bool(_SCHEME.match(path))


def open_stored(path: str) -> BinaryIO:
    """The file's stored bytes, unbuffered by us and never decompressed."""
    if is_remote(path):
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems

        return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    return open(path, "rb")  # the caller closes it


def read_stored_head(path: str, offset: int, limit: int) -> bytes:
    """Up to `limit` stored bytes from `offset`; b"" when the file cannot be read at all."""
    try:
        with open_stored(path) as handle:
            if offset:
                handle.seek(offset)
            return handle.read(limit)
    except Exception:  # the raw payload of a failure is best effort; the failure itself stands
        return b""


class _Decoded(io.RawIOBase):
    """Raw layer: decoded bytes of one stored stream, gzip members and all."""

    def __init__(self, handle: BinaryIO, gz: bool) -> None:
        self._handle = handle
        self._gz = gz
        self.produced = 0  # decoded bytes handed to the buffer above
        self.damage: str | None = None
        # Where each gzip member starts: decoded offset -> stored offset, in file order.
        self.member_decoded: list[int] = []
        self.member_stored: list[int] = []
        self._decoder: zlib._Decompress | None = None
        self._input = b""  # stored bytes not yet fed to a decoder
        self._input_at = 0  # stored offset of _input[0]
        self._output = b""  # decoded bytes, handed out from _output_at on
        self._output_at = 0
        self._decoded_total = 0  # decoded bytes produced so far, handed out or not
        self._ended = False

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.produced

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        if not self._gz:
            size = self._handle.readinto(target)  # type: ignore[attr-defined]
            self.produced += size or 0
            return size or 0
        while self._output_at >= len(self._output):
            if self._ended or not self._decode_more():
                return 0
        at = self._output_at
        size = min(len(target), len(self._output) - at)
        target[:size] = memoryview(self._output)[at : at + size]
        self._output_at = at + size
        self.produced += size
        return size

    def _decode_more(self) -> bool:
        """Decode at most one chunk of output; False once nothing more can be decoded."""
        if not self._input:
            self._input = self._handle.read(_CHUNK)
            if not self._input:
                return self._finish()
        if self._decoder is None:
            # Zero bytes between members are padding some writers leave; skip them.
            stripped = self._input.lstrip(b"\x00")
            self._input_at += len(self._input) - len(stripped)
            self._input = stripped
            if not stripped:
                return True
            self._decoder = zlib.decompressobj(wbits=47)  # gzip or zlib header, auto-detected
            self.member_decoded.append(self._decoded_total)
            self.member_stored.append(self._input_at)
        decoder = self._decoder
        given = self._input
        backup = decoder.copy()
        try:
            # max_length bounds memory: a small, highly compressed member is decoded in steps.
            out = decoder.decompress(given, _CHUNK)
        except zlib.error as err:
            self._salvage(backup, given)
            # Deflate cannot tell damaged bytes from good ones until the member's checksum, so
            # what came out of this member before the error may be damaged too.
            return self._fail(
                f"corrupt gzip data ({err})", "; bytes decoded from that member may be damaged"
            )
        rest = decoder.unused_data if decoder.eof else decoder.unconsumed_tail
        self._input_at += len(given) - len(rest)
        self._input = rest
        if decoder.eof:
            self._decoder = None
        self._emit(out)
        return True

    def _finish(self) -> bool:
        """The stored bytes are exhausted: a member still open means the file was cut."""
        decoder = self._decoder
        if decoder is not None:
            try:
                # Output zlib still holds because the last call hit the output limit.
                while not decoder.eof and (out := decoder.decompress(b"", _CHUNK)):
                    self._emit(out)
                if not decoder.eof:
                    self._emit(decoder.flush())
            except zlib.error as err:
                return self._fail(f"corrupt gzip data ({err})")
            if not decoder.eof:
                return self._fail("the gzip stream ends before its end-of-stream marker")
        self._ended = True
        return self._pending()

    def _salvage(self, decoder: zlib._Decompress, given: bytes) -> None:
        """Decode `given` in small steps up to the corrupt spot, so what precedes it is kept."""
        limit = self._decoded_total + _SALVAGE_LIMIT  # corrupt data may also be a bomb
        for step in (512, 1):  # coarse, then byte by byte through the step that failed
            for at in range(0, len(given), step):
                if self._decoded_total > limit:
                    return
                before = decoder.copy()
                try:
                    out = decoder.decompress(given[at : at + step])
                except zlib.error:
                    decoder, given = before, given[at : at + step]
                    break
                self._emit(out)
                if decoder.eof:
                    return
            else:
                return

    def _fail(self, why: str, note: str = "") -> bool:
        self._ended = True
        self.damage = (
            f"{why} in the gzip member that starts at stored byte {self.member_stored[-1]}{note}"
        )
        return self._pending()

    def _emit(self, data: bytes) -> None:
        if data:
            rest = self._output[self._output_at :]
            self._output, self._output_at = rest + data if rest else data, 0
            self._decoded_total += len(data)

    def _pending(self) -> bool:
        return self._output_at < len(self._output)


class DecodedStream(io.BufferedReader):
    """A buffered, readable view of a stored file's decoded bytes.

    Reading stops at the end of what could be decoded; `damage` then says why it ended early
    (None for a sound file). `tell()` is the offset in the decoded bytes.
    """

    def __init__(self, handle: BinaryIO, *, buffer_size: int = 1 << 16) -> None:
        head = handle.read(2)
        # Put the sniffed bytes back in front without needing a seekable handle.
        self._raw_layer = _Decoded(_Prefixed(head, handle), gz=head == GZIP_MAGIC)
        self._handle = handle
        super().__init__(self._raw_layer, buffer_size=buffer_size)

    @property
    def gzipped(self) -> bool:
        return self._raw_layer._gz

    @property
    def damage(self) -> str | None:
        return self._raw_layer.damage

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._handle.close()

    def stored_offset(self, first: int, last: int) -> int | None:
        """The stored offset of the position that starts at decoded offset `last`, when known.

        For a plain file that is `last` itself. For gzip, a stored offset exists only at the
        start of a member: the latest member starting within decoded [first, last] (the bytes
        in between being blank lines a record may be preceded by); None when `last` lies
        inside a member that started earlier (a file compressed as one piece).
        """
        if not self.gzipped:
            return last
        starts = self._raw_layer.member_decoded
        index = bisect_right(starts, last) - 1
        if index < 0 or starts[index] < first:
            return None
        return self._raw_layer.member_stored[index]

    def member_start_within(self, first: int, end: int) -> int | None:
        """The decoded offset of the first gzip member starting strictly inside (first, end)."""
        if not self.gzipped:
            return None
        starts = self._raw_layer.member_decoded
        index = bisect_left(starts, first + 1)
        if index < len(starts) and starts[index] < end:
            return starts[index]
        return None


class _Prefixed(io.RawIOBase):
    """`head` followed by the rest of `handle`: un-reads the sniffed magic bytes."""

    def __init__(self, head: bytes, handle: BinaryIO) -> None:
        self._head = head
        self._handle = handle

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            if size is None or size < 0:
                return head + self._handle.read()
            if size <= len(head):
                head, self._head = head[:size], head[size:]
                return head
            return head + self._handle.read(size - len(head))
        return self._handle.read(size)

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        if not self._head and hasattr(self._handle, "readinto"):
            return self._handle.readinto(target) or 0
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)


def open_decoded(path: str) -> DecodedStream:
    """Open `path` (local or remote) as a `DecodedStream`; the caller closes it."""
    return DecodedStream(open_stored(path))

"""What every reader yields: a parsed raw record or a failure, each with its native locator.

Readers never raise for bad data: a line, row or WARC record they cannot parse becomes a
`RawFailure` carrying as much of its raw bytes as could be read, so the run can quarantine it.
Only problems with the run itself (a file that vanished between planning and reading) raise.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A quarantined raw payload is kept whole up to this size; beyond it the head is kept and the
# detail says how much was cut, so one broken multi-gigabyte line cannot blow up a worker.
MAX_RAW_BYTES = 1 << 20


@dataclass(slots=True, frozen=True)
class Locator:
    uri: str
    kind: str  # "line" | "row" | "warc_offset" | "index"
    position: int

    def key(self) -> str:
        return f"{self.uri}#{self.kind}={self.position}"

    def __str__(self) -> str:
        return f"{self.uri} {self.kind.replace('_', ' ')} {self.position}"


@dataclass(slots=True)
class RawRecord:
    fields: dict[str, Any]
    locator: Locator
    # Reader-specific context later checks may need (HTTP headers of a WARC response); not persisted.
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RawFailure:
    reason: str
    detail: str
    raw: bytes
    locator: Locator


ReadItem = RawRecord | RawFailure


def clip_raw(raw: bytes) -> tuple[bytes, str]:
    if len(raw) <= MAX_RAW_BYTES:
        return raw, ""
    return raw[:MAX_RAW_BYTES], f" (raw bytes cut to {MAX_RAW_BYTES} of {len(raw)})"


class TruncatedInput(Exception):
    """The compressed stream ended early; `tail` holds the bytes decoded after the last full chunk."""

    def __init__(self, message: str, tail: bytes = b"") -> None:
        super().__init__(message)
        self.tail = tail


def iter_decompressed(path: Path, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Yield the bytes of a file, gunzipping `.gz` (multi-member too).

    Unlike `gzip.open`, a truncated or corrupt stream still yields everything decoded before the
    damage, then raises `TruncatedInput`, so the reader can quarantine the partial tail.
    """
    with open(path, "rb") as handle:
        if not path.name.endswith(".gz"):
            yield from iter(lambda: handle.read(chunk_size), b"")
            return
        decoder = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, auto-detected
        fed = False  # has the current member's decoder consumed any input?
        while chunk := handle.read(chunk_size):
            while chunk:
                fed = True
                try:
                    out = decoder.decompress(chunk)
                except zlib.error as err:
                    raise TruncatedInput(f"corrupt gzip data: {err}") from err
                if out:
                    yield out
                chunk = b""
                if decoder.eof:
                    # Concatenated members (common in WARC/WET and pigz output): start the next one.
                    chunk = decoder.unused_data.lstrip(b"\x00")
                    decoder = zlib.decompressobj(wbits=47)
                    fed = False
        if fed and not decoder.eof:
            raise TruncatedInput(
                "gzip stream ends before its end-of-stream marker", decoder.flush()
            )

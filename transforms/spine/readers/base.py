"""What every reader yields: a raw record, a failure, or a record skipped by design.

Readers never raise for what a file holds: a line, row or WARC record they cannot parse becomes
a `RawFailure` carrying as much of its raw bytes as is safe, so the run can quarantine it; and
`read_file` puts an error boundary around each file for whatever a reader did not foresee.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# A quarantined raw payload is kept whole up to this size; beyond it the head is kept and the
# detail says how much was cut, so one broken multi-gigabyte line cannot blow up a worker.
MAX_RAW_BYTES = 1 << 20

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def sanitize_text(s: str) -> str:
    """`s` with every lone surrogate replaced by U+FFFD.

    A JSON "\\ud800" escape or a file name with undecodable bytes yields a str no UTF-8 encoder
    accepts; Beam's coders and Parquet both fail on it, so every string bound for a quarantine
    row passes through here.
    """
    if s.isascii():
        return s
    return _LONE_SURROGATE.sub("\ufffd", s)


def has_lone_surrogate(s: str) -> bool:
    return not s.isascii() and _LONE_SURROGATE.search(s) is not None


@dataclass(slots=True, frozen=True)
class Locator:
    uri: str
    # "line" | "row" | "index" | "warc_offset" (stored bytes) | "warc_uncompressed_offset"
    kind: str
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


@dataclass(slots=True, frozen=True)
class RawFailure:
    """An input item that is not a record, ready for the quarantine.

    Built safe whatever the caller passes: `raw` is cut to `MAX_RAW_BYTES` (the detail then says
    how much was cut) and `detail` is sanitized, so no quarantine row can crash a coder.
    """

    reason: str
    detail: str
    raw: bytes
    locator: Locator

    def __post_init__(self) -> None:
        raw, cut = clip_raw(bytes(self.raw))
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "detail", sanitize_text(self.detail + cut))


@dataclass(slots=True, frozen=True)
class Skipped:
    """A WARC/ARC record that is not a document by design (request, metadata, warcinfo, …).

    Not a record and not in the read count; the read step counts them per file and type so the
    manifest shows what was passed over.
    """

    record_type: str
    locator: Locator


ReadItem = RawRecord | RawFailure | Skipped


def clip_raw(raw: bytes, total: int | None = None) -> tuple[bytes, str]:
    """(`raw` cut to `MAX_RAW_BYTES`, a note for the detail saying so, or "").

    `total` is the full size when the caller has already kept only a head of the payload.
    """
    size = len(raw) if total is None else total
    if size <= MAX_RAW_BYTES and len(raw) <= MAX_RAW_BYTES:
        return raw, ""
    return raw[:MAX_RAW_BYTES], f" (raw bytes cut to {MAX_RAW_BYTES} of {size})"

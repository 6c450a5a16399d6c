"""JSON Lines (plain or gzipped): one object per line, located by 1-based line number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
    TruncatedInput,
    clip_raw,
    iter_decompressed,
)


def read_jsonl(path: Path, uri: str) -> Iterator[ReadItem]:
    """Yield each non-blank line as a record or a failure.

    Blank lines carry no record and are not counted; anything else is exactly one item.
    """
    line_no = 0
    pending = b""
    try:
        for chunk in iter_decompressed(path):
            pending += chunk
            lines = pending.split(b"\n")
            pending = lines.pop()
            for line in lines:
                line_no += 1
                if line.strip():
                    yield _parse_line(line, Locator(uri, "line", line_no))
    except TruncatedInput as err:
        raw, cut = clip_raw(pending + err.tail)
        yield RawFailure(
            reasons.TRUNCATED_FILE,
            f"{err} after line {line_no}; the partial line that follows is kept as raw{cut}",
            raw,
            Locator(uri, "line", line_no + 1),
        )
        return
    if pending.strip():
        yield _parse_line(pending, Locator(uri, "line", line_no + 1))


def _parse_line(line: bytes, locator: Locator) -> ReadItem:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as err:
        raw, cut = clip_raw(line)
        return RawFailure(
            reasons.INVALID_UTF8, f"byte {err.start}: {err.reason}{cut}", raw, locator
        )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raw, cut = clip_raw(line)
        return RawFailure(reasons.INVALID_JSON, f"column {err.colno}: {err.msg}{cut}", raw, locator)
    if not isinstance(value, dict):
        raw, cut = clip_raw(line)
        return RawFailure(
            reasons.NOT_AN_OBJECT,
            f"expected a JSON object, got {type(value).__name__}{cut}",
            raw,
            locator,
        )
    return RawRecord(value, locator)

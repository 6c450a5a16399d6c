"""JSON Lines (plain or gzipped): one object per line, located by 1-based line number."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
)
from corpusgate.transforms.spine.readers.boundary import Progress
from corpusgate.transforms.spine.readers.stored import GZIP_MAGIC, open_decoded, open_stored

# A lone surrogate can only come from a \uD800–\uDFFF escape (UTF-8 bytes cannot encode one), so
# lines without such an escape skip the full check. Pairs (emoji) match too and are then cleared.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def read_jsonl(
    path: str,
    uri: str,
    progress: Progress | None = None,
    span: tuple[int, int, int] | None = None,
) -> Iterator[ReadItem]:
    """Yield each non-blank line as a record or a failure.

    Blank lines carry no record and are not counted; anything else is exactly one item.
    `span` (start, stop, newlines before start) reads only the lines that start in the stored
    bytes [start, stop) of a plain file (`spine.ranges`), numbered as in the whole file.
    """
    progress = progress or Progress()
    if span is not None:
        yield from _read_span(path, uri, progress, *span)
        return
    line_no = 0
    with open_decoded(path) as stream:
        plain = not stream.gzipped
        for line in stream:
            if plain:
                progress.stored_offset = stream.tell() - len(line)
            line_no += 1
            if not line.endswith(b"\n") and stream.damage:
                yield RawFailure(
                    reasons.TRUNCATED_FILE,
                    f"{stream.damage} after line {line_no - 1}; the partial line that follows "
                    "is kept as raw",
                    line,
                    Locator(uri, "line", line_no),
                )
                return
            if line.strip():
                yield parse_line(line.removesuffix(b"\n"), Locator(uri, "line", line_no))
        if stream.damage:
            yield RawFailure(
                reasons.TRUNCATED_FILE,
                f"{stream.damage} after line {line_no}",
                b"",
                Locator(uri, "line", line_no + 1),
            )


def _read_span(
    path: str, uri: str, progress: Progress, start: int, stop: int, lines_before: int
) -> Iterator[ReadItem]:
    with open_stored(path) as handle:
        if handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC:  # `ranges.cut_task` never cuts these
            raise ValueError("a gzipped file cannot be read from the middle; read it whole")
        at, line_no = start, lines_before
        if start > 0:
            handle.seek(start - 1)
            if handle.read(1) != b"\n":
                # `start` is inside a line: it belongs to the range it started in.
                at += len(handle.readline())
                line_no += 1
        else:
            handle.seek(0)
        while at < stop:
            line = handle.readline()
            if not line:
                return
            progress.stored_offset = at
            at += len(line)
            line_no += 1
            if line.strip():
                yield parse_line(line.removesuffix(b"\n"), Locator(uri, "line", line_no))


def parse_line(line: bytes, locator: Locator) -> ReadItem:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as err:
        return RawFailure(reasons.INVALID_UTF8, f"byte {err.start}: {err.reason}", line, locator)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return RawFailure(reasons.INVALID_JSON, f"column {err.colno}: {err.msg}", line, locator)
    except RecursionError:
        return RawFailure(
            reasons.INVALID_JSON,
            "nested deeper than the JSON parser allows (arrays or objects within each other)",
            line,
            locator,
        )
    if not isinstance(value, dict):
        return RawFailure(
            reasons.NOT_AN_OBJECT,
            f"expected a JSON object, got {type(value).__name__}",
            line,
            locator,
        )
    if _SURROGATE_ESCAPE.search(line) and (where := _lone_surrogate(value)):
        return RawFailure(
            reasons.INVALID_UTF8,
            f"{where} holds a lone surrogate escape (a \\uD800–\\uDFFF without its pair): "
            "valid JSON, but no character, and no UTF-8 file can hold it",
            line,
            locator,
        )
    return RawRecord(value, locator)


def _lone_surrogate(value: object) -> str:
    """Where in `value` a string (key or value) holds a lone surrogate; "" if nowhere."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:  # iterative: the value may be nested as deep as the parser allowed
        path, item = stack.pop()
        if isinstance(item, str):
            if not _encodes(item):
                return f"field '{path}'" if path else "the record"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else key
                if not _encodes(key):
                    return f"the name of field '{name}'"
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return ""


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

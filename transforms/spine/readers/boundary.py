"""The error boundary around one input file: whatever a reader raises ends that file, not the run.

A reader yields items until it is done or something it did not foresee goes wrong (a library
bug, an I/O error, memory). The boundary then ends the file with one `reader_error` failure:
the exception's type and message, the last good locator, and up to `MAX_RAW_BYTES` of the stored
bytes where the reader was. Items yielded before stand, so the read count is what the file
yielded plus that one row and the manifest still balances.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers.base import (
    MAX_RAW_BYTES,
    Locator,
    RawFailure,
    ReadItem,
)
from corpusgate.transforms.spine.readers.stored import read_stored_head


@dataclass(slots=True)
class Progress:
    """Where a reader is in the stored bytes, for the raw payload of a `reader_error`.

    Readers move `stored_offset` to the start of the item they are reading when that is cheap to
    know (WARC records, lines of a plain file); it stays 0 otherwise.
    """

    stored_offset: int = 0


def guarded(
    items: Iterator[ReadItem],
    path: str,
    uri: str,
    kind: str,
    progress: Progress,
    first: int | None = None,
) -> Iterator[ReadItem]:
    """Yield `items`; if producing them raises, end with one `reader_error` failure.
    `first`: the position a failure before any item takes (a byte range's first line)."""
    last: Locator | None = None
    try:
        for item in items:
            last = item.locator
            yield item
    except Exception as err:  # the boundary's purpose: nothing a file does may stop the run
        yield _failure(err, path, uri, kind, last, progress.stored_offset, first)


def _failure(
    err: Exception,
    path: str,
    uri: str,
    kind: str,
    last: Locator | None,
    offset: int,
    first: int | None = None,
) -> RawFailure:
    if last is None:
        position = _first_position(kind) if first is None else first
        where, locator = "before the first item", Locator(uri, kind, position)
    else:
        # The position after the last good item: unique, and sorts after everything read.
        where, locator = f"after {last}", Locator(last.uri, last.kind, last.position + 1)
    raw = read_stored_head(path, offset, MAX_RAW_BYTES)
    held = f"stored bytes {offset}..{offset + len(raw)}" if raw else "nothing"
    message = str(err) or "(no message)"
    return RawFailure(
        reasons.READER_ERROR,
        f"{type(err).__name__}: {message} — reading stopped {where}; raw holds {held}. "
        "Records before it were read; check the file, then report the error if it is sound",
        raw,
        locator,
    )


def _first_position(kind: str) -> int:
    return 1 if kind in ("line", "row") else 0

"""Readers turn one input file into raw records, failures and skipped records.

`read_file` picks the reader by format and puts the error boundary around it: whatever the file
holds, whether it exists, whatever I/O does, reading it yields items and never raises.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from corpusgate.transforms.spine.readers.base import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
    Skipped,
    sanitize_text,
)
from corpusgate.transforms.spine.readers.boundary import Progress, guarded

__all__ = [
    "Locator",
    "RawFailure",
    "RawRecord",
    "ReadItem",
    "Skipped",
    "read_file",
    "sanitize_text",
]

# The locator kind each format's items carry, for a failure before the first item.
_KINDS = {
    "jsonl": "line",
    "csv": "row",
    "parquet": "row",
    "warc": "warc_offset",
    "wet": "warc_offset",
    "arc": "warc_offset",
    "hf": "index",
}


def read_file(
    path: str | os.PathLike[str],
    fmt: str,
    uri: str,
    span: tuple[int, int, int] | None = None,
) -> Iterator[ReadItem]:
    """Yield every item of `path` read as `fmt`; `uri` is how lineage names the file.

    `path` is a local path or a URL with a scheme Beam's FileSystems knows (gs://, s3://, …).
    `span` (start, stop, newlines before start) reads one byte range of a plain `jsonl` file
    (`spine.ranges`). An unknown `fmt`, or a span for another format, is a configuration error
    and raises `ValueError` at once; nothing about the file itself ever raises.
    """
    if fmt not in _KINDS:
        raise ValueError(
            f"unknown input format '{fmt}' for {path}; expected one of {', '.join(_KINDS)}"
        )
    if span is not None and fmt != "jsonl":
        raise ValueError(f"only jsonl files are read in byte ranges, not '{fmt}' ({path})")
    path = os.fspath(path)
    uri = sanitize_text(uri)  # a file name with undecodable bytes must not reach a coder
    progress = Progress()
    # A range that fails before its first line names the line it would have started at.
    first = span[2] + 1 if span is not None else None
    return guarded(_read(path, fmt, uri, progress, span), path, uri, _KINDS[fmt], progress, first)


def _read(
    path: str, fmt: str, uri: str, progress: Progress, span: tuple[int, int, int] | None
) -> Iterator[ReadItem]:
    if fmt == "jsonl":
        from corpusgate.transforms.spine.readers.jsonl import read_jsonl

        return read_jsonl(path, uri, progress, span)
    if fmt == "csv":
        from corpusgate.transforms.spine.readers.csv_reader import read_csv

        return read_csv(path, uri, progress)
    if fmt == "parquet":
        from corpusgate.transforms.spine.readers.parquet import read_parquet

        return read_parquet(path, uri)
    if fmt == "hf":
        from corpusgate.transforms.spine.readers.hf import read_hf

        return read_hf(path, uri)
    from corpusgate.transforms.spine.readers.warc import read_warc

    return read_warc(path, uri, wet=fmt == "wet", progress=progress)

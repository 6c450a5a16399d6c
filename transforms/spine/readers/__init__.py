"""Readers turn one input file into raw records and failures; `read_file` picks by format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from corpusgate.transforms.spine.readers.base import (
    Locator,
    RawFailure,
    RawRecord,
    ReadItem,
)

__all__ = ["Locator", "RawFailure", "RawRecord", "ReadItem", "read_file"]


def read_file(path: str | Path, fmt: str, uri: str) -> Iterator[ReadItem]:
    """Yield every record of `path` read as `fmt`; `uri` is how lineage names the file."""
    path = Path(path)
    if fmt == "jsonl":
        from corpusgate.transforms.spine.readers.jsonl import read_jsonl

        return read_jsonl(path, uri)
    if fmt == "csv":
        from corpusgate.transforms.spine.readers.csv_reader import read_csv

        return read_csv(path, uri)
    if fmt == "parquet":
        from corpusgate.transforms.spine.readers.parquet import read_parquet

        return read_parquet(path, uri)
    if fmt in ("warc", "wet"):
        from corpusgate.transforms.spine.readers.warc import read_warc

        return read_warc(path, uri, wet=fmt == "wet")
    if fmt == "hf":
        from corpusgate.transforms.spine.readers.hf import read_hf

        return read_hf(path, uri)
    raise ValueError(f"unknown input format '{fmt}' for {path}")

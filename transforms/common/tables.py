"""Small tables people hand corpusgate: CSV (a header row) or JSON lines, one row per line.

Authorization tables, consent files, spot-check sheets and labelled training data all come
this way. `read_table` yields (line, row) with the line a person would look at (a quoted CSV
field spanning lines reports where its row starts) and raises ValueError naming file and line
for anything malformed: a bad row is an error the user fixes, never a row skipped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")


def read_table(
    path: str | Path, *, required: Sequence[str] = (), name: str | None = None
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(line, row) for every non-blank row. `required`: columns every row must have (a CSV
    header must name them; a JSON object must hold them). `name` is how errors name the file."""
    path = Path(path)
    shown = name or str(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson", ".json"):
            yield from _jsonl(path, shown, required)
        elif suffix in (".csv", ".tsv"):
            yield from _csv(path, shown, required, "\t" if suffix == ".tsv" else ",")
        else:
            raise ValueError(
                f"{shown}: unsupported table type {suffix!r}; use {', '.join(SUFFIXES)}"
            )
    except OSError as err:
        raise ValueError(f"{shown}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{shown}: not UTF-8 text ({err.reason})") from None


def _jsonl(
    path: Path, shown: str, required: Sequence[str]
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    with path.open(encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as err:
                msg = getattr(err, "msg", "nested too deeply")
                raise ValueError(f"{shown}:{line_no}: not valid JSON ({msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{shown}:{line_no}: expected a JSON object per line")
            missing = [c for c in required if c not in row]
            if missing:
                raise ValueError(
                    f"{shown}:{line_no}: missing {missing}; expected {', '.join(required)}"
                )
            yield line_no, row


def _csv(
    path: Path, shown: str, required: Sequence[str], delimiter: str
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as err:
            raise ValueError(f"{shown}:1: {err}") from None
        if header is None:
            raise ValueError(f"{shown}:1: empty file, expected a header row")
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f"{shown}:1: header lacks {missing}; expected columns {', '.join(required)}"
            )
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                raise ValueError(f"{shown}:{start}: {err}") from None
            if values and any(v.strip() for v in values):
                if len(values) != len(header):
                    more = "more" if len(values) > len(header) else "fewer"
                    raise ValueError(
                        f"{shown}:{start}: {more} fields ({len(values)}) than the header "
                        f"has ({len(header)})"
                    )
                yield start, dict(zip(header, values, strict=True))
            start = reader.line_num + 1

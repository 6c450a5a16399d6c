"""Two runs compared record by record: the same counts, and every record the same (tests only).

`assert_published_alike(reference, output)` holds when the run published in `output` agrees
with the one in `reference` on the counts and reasons of every source of `reference`, on the
languages, and on every record: its id, the kind of file it landed in, its source and text,
its quarantine reason, and where it was read (file and line, row or offset)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


def manifest(output: Path) -> dict[str, Any]:
    return json.loads((output / "manifest.json").read_text())


def rows_by_id(output: Path) -> dict[str, tuple[Any, ...]]:
    """Each record id's file kind, source, text, reason (quarantined) and origin."""
    run_dir = output / manifest(output)["run_dir"]
    found = {}
    for kind in ("shards", "quarantine"):
        for path in sorted((run_dir / kind).glob("*.parquet")):
            for row in pq.read_table(path).to_pylist():
                origin = (row["lineage"] or {}).get("origin")
                found[row["record_id"]] = (
                    kind,
                    row["source_id"],
                    row["text"],
                    row.get("reason"),
                    origin,
                )
    return found


def assert_published_alike(reference: Path, output: Path) -> None:
    mine, theirs = manifest(reference), manifest(output)
    for source_id, counts in mine["sources"].items():
        for key in ("read", "written", "quarantined", "quarantined_by_reason"):
            assert theirs["sources"][source_id][key] == counts[key], (source_id, key)
    assert theirs["languages"] == mine["languages"]
    assert rows_by_id(output) == rows_by_id(reference)

"""Publishing a run: its own folder first, one small pointer last (DESIGN §8).

A run writes only under `OUTPUT/runs/RUN_ID/`. When its manifest balances, the run's reports
and manifest are written there, then `OUTPUT/manifest.json` — the pointer: a copy of the run's
manifest with `run_dir` — replaces the previous one atomically (a rename locally; an object
upload is all-or-nothing on GCS and S3). So a kill at any moment leaves either the previous
publication or the new one, never a mix, and every earlier run stays readable under `runs/`.

Two runs into one output each write their own folder; the pointer is moved only forward (run
ids sort by start time), so an older run finishing late never hides a newer publication.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from typing import Any

from corpusgate.transforms.common import files
from corpusgate.transforms.output.layout import MANIFEST, REPORTS, RUNS, RunLayout

__all__ = [
    "PublishError",
    "claim_run",
    "discard_run",
    "publish",
    "read_json",
    "write_json",
    "write_reports",
]


class PublishError(RuntimeError):
    """The run cannot be published as asked; the message says why and what to do."""


def read_json(location: str) -> Any:
    return json.loads(files.read_bytes(location).decode("utf-8"))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).encode("utf-8") + b"\n"


def write_json(location: str, value: Any) -> None:
    files.write_bytes(location, _dumps(value))


def write_reports(layout_dir: str, reports: dict[str, str | dict[str, Any]]) -> None:
    """RUN_DIR/reports/NAME for each: text as is, anything else as JSON."""
    for name, content in reports.items():
        location = files.join(layout_dir, REPORTS, name)
        if isinstance(content, str):
            files.write_bytes(location, content.encode("utf-8"))
        else:
            write_json(location, content)


def claim_run(layout: RunLayout) -> None:
    """Create the run's folder with an owner record (who runs it, from where, since when).

    `runs gc` reads it to tell a dead run's leftovers from a live run. A run id already in
    use is refused: two runs never share a folder."""
    owner = {
        "run_id": layout.run_id,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(),
    }
    if not files.create_exclusive(layout.owner, _dumps(owner)):
        raise PublishError(f"{layout.run_dir} is already in use by another run")


def discard_run(layout: RunLayout) -> None:
    """Remove a run's folder (a failed run publishes nothing and leaves nothing behind)."""
    files.delete_tree(layout.run_dir)


def current_run_id(output: str) -> str | None:
    pointer = files.join(output, MANIFEST)
    if not files.exists(pointer):
        return None
    try:
        return str(read_json(pointer).get("run_id"))
    except (ValueError, OSError):
        return None  # a damaged pointer is replaced by a good one


def publish(
    layout: RunLayout, manifest: dict[str, Any], reports: dict[str, str | dict[str, Any]]
) -> bool:
    """Write the run's reports and manifest, then move the pointer to it.

    Returns False (the run stays readable under runs/, the pointer unchanged) when a newer run
    was published meanwhile."""
    write_reports(layout.run_dir, reports)
    write_json(layout.manifest, manifest)
    files.delete_tree(layout.tmp)
    current = current_run_id(layout.output)
    if current is not None and current > layout.run_id:
        return False
    write_json(layout.pointer, {**manifest, "run_dir": f"{RUNS}/{layout.run_id}"})
    return True

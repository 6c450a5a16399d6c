"""The runs of an output: which finished, which is current, which died and left leftovers.

`runs gc` removes what dead runs left (their whole `runs/RUN_ID/` folder, and `.staging-*`
folders of corpusgate versions before runs had folders) so a crash never leaves files behind
for ever. A run is dead when its owner record says it ran on this machine under a process that
no longer exists, or when it is older than `older_than` (a run on another machine).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from corpusgate.transforms.common import files
from corpusgate.transforms.output.layout import MANIFEST, RUNS, RunLayout
from corpusgate.transforms.output.published import list_runs

__all__ = ["DeadRun", "dead_runs", "list_runs", "remove_dead"]


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    location: str
    why: str


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _owner(layout: RunLayout) -> dict[str, Any] | None:
    try:
        return dict(json.loads(files.read_bytes(layout.owner).decode("utf-8")))
    except (OSError, ValueError):
        return None


def dead_runs(output: str, *, older_than: timedelta, now: datetime | None = None) -> list[DeadRun]:
    """Unfinished runs whose process is gone (or that are older than `older_than`)."""
    now = now or datetime.now(UTC)
    host = socket.gethostname()
    dead = []
    for run_id in files.list_dirs(files.join(output, RUNS)):
        layout = RunLayout(output, run_id)
        if files.exists(layout.manifest):
            continue
        owner = _owner(layout)
        if owner is None:
            dead.append(DeadRun(run_id, layout.run_dir, "no owner record"))
            continue
        started = datetime.fromisoformat(str(owner.get("started_at")))
        if owner.get("host") == host and not _pid_alive(int(owner.get("pid", -1))):
            dead.append(DeadRun(run_id, layout.run_dir, f"process {owner.get('pid')} is gone"))
        elif now - started > older_than:
            dead.append(
                DeadRun(run_id, layout.run_dir, f"started {started.isoformat()}, never finished")
            )
    if not files.is_remote(output) and os.path.isdir(output):
        for name in sorted(os.listdir(output)):
            if name.startswith(".staging-"):
                dead.append(
                    DeadRun(name.removeprefix(".staging-"), files.join(output, name), "old staging")
                )
    return dead


def remove_dead(runs: list[DeadRun]) -> None:
    for run in runs:
        files.delete_tree(run.location)


def is_current(output: str, run_id: str) -> bool:
    pointer = files.join(output, MANIFEST)
    if not files.exists(pointer):
        return False
    try:
        return json.loads(files.read_bytes(pointer).decode("utf-8")).get("run_id") == run_id
    except ValueError:
        return False

"""Planning a run's reading: one task per input file, settled on the launcher.

The registry entries are read and their input patterns matched here (local globs, or
FileSystems.match for gs:// and s3://), so a missing input fails before any pipeline starts,
and each worker receives only a file location, a format and the source's small context.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from corpusgate.transforms.common.files import is_remote
from corpusgate.transforms.spine.to_record import SourceContext


@dataclass(frozen=True)
class ReadTask:
    context: SourceContext
    path: str  # a local path or a location FileSystems reads (gs://, s3://)
    format: str
    uri: str  # how lineage names the file: relative to the entry's folder when local
    # A byte range of the file (`ranges.cut_task`): the lines that start in [start, stop);
    # `lines_before` is the count of newlines before `start`. stop None: the whole file.
    start: int = 0
    stop: int | None = None
    lines_before: int = 0


def plan_tasks(entries: list, run_id: str, config_sha256: str) -> list[ReadTask]:  # type: ignore[type-arg]
    """One task per input file of each entry (`source_registry.entry.SourceEntry`)."""
    tasks = []
    for entry in entries:
        context = SourceContext(
            source_id=entry.source_id,
            entry_sha256=entry.sha256,
            fields=tuple(sorted(entry.fields.items())),
            licence=entry.licence,
            evidence=tuple((e.role, e.path, e.sha256) for e in entry.evidence),
            run_id=run_id,
            config_sha256=config_sha256,
        )
        for found in entry.input_files():
            # Relative to the entry file, so ids keyed on file + line survive moving the tree;
            # a remote file (gs://…) is named by its URL. A worker gets the path without
            # `registry/../`: it has the input files, not the registry's folder.
            remote = is_remote(found)
            path = found if remote else os.path.normpath(found)
            uri = found if remote else os.path.relpath(os.path.realpath(found), entry.base_dir)
            tasks.append(ReadTask(context, path, entry.format_of(path), uri))
    return tasks

"""Large JSON Lines files cut into byte ranges, so several workers read one file.

A record's id comes from its file and line number (`to_record`), so a range must know how many
lines come before it. Three small steps, all on workers (the launcher reads no data):

1. `cut_task`: a plain JSON Lines file larger than the split size becomes ranges of about that
   size (a compressed file cannot be entered in the middle and stays whole);
2. `count_newlines`: each range counts the newlines in its own bytes, in parallel;
3. `number_ranges`: per file, the counts before each range say its first line number.

A range holds the lines that *start* inside it (Beam's text reader draws the same line): the
line a boundary cuts belongs to the range it starts in. Reading every range gives the items,
locators and ids of reading the file whole; `jsonl.read_jsonl` reads one range.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from corpusgate.transforms.common import files
from corpusgate.transforms.spine.plan import ReadTask
from corpusgate.transforms.spine.readers.stored import GZIP_MAGIC, open_stored

__all__ = ["count_newlines", "cut_task", "file_key", "number_ranges"]

_CHUNK = 8 << 20  # bytes read at a time while counting


def cut_task(task: ReadTask, split_bytes: int) -> list[ReadTask]:
    """`task` cut into ranges of about `split_bytes` (0: never), or `[task]` unchanged.

    Only a plain (not gzipped) `jsonl` file larger than `split_bytes` is cut. A file that
    cannot be sized or opened here stays whole: its reader reports what is wrong with it."""
    if split_bytes <= 0 or task.format != "jsonl" or task.stop is not None:
        return [task]
    try:
        size = files.size(task.path)
        if size <= split_bytes:
            return [task]
        with open_stored(task.path) as handle:
            if handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC:
                return [task]
    except Exception:  # the whole-file read meets the same problem and quarantines it
        return [task]
    parts = math.ceil(size / split_bytes)
    bounds = [size * i // parts for i in range(parts + 1)]
    return [dataclasses.replace(task, start=bounds[i], stop=bounds[i + 1]) for i in range(parts)]


def count_newlines(task: ReadTask) -> int | None:
    """Newlines in the task's stored bytes [start, stop); None if they could not be read."""
    if task.stop is None:
        return 0  # a whole file needs no count
    try:
        with open_stored(task.path) as handle:
            handle.seek(task.start)
            left, found = task.stop - task.start, 0
            while left > 0:
                chunk = handle.read(min(_CHUNK, left))
                if not chunk:
                    break
                found += chunk.count(b"\n")
                left -= len(chunk)
            return found
    except Exception:  # `number_ranges` falls back to reading the file whole
        return None


def file_key(task: ReadTask) -> tuple[str, str, str]:
    """The ranges of one file of one source share this key (two sources may read one file)."""
    return (task.context.source_id, task.path, task.uri)


def number_ranges(counted: Iterable[tuple[ReadTask, int | None]]) -> list[ReadTask]:
    """One file's ranges with their newline counts → the ranges with `lines_before` set.

    If any range could not be counted the file is read whole, by one task, so a file that
    fails fails once, as it would unsplit."""
    ranges = sorted(counted, key=lambda pair: pair[0].start)
    if len(ranges) == 1 and ranges[0][0].stop is None:
        return [ranges[0][0]]
    if any(count is None for _, count in ranges):
        return [dataclasses.replace(ranges[0][0], start=0, stop=None, lines_before=0)]
    out, before = [], 0
    for task, count in ranges:
        out.append(dataclasses.replace(task, lines_before=before))
        before += count or 0
    return out

"""Progress of a long run on stderr: per source, records read, kept by the checks so far and
quarantined, with the rate and the elapsed time, at most every `interval` seconds.

One `RunProgress` per process and run (`shared`): the reader and the piece writers of a stage
add to it, so a line tells both sides. Local runners share the launcher's terminal;
remote workers' lines go to the runner's logs, each worker telling its own share. "Kept" is
what reached the shards before dedup, which decides only at the end of the run.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

__all__ = ["RunProgress"]

_SHOWN_SOURCES = 4


class RunProgress:
    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        out: TextIO | None = None,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._out = out
        self.started = clock()
        self._last = self.started
        self._lock = threading.Lock()  # bundles may run on several threads of one process
        self.read: Counter[str] = Counter()
        self.kept: Counter[str] = Counter()
        self.quarantined: Counter[str] = Counter()

    @classmethod
    def shared(cls, run_id: str, interval: float) -> RunProgress:
        """The process's progress of this run."""
        with _SHARED_LOCK:
            progress = _SHARED.get((run_id, interval))
            if progress is None:
                if len(_SHARED) >= 8:  # a long-lived process running run after run
                    _SHARED.clear()
                progress = _SHARED[(run_id, interval)] = cls(interval)
            return progress

    def add_read(self, source_id: str, count: int) -> None:
        self._add(self.read, source_id, count)

    def add_kept(self, source_id: str, count: int = 1) -> None:
        self._add(self.kept, source_id, count)

    def add_quarantined(self, source_id: str, count: int = 1) -> None:
        self._add(self.quarantined, source_id, count)

    def _add(self, counts: Counter[str], source_id: str, count: int) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            counts[source_id] += count
            now = self._clock()
            if now - self._last < self.interval:
                return
            self._last = now
            line = self.line(now)
        print(line, file=self._out or sys.stderr, flush=True)

    def line(self, now: float) -> str:
        """`corpusgate: progress: 18,500 read, 9,200 kept, 4,100 quarantined in 16s
        (1,156 read/s): forum 5,000 read 4,509 kept 491 quarantined, ...`"""
        elapsed = max(now - self.started, 1e-9)
        read = sum(self.read.values())
        sources = sorted(
            set(self.read) | set(self.kept) | set(self.quarantined),
            key=lambda s: (-self.read[s], s),
        )
        each = ", ".join(
            f"{s} {self.read[s]:,} read {self.kept[s]:,} kept {self.quarantined[s]:,} quarantined"
            for s in sources[:_SHOWN_SOURCES]
        )
        more = len(sources) - _SHOWN_SOURCES
        return (
            f"corpusgate: progress: {read:,} read, {sum(self.kept.values()):,} kept, "
            f"{sum(self.quarantined.values()):,} quarantined in {elapsed:,.0f}s "
            f"({read / elapsed:,.0f} read/s): {each}" + (f" (+{more} sources)" if more > 0 else "")
        )


_SHARED: dict[tuple[str, float], RunProgress] = {}
_SHARED_LOCK = threading.Lock()

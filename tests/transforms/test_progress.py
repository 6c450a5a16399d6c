"""Progress lines of a long run: per source read, kept and quarantined, at most one a interval."""

from __future__ import annotations

import io

from corpusgate.transforms.spine.progress import RunProgress


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_per_interval_with_each_sources_counts() -> None:
    clock, out = _Clock(), io.StringIO()
    progress = RunProgress(10, clock=clock, out=out)
    progress.add_read("web", 3)
    progress.add_kept("web", 2)
    assert out.getvalue() == ""  # nothing before the interval has passed
    clock.now += 10
    progress.add_quarantined("web")
    clock.now += 5
    progress.add_read("wiki", 40)  # within the next interval: counted, not printed
    clock.now += 5
    progress.add_read("forum", 1)
    lines = out.getvalue().splitlines()
    assert lines == [
        "corpusgate: progress: 3 read, 2 kept, 1 quarantined in 10s (0 read/s): "
        "web 3 read 2 kept 1 quarantined",
        "corpusgate: progress: 44 read, 2 kept, 1 quarantined in 20s (2 read/s): "
        "wiki 40 read 0 kept 0 quarantined, web 3 read 2 kept 1 quarantined, "
        "forum 1 read 0 kept 0 quarantined",
    ]


def test_the_four_largest_sources_are_named_and_the_rest_counted() -> None:
    clock, out = _Clock(), io.StringIO()
    progress = RunProgress(1, clock=clock, out=out)
    for i, source in enumerate("abcdef"):
        progress.add_read(source, 10 - i)
    clock.now += 1
    progress.add_kept("a")
    (line,) = out.getvalue().splitlines()
    assert line.endswith("d 7 read 0 kept 0 quarantined (+2 sources)")
    assert " e " not in line


def test_an_interval_of_zero_is_silent() -> None:
    clock, out = _Clock(), io.StringIO()
    progress = RunProgress(0, clock=clock, out=out)
    progress.add_read("web", 5)
    clock.now += 1000
    progress.add_kept("web")
    assert out.getvalue() == ""


def test_the_shared_progress_is_one_per_run() -> None:
    first = RunProgress.shared("run-a", 30)
    assert RunProgress.shared("run-a", 30) is first
    assert RunProgress.shared("run-b", 30) is not first

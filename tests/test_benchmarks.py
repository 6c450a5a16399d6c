"""The whole-run benchmarks still run and print their figures (they run outside the suite, and
one of them ended in a KeyError for weeks after the manifest changed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def bench(shared_data: Path, script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CORPUSGATE_SHARED_DATA": str(shared_data)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rows(out: str) -> dict[int, list[str]]:
    """Table rows by their record count: '  1,000  1  12.3 ...' -> {1000: ['1', '12.3', ...]}."""
    found = {}
    for line in out.splitlines():
        if re.match(r"\s*[\d,]+\s+\d", line):
            first, *rest = line.split()
            found[int(first.replace(",", ""))] = rest
    return found


@pytest.mark.slow(25)
def test_bench_run_prints_each_size_the_rss_ratio_and_the_checks_share(shared_data):
    # One file per source, read in ~1 KiB ranges: every record must still be read once.
    out = bench(
        shared_data,
        "bench_run.py",
        *("--n", "100", "--checks-off", "--files-per-source", "1", "--split-mb", "0.001"),
    )
    assert "in 4 files, read in 0.001 MiB ranges" in out
    table = rows(out)
    assert set(table) == {100, 1000}
    for n, fields in table.items():
        written, quarantined = (int(x.replace(",", "")) for x in fields[-1].split("/"))
        assert written + quarantined == n  # every record is accounted for
        peak = float(fields[-3])
        # A run's own peak: a few hundred MiB, never this process's nor another run's.
        assert 100 < peak < 2000, fields
    assert re.search(r"peak RSS 10×N / N: \d\.\d\d", out)
    assert re.search(r"checks off at 1,000: [\d,]+ run docs/s .* the checks take \d+%", out)


@pytest.mark.slow(15)
def test_bench_spine_prints_each_size_and_its_shards(shared_data):
    out = bench(shared_data, "bench_spine.py", "--n", "100")
    table = rows(out)
    assert set(table) == {100, 1000}
    assert all(int(fields[-1]) >= 1 for fields in table.values())  # shard files written

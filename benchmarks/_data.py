"""Where benchmarks find the third-party material (`../shared/data/` by default)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The shared data folder, or exit with a clear message when it is absent."""
    configured = os.environ.get("CORPUSGATE_SHARED_DATA")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        sys.exit(f"skipped: {path} is absent; set CORPUSGATE_SHARED_DATA to a copy of shared/data")
    return path


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Runs the command given and writes the largest peak RSS of its processes (KiB) to a file.
_PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[2:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(str(peak))\n"
    "sys.exit(code)\n"
)


def run_with_peak(command: list[str]) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `command` (output captured as text); return it and the peak RSS in MiB of the
    largest of its processes (a multi-process run's largest worker).

    Through a small interpreter started for it: on Linux a forked child starts with its
    parent's RSS high-water mark, so a command started by a benchmark that holds its corpora
    in memory "peaked" at the benchmark's size whatever it used (every run at 2,000,000
    records read 2.4 GB). The wrapper is small, and its children's peaks are their own."""
    with tempfile.TemporaryDirectory(prefix="corpusgate-peak-") as tmp:
        report = Path(tmp) / "peak"
        done = subprocess.run(
            [sys.executable, "-c", _PEAK_WRAPPER, str(report), *command],
            capture_output=True,
            text=True,
            check=False,
        )
        peak = int(report.read_text()) / 1024 if report.exists() else float("nan")
    return done, peak

"""Where benchmarks find the third-party material (`../shared/data/` by default)."""

from __future__ import annotations

import os
import resource
import sys
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

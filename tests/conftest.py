"""Shared fixtures.

Tests that read the third-party material in `../shared/data/` skip with a reason when it is
absent, so a fresh clone's suite still passes. Point CORPUSGATE_SHARED_DATA elsewhere to use
another copy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    configured = os.environ.get("CORPUSGATE_SHARED_DATA")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (set CORPUSGATE_SHARED_DATA to a copy to run this)")
    return path

"""Arrow's allocator in corpusgate's processes (transforms/__init__.py): the bundled jemalloc
(the system allocator where pyarrow has none), unless the user chose one with
ARROW_DEFAULT_MEMORY_POOL. Checked in fresh interpreters, since the choice is made once per
process, on import."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

PROBE = (
    "import corpusgate.transforms.output.pieces, pyarrow as pa; "
    "print(pa.default_memory_pool().backend_name)"
)


def _bundled() -> str:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return "system"
    return "jemalloc"


@pytest.mark.parametrize(
    ("chosen", "expected"), [(None, _bundled()), ("mimalloc", "mimalloc"), ("system", "system")]
)
def test_arrow_allocates_through_jemalloc_unless_told(chosen: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == expected

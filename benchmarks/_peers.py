"""The peer tools' venvs for the benchmarks that measure corpusgate side by side with them
(`bench_dedup.py`, `bench_run.py --peer`). Each peer gets a venv of its own, never the
project's, made on first use under `--venvs` (default `$TMPDIR/corpusgate-bench-venvs`)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

VENVS = Path(tempfile.gettempdir()) / "corpusgate-bench-venvs"
# datatrove 0.10.1 imports regex, tokenizers and orjson without requiring them, and hashes str
# with xxhash, which xxhash 4 refuses.
DATATROVE = ("datatrove==0.10.1", "xxhash<4", "regex", "tokenizers", "orjson")
# datatrove running the checks of a whole run (`_datatrove_checks.py`): also the fastText build,
# the keyword automaton, Parquet and numpy corpusgate pins (pyproject.toml).
DATATROVE_CHECKS = (
    *DATATROVE,
    "fasttext-numpy2==0.10.4",
    "pyahocorasick==2.3.1",
    "pyarrow>=24,<26",
    "numpy>=2.0,<2.5",
)


def peer_python(venv: Path, packages: tuple[str, ...], check: str) -> tuple[Path | None, str]:
    """The interpreter of `venv` with `packages` (installed on first use, when `check` fails to
    run in it), or None and why not."""
    python = venv / "bin" / "python"
    if python.exists():
        probe = subprocess.run([str(python), "-c", check], capture_output=True)
        if probe.returncode == 0:
            return python, "existing venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *packages],
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as err:
        return None, f"could not make a venv: {err}"
    if done.returncode != 0:
        return None, f"pip install {' '.join(packages)} failed: {done.stderr.strip()[-300:]}"
    return python, f"installed {' '.join(packages)} into {venv}"


def datatrove_python(venvs: Path) -> tuple[Path | None, str]:
    """The datatrove venv's interpreter (made on first use), or None and why not."""
    check = "import datatrove.pipeline.dedup, orjson, xxhash; xxhash.xxh64_intdigest('a')"
    return peer_python(venvs / "datatrove", DATATROVE, check)


def datatrove_checks_python(venvs: Path) -> tuple[Path | None, str]:
    """The interpreter of the venv for datatrove with the checks' packages, or None and why."""
    check = (
        "import datatrove.pipeline.writers, datatrove.pipeline.formatters, orjson, xxhash, "
        "fasttext, ahocorasick, pyarrow.parquet; xxhash.xxh64_intdigest('a')"
    )
    return peer_python(venvs / "datatrove-checks", DATATROVE_CHECKS, check)

"""Shared fixtures.

Tests that read the third-party material in `../shared/data/` skip with a reason when it is
absent, so a fresh clone's suite still passes. Point CORPUSGATE_SHARED_DATA elsewhere to use
another copy.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
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


@pytest.fixture
def opencc_self_candidates(tmp_path: Path) -> Callable[[str], set[str]]:
    """Characters an OpenCC character dictionary lists as possibly staying themselves.

    The dictionary (e.g. "STCharacters") is dumped from the installed wheel with its
    `opencc_dict` tool; a character counts when its candidate list holds itself and the first
    candidate differs (`后\t後 后`). Skips where the wheel has no such tool.
    """
    import opencc

    clib = Path(opencc.__file__).parent / "clib"
    tool = clib / "bin" / "opencc_dict"
    if not tool.is_file():
        pytest.skip("this opencc wheel has no opencc_dict tool to dump its dictionaries")

    def self_candidates(name: str) -> set[str]:
        out = tmp_path / f"{name}.txt"
        source = clib / "share" / "opencc" / f"{name}.ocd2"
        command = [str(tool), "-i", str(source), "-o", str(out), "-f", "ocd2", "-t", "text"]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        found: set[str] = set()
        for line in out.read_text("utf-8").splitlines():
            src, candidates = line.split("\t")
            choices = candidates.split(" ")
            if len(src) == 1 and src in choices and choices[0] != src:
                found.add(src)
        return found

    return self_candidates


def _postgres_bindir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on a private Unix socket, started for this test session.

    `scripts/setup` installs the server binaries where it can; without them the tests that need
    this fixture skip and say why.
    """
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb/pg_ctl); run scripts/setup as root")
    base = Path(tempfile.mkdtemp(prefix="corpusgate-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root; the Debian package creates a 'postgres' account.
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' account to run the server as")
        os.chown(base, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    log = base / "server.log"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)

    init = run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    if init.returncode != 0:
        pytest.skip(f"initdb failed: {init.stderr.strip()[:300]}")
    start = run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(log),
        "-w",
        "-t",
        "60",
        "-o",
        f"-c listen_addresses='' -k {base} -c fsync=off",
        "start",
    )
    if start.returncode != 0:
        pytest.skip(f"PostgreSQL did not start: {start.stderr.strip()[:300]}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={base}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)

"""Shared fixtures.

Tests that read the third-party material in `../shared/data/` skip with a reason when it is
absent, so a fresh clone's suite still passes. Point CORPUSGATE_SHARED_DATA elsewhere to use
another copy.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    configured = os.environ.get("CORPUSGATE_SHARED_DATA")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, start the slow tests first, spread over the workers.

    `--dist worksteal` hands worker k the k-th contiguous slice of the collection and lets an
    idle worker steal the end of a busy one's queue. A test of forty seconds met last leaves
    one core idle that long, so the `slow` tests go first, longest first, each to the slice with
    the least slow time so far; the other tests fill the slices in their collection order."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2:
        return

    def cost(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return float(marker.args[0]) if marker and marker.args else 0.0

    slow = sorted((i for i in items if cost(i) > 0), key=cost, reverse=True)
    rest = iter([i for i in items if cost(i) == 0])
    slices: list[list[pytest.Item]] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for item in slow:
        k = load.index(min(load))
        slices[k].append(item)
        load[k] += cost(item)
    left = len(items)
    for k, part in enumerate(slices):
        size = left // (workers - k)  # worksteal's first split: the pending tests shared evenly
        left -= size
        part.extend(itertools.islice(rest, max(0, size - len(part))))
    items[:] = [item for part in slices for item in part] + list(rest)


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


@contextlib.contextmanager
def _postgres_server() -> Iterator[tuple[str, Callable[[], None]]]:
    """A real PostgreSQL server on a private Unix socket: (URL, stop)."""
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

    def stop() -> None:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")

    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={base}", stop
    finally:
        stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the session (`scripts/setup` installs the binaries where it
    can; without them the tests that need it skip and say why)."""
    with _postgres_server() as (url, _):
        yield url


@pytest.fixture
def private_postgres() -> Iterator[tuple[str, Callable[[], None]]]:
    """A PostgreSQL server of this test's own, which the test may stop: (URL, stop)."""
    with _postgres_server() as server:
        yield server


DEMO_CONFIG = REPO_ROOT / "configs" / "demo.yaml"


@dataclass
class DemoRun:
    """One run of the bundled demo: where its output and store are, and readers for them."""

    output: Path
    store: str
    stdout: str = ""

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.output / "manifest.json").read_text())

    @property
    def run_dir(self) -> Path:
        return self.output / self.manifest()["run_dir"]

    def rows(self, kind: str = "shards", source_id: str | None = None) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        return [
            row
            for path in sorted((self.run_dir / kind).glob("*.parquet"))
            for row in pq.read_table(path).to_pylist()
            if source_id is None or row["source_id"] == source_id
        ]

    def assert_published_alike(self, output: Path) -> None:
        """The demo run into `output` published what this one did (`published_runs`)."""
        from published_runs import assert_published_alike

        assert_published_alike(self.output, output)

    def copy(self, target: Path) -> DemoRun:
        """A copy of the output and its store, for a test that changes them."""
        shutil.copytree(self.output, target / "out")
        database = Path(self.store.removeprefix("sqlite:///"))
        shutil.copy(database, target / database.name)
        return DemoRun(target / "out", f"sqlite:///{target / database.name}", self.stdout)


def once_per_session(
    factory: pytest.TempPathFactory, name: str, make: Callable[[Path], dict[str, Any]]
) -> dict[str, Any]:
    """`make(folder)` once per test session, its JSON-able result shared by every worker.

    Under pytest-xdist a session-scoped fixture runs once per worker; for the costly ones (a
    whole run, a browser) the first worker to take the lock makes it in the session's common
    temporary folder and the others wait for the lock and read what it saved."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return make(factory.mktemp(name))
    from filelock import FileLock

    common = factory.getbasetemp().parent  # one folder per session, above the workers'
    folder, made = common / name, common / f"{name}.json"
    with FileLock(str(common / f"{name}.lock")):
        if not made.exists():
            folder.mkdir()
            made.write_text(json.dumps(make(folder), default=str))
    return json.loads(made.read_text())


Once = Callable[[str, Callable[[Path], dict[str, Any]]], dict[str, Any]]


@pytest.fixture(scope="session")
def once(tmp_path_factory: pytest.TempPathFactory) -> Once:
    """`once(name, make)`: `once_per_session` for a test's own costly fixture."""
    return lambda name, make: once_per_session(tmp_path_factory, name, make)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo, run once per test session through the console script, as the README runs it.

    Tests read it; a test that changes an output or the store works on `demo_run.copy(...)`.
    Under pytest-xdist the workers share one run (`once_per_session`)."""
    saved = once_per_session(tmp_path_factory, "demo", lambda base: asdict(_run_demo(base)))
    return DemoRun(Path(saved["output"]), saved["store"], saved["stdout"])


def _run_demo(base: Path) -> DemoRun:
    store = f"sqlite:///{base}/store.sqlite"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "corpusgate"),
            "run",
            "--config",
            str(DEMO_CONFIG),
            "--output",
            str(base / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={"CORPUSGATE_STORE_URL": store, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return DemoRun(base / "out", store, done.stdout)


@dataclass(frozen=True)
class Bucket:
    """A bucket on a local S3-API emulator (moto), the one fake at a true external edge."""

    url: str  # s3://NAME
    endpoint: str


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1, started for this test session."""
    server = Path(sys.executable).parent / "moto_server"
    if not server.exists():
        pytest.skip("moto[server] is not installed (the test extra brings it)")
    port = _free_port()
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        assert process.stderr is not None
        # Ready when the server says it listens (its log line), not after a guessed wait.
        for line in process.stderr:
            if "Running on" in line:
                break
        else:
            pytest.skip("the S3 emulator did not start")
        # Keep draining its request log, or a full pipe would stall the server.
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def s3_bucket(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """A fresh bucket, with the environment every boto3 client (Beam's too) reads."""
    import uuid

    import boto3

    for key, value in {
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    name = f"cg-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return Bucket(f"s3://{name}", s3_server)

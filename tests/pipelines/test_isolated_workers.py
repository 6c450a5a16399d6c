"""Workers see only what the pipeline gives them (DESIGN §8), proven on Beam's portable runner.

A worker pool runs in a private mount namespace in which the checkout is replaced by an empty
tmpfs and only three things come back: the virtualenv and the package's own folders (what a
real worker installs from the wheel) and the demo's input data files. The registry entries,
the evidence documents, the crawl records and robots.txt snapshots, the authorization tables,
the consent key and grants, and the store are all invisible to the workers. The demo run on
that pool, its JSON Lines files read in byte ranges, must publish the same manifest, per source
and per reason, and the same record ids, as the in-process run that read them whole: anything
a DoFn still read from the launcher's disk would show up as a difference (before this was
fixed, every commercial, crawled and user record was quarantined).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corpusgate.pipelines.cli import main

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]
# What a worker has in production: the installed package (here: the editable install's
# folders and the virtualenv) and the input data.
RESTORED = (".venv", "transforms", "pipelines", "schemas", "source_registry", "configs")
INPUTS = "demo/sources"


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /mnt"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def isolated_pool(tmp_path: Path) -> Iterator[str]:
    """A Beam worker pool whose file system holds only the package and the input data."""
    if not _namespaces_work():
        pytest.skip("private mount namespaces cannot be created here (needs root or userns)")
    port = _free_port()
    keep = tmp_path / "keep"  # where the checkout is reachable while the view is built
    keep.mkdir()
    restore = "\n".join(
        f'mkdir -p "{REPO}/{part}" && mount --bind "{keep}/{part}" "{REPO}/{part}"'
        for part in (*RESTORED, INPUTS)
    )
    script = textwrap.dedent(
        f"""\
        set -e
        mount --bind "{REPO}" "{keep}"
        mount -t tmpfs none "{REPO}"
        {restore}
        umount -l "{keep}"
        echo ready
        exec "{sys.executable}" -c "$POOL"
        """
    )
    # The pool logs "Started worker pool servicer" once it listens; INFO must reach stderr.
    pool_main = (
        "import logging; logging.basicConfig(level=logging.INFO);"
        "from apache_beam.runners.worker import worker_pool_main as m;"
        f"m.main(['--service_port={port}'])"
    )
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "POOL": pool_main,
    }
    pool = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "bash", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert pool.stdout is not None
    lines = []
    for line in pool.stdout:  # the pool logs that it listens: wait for that, not for a time
        lines.append(line)
        if "Started worker pool servicer" in line:
            break
        if pool.poll() is not None:
            break
    if pool.poll() is not None:
        pytest.fail("the worker pool did not start:\n" + "".join(lines))
    import threading

    threading.Thread(target=pool.stdout.read, daemon=True).start()
    try:
        yield f"localhost:{port}"
    finally:
        pool.terminate()
        pool.wait(timeout=60)


@pytest.mark.slow(28)
def test_the_demo_on_isolated_workers_matches_the_in_process_run(
    demo_run: DemoRun,
    isolated_pool: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORPUSGATE_STORE_URL", f"sqlite:///{tmp_path}/store.sqlite")
    # The JSON Lines files are read in ~1 KiB ranges too: the workers cut, count and read
    # them from the input files alone (the in-process run read them whole).
    profile = tmp_path / "split.yaml"
    profile.write_text("runner: FnApiRunner\nsplit_jsonl_mb: 0.001\n")
    config = tmp_path / "demo.yaml"
    demo = (REPO / "configs/demo.yaml").read_text()
    config.write_text(
        demo.replace("../", f"{REPO}/").replace("profile: local", f"profile: {profile}")
    )
    output = tmp_path / "out"
    code = main(
        [
            "run",
            "--config",
            str(config),
            "--output",
            str(output),
            "--runner",
            "PortableRunner",
            "--job_endpoint=embed",
            "--environment_type=EXTERNAL",
            f"--environment_config={isolated_pool}",
        ]
    )
    _, err = capsys.readouterr()
    assert code == 0, err
    # Record-level determinism across runners: the same counts, and the same ids, each with
    # the same text in the same file kind, or the same reason, read at the same place. (This
    # also holds what test_cli_run_audit.py's rerun on the direct runner's two workers held;
    # that rerun was dropped as its duplicate.)
    demo_run.assert_published_alike(output)

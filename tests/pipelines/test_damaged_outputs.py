"""A damaged or partial output gets one clear line naming the damaged file, exit 1: never a
traceback, and never "record not in output" when a file the manifest lists is missing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest

from corpusgate.pipelines.cli import main

if TYPE_CHECKING:
    from conftest import DemoRun

REPO = Path(__file__).resolve().parents[2]


def _run_dir(output: Path) -> Path:
    return output / json.loads((output / "manifest.json").read_text())["run_dir"]


def _written_id(output: Path) -> tuple[str, Path]:
    """A published record id and its index bucket file."""
    run_dir = _run_dir(output)
    shard = sorted((run_dir / "shards").glob("*.parquet"))[0]
    record_id = pq.read_table(shard, columns=["record_id"]).column(0)[0].as_py()
    digits = json.loads((run_dir / "manifest.json").read_text())["index"]["digits"]
    return record_id, run_dir / "index" / f"{record_id[:digits]}.parquet"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "missing": Path.unlink,
    "truncated": _truncate,
    "corrupt": _corrupt,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_audit_names_a_damaged_index_bucket(
    demo_run: DemoRun, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    output = demo_run.copy(tmp_path).output
    record_id, bucket = _written_id(output)
    DAMAGE[damage](bucket)
    code = main(["audit", record_id, "--output", str(output)])
    _, err = capsys.readouterr()
    assert code == 1
    assert str(bucket) in err and "Traceback" not in err and "not in the output" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["audit", "report", "forget"])
def test_a_truncated_manifest_is_named(
    demo_run: DemoRun,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    copy = demo_run.copy(tmp_path)
    monkeypatch.setenv("CORPUSGATE_STORE_URL", copy.store)
    record_id, _ = _written_id(copy.output)
    _truncate(copy.output / "manifest.json")
    args = {
        "audit": ["audit", record_id],
        "report": ["report"],
        "forget": [
            "forget",
            "alice.example@example.com",
            "--config",
            str(REPO / "configs/demo.yaml"),
        ],
    }[command]
    code = main([*args, "--output", str(copy.output)])
    _, err = capsys.readouterr()
    assert code == 1
    assert "manifest.json is damaged" in err and "Traceback" not in err


@pytest.mark.parametrize("kind", ["shards", "files.parquet"])
def test_a_missing_listed_file_is_named_not_taken_for_an_unknown_record(
    demo_run: DemoRun, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    output = demo_run.copy(tmp_path).output
    record_id, _ = _written_id(output)
    run_dir = _run_dir(output)
    gone = sorted((run_dir / "shards").glob("*.parquet"))[0] if kind == "shards" else run_dir / kind
    gone.unlink()
    code = main(["audit", record_id, "--output", str(output)])
    _, err = capsys.readouterr()
    assert code == 1 and "missing" in err and gone.name in err and "Traceback" not in err

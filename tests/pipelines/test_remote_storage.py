"""A run's whole life on an object store: run, runs list, audit, report, forget on s3://.

The bucket lives on moto's S3 server on 127.0.0.1 (the `s3_bucket` fixture): a fake at a true
external edge. corpusgate talks to it through Beam's FileSystems, exactly as to AWS S3."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest
from published_runs import assert_published_alike, manifest, rows_by_id

from corpusgate.pipelines.cli import main
from corpusgate.transforms.common import files

if TYPE_CHECKING:
    from conftest import Bucket

REPO = Path(__file__).resolve().parents[2]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow(28)
def test_run_audit_report_and_forget_on_s3(
    s3_bucket: Bucket,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = f"sqlite:///{tmp_path}/store.sqlite"
    monkeypatch.setenv("CORPUSGATE_STORE_URL", store)
    monkeypatch.delenv("CORPUSGATE_CONSENT_KEY", raising=False)
    output = f"{s3_bucket.url}/corpus"
    code, out, err = cli(
        capsys, "run", "--config", str(REPO / "configs/demo.yaml"), "--output", output
    )
    assert code == 0, err
    assert "balanced: read = written + quarantined for every source" in out
    manifest = json.loads(files.read_bytes(f"{output}/manifest.json"))
    run_dir = f"{output}/{manifest['run_dir']}"
    assert not files.list_files(f"{run_dir}/_tmp")  # nothing temporary left in the bucket

    code, out, _ = cli(capsys, "runs", "list", "--output", output, "--json")
    (run,) = json.loads(out)["runs"]
    assert code == 0 and run["current"] and run["state"] == "published"

    shard = f"{run_dir}/shards/part-00000.parquet"
    rows = pq.read_table(io.BytesIO(files.read_bytes(shard))).to_pylist()
    code, out, err = cli(capsys, "audit", rows[0]["record_id"], "--output", output, "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert (
        answer["status"] == "written" and answer["location"]["file"] == "shards/part-00000.parquet"
    )

    code, out, _ = cli(capsys, "report", "--output", output, "--json")
    assert code == 0 and json.loads(out)["totals"] == manifest["totals"]

    code, out, err = cli(
        capsys,
        "forget",
        "alice.example@example.com",
        "--config",
        str(REPO / "configs/demo.yaml"),
        "--output",
        output,
        "--request-id",
        "DSR-S3",
        "--json",
    )
    assert code == 0, err
    withdrawn = json.loads(out)["withdrawn"]
    assert len(withdrawn) == 2
    code, out, _ = cli(capsys, "audit", withdrawn[0]["record_id"], "--output", output, "--json")
    assert code == 0 and json.loads(out)["withdrawal"]["request_id"] == "DSR-S3"
    after = json.loads(files.read_bytes(f"{output}/manifest.json"))
    assert after["balanced"] and after["totals"]["withdrawn"] == 2

    code, _, err = cli(capsys, "audit", "0" * 32, "--output", f"{s3_bucket.url}/nothing-here")
    assert code == 1 and "holds no manifest.json" in err


@pytest.mark.slow(27)
def test_inputs_on_s3_read_in_ranges_publish_what_they_publish_read_whole(
    s3_bucket: Bucket,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Registry entries pointing at s3:// inputs are read through Beam's FileSystems; cut into
    ~1 KiB ranges (sizes from the store, each range seeking inside its object) they publish
    what reading them whole publishes: the same records, read at the same lines."""
    import boto3

    monkeypatch.setenv("CORPUSGATE_STORE_URL", f"sqlite:///{tmp_path}/store.sqlite")
    bucket = s3_bucket.url.removeprefix("s3://")
    shutil.copytree(REPO / "demo/licences", tmp_path / "licences")  # the entries' evidence
    (tmp_path / "registry").mkdir()
    inputs = {
        "zh-wiki-cmrc2018.yaml": "zh-wiki/cmrc2018_trial_slice.jsonl",
        "forum-hobby-2024-06.yaml": "forum-hobby/posts_2024-06.jsonl",
    }
    for entry, source in inputs.items():
        boto3.client("s3").upload_file(str(REPO / "demo/sources" / source), bucket, source)
        text = (REPO / "demo/registry" / entry).read_text()
        remote = text.replace(f"../sources/{source}", f"{s3_bucket.url}/{source}")
        assert remote != text
        (tmp_path / "registry" / entry).write_text(remote)
    outputs = []
    for split_mb in (0, 0.001):
        (tmp_path / f"profile-{split_mb}.yaml").write_text(
            f"runner: FnApiRunner\nsplit_jsonl_mb: {split_mb}\n"
        )
        config = tmp_path / f"run-{split_mb}.yaml"
        config.write_text(
            f"registry: registry\noutput: out-{split_mb}\nprofile: profile-{split_mb}.yaml\n"
        )
        code, _, err = cli(capsys, "run", "--config", str(config), "--json")
        assert code == 0, err
        outputs.append(tmp_path / f"out-{split_mb}")
    assert manifest(outputs[0])["totals"]["read"] == 100  # 40 passages, 60 posts
    origins = {row[-1]["uri"] for row in rows_by_id(outputs[0]).values()}
    assert origins == {f"{s3_bucket.url}/{source}" for source in inputs.values()}
    assert_published_alike(outputs[0], outputs[1])

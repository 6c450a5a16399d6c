"""Staging and publishing a run's output.

A run writes everything under `OUTPUT/.staging-RUN_ID/`. Only when the pipeline has finished
and its manifest balances are the files moved into `OUTPUT/{shards,quarantine,index}`, and
`manifest.json` is written last (via a temporary name and an atomic rename). A folder without
`manifest.json`, or whose manifest names another run, is not a complete output.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

PUBLISHED_DIRS = ("shards", "quarantine", "index", "reports")
MANIFEST = "manifest.json"


def is_remote(path: str) -> bool:
    return "://" in path


def join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


def staging_dir(output: str, run_id: str) -> str:
    return join(output, f".staging-{run_id}")


def _filesystems():  # type: ignore[no-untyped-def]
    # Beam's FileSystems reaches object stores; imported only when a path needs it, so local
    # commands such as `audit` start without loading Beam.
    from apache_beam.io.filesystems import FileSystems

    return FileSystems


def read_json(path: str) -> Any:
    if not is_remote(path):
        return json.loads(Path(path).read_text(encoding="utf-8"))
    with _filesystems().open(path) as handle:
        return json.loads(handle.read().decode("utf-8"))


def write_json(path: str, value: Any) -> None:
    data = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False).encode("utf-8") + b"\n"
    if is_remote(path):
        with _filesystems().create(path) as handle:
            handle.write(data)
        return
    tmp = Path(f"{path}.tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def publish(
    output: str, staging: str, manifest: dict[str, Any], reports: dict[str, str | dict[str, Any]]
) -> None:
    """Replace the published output with the staged one; the manifest goes last."""
    listed = [f["path"] for kind in ("shards", "quarantine", "index") for f in manifest[kind]]
    listed += [f["path"] for files in (manifest.get("pair_indexes") or {}).values() for f in files]
    if is_remote(output):
        _publish_remote(output, staging, listed)
    else:
        _publish_local(Path(output), Path(staging), listed)
    write_reports(output, reports)
    write_json(join(output, MANIFEST), manifest)


def write_reports(output: str, reports: dict[str, str | dict[str, Any]]) -> None:
    """OUTPUT/reports/NAME for each: text as is, anything else as JSON."""
    for name, content in reports.items():
        path = join(output, "reports", name)
        if isinstance(content, str):
            write_text(path, content)
        else:
            write_json(path, content)


def write_text(path: str, content: str) -> None:
    if not is_remote(path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(content, encoding="utf-8")
        return
    with _filesystems().create(path) as handle:
        handle.write(content.encode("utf-8"))


def _publish_local(output: Path, staging: Path, listed: list[str]) -> None:
    # Withdraw the old manifest first: from here until the new one lands, the folder is visibly
    # incomplete rather than a mix of two runs that looks whole.
    (output / MANIFEST).unlink(missing_ok=True)
    for name in PUBLISHED_DIRS:
        shutil.rmtree(output / name, ignore_errors=True)
    for relative in listed:
        target = output / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, target)
    for name in ("shards", "quarantine", "index"):
        (output / name).mkdir(parents=True, exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def _publish_remote(output: str, staging: str, listed: list[str]) -> None:
    # Object stores have no directories or atomic renames: delete the old manifest, drop what
    # the old run published, then copy the listed files over. Not exercised by the test suite
    # (no bucket here): a fake bucket would test only the fake.
    FileSystems = _filesystems()
    manifest_path = join(output, MANIFEST)
    if FileSystems.exists(manifest_path):
        FileSystems.delete([manifest_path])
    for name in PUBLISHED_DIRS:
        old = FileSystems.match([join(output, name, "**")])[0].metadata_list
        if old:
            FileSystems.delete([m.path for m in old])
    FileSystems.rename([join(staging, p) for p in listed], [join(output, p) for p in listed])
    leftovers = FileSystems.match([join(staging, "**")])[0].metadata_list
    if leftovers:
        FileSystems.delete([m.path for m in leftovers])


def discard_staging(staging: str) -> None:
    if is_remote(staging):
        leftovers = _filesystems().match([join(staging, "**")])[0].metadata_list
        if leftovers:
            _filesystems().delete([m.path for m in leftovers])
    else:
        shutil.rmtree(staging, ignore_errors=True)

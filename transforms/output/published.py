"""Reading a published output (local folder or bucket): the pointer, a run, its files.

Every reader of an output (`audit`, `report`, `forget`, `spotcheck`, `runs list`) opens it
here, so damage is told the same way everywhere: a missing, truncated or altered manifest,
file list or index file is an `OutputError` naming the file and what to do, never a traceback
and never "record not in output".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from corpusgate.transforms.common import files
from corpusgate.transforms.common.hashing import sha256_bytes
from corpusgate.transforms.output.filelist import (
    FileWritten,
    lookup,
    read_file_list,
)
from corpusgate.transforms.output.layout import FILES_TABLE, MANIFEST, RUNS, SIGNATURES


class OutputError(LookupError):
    """The output cannot answer; the message names the file and says what to do."""


def _load_json(location: str, what: str) -> dict[str, Any]:
    try:
        data = files.read_bytes(location)
    except FileNotFoundError:
        raise OutputError(f"{location} does not exist: {what}") from None
    except OSError as err:
        raise OutputError(f"{location} cannot be read ({err}): {what}") from None
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise OutputError(
            f"{location} is damaged (not valid JSON: {err}); restore it from a backup or "
            "re-run `corpusgate run`"
        ) from None
    if not isinstance(value, dict) or "run_id" not in value or "sources" not in value:
        raise OutputError(f"{location} is damaged (not a corpusgate manifest); re-run the job")
    return value


@dataclass(frozen=True)
class Published:
    """One run's output as published: its manifest and where its files are."""

    output: str
    manifest: dict[str, Any]
    run_dir: str  # location of the run folder

    @property
    def run_id(self) -> str:
        return str(self.manifest["run_id"])

    def path(self, relative: str) -> str:
        return files.join(self.run_dir, relative)

    @property
    def files_table(self) -> str:
        return self.path(str((self.manifest.get("files") or {}).get("table") or FILES_TABLE))

    def file_info(self, logical: str) -> FileWritten | None:
        """The file list's row of the file now holding a logical name (see filelist)."""
        if not files.exists(self.files_table):
            raise OutputError(
                f"{self.files_table} is missing: the run's file list is gone; re-run the job"
            )
        try:
            return lookup(self.files_table, logical)
        except (OSError, pa.ArrowException) as err:
            raise OutputError(f"{self.files_table} is damaged ({err}); re-run the job") from None

    def read_checked(self, logical: str) -> bytes:
        """The bytes of the file now holding a logical name, verified against its sha256."""
        info = self.file_info(logical)
        if info is None:
            raise OutputError(f"{logical} is not listed in {self.files_table}")
        location = self.path(info.path)
        try:
            data = files.read_bytes(location)
        except FileNotFoundError:
            raise OutputError(
                f"{location} is missing although the manifest lists it: the output was "
                "changed after the run; restore the file or re-run the job"
            ) from None
        if sha256_bytes(data) != info.sha256:
            raise OutputError(
                f"{location} is damaged (its sha256 differs from the file list's); restore "
                "it or re-run the job"
            )
        return data

    def listed(self, kind: str | None = None) -> list[FileWritten]:
        if not files.exists(self.files_table):
            raise OutputError(f"{self.files_table} is missing; re-run the job")
        try:
            return read_file_list(self.files_table, kind)
        except (OSError, pa.ArrowException) as err:
            raise OutputError(f"{self.files_table} is damaged ({err}); re-run the job") from None


def signature_files(published: Published) -> list[str]:
    """Locations of the dedup signature files of a published run's kept records."""
    return [published.path(f.path) for f in published.listed(SIGNATURES)]


def open_output(output: str, run_id: str | None = None) -> Published:
    """The current publication of `output`, or one of its runs by id."""
    if run_id is None:
        pointer = files.join(output, MANIFEST)
        if not files.exists(pointer):
            raise OutputError(
                f"{output} holds no manifest.json: it is not a finished run's output "
                "(run `corpusgate run` first, or give --output)"
            )
        manifest = _load_json(pointer, "the output's publication")
        run_dir = manifest.get("run_dir")
        if not run_dir:
            raise OutputError(
                f"{pointer} was written by an older corpusgate (no run_dir); re-run the job"
            )
        return Published(output, manifest, files.join(output, str(run_dir)))
    run_dir = files.join(output, RUNS, run_id)
    manifest = _load_json(
        files.join(run_dir, MANIFEST),
        f"run {run_id} did not finish (see `corpusgate runs list --output {output}`)",
    )
    return Published(output, manifest, run_dir)


def list_runs(output: str) -> list[dict[str, Any]]:
    """Every run folder under the output: finished ones with their totals, the rest as such."""
    current = None
    pointer = files.join(output, MANIFEST)
    if files.exists(pointer):
        try:
            current = _load_json(pointer, "").get("run_id")
        except OutputError:
            current = None
    runs = []
    for run_id in files.list_dirs(files.join(output, RUNS)):
        location = files.join(output, RUNS, run_id, MANIFEST)
        entry: dict[str, Any] = {"run_id": run_id, "current": run_id == current}
        if files.exists(location):
            try:
                manifest = _load_json(location, "")
            except OutputError as err:
                entry.update(state="damaged", problem=str(err))
            else:
                entry.update(
                    state="published",
                    started_at=manifest.get("started_at"),
                    finished_at=manifest.get("finished_at"),
                    totals={
                        k: v for k, v in manifest["totals"].items() if k != "quarantined_by_reason"
                    },
                    gate={
                        sid: report.get("decision")
                        for sid, report in (manifest.get("checks") or {}).get("gate", [])
                    },
                )
        else:
            entry["state"] = "unfinished"
        runs.append(entry)
    return runs

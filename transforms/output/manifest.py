"""The run manifest: what a run read, wrote and quarantined, and the proof that it adds up.

Counts come from the data (the rows each writer actually put in a file, the items each reader
yielded), combined inside the pipeline; Beam metrics are never used for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from corpusgate.schemas import PIPELINE_VERSION, SCHEMA_VERSION
from corpusgate.schemas.records import QUARANTINED, WRITTEN
from corpusgate.transforms.output.filelist import FileWritten
from corpusgate.transforms.output.layout import INDEX, QUARANTINE, SHARDS

Outcome = tuple[tuple[str, str, str], int]  # ((source_id, status, reason), count)


def source_table(
    read_counts: Iterable[tuple[str, int]],
    outcomes: Iterable[Outcome],
    source_ids: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """Per source: read, written, quarantined, withdrawn, quarantined_by_reason, balanced.

    `withdrawn` counts records `corpusgate forget` later took out of the shards; a run itself
    withdraws nothing, so it starts at 0."""
    table: dict[str, dict[str, Any]] = {}

    def row(source_id: str) -> dict[str, Any]:
        return table.setdefault(
            source_id,
            {
                "read": 0,
                "written": 0,
                "quarantined": 0,
                "withdrawn": 0,
                "quarantined_by_reason": defaultdict(int),
            },
        )

    for source_id in source_ids:
        row(source_id)
    for source_id, count in read_counts:
        row(source_id)["read"] += count
    for (source_id, status, reason), count in outcomes:
        entry = row(source_id)
        if status == WRITTEN:
            entry["written"] += count
        elif status == QUARANTINED:
            entry["quarantined"] += count
            entry["quarantined_by_reason"][reason] += count
        else:
            raise ValueError(f"unknown outcome status '{status}' for source {source_id}")
    for entry in table.values():
        entry["quarantined_by_reason"] = dict(sorted(entry["quarantined_by_reason"].items()))
        entry["balanced"] = entry["read"] == _accounted(entry)
    return dict(sorted(table.items()))


def _accounted(entry: dict[str, Any]) -> int:
    # Manifests written before `forget` existed have no `withdrawn`.
    return int(entry["written"] + entry["quarantined"] + entry.get("withdrawn", 0))


def file_summary(written: Iterable[FileWritten]) -> dict[str, dict[str, int]]:
    """Per kind: how many files, rows and bytes (the manifest's view of files.parquet)."""
    out: dict[str, dict[str, int]] = {}
    for f in written:
        entry = out.setdefault(f.kind, {"files": 0, "rows": 0, "bytes": 0})
        entry["files"] += 1
        entry["rows"] += f.rows
        entry["bytes"] += f.bytes
    return dict(sorted(out.items()))


def balance_problems(manifest: dict[str, Any]) -> list[str]:
    """Every way the manifest fails to add up; empty when read = written + quarantined
    (+ withdrawn) holds for every source and the files hold what was counted."""
    problems = []
    for source_id, entry in manifest["sources"].items():
        if entry["read"] != _accounted(entry):
            withdrawn = f" + withdrawn {entry['withdrawn']}" if entry.get("withdrawn") else ""
            problems.append(
                f"{source_id}: read {entry['read']} != written {entry['written']} + "
                f"quarantined {entry['quarantined']}{withdrawn}"
            )
        if sum(entry["quarantined_by_reason"].values()) != entry["quarantined"]:
            problems.append(f"{source_id}: quarantine reasons do not sum to {entry['quarantined']}")
    totals = manifest["totals"]
    kinds = manifest["files"]["by_kind"]

    def rows(kind: str) -> int:
        return int((kinds.get(kind) or {}).get("rows", 0))

    if rows(SHARDS) != totals["written"]:
        problems.append(f"shards hold {rows(SHARDS)} rows but {totals['written']} were written")
    if rows(QUARANTINE) != totals["quarantined"]:
        problems.append(
            f"quarantine files hold {rows(QUARANTINE)} rows, "
            f"{totals['quarantined']} were quarantined"
        )
    # Withdrawn records stay in the index (status "withdrawn") so `audit` can explain them.
    if rows(INDEX) != _accounted(totals):
        problems.append(f"the audit index holds {rows(INDEX)} rows, expected {_accounted(totals)}")
    return problems


def build_manifest(
    *,
    run_id: str,
    config_sha256: str,
    runner: str,
    started_at: str,
    finished_at: str,
    registry_entries: dict[str, dict[str, Any]],
    read_counts: Iterable[tuple[str, int]],
    outcomes: Iterable[Outcome],
    written: Iterable[FileWritten],
    files_table: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The small manifest: counts per source, totals, and files.parquet by its sha256."""
    sources = source_table(read_counts, outcomes, registry_entries)
    for source_id, entry in sources.items():
        entry["registry_entry"] = registry_entries.get(source_id)
    totals = {
        key: sum(s[key] for s in sources.values())
        for key in ("read", "written", "quarantined", "withdrawn")
    }
    reasons: dict[str, int] = defaultdict(int)
    for entry in sources.values():
        for reason, count in entry["quarantined_by_reason"].items():
            reasons[reason] += count
    totals["quarantined_by_reason"] = dict(sorted(reasons.items()))
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "pipeline_version": PIPELINE_VERSION,
        "run_id": run_id,
        "config_sha256": config_sha256,
        "runner": runner,
        "started_at": started_at,
        "finished_at": finished_at,
        "sources": sources,
        "totals": totals,
        "files": {**files_table, "by_kind": file_summary(written)},
        **(extra or {}),
    }
    manifest["balanced"] = not balance_problems(manifest)
    return manifest


def format_table(manifest: dict[str, Any]) -> str:
    """The per-source table `run` prints and `reports/sources.txt` keeps."""
    totals = manifest["totals"]
    # The withdrawn column appears once `forget` has withdrawn something, so a run's table is
    # unchanged.
    counts = ["read", "written", "quarantined"]
    if totals.get("withdrawn"):
        counts.append("withdrawn")
    rows = [("source", *counts, "by reason")]
    for source_id, entry in manifest["sources"].items():
        reasons = ", ".join(f"{r} {n}" for r, n in entry["quarantined_by_reason"].items()) or "-"
        rows.append((source_id, *(str(entry.get(c, 0)) for c in counts), reasons))
    rows.append(
        (
            "TOTAL",
            *(str(totals.get(c, 0)) for c in counts),
            ", ".join(f"{r} {n}" for r, n in totals["quarantined_by_reason"].items()) or "-",
        )
    )
    n = len(counts) + 1
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    lines = []
    for i, r in enumerate(rows):
        lines.append(
            "  ".join(
                [r[0].ljust(widths[0]), *(r[j].rjust(widths[j]) for j in range(1, n)), r[n]]
            ).rstrip()
        )
        if i == 0 or i == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 9)
    equation = " + ".join(counts[1:])
    verdict = (
        f"balanced: read = {equation} for every source" if manifest["balanced"] else "NOT BALANCED"
    )
    skipped = [
        f"not collected: {source_id} - {why['reason']}"
        for source_id, why in (manifest.get("not_collected") or {}).items()
    ]
    return "\n".join([*lines, verdict, *skipped])

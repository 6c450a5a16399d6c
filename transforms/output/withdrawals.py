"""`forget`: honour a data subject's withdrawal in a published output, without rescanning text.

The PII step of `run` records, for every identifier it left in a published record, the pair
(subject key, record id) in `index/pii_subjects/` (listed in the manifest's `pair_indexes`).
Given subject keys, `forget`:

1. finds their records through that index and the audit index (only `written` ones: quarantined
   records were never published, already withdrawn ones are skipped, so a re-run is harmless);
2. rewrites each affected shard without them (a new file named after the ids it holds);
3. appends one line per withdrawn record to `withdrawals/withdrawals.jsonl` (when, why, which
   request, where the record was, its lineage; never its text);
4. updates the audit index (moved rows get their new file and row, withdrawn rows point at their
   log line with status `withdrawn`) and the manifest: the records move from `written` to
   `withdrawn`, so read = written + quarantined + withdrawn still holds per source;
5. deletes the old shard files last, once the manifest names the new ones.

The withdrawals themselves go to the store's append-only `withdrawals` table (the caller's
job, see `cmd_forget`), which also stops the next `run` from keeping the subject's data under
consent that predates the withdrawal.

Local output folders only; the steps are ordered so an interruption leaves the old shards in
place, but the folder is not updated atomically as a whole (re-run `forget` after a crash).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpusgate.schemas.reasons import CONSENT_WITHDRAWN
from corpusgate.schemas.records import INDEX_SCHEMA, WITHDRAWN, WRITTEN
from corpusgate.transforms.output import manifest as manifest_core
from corpusgate.transforms.output import publish
from corpusgate.transforms.output.audit import load_manifest, locate
from corpusgate.transforms.spine.identity import index_bucket

# Proposed for schemas (see the report): the index status of a withdrawn record, and its reason.
SUBJECTS = "pii_subjects"  # the pair index written by transforms.pii.stage
LOG = "withdrawals/withdrawals.jsonl"


class ForgetError(RuntimeError):
    """The output cannot be changed as asked; the message says why."""


@dataclass
class ForgetResult:
    request_id: str
    at: str
    subjects: int
    withdrawn: list[dict[str, Any]] = field(default_factory=list)  # record_id, source_id, from
    already_withdrawn: list[str] = field(default_factory=list)
    not_published: list[dict[str, str]] = field(default_factory=list)  # record_id, status
    shards: list[dict[str, Any]] = field(default_factory=list)  # old -> new (None: emptied)
    records_by_subject: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "at": self.at,
            "subjects": self.subjects,
            "withdrawn": self.withdrawn,
            "already_withdrawn": self.already_withdrawn,
            "not_published": self.not_published,
            "shards": self.shards,
        }


def records_of(
    output: str | Path, manifest: dict[str, Any], subject_keys: set[str]
) -> dict[str, list[str]]:
    """subject key -> record ids holding it, from the run's subject index files.

    Each file is read with a filter on the keys, so only matching rows are materialised.
    """
    found: dict[str, list[str]] = defaultdict(list)
    if not subject_keys:
        return {}
    wanted = pa.array(sorted(subject_keys), pa.string())
    for entry in (manifest.get("pair_indexes") or {}).get(SUBJECTS, []):
        table = pq.read_table(Path(output) / entry["path"], filters=pc.field("key").isin(wanted))
        for key, record_id in zip(
            table.column("key").to_pylist(), table.column("value").to_pylist(), strict=True
        ):
            found[key].append(record_id)
    return {k: sorted(set(v)) for k, v in found.items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _file_facts(path: Path, relative: str) -> dict[str, Any]:
    data = path.read_bytes()
    return {
        "path": relative,
        "rows": pq.ParquetFile(path).metadata.num_rows,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }


def _write_parquet(table: pa.Table, target: Path) -> None:
    tmp = target.with_name(f".tmp-{uuid.uuid4().hex}.parquet")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, target)


def forget(
    output: str,
    subject_keys: list[str],
    *,
    reason: str = "the data subject withdrew consent",
    request_id: str | None = None,
    now: datetime | None = None,
) -> ForgetResult:
    """Withdraw every published record holding one of `subject_keys` from `output`."""
    if publish.is_remote(output):
        raise ForgetError(f"{output}: forget works on local output folders only (for now)")
    root = Path(output)
    manifest = load_manifest(output)
    at = (now or datetime.now(UTC)).isoformat()
    result = ForgetResult(request_id or f"forget-{uuid.uuid4().hex[:12]}", at, len(subject_keys))
    result.records_by_subject = records_of(output, manifest, set(subject_keys))
    subjects_of: dict[str, list[str]] = defaultdict(list)
    for key, ids in result.records_by_subject.items():
        for rid in ids:
            subjects_of[rid].append(key)

    # Where each record is now; only written records are withdrawn.
    targets: dict[str, list[tuple[str, int]]] = defaultdict(list)  # shard -> [(id, row)]
    for rid in sorted(subjects_of):
        for where in locate(output, rid):
            if where["status"] == WRITTEN:
                targets[where["file"]].append((rid, where["row"]))
            elif where["status"] == WITHDRAWN:
                result.already_withdrawn.append(rid)
            else:
                result.not_published.append({"record_id": rid, "status": where["status"]})
    if not targets:
        return result

    log_path = root / LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    next_line = sum(1 for _ in log_path.open(encoding="utf-8")) if log_path.exists() else 0
    moved: dict[str, tuple[str, int]] = {}  # record id -> (new file, new row)
    log_rows: dict[str, int] = {}  # withdrawn record id -> log line
    new_entries: dict[str, dict[str, Any] | None] = {}
    per_source: dict[str, int] = defaultdict(int)
    log_lines: list[str] = []

    for shard in sorted(targets):
        path = root / shard
        table = pq.read_table(path)
        gone = {rid for rid, _ in targets[shard]}
        mask = pc.is_in(table["record_id"], value_set=pa.array(sorted(gone)))
        for row_no, row in enumerate(table.to_pylist()):
            if row["record_id"] not in gone:
                continue
            per_source[row["source_id"]] += 1
            log_rows[row["record_id"]] = next_line + len(log_lines)
            log_lines.append(
                json.dumps(
                    {
                        "record_id": row["record_id"],
                        "source_id": row["source_id"],
                        "status": WITHDRAWN,
                        "reason": CONSENT_WITHDRAWN,
                        "detail": reason,
                        "request_id": result.request_id,
                        "withdrawn_at": at,
                        "subject_keys": sorted(subjects_of[row["record_id"]]),
                        "from": {"file": shard, "row": row_no},
                        "lineage": _json_safe(row["lineage"]),
                    },
                    ensure_ascii=False,
                    sort_keys=True,
                )
            )
            result.withdrawn.append(
                {
                    "record_id": row["record_id"],
                    "source_id": row["source_id"],
                    "from": {"file": shard, "row": row_no},
                }
            )
        kept = table.filter(pc.invert(mask))
        if kept.num_rows == 0:
            new_entries[shard] = None
            result.shards.append({"old": shard, "new": None})
            continue
        # Named after the ids it holds, as `WriteShards` names files.
        ids = hashlib.blake2b(digest_size=8)
        for rid in kept["record_id"].to_pylist():
            ids.update(rid.encode())
        name = f"shards/part-{ids.hexdigest()}.parquet"
        _write_parquet(kept, root / name)
        for row_no, rid in enumerate(kept["record_id"].to_pylist()):
            moved[rid] = (name, row_no)
        new_entries[shard] = _file_facts(root / name, name)
        result.shards.append({"old": shard, "new": name})

    # The log first: once the index points at a line, the line exists.
    with log_path.open("a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in log_lines))

    index_facts = _update_index(root, moved, log_rows)
    _update_manifest(manifest, new_entries, index_facts, per_source, result)
    problems = manifest_core.balance_problems(manifest)
    if problems:  # pragma: no cover - a bug here must not publish a manifest that lies
        raise ForgetError("the updated manifest does not balance: " + "; ".join(problems))
    publish.write_json(
        publish.join(output, "reports", "sources.json"),
        {
            "run_id": manifest["run_id"],
            "sources": manifest["sources"],
            "totals": manifest["totals"],
        },
    )
    (root / "reports" / "sources.txt").write_text(
        manifest_core.format_table(manifest) + "\n", encoding="utf-8"
    )
    publish.write_json(publish.join(output, publish.MANIFEST), manifest)
    for shard, entry in new_entries.items():
        if entry is None or entry["path"] != shard:
            (root / shard).unlink(missing_ok=True)
    return result


def _update_index(
    root: Path, moved: dict[str, tuple[str, int]], log_rows: dict[str, int]
) -> dict[str, dict[str, Any]]:
    buckets: dict[str, list[str]] = defaultdict(list)
    for rid in [*moved, *log_rows]:
        buckets[index_bucket(rid)].append(rid)
    facts = {}
    for bucket in sorted(buckets):
        name = f"index/{bucket}.parquet"
        rows = pq.read_table(root / name).to_pylist()
        for row in rows:
            rid = row["record_id"]
            if rid in log_rows:
                row.update(status=WITHDRAWN, file=LOG, row=log_rows[rid], reason=CONSENT_WITHDRAWN)
            elif rid in moved and row["status"] == WRITTEN:
                row["file"], row["row"] = moved[rid]
        _write_parquet(pa.Table.from_pylist(rows, schema=INDEX_SCHEMA), root / name)
        facts[name] = _file_facts(root / name, name)
    return facts


def _update_manifest(
    manifest: dict[str, Any],
    new_entries: dict[str, dict[str, Any] | None],
    index_facts: dict[str, dict[str, Any]],
    per_source: dict[str, int],
    result: ForgetResult,
) -> None:
    shards = [f for f in manifest["shards"] if f["path"] not in new_entries]
    shards += [e for e in new_entries.values() if e is not None]
    manifest["shards"] = sorted(shards, key=lambda f: f["path"])
    manifest["index"] = [index_facts.get(f["path"], f) for f in manifest["index"]]
    totals = manifest["totals"]
    for source_id, n in per_source.items():
        entry = manifest["sources"][source_id]
        entry["written"] -= n
        entry["withdrawn"] = entry.get("withdrawn", 0) + n
        totals["written"] -= n
        totals["withdrawn"] = totals.get("withdrawn", 0) + n
    for entry in manifest["sources"].values():
        entry["balanced"] = entry["read"] == (
            entry["written"] + entry["quarantined"] + entry.get("withdrawn", 0)
        )
    manifest.setdefault("withdrawals", []).append(
        {
            "request_id": result.request_id,
            "at": result.at,
            "records": len(result.withdrawn),
            "log": LOG,
        }
    )
    manifest["balanced"] = not manifest_core.balance_problems(manifest)


def read_withdrawal(output: str, line: int) -> dict[str, Any]:
    """One line of the withdrawal log (what `audit` shows for a withdrawn record)."""
    path = Path(output) / LOG
    with path.open(encoding="utf-8") as handle:
        for n, text in enumerate(handle):
            if n == line:
                return dict(json.loads(text))
    raise ForgetError(f"{path} has no line {line}; the output was changed by hand")

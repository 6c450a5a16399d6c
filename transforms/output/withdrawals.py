"""Withdrawing published records: `forget` honours a data subject's withdrawal (4.2.3, PIPL
art. 15, 47) and `takedown` an IP complaint (4.2.2 c), without rescanning text, on a local
folder or a bucket alike. Both come down to `withdraw`: record ids, a reason and a request id
in; the publication rewritten without those records.

The PII step of `run` records, for every identifier it left in a published record, the pair
(subject key, record id) in `index/pii_subjects/<bucket>.parquet`, partitioned by key prefix.
Given subject keys, `forget` reads only those keys' subject-index buckets for their record ids
(`takedown` finds its ids through the signature files), and `withdraw`:

1. reads the audit-index rows of the records (`plan_withdrawal`: only `written` ones are
   withdrawn; quarantined records were never published, already withdrawn ones are skipped,
   so a re-run is harmless);
2. rewrites each affected shard without them, as a Beam job keyed by shard; the new file keeps
   the shard's logical name and lists the original rows it no longer holds, so no other
   record's index entry changes (`filelist.FileWritten.current_row`);
3. writes the request's withdrawal log (`withdrawals/<request>.jsonl`: when, why, which request,
   where each record was, its lineage; never its text) and new generations of the index
   buckets holding the withdrawn ids, pointing each at its log line with status `withdrawn`;
4. writes a new file list, rebuilds the reports with the run's report writer, rewrites the
   run's manifest (records move from `written` to `withdrawn`: read = written + quarantined +
   withdrawn still holds per source) and moves the pointer;
5. deletes the replaced files last, once the pointer names the new ones.

Every file is written under a new name, so a kill before step 4 leaves the publication as it
was (re-run the command); the requests themselves go to the store's append-only tables (the
caller's job): for `forget` that also stops the next `run` from keeping the subject's data.
"""

from __future__ import annotations

import io
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions

from corpusgate.schemas.reasons import CONSENT_WITHDRAWN
from corpusgate.schemas.records import INDEX_SCHEMA, WITHDRAWN, WRITTEN
from corpusgate.transforms.common import files
from corpusgate.transforms.common.hashing import sha256_bytes
from corpusgate.transforms.output import manifest as manifest_core
from corpusgate.transforms.output.audit import locate
from corpusgate.transforms.output.filelist import (
    FileWritten,
    HashedParquetWriter,
    write_file_list,
)
from corpusgate.transforms.output.layout import INDEX, MANIFEST, RUNS, bucket_of
from corpusgate.transforms.output.publish import write_json, write_reports
from corpusgate.transforms.output.published import OutputError, Published, open_output
from corpusgate.transforms.output.report import load_spotchecks, report_files
from corpusgate.transforms.output.withdrawal_log import KIND as LOG_KIND
from corpusgate.transforms.output.withdrawal_log import log_path

SUBJECTS = "pii_subjects"  # the pair index written by the PII stage


class WithdrawalError(RuntimeError):
    """The output cannot be changed as asked; the message says why."""


ForgetError = WithdrawalError  # the name `forget`'s callers catch


@dataclass(frozen=True)
class WithdrawalRequest:
    """What to withdraw and why: the one input `forget` and `takedown` share."""

    request_id: str  # names the withdrawal log: withdrawals/<request_id>.jsonl
    reason: str  # a reason code of schemas.reasons (consent_withdrawn, ip_complaint)
    detail: str  # the operator's words, as the log and `audit` repeat them
    at: str  # ISO 8601, the time every log line and the manifest carry
    record_ids: Sequence[str]
    # Fields a record's log line adds beside the common ones (forget: its subject keys;
    # takedown: the complaint and how the record matched), so `audit` can show them.
    log_fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass
class WithdrawalPlan:
    """Where the requested records are now: what `withdraw` would do, changing nothing."""

    targets: dict[str, dict[int, str]] = field(default_factory=dict)  # shard -> {row: id}
    shard_of: dict[str, str] = field(default_factory=dict)  # written id -> logical shard
    already_withdrawn: list[str] = field(default_factory=list)
    not_published: list[dict[str, str]] = field(default_factory=list)  # record_id, status
    unknown: list[str] = field(default_factory=list)  # ids the audit index does not hold


@dataclass
class WithdrawalResult:
    """What `withdraw` did."""

    plan: WithdrawalPlan
    withdrawn: list[dict[str, Any]] = field(default_factory=list)  # record_id, source_id, from
    shards: list[dict[str, Any]] = field(default_factory=list)  # old -> new (None: emptied)


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


def records_of(published: Published, subject_keys: set[str]) -> dict[str, list[str]]:
    """subject key -> record ids holding it, reading only the keys' index buckets."""
    meta = (published.manifest.get("pair_indexes") or {}).get(SUBJECTS)
    if not meta or not subject_keys:
        return {}
    digits = int(meta["digits"])
    by_bucket: dict[str, set[str]] = defaultdict(set)
    for key in subject_keys:
        by_bucket[bucket_of(key, digits)].add(key)
    found: dict[str, set[str]] = defaultdict(set)
    for bucket, keys in sorted(by_bucket.items()):
        logical = f"{INDEX}/{SUBJECTS}/{bucket}.parquet"
        if published.file_info(logical) is None:
            continue
        table = pq.read_table(
            io.BytesIO(published.read_checked(logical)),
            filters=pc.field("key").isin(pa.array(sorted(keys), pa.string())),
        )
        for key, record_id in zip(
            table.column("key").to_pylist(), table.column("value").to_pylist(), strict=True
        ):
            found[key].add(record_id)
    return {k: sorted(v) for k, v in found.items()}


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


@dataclass(frozen=True)
class _Rewrite:
    """What rewriting one shard produced."""

    old: FileWritten
    new: FileWritten | None  # None: every row was withdrawn
    withdrawn: tuple[dict[str, Any], ...]  # record_id, source_id, original row, lineage


def rewrite_shard(
    run_dir: str, old: FileWritten, gone: dict[int, str], generation: int
) -> _Rewrite:
    """The shard without the rows `gone` (original row → record id), under a new name."""
    with files.open_read(files.join(run_dir, old.path)) as handle:
        table = pq.read_table(handle)
    current = {old.current_row(original): original for original in gone}
    if None in current:
        raise WithdrawalError(f"{old.logical}: a row to withdraw was already removed")
    drop = sorted(current)
    withdrawn = []
    for at in drop:
        row = table.slice(at, 1).to_pylist()[0]
        if row["record_id"] != gone[current[at]]:
            raise WithdrawalError(
                f"{old.path} row {at} holds {row['record_id']}, the index says {gone[current[at]]}"
            )
        withdrawn.append(
            {
                "record_id": row["record_id"],
                "source_id": row["source_id"],
                "original_row": current[at],
                "from": {"file": old.path, "row": at},
                "lineage": _json_safe(row["lineage"]),
            }
        )
    keep = pc.invert(pc.is_in(pa.array(range(table.num_rows)), pa.array(drop, pa.int64())))
    kept = table.filter(keep)
    removed = tuple(sorted(set(old.removed_rows) | set(gone)))
    if kept.num_rows == 0:
        return _Rewrite(old, None, tuple(withdrawn))
    stem = old.logical.removesuffix(".parquet")
    path = f"{stem}.w{generation}.parquet"
    writer = HashedParquetWriter(files.join(run_dir, path), table.schema)
    writer.write(kept, row_group_size=5_000)
    size, sha = writer.close()
    new = FileWritten(old.kind, path, kept.num_rows, size, sha, old.logical, removed)
    return _Rewrite(old, new, tuple(withdrawn))


class _RewriteFn(beam.DoFn):
    def __init__(self, run_dir: str, generation: int, results: str) -> None:
        self._run_dir = run_dir
        self._generation = generation
        self._results = results

    def process(self, item: tuple[dict[str, Any], dict[int, str]]) -> Iterator[str]:
        old, gone = item
        done = rewrite_shard(self._run_dir, FileWritten(**old), gone, self._generation)
        location = files.join(self._results, f"{uuid.uuid4().hex}.json")
        files.write_bytes(
            location,
            json.dumps(
                {
                    "old": done.old.as_dict(),
                    "new": done.new.as_dict() if done.new else None,
                    "withdrawn": list(done.withdrawn),
                }
            ).encode(),
        )
        yield location


def _rewrite_all(
    published: Published,
    targets: dict[str, dict[int, str]],
    generation: int,
    options: PipelineOptions | None,
) -> list[_Rewrite]:
    """A Beam job keyed by affected shard; results come back through the run's _tmp folder."""
    results = published.path(f"_tmp/withdraw-{generation}-{uuid.uuid4().hex[:8]}")
    items = []
    for logical, gone in sorted(targets.items()):
        info = published.file_info(logical)
        if info is None:
            raise OutputError(f"{logical} is not listed in {published.files_table}")
        items.append((info.as_dict(), gone))
    options = options or PipelineOptions(["--runner=FnApiRunner"])
    with beam.Pipeline(options=options) as pipeline:
        _ = (
            pipeline
            | "AffectedShards" >> beam.Create(items)
            | "Spread" >> beam.Reshuffle()
            | "Rewrite" >> beam.ParDo(_RewriteFn(published.run_dir, generation, results))
        )
    done = []
    for location in files.list_files(results):
        data = json.loads(files.read_bytes(location))
        done.append(
            _Rewrite(
                FileWritten(**data["old"]),
                FileWritten(**data["new"]) if data["new"] else None,
                tuple(data["withdrawn"]),
            )
        )
    files.delete_tree(results)
    return sorted(done, key=lambda d: d.old.logical)


def _rewrite_buckets(
    published: Published, log: str, lines: dict[str, int], generation: int, reason: str
) -> list[tuple[FileWritten, FileWritten]]:
    """New generations of the index buckets holding withdrawn ids: (old, new) files."""
    digits = int((published.manifest.get("index") or {}).get("digits", 2))
    by_bucket: dict[str, list[str]] = defaultdict(list)
    for record_id in lines:
        by_bucket[bucket_of(record_id, digits)].append(record_id)
    out = []
    for bucket in sorted(by_bucket):
        logical = f"{INDEX}/{bucket}.parquet"
        old = published.file_info(logical)
        assert old is not None
        rows = pq.read_table(io.BytesIO(published.read_checked(logical))).to_pylist()
        for row in rows:
            line = lines.get(row["record_id"])
            if line is not None and row["status"] == WRITTEN:
                row.update(status=WITHDRAWN, file=log, row=line, reason=reason)
        table = pa.Table.from_pylist(rows, schema=INDEX_SCHEMA)
        path = f"{INDEX}/{bucket}.w{generation}.parquet"
        writer = HashedParquetWriter(published.path(path), INDEX_SCHEMA)
        writer.write(table, row_group_size=8192)
        size, sha = writer.close()
        out.append((old, FileWritten(old.kind, path, table.num_rows, size, sha, logical)))
    return out


def forget(
    output: str,
    subject_keys: list[str],
    *,
    reason: str = "the data subject withdrew consent",
    request_id: str | None = None,
    now: datetime | None = None,
    options: PipelineOptions | None = None,
) -> ForgetResult:
    """Withdraw every published record holding one of `subject_keys` from `output`."""
    published = open_output(output)
    at = (now or datetime.now(UTC)).isoformat()
    result = ForgetResult(request_id or f"forget-{uuid.uuid4().hex[:12]}", at, len(subject_keys))
    result.records_by_subject = records_of(published, set(subject_keys))
    subjects_of: dict[str, list[str]] = defaultdict(list)
    for key, ids in result.records_by_subject.items():
        for rid in ids:
            subjects_of[rid].append(key)
    request = WithdrawalRequest(
        request_id=result.request_id,
        reason=CONSENT_WITHDRAWN,
        detail=reason,
        at=at,
        record_ids=sorted(subjects_of),
        log_fields={rid: {"subject_keys": sorted(keys)} for rid, keys in subjects_of.items()},
    )
    done = withdraw(published, request, options=options)
    result.withdrawn = done.withdrawn
    result.already_withdrawn = done.plan.already_withdrawn
    result.not_published = done.plan.not_published
    result.shards = done.shards
    return result


def plan_withdrawal(published: Published, record_ids: Sequence[str]) -> WithdrawalPlan:
    """Where each record is: only `written` ones are withdrawn, already withdrawn ones are
    skipped (so a re-run is harmless), quarantined ones were never published."""
    plan = WithdrawalPlan()
    for rid in record_ids:
        found = locate(published, rid)
        if not found:
            plan.unknown.append(rid)
        for where in found:
            if where["status"] == WRITTEN:
                plan.targets.setdefault(where["file"], {})[where["row"]] = rid
                plan.shard_of[rid] = where["file"]
            elif where["status"] == WITHDRAWN:
                plan.already_withdrawn.append(rid)
            else:
                plan.not_published.append({"record_id": rid, "status": where["status"]})
    return plan


def withdraw(
    published: Published,
    request: WithdrawalRequest,
    *,
    plan: WithdrawalPlan | None = None,
    options: PipelineOptions | None = None,
) -> WithdrawalResult:
    """Withdraw the request's records that are `written` from the publication (steps 2-5 of
    the module docstring); `plan` when the caller already made it for these ids."""
    plan = plan or plan_withdrawal(published, request.record_ids)
    result = WithdrawalResult(plan)
    if not plan.targets:
        return result
    output = published.output
    manifest = published.manifest
    log = log_path(request.request_id)
    if files.exists(published.path(log)):
        raise WithdrawalError(f"request {request.request_id} was already applied to {output}")

    generation = len(manifest.get("withdrawals") or []) + 1
    rewrites = _rewrite_all(published, plan.targets, generation, options)

    log_lines: list[str] = []
    lines: dict[str, int] = {}
    per_source: dict[str, int] = defaultdict(int)
    for done in rewrites:
        result.shards.append({"old": done.old.path, "new": done.new.path if done.new else None})
        for row in done.withdrawn:
            lines[row["record_id"]] = len(log_lines)
            per_source[row["source_id"]] += 1
            entry = {
                **request.log_fields.get(row["record_id"], {}),
                "record_id": row["record_id"],
                "source_id": row["source_id"],
                "status": WITHDRAWN,
                "reason": request.reason,
                "detail": request.detail,
                "request_id": request.request_id,
                "withdrawn_at": request.at,
                "from": row["from"],
                "lineage": row["lineage"],
            }
            log_lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
            result.withdrawn.append(
                {"record_id": row["record_id"], "source_id": row["source_id"], "from": row["from"]}
            )
    log_bytes = "".join(line + "\n" for line in log_lines).encode("utf-8")
    files.write_bytes(published.path(log), log_bytes)
    log_file = FileWritten(LOG_KIND, log, len(log_lines), len(log_bytes), sha256_bytes(log_bytes))
    buckets = _rewrite_buckets(published, log, lines, generation, request.reason)

    old_table = published.files_table
    replaced = {d.old.path for d in rewrites} | {old.path for old, _ in buckets}
    listed = [f for f in published.listed() if f.path not in replaced]
    listed += [d.new for d in rewrites if d.new is not None]
    listed += [new for _, new in buckets]
    listed.append(log_file)
    table = f"files.w{generation}.parquet"
    size, sha = write_file_list(published.path(table), listed)
    _update_manifest(manifest, listed, table, size, sha, per_source, request, len(lines), log)
    problems = manifest_core.balance_problems(manifest)
    if problems:  # pragma: no cover - a bug here must not publish a manifest that lies
        raise WithdrawalError("the updated manifest does not balance: " + "; ".join(problems))
    write_reports(published.run_dir, report_files(manifest, load_spotchecks(published.run_dir)))
    write_json(published.path(MANIFEST), manifest)
    write_json(
        files.join(output, MANIFEST), {**manifest, "run_dir": f"{RUNS}/{manifest['run_id']}"}
    )
    files.delete([published.path(p) for p in sorted(replaced)] + [old_table])
    return result


def _update_manifest(
    manifest: dict[str, Any],
    listed: list[FileWritten],
    table: str,
    size: int,
    sha: str,
    per_source: dict[str, int],
    request: WithdrawalRequest,
    records: int,
    log: str,
) -> None:
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
    manifest["files"] = {
        "table": table,
        "sha256": sha,
        "bytes": size,
        "count": len(listed),
        "by_kind": manifest_core.file_summary(listed),
    }
    manifest.pop("run_dir", None)
    manifest.setdefault("withdrawals", []).append(
        {
            "request_id": request.request_id,
            "at": request.at,
            "records": records,
            "log": log,
            "reason": request.reason,
        }
    )
    manifest["balanced"] = not manifest_core.balance_problems(manifest)

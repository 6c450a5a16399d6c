"""`audit`: the provenance of one record, answered from a run's output files alone.

The index bucket named by the id's first hex digits (verified against its sha256 in the run's
file list) says where the record landed; that one row is then read from its shard or
quarantine file (only the row group holding it), and the manifest supplies the run and the
registry entry. Nothing else is scanned, on a local folder or a bucket alike.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpusgate.schemas.reasons import DEDUP
from corpusgate.schemas.records import QUARANTINED, WITHDRAWN, WRITTEN
from corpusgate.transforms.common import files
from corpusgate.transforms.output.layout import INDEX, bucket_of
from corpusgate.transforms.output.published import OutputError, Published, open_output
from corpusgate.transforms.output.withdrawal_log import read_withdrawal
from corpusgate.transforms.spine.identity import is_record_id

AuditError = OutputError  # the name callers of `audit` catch


def _read_row(published: Published, logical: str, original: int) -> tuple[dict[str, Any], str, int]:
    """(the row, the file now holding it, its row there) for an index entry."""
    info = published.file_info(logical)
    if info is None:
        raise OutputError(f"{logical} is not listed in {published.files_table}")
    row = info.current_row(original)
    if row is None:
        raise OutputError(f"{logical} row {original} was withdrawn but the index says otherwise")
    location = published.path(info.path)
    if not files.exists(location):
        raise OutputError(
            f"{location} is missing although the index points at it: the output was changed "
            "after the run; restore the file or re-run the job"
        )
    try:
        with files.open_read(location) as handle:
            parquet = pq.ParquetFile(handle)
            offset = row
            for group in range(parquet.num_row_groups):
                size = parquet.metadata.row_group(group).num_rows
                if offset < size:
                    found = parquet.read_row_group(group).slice(offset, 1).to_pylist()[0]
                    return found, info.path, row
                offset -= size
    except (OSError, pa.ArrowException) as err:
        raise OutputError(f"{location} is damaged ({err}); restore it or re-run the job") from None
    raise OutputError(f"{location} has no row {row}; the output was changed after the run")


def locate(published: Published, record_id: str) -> list[dict[str, Any]]:
    """Every index row for the id (normally one)."""
    digits = int((published.manifest.get("index") or {}).get("digits", 2))
    relative = f"{INDEX}/{bucket_of(record_id, digits)}.parquet"
    if published.file_info(relative) is None:
        return []  # no id of this bucket was written: the record is not in this run
    data = published.read_checked(relative)
    try:
        table = pq.read_table(io.BytesIO(data), filters=[("record_id", "=", record_id)])
    except (OSError, pa.ArrowException) as err:
        raise OutputError(f"{published.path(relative)} is damaged ({err})") from None
    return table.to_pylist()


def audit(output: str, record_id: str, run_id: str | None = None) -> dict[str, Any]:
    record_id = record_id.strip().lower()
    if not is_record_id(record_id):
        raise OutputError(
            f"'{record_id}' is not a record id (32 hex digits, as in the shards' record_id column)"
        )
    published = open_output(output, run_id)
    manifest = published.manifest
    locations = locate(published, record_id)
    if not locations:
        raise OutputError(
            f"record {record_id} is not in the output of run {manifest['run_id']} at {output}"
        )
    answers = []
    for where in locations:
        if where["status"] == WITHDRAWN:
            answers.append(_describe_withdrawn(published, where, manifest))
            continue
        row, physical, at = _read_row(published, where["file"], where["row"])
        answer = _describe(row, {**where, "file": physical, "row": at}, manifest)
        cluster = (row["lineage"] or {}).get("dedup_cluster")
        if cluster:
            answer["dedup"] = _dedup_answer(published, record_id, cluster, answer["checks"])
        answers.append(answer)
    return answers[0] if len(answers) == 1 else {"record_id": record_id, "locations": answers}


def _dedup_answer(
    published: Published, record_id: str, cluster: str, checks: list[dict[str, Any]]
) -> dict[str, Any]:
    """A clustered record's dedup story: the keeper's id and where it is now (a duplicate),
    or what it absorbed (the keeper). The cluster id is the keeper's record id."""
    detail = next((c["detail"] for c in reversed(checks) if c["check"] == DEDUP), "")
    if cluster == record_id:
        return {"cluster_id": cluster, "role": "keeper", "detail": detail, "keeper": None}
    found = [w for w in locate(published, cluster) if w["status"] == WRITTEN]
    keeper: dict[str, Any] = {"record_id": cluster}
    if found:
        where = found[0]
        keeper.update(source_id=where["source_id"], file=where["file"], row=where["row"])
    else:
        # Kept by an earlier run this one was deduplicated against (dedup.against), or since
        # withdrawn: the detail names its source either way.
        keeper.update(source_id=None, file=None, row=None)
    return {"cluster_id": cluster, "role": "duplicate", "detail": detail, "keeper": keeper}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _describe(
    row: dict[str, Any], where: dict[str, Any], manifest: dict[str, Any]
) -> dict[str, Any]:
    lineage = row["lineage"] or {}
    source = manifest["sources"].get(row["source_id"], {})
    answer: dict[str, Any] = {
        "record_id": row["record_id"],
        "source_id": row["source_id"],
        "registry_entry": {
            **(source.get("registry_entry") or {}),
            "sha256_at_run": lineage.get("registry_entry_sha256"),
        },
        "origin": lineage.get("origin"),
        "url": lineage.get("url"),
        "collected_at": _iso(lineage.get("collected_at")),
        "licence": lineage.get("licence"),
        "evidence": lineage.get("evidence") or [],
        "consent": lineage.get("consent") or [],
        "pii": lineage.get("pii"),
        "harm": lineage.get("harm") or [],
        "language": lineage.get("language"),
        "assessment_id": lineage.get("assessment_id"),
        "checks": lineage.get("decisions") or [],
        "status": where["status"],
        "location": {"file": where["file"], "row": where["row"]},
        "run": {
            "run_id": lineage.get("run_id"),
            "pipeline_version": lineage.get("pipeline_version"),
            "config_sha256": lineage.get("config_sha256"),
            "manifest_run_id": manifest["run_id"],
        },
        "text_preview": (row.get("text") or "")[:200],
    }
    if where["status"] == QUARANTINED:
        answer["quarantine"] = {
            "check": row["check"],
            "reason": row["reason"],
            "detail": row["detail"],
            "raw_bytes": len(row["raw"]) if row.get("raw") is not None else 0,
        }
    return answer


def _describe_withdrawn(
    published: Published, where: dict[str, Any], manifest: dict[str, Any]
) -> dict[str, Any]:
    """A record `forget` withdrew: its lineage and the withdrawal, from the withdrawal log."""
    logged = read_withdrawal(published, where["file"], where["row"])
    row = {
        "record_id": logged["record_id"],
        "source_id": logged["source_id"],
        "text": "",
        "lineage": logged.get("lineage") or {},
    }
    answer = _describe(row, where, manifest)
    answer["withdrawal"] = {
        "at": logged["withdrawn_at"],
        "reason": logged["reason"],
        "detail": logged["detail"],
        "request_id": logged["request_id"],
        "subject_keys": logged.get("subject_keys", []),
        "was_at": logged["from"],
    }
    if logged.get("complaint"):  # a takedown: the IP complaint and how the record matched it
        answer["withdrawal"]["complaint"] = logged["complaint"]
    return answer


def format_audit(answer: dict[str, Any]) -> str:
    if "locations" in answer:
        return "\n\n".join(format_audit(a) for a in answer["locations"])
    entry = answer["registry_entry"]
    origin = answer["origin"] or {}
    lines = [
        f"record {answer['record_id']}",
        f"  source       {answer['source_id']} ({entry.get('kind', '?')}, {entry.get('origin', '?')})"
        f" - {entry.get('title', '')}",
        f"  registry     {entry.get('file', '?')} sha256 {answer['registry_entry']['sha256_at_run']}",
        f"  origin       {origin.get('uri')} {str(origin.get('kind', '')).replace('_', ' ')} "
        f"{origin.get('position')}",
        f"  url          {answer['url'] or '-'}",
        f"  collected at {answer['collected_at'] or '-'}",
    ]
    licence = answer["licence"] or {}
    if licence.get("expression") or licence.get("authorization"):
        obligations = ", ".join(licence.get("obligations") or []) or "none"
        lines.append(
            f"  licence      {licence.get('expression') or '-'} "
            f"[{licence.get('licence_class') or 'not yet classified'}; obligations: "
            f"{obligations}]"
        )
        if licence.get("authorization"):
            lines.append(f"  authorized   by document {licence['authorization']}")
    for ev in answer["evidence"]:
        lines.append(f"  evidence     {ev['role']}: {ev['path']} sha256 {ev.get('sha256') or '-'}")
    lines.append("  checks")
    for decision in answer["checks"]:
        detail = f" - {decision['detail']}" if decision.get("detail") else ""
        lines.append(f"    {decision['check']:<18} {decision['outcome']}{detail}")
    location = answer["location"]
    pii = answer.get("pii") or {}
    if pii.get("entities"):
        found = ", ".join(f"{e['entity_type']} {e['count']} {e['action']}" for e in pii["entities"])
        lines.append(f"  personal     {found} ({pii.get('redactions', 0)} redacted)")
    for consent in answer.get("consent") or []:
        lines.append(
            f"  consent      {consent['scope']}: {consent['ref']} "
            f"(subject {consent['subject_key'][:16]}…)"
        )
    if answer["status"] == WITHDRAWN:
        w = answer["withdrawal"]
        lines.append(
            f"  WITHDRAWN    at {w['at']}: {w['reason']} - {w['detail']} "
            f"(request {w['request_id']})"
        )
        if w.get("complaint"):
            c = w["complaint"]
            lines.append(
                f"  complaint    {c['complaint_id']}: {c['method']} match, similarity "
                f"{c['similarity']:.2f} to the work (sha256 {c['work_sha256'][:16]}…)"
            )
        lines.append(f"  was at       {w['was_at']['file']} row {w['was_at']['row']}")
        lines.append(f"  logged in    {location['file']} line {location['row'] + 1}")
    elif answer["status"] == QUARANTINED:
        q = answer["quarantine"]
        lines.append(f"  QUARANTINED  by {q['check']}: {q['reason']} - {q['detail']}")
        lines.append(
            f"  now at       {location['file']} row {location['row']} "
            f"({q['raw_bytes']} raw bytes kept)"
        )
    else:
        lines.append(f"  WRITTEN      {location['file']} row {location['row']}")
    dedup = answer.get("dedup")
    if dedup and dedup["role"] == "duplicate":
        keeper = dedup["keeper"]
        where = (
            f"written at {keeper['file']} row {keeper['row']} ({keeper['source_id']})"
            if keeper.get("file")
            else "not in this run's shards (kept by an earlier output)"
        )
        lines.append(f"  kept copy    {keeper['record_id']}, {where}")
    elif dedup:
        lines.append(f"  duplicates   {dedup['detail']} (cluster {dedup['cluster_id']})")
    run = answer["run"]
    lines.append(
        f"  run          {run['run_id']} (pipeline {run['pipeline_version']}, "
        f"config sha256 {run['config_sha256'][:16]}…)"
    )
    return "\n".join(lines)

"""`takedown`: an IP complaint (GB/T 45654-2025 4.2.2 c) applied to a published output.

The complained work is matched against the signature files the run published beside its
shards (`dedup.takedown.find_complaint_matches`: the exact copy, or a near copy by MinHash or
SimHash, with the settings the run signed its records with), and every match still `written`
is withdrawn by `withdrawals.withdraw`, the machinery `forget` uses: shards rewritten by a
Beam job, a withdrawal log whose lines name the complaint and how each record matched, index
entries pointing there with reason `ip_complaint`, manifest counts moved from written to
withdrawn, reports rebuilt, the pointer moved. Matches withdrawn earlier are skipped, so a
complaint can be applied again; a dry run only plans. Recording the complaint in the store is
the caller's job (`source_registry.complaints`).

Where the signatures are (the run's contract with its dedup step): files of kind `signatures`
in the run's file list, at `signatures/part-NNNNN.parquet`, and the settings they were made
with in the manifest's `dedup.settings`. Signature files are not rewritten by a withdrawal:
a withdrawn record still matches, and is then reported as skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from apache_beam.options.pipeline_options import PipelineOptions
from pydantic import ValidationError

from corpusgate.schemas.reasons import IP_COMPLAINT
from corpusgate.schemas.records import WITHDRAWN, WRITTEN
from corpusgate.schemas.sources import KINDS
from corpusgate.transforms.common import files
from corpusgate.transforms.dedup.published import SignatureMismatch
from corpusgate.transforms.dedup.settings import DedupSettings, DedupSpec
from corpusgate.transforms.dedup.takedown import ComplaintMatch, find_complaint_matches
from corpusgate.transforms.output.published import OutputError, Published, open_output
from corpusgate.transforms.output.withdrawal_log import log_path
from corpusgate.transforms.output.withdrawals import (
    WithdrawalPlan,
    WithdrawalRequest,
    plan_withdrawal,
    withdraw,
)

SIGNATURES = "signatures"  # the file-list kind and the run folder of the signature files
NO_SIGNATURES = "this run was published without dedup signatures; re-run with dedup enabled"
NOT_INDEXED = "not_indexed"  # a signature whose record the audit index does not hold

# The complaint id names the withdrawal log (withdrawals/<id>.jsonl) on a disk or in a bucket,
# so it is kept to characters every file system and object store takes as they are.
COMPLAINT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class NoSignatures(OutputError):
    """The run has no signature files to match a complaint against."""


def check_complaint_id(value: str) -> str:
    if not COMPLAINT_ID.fullmatch(value):
        raise ValueError(
            f"complaint id {value!r} must be 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (it names the withdrawal log)"
        )
    return value


@dataclass(frozen=True)
class PublishedSignatures:
    """A run's signature files and the dedup settings they were made with."""

    locations: tuple[str, ...]
    settings: DedupSettings


def published_signatures(published: Published) -> PublishedSignatures:
    """The run's signature files (its file list's kind `signatures`, else whatever lies in
    `signatures/`) and their settings (manifest `dedup.settings`, else the defaults);
    NoSignatures when there are none."""
    locations = [published.path(f.path) for f in published.listed(SIGNATURES)]
    if not locations:
        # A run whose file list does not name them (written before the kind existed).
        locations = [
            location
            for location in files.list_files(published.path(SIGNATURES))
            if location.endswith(".parquet")
        ]
    if not locations:
        raise NoSignatures(f"run {published.run_id} at {published.output}: {NO_SIGNATURES}")
    raw = (published.manifest.get("dedup") or {}).get("settings")
    try:
        settings = DedupSettings.model_validate(raw) if raw else DedupSettings()
    except ValidationError as err:
        raise OutputError(
            f"{published.path('manifest.json')}: dedup.settings cannot be read ({err}); "
            "the manifest was changed after the run"
        ) from None
    return PublishedSignatures(tuple(sorted(locations)), settings)


@dataclass(frozen=True)
class Complaint:
    """An IP complaint as the operator received it."""

    complaint_id: str
    work_text: str
    work_sha256: str  # of the work file's bytes, as the store records it
    detail: str  # the operator's words, as the withdrawal log and `audit` repeat them
    threshold: float | None = None  # estimated Jaccard a near copy reaches (None: the run's)
    language: str | None = None  # the work's language for shingling (None: by script)


@dataclass(frozen=True)
class MatchedRecord:
    """One published record that is the work or a near copy of it, and where it is now."""

    record_id: str
    source_id: str
    similarity: float
    method: str  # exact | minhash | simhash
    status: str  # written | withdrawn | quarantined | not_indexed
    shard: str | None  # the shard file holding it now (written records only)

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "source_id": self.source_id,
            "similarity": round(self.similarity, 4),
            "method": self.method,
            "status": self.status,
            "shard": self.shard,
        }


@dataclass
class TakedownResult:
    complaint_id: str
    run_id: str
    at: str
    threshold: float
    dry_run: bool
    request_id: str | None = None  # the withdrawal log's name; None when nothing was withdrawn
    matches: list[MatchedRecord] = field(default_factory=list)
    withdrawn: list[dict[str, Any]] = field(default_factory=list)  # record_id, source_id, from
    shards: list[dict[str, Any]] = field(default_factory=list)  # old -> new (None: emptied)

    @property
    def skipped(self) -> list[MatchedRecord]:
        """Matches that are not (or would not be) withdrawn now: withdrawn earlier, or never
        published. Every `written` match is withdrawn unless this is a dry run."""
        return [m for m in self.matches if m.status != WRITTEN]

    def to_dict(self) -> dict[str, Any]:
        return {
            "complaint_id": self.complaint_id,
            "run_id": self.run_id,
            "at": self.at,
            "threshold": self.threshold,
            "dry_run": self.dry_run,
            "request_id": self.request_id,
            "matches": [m.to_dict() for m in self.matches],
            "withdrawn": self.withdrawn,
            "skipped": [{"record_id": m.record_id, "status": m.status} for m in self.skipped],
            "shards": self.shards,
        }


def _kinds(manifest: dict[str, Any]) -> dict[str, str]:
    """source id -> kind from the manifest's registry entries (a kind it does not know is left
    out: kinds only choose how a record is signed, never how the work is)."""
    out = {}
    for source_id, entry in (manifest.get("sources") or {}).items():
        kind = (entry.get("registry_entry") or {}).get("kind")
        if kind in KINDS:
            out[source_id] = kind
    return out


def _best_per_record(found: list[ComplaintMatch]) -> list[ComplaintMatch]:
    """One match per record (a record listed by two signature files counts once)."""
    best: dict[str, ComplaintMatch] = {}
    for match in found:  # most similar first
        best.setdefault(match.record_id, match)
    return list(best.values())


def match_published(
    published: Published, complaint: Complaint
) -> tuple[float, list[MatchedRecord], WithdrawalPlan]:
    """(threshold used, the matches with their status, the withdrawal plan) for the complaint."""
    signatures = published_signatures(published)
    spec = DedupSpec(signatures.settings, _kinds(published.manifest))
    threshold = (
        signatures.settings.threshold if complaint.threshold is None else complaint.threshold
    )
    try:
        found = find_complaint_matches(
            complaint.work_text,
            signatures.locations,
            spec,
            threshold=threshold,
            language=complaint.language,
        )
    except SignatureMismatch as err:
        raise OutputError(f"{err} (checked against the run manifest's dedup.settings)") from None
    except FileNotFoundError as err:
        raise OutputError(
            f"{err.filename or err}: a signature file the run lists is missing; restore it "
            "or re-run the job"
        ) from None
    except (OSError, pa.ArrowException) as err:
        raise OutputError(f"a signature file is damaged ({err}); re-run the job") from None
    matches = _best_per_record(found)
    plan = plan_withdrawal(published, [m.record_id for m in matches])
    status = {rid: WITHDRAWN for rid in plan.already_withdrawn}
    status |= {item["record_id"]: item["status"] for item in plan.not_published}
    status |= {rid: NOT_INDEXED for rid in plan.unknown}
    records = []
    for m in matches:
        logical = plan.shard_of.get(m.record_id)
        info = published.file_info(logical) if logical else None
        records.append(
            MatchedRecord(
                m.record_id,
                m.source_id,
                m.similarity,
                m.method,
                WRITTEN if logical else status[m.record_id],
                info.path if info else None,
            )
        )
    return threshold, records, plan


def _request_id(published: Published, complaint_id: str) -> str:
    """The complaint id, or with a counter when this complaint already withdrew records from
    the run (a second action: say, at a lower threshold). A log is written once, whole."""
    candidate, n = complaint_id, 1
    while files.exists(published.path(log_path(candidate))):
        n += 1
        candidate = f"{complaint_id}.{n}"
    return candidate


def takedown(
    output: str,
    complaint: Complaint,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    options: PipelineOptions | None = None,
) -> TakedownResult:
    """Withdraw from `output` every published record that is the complained work or a near
    copy of it (only plan with `dry_run`)."""
    check_complaint_id(complaint.complaint_id)
    published = open_output(output)
    at = (now or datetime.now(UTC)).isoformat()
    threshold, matches, plan = match_published(published, complaint)
    result = TakedownResult(complaint.complaint_id, published.run_id, at, threshold, dry_run)
    result.matches = matches
    if dry_run or not plan.targets:
        return result
    written = [m for m in matches if m.status == WRITTEN]
    request = WithdrawalRequest(
        request_id=_request_id(published, complaint.complaint_id),
        reason=IP_COMPLAINT,
        detail=complaint.detail,
        at=at,
        record_ids=[m.record_id for m in written],
        log_fields={
            m.record_id: {
                "complaint": {
                    "complaint_id": complaint.complaint_id,
                    "work_sha256": complaint.work_sha256,
                    "threshold": threshold,
                    "similarity": round(m.similarity, 4),
                    "method": m.method,
                }
            }
            for m in written
        },
    )
    done = withdraw(published, request, plan=plan, options=options)
    result.request_id = request.request_id
    result.withdrawn = done.withdrawn
    result.shards = done.shards
    return result

"""Automatic judgments of sampled items, where the check is mechanical (GB/T 45654-2025 B.2.1).

Each function takes what B.2.1 asks about one sampled item and returns its checks: `pass` or
`fail` where the lineage or the store settles it ("has collection time and source", "robots
allowed at collection time", "consent reference present"), `review` where only a person can
answer (is a contract legally binding, are a licence's obligations honoured). An item fails
when any check fails, needs review when any check needs it, and passes otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from corpusgate.schemas import reasons
from corpusgate.transforms.evidence.records import EvidenceRef, RecordFacts

__all__ = [
    "Check",
    "Outcome",
    "assessment_checks",
    "commercial_checks",
    "item_status",
    "open_source_checks",
    "optout_checks",
    "personal_checks",
    "self_collected_checks",
    "technical_checks",
    "user_input_checks",
    "verification_checks",
]

Outcome = Literal["pass", "fail", "review"]
PASS: Outcome = "pass"
FAIL: Outcome = "fail"
REVIEW: Outcome = "review"
THRESHOLD = 0.05  # 4.1.1: a source over 5% is neither collected nor used
ALLOWED_CLASSES = ("allowed", "allowed_with_obligations")
GENERAL, SEPARATE = "general", "separate"


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str


def item_status(checks: Sequence[Check]) -> Outcome:
    outcomes = {c.outcome for c in checks}
    if FAIL in outcomes:
        return FAIL
    return REVIEW if REVIEW in outcomes else PASS


def _check(name: str, ok: bool, passed: str, failed: str) -> Check:
    return Check(name, PASS if ok else FAIL, passed if ok else failed)


# --- B.2.1.1.1: assessment and verification records -------------------------------------


def _recorded(record: Mapping[str, Any]) -> list[Check]:
    threshold = float((record.get("details") or {}).get("threshold") or THRESHOLD)
    rate = record.get("rate")
    checks = [
        _check(
            "proportion recorded",
            rate is not None and int(record.get("sample_size") or 0) > 0,
            f"{record.get('flagged')}/{record.get('sample_size')} flagged, rate {rate:.2%}"
            if rate is not None
            else "",
            "no rate or sample size in the record",
        )
    ]
    if rate is not None and rate > threshold:
        checks.append(
            _check(
                "handling recorded (over 5%)",
                record.get("decision") == "reject" and bool(record.get("action")),
                f"decision reject; action: {record.get('action')}",
                f"rate {rate:.2%} is over {threshold:.0%} but the decision is "
                f"{record.get('decision')!r} with action {record.get('action')!r}",
            )
        )
    return checks


def assessment_checks(
    record: Mapping[str, Any],
    later_assessments: Iterable[Mapping[str, Any]],
    collected_at: Iterable[datetime],
) -> list[Check]:
    """B.2.1.1.1 a: a pre-collection assessment's rate and handling; a source over 5% was not
    collected afterwards (until a later assessment accepted it)."""
    checks = _recorded(record)
    if record.get("decision") != "reject":
        checks.append(Check("not collected (over 5%)", PASS, "accepted: collection allowed"))
        return checks
    made = record["created_at"]
    reopened = min(
        (a["created_at"] for a in later_assessments if a.get("decision") == "accept"),
        default=None,
    )
    breaches = sorted(t for t in collected_at if t > made and (reopened is None or t < reopened))
    until = f" until assessment accepting it at {reopened.isoformat()}" if reopened else ""
    checks.append(
        _check(
            "not collected (over 5%)",
            not breaches,
            f"no collection recorded after the rejection{until}",
            f"collected at {', '.join(t.isoformat() for t in breaches)} after this rejection",
        )
    )
    return checks


def verification_checks(record: Mapping[str, Any], written_in_run: int | None) -> list[Check]:
    """B.2.1.1.1 b: a post-collection verification's rate and handling; a source over 5% wrote
    no training data in that run (`written_in_run` None: the run is not in this output)."""
    checks = _recorded(record)
    if record.get("decision") != "reject":
        checks.append(Check("not used for training (over 5%)", PASS, "accepted: use allowed"))
    elif written_in_run is None:
        checks.append(
            Check(
                "not used for training (over 5%)",
                REVIEW,
                f"run {record.get('run_id')} is not in this output: check its manifest",
            )
        )
    else:
        checks.append(
            _check(
                "not used for training (over 5%)",
                written_in_run == 0,
                f"run {record.get('run_id')} wrote 0 records of it",
                f"run {record.get('run_id')} wrote {written_in_run} records of it",
            )
        )
    return checks


# --- B.2.1.1.3: source management and traceability ---------------------------------------


def open_source_checks(records: Sequence[RecordFacts], entry_licence: str | None) -> list[Check]:
    """B.2.1.1.3 b: one open-source dataset: its licence allows use (or an authorization is
    held) for every record used, the licence text is on file, and obligations are honoured."""
    classes = sorted({r.licence_class or "none" for r in records})
    licences = sorted({r.licence or entry_licence or "none" for r in records})
    bad = [r for r in records if r.licence_class not in ALLOWED_CLASSES and not r.authorization]
    checks = [
        _check(
            "licence allows use or authorization held",
            not bad,
            f"{len(records)} records used under {', '.join(licences)} ({', '.join(classes)})",
            f"{len(bad)} of {len(records)} records have neither an allowed licence nor an "
            "authorization",
        )
    ]
    documents = {e.role for r in records for e in r.evidence}
    if documents & {"licence_text", "authorization"}:
        checks.append(
            Check("licence text or authorization on file", PASS, ", ".join(sorted(documents)))
        )
    else:
        checks.append(
            Check(
                "licence text or authorization on file",
                REVIEW,
                f"no licence text is referenced; confirm the terms of {', '.join(licences)}",
            )
        )
    obligations = sorted({o for r in records for o in r.obligations})
    if obligations:
        checks.append(
            Check(
                "licence obligations honoured",
                REVIEW,
                f"confirm how {', '.join(obligations)} is met for this dataset",
            )
        )
    return checks


def self_collected_checks(record: RecordFacts) -> list[Check]:
    """B.2.1.1.3 c: a self-collected item has a collection record (time and source)."""
    return [
        _check(
            "has collection time and source",
            bool(record.collected_at and record.url),
            f"collected {record.collected_at} from {record.url}",
            f"collection time {record.collected_at or 'missing'}, source {record.url or 'missing'}",
        ),
        _check(
            "crawl record referenced",
            "crawl_record" in record.roles(),
            "crawl_record in the lineage's evidence",
            "no crawl_record in the lineage's evidence",
        ),
    ]


def optout_checks(record: RecordFacts) -> list[Check]:
    """B.2.1.1.3 c: the extra 100 items hold nothing others declared must not be collected."""
    robots = record.outcome(reasons.ROBOTS)
    optout = record.outcome(reasons.OPTOUT)
    checks = [
        _check(
            "robots allowed at collection time",
            robots == PASS and "robots_snapshot" in record.roles(),
            "allowed by the robots.txt snapshot in force when collected",
            f"robots check {robots or 'not run'}; snapshot "
            + ("referenced" if "robots_snapshot" in record.roles() else "missing"),
        )
    ]
    if optout is None:
        checks.append(
            Check("no opt-out declared", REVIEW, "the opt-out check did not run on this item")
        )
    else:
        checks.append(
            _check(
                "no opt-out declared",
                optout == PASS,
                "no X-Robots-Tag, robots meta or TDMRep reservation",
                f"opt-out check {optout}",
            )
        )
    return checks


def commercial_checks(records: Sequence[RecordFacts], contract_id: str | None) -> list[Check]:
    """B.2.1.1.3 d: one transaction: contract, commitments and review record referenced and
    verified when collected; whether they are legally binding and adequate is for a person."""
    roles = {e.role for r in records for e in r.evidence}
    missing = [r for r in ("contract", "commitment", "review_record") if r not in roles]
    verified = all(r.outcome(reasons.COMMERCIAL) == PASS for r in records)
    return [
        _check(
            "contract, commitment and review record referenced",
            not missing,
            f"contract {contract_id or '(no id)'}: contract, commitment, review_record by sha256",
            f"missing: {', '.join(missing)}",
        ),
        _check(
            "documents verified at collection",
            verified,
            f"sha256 verified for all {len(records)} records used",
            "a record was used without the commercial check passing",
        ),
        Check(
            "legally binding; commitments cover source, quality, safety; review on file",
            REVIEW,
            "read the referenced documents",
        ),
    ]


def user_input_checks(record: RecordFacts) -> list[Check]:
    """B.2.1.1.3 e: a user-input item has a user authorization record."""
    granted = record.outcome(reasons.USER_AUTHORIZATION) == PASS
    referenced = "user_authorization" in record.roles()
    return [
        _check(
            "user authorization record present",
            granted and referenced,
            "authorization row referenced: "
            + ", ".join(e.path for e in record.evidence if e.role == "user_authorization"),
            "no user authorization in the lineage",
        )
    ]


# --- B.2.1.2: content ----------------------------------------------------------------------


def technical_checks(codes: Sequence[str]) -> list[Check]:
    """B.2.1.2.1 b: the detectors (keywords, classifiers) pass the item."""
    return [
        _check(
            "detectors pass",
            not codes,
            "no keyword or classifier flag",
            f"flagged: {', '.join(codes)}",
        )
    ]


def _consents(record: RecordFacts, scopes: tuple[str, ...]) -> list[EvidenceRef]:
    return [c for c in record.consent if c.role in scopes and c.path]


def personal_checks(record: RecordFacts, *, sensitive: bool, screening: bool) -> list[Check]:
    """B.2.1.2.3 b-e: personal (sensitive) information left in an item has the individual's
    (separate) consent. `screening`: the item was drawn from all training data (d, e), so an
    item holding none passes."""
    kept = record.kept_sensitive if sensitive else record.kept_personal + record.kept_sensitive
    what = "sensitive personal information" if sensitive else "personal information"
    scopes = (SEPARATE,) if sensitive else (GENERAL, SEPARATE)
    name = "separate consent reference present" if sensitive else "consent reference present"
    if not kept:
        redacted = f" ({record.redactions} identifiers redacted)" if record.redactions else ""
        if screening:
            return [Check(name, PASS, f"no {what} left in the text{redacted}")]
        return [Check(name, FAIL, f"no {what} recorded in the lineage{redacted}")]
    found = _consents(record, scopes)
    return [
        _check(
            name,
            bool(found),
            f"{kept} identifier(s) kept; " + "; ".join(f"{c.role}: {c.path}" for c in found),
            f"{kept} identifier(s) of {what} kept without a {' or '.join(scopes)} consent",
        )
    ]

"""The Provenance stage: one table per source kind through the pure core, whole-source
refusals settled once, and the Beam wrapper's two outputs and counters."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from corpusgate.schemas.reasons import (
    AUTHORIZATION_REVOKED,
    COMMERCIAL,
    COMMERCIAL_EVIDENCE_MISSING,
    LICENCE,
    LICENCE_EVIDENCE_CHANGED,
    LICENCE_NOT_ALLOWED,
    LICENCE_UNKNOWN,
    NO_COLLECTION_TIME,
    NO_CRAWL_RECORD,
    NO_USER_AUTHORIZATION,
    OPTOUT,
    OPTOUT_DECLARED,
    ROBOTS,
    ROBOTS_DISALLOWED,
    USER_AUTHORIZATION,
)
from corpusgate.schemas.records import Record, new_lineage
from corpusgate.transforms.common.settings import SettingsError, parse_settings
from corpusgate.transforms.provenance.licences import LicencePolicy
from corpusgate.transforms.provenance.stage import (
    CONSUMES,
    ProvenanceChecker,
    ProvenanceSettings,
    ProvenanceSpec,
)
from corpusgate.transforms.spine.check_stage import CheckStage
from corpusgate.transforms.spine.checks import (
    QUARANTINE,
    RECORDS,
    RecordCheck,
    SourceFacts,
    apply_verdict,
)


@pytest.fixture(scope="module")
def policy() -> LicencePolicy:
    return LicencePolicy.load()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _put(base: Path, name: str, data: bytes) -> tuple[str, str]:
    path = base / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path.resolve()), _sha(data)


def _facts(
    base: Path,
    source_id: str,
    kind: str,
    evidence: list[tuple[str, str, str]],
    *,
    licence: str | None = None,
    extra: dict[str, Any] | None = None,
) -> SourceFacts:
    (base / "registry").mkdir(parents=True, exist_ok=True)
    return SourceFacts(
        source_id=source_id,
        kind=kind,
        languages=("en",),
        origin="foreign",
        licence=licence,
        entry_file=str((base / "registry" / f"{source_id}.yaml").resolve()),
        entry_sha256="0" * 64,
        evidence=tuple(evidence),
        extra=extra or {},
    )


def _record(
    facts: SourceFacts,
    key: str,
    *,
    licence: str | None = None,
    url: str | None = None,
    collected_at: datetime | None = None,
    extras: dict[str, Any] | None = None,
    user_id: str | None = None,
) -> Record:
    """A record as normalize hands it on: the record's licence field over the entry's."""
    lineage = new_lineage(
        registry_entry_sha256=facts.entry_sha256,
        origin={"uri": "data", "kind": "line", "position": 1},
        run_id="run",
        config_sha256="c" * 64,
    )
    lineage["evidence"] = [{"role": r, "path": p, "sha256": s} for r, p, s in facts.evidence]
    expression = licence or facts.licence
    if expression:
        lineage["licence"] = {"expression": expression}
    lineage["url"] = url
    lineage["collected_at"] = collected_at
    record: dict[str, Any] = {
        "record_id": key,
        "source_id": facts.source_id,
        "text": f"text of {key}",
        "lineage": lineage,
    }
    if extras is not None:
        record["_extras"] = extras
    if user_id is not None:
        record["_user_id"] = user_id
    return record  # type: ignore[return-value]


def t(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def _apply(checker: RecordCheck, record: Record) -> tuple[bool, dict[str, Any]]:
    """(kept?, the kept record or its quarantine row), as the stage would route it."""
    verdict = checker.check(record)
    return verdict.kept, apply_verdict(record, verdict)  # type: ignore[return-value]


def _evidence(record: Record, role: str) -> list[dict[str, str]]:
    return [e for e in record["lineage"]["evidence"] if e["role"] == role]


# --------------------------------------------------------------------------- open source

AUTH_DOC = b"The rights holder authorizes model training on this corpus.\n"


@pytest.mark.parametrize(
    ("entry", "own", "authorized", "reason", "expression", "klass", "obligations"),
    [
        ("CC-BY-4.0", None, False, "", "CC-BY-4.0", "allowed_with_obligations", ["attribution"]),
        # The record's own licence decides for that record, for better or worse.
        ("CC-BY-NC-4.0", "CC0-1.0", False, "", "CC0-1.0", "allowed", []),
        (
            "MIT",
            "CC-BY-NC-4.0",
            False,
            LICENCE_NOT_ALLOWED,
            "CC-BY-NC-4.0",
            "not_allowed",
            ["attribution"],
        ),
        (
            "MIT",
            "CC-BY-ND-4.0",
            False,
            LICENCE_NOT_ALLOWED,
            "CC-BY-ND-4.0",
            "not_allowed",
            ["attribution"],
        ),
        (None, "MIT License", False, "", "MIT", "allowed_with_obligations", ["attribution"]),
        (
            "CC-BY-SA-4.0 AND MIT",
            None,
            False,
            "",
            "CC-BY-SA-4.0 AND MIT",
            "allowed_with_obligations",
            ["attribution", "share_alike"],
        ),
        (
            "GPL-3.0-only OR MIT",
            None,
            False,
            "",
            "GPL-3.0-only OR MIT",
            "allowed_with_obligations",
            ["attribution"],
        ),
        (None, "LicenseRef-unclear", False, LICENCE_UNKNOWN, "LicenseRef-unclear", "unknown", []),
        (None, None, False, LICENCE_UNKNOWN, None, "unknown", []),
        ("NOASSERTION", None, False, LICENCE_UNKNOWN, "NOASSERTION", "unknown", []),
        ("MIT AND (", None, False, LICENCE_UNKNOWN, "MIT AND (", "unknown", []),
        # An authorization document stands in for a missing or unreadable licence ...
        (None, None, True, "", None, "unknown", []),
        (None, "LicenseRef-unclear", True, "", "LicenseRef-unclear", "unknown", []),
        # ... never for one the policy refuses.
        (
            None,
            "CC-BY-NC-4.0",
            True,
            LICENCE_NOT_ALLOWED,
            "CC-BY-NC-4.0",
            "not_allowed",
            ["attribution"],
        ),
    ],
)
def test_open_source_licence(
    tmp_path: Path,
    policy: LicencePolicy,
    entry,
    own,
    authorized,
    reason,
    expression,
    klass,
    obligations,
) -> None:  # type: ignore[no-untyped-def]
    evidence = []
    if authorized:
        path, sha = _put(tmp_path, "evidence/authorization.md", AUTH_DOC)
        evidence.append(("authorization", path, sha))
    facts = _facts(tmp_path, "oss", "open_source", evidence, licence=entry)
    checker = ProvenanceChecker({"oss": facts}, policy)
    record = _record(facts, "r1", licence=own)
    verdict = checker.check(record)
    record = apply_verdict(record, verdict)  # type: ignore[assignment]
    licence = record["lineage"]["licence"]
    assert (verdict.kept, verdict.reason, verdict.check) == (not reason, reason, LICENCE)
    assert licence["expression"] == expression
    assert licence["licence_class"] == klass and licence["obligations"] == obligations
    assert licence["authorization"] == ("../evidence/authorization.md" if authorized else None)
    came_from = "record" if own else "entry"
    if expression:
        assert f"({came_from} licence)" in (
            verdict.detail or record["lineage"]["decisions"][-1]["detail"]
        )
    if verdict.kept:
        assert record["lineage"]["decisions"][-1]["check"] == LICENCE


def test_an_authorization_document_that_changed_does_not_count(
    tmp_path: Path, policy: LicencePolicy
) -> None:
    path, sha = _put(tmp_path, "evidence/authorization.md", AUTH_DOC)
    Path(path).write_bytes(AUTH_DOC + b"edited later\n")
    facts = _facts(tmp_path, "oss", "open_source", [("authorization", path, sha)])
    ok, row = _apply(ProvenanceChecker({"oss": facts}, policy), _record(facts, "r1"))
    assert not ok and row["reason"] == LICENCE_UNKNOWN  # type: ignore[typeddict-item]
    assert "../evidence/authorization.md has sha256" in row["detail"]  # type: ignore[typeddict-item]
    assert "not counted" in row["detail"]  # type: ignore[typeddict-item]
    assert row["lineage"]["licence"]["authorization"] is None


@pytest.mark.parametrize("damage", ["edited", "missing"])
def test_a_licence_text_that_is_not_the_recorded_one_refuses_the_source(
    tmp_path: Path, policy: LicencePolicy, damage: str
) -> None:
    text = b"Creative Commons Attribution 4.0 International\n"
    path, sha = _put(tmp_path, "licences/CC-BY-4.0.txt", text)
    if damage == "edited":
        Path(path).write_bytes(text + b"amended\n")
    else:
        Path(path).unlink()
    facts = _facts(
        tmp_path, "oss", "open_source", [("licence_text", path, sha)], licence="CC-BY-4.0"
    )
    checker = ProvenanceChecker({"oss": facts}, policy)
    assert checker.refusal("oss") is not None
    results = [_apply(checker, _record(facts, f"r{i}")) for i in range(3)]
    assert not any(ok for ok, _ in results)
    for _, row in results:
        assert (row["check"], row["reason"]) == (LICENCE, LICENCE_EVIDENCE_CHANGED)
        shown = "has sha256" if damage == "edited" else "does not exist"
        assert row["detail"].startswith(f"licence_text ../licences/CC-BY-4.0.txt {shown}")
        assert "registry validate" in row["detail"]


def test_an_unchanged_licence_text_lets_the_licence_decide(
    tmp_path: Path, policy: LicencePolicy
) -> None:
    path, sha = _put(tmp_path, "licences/CC-BY-4.0.txt", b"CC BY 4.0\n")
    facts = _facts(
        tmp_path, "oss", "open_source", [("licence_text", path, sha)], licence="CC-BY-4.0"
    )
    ok, kept = _apply(ProvenanceChecker({"oss": facts}, policy), _record(facts, "r1"))
    assert ok and kept["lineage"]["licence"]["expression"] == "CC-BY-4.0"
    assert _evidence(kept, "licence_text") == [
        {"role": "licence_text", "path": path, "sha256": sha}
    ]


# --------------------------------------------------------------------------- self-collected

# Every other agent is shut out, so a page passing proves the entry's user agent was used.
JAN = b"User-agent: *\nDisallow: /\n\nUser-agent: corpusgate-bot\nDisallow: /old/\nDisallow: /nobots/\n"
MAR = b"User-agent: *\nDisallow: /\n\nUser-agent: corpusgate-bot\nDisallow: /private/\nDisallow: /nobots/\n"


def _crawl_source(
    base: Path,
    *,
    user_agent: Any = "corpusgate-bot",
    record: str | None = None,
    sha: str | None = None,
) -> SourceFacts:
    _put(base, "crawl/robots/jan.txt", JAN)
    _put(base, "crawl/robots/mar.txt", MAR)
    text = (
        record
        if record is not None
        else (
            "user_agent: default-bot\n"  # the entry's user agent overrides this one
            "hosts:\n"
            "  example.org:\n"
            f"    - {{file: robots/jan.txt, sha256: {_sha(JAN)}, fetched_at: 2024-01-01T00:00:00Z,"
            " status: 200}\n"
            f"    - {{file: robots/mar.txt, sha256: {_sha(MAR)}, fetched_at: 2024-03-01T00:00:00Z,"
            " status: 200}\n"
            "  down.example.org:\n"
            "    - {fetched_at: 2024-01-01T00:00:00Z, status: 503}\n"
        )
    )
    path, actual = _put(base, "crawl/crawl_record.yaml", text.encode())
    extra = {} if user_agent is None else {"user_agent": user_agent}
    return _facts(
        base, "crawl", "self_collected", [("crawl_record", path, sha or actual)], extra=extra
    )


PAGE = "https://example.org"
NOAI_META = '<html><head><meta name="robots" content="noai, noimageai"></head><body>x</body></html>'


@pytest.mark.parametrize(
    ("url", "collected", "extras", "check", "reason", "snapshot", "in_detail"),
    [
        (f"{PAGE}/a", "2024-02-01", None, OPTOUT, "", "jan.txt", "not checked"),
        (f"{PAGE}/old/x", "2024-02-01", None, ROBOTS, ROBOTS_DISALLOWED, "jan.txt", "/old/"),
        # The snapshot in force at collection time decides, not the newest one.
        (f"{PAGE}/old/x", "2024-04-01", None, OPTOUT, "", "mar.txt", ""),
        (f"{PAGE}/private/x", "2024-02-01", None, OPTOUT, "", "jan.txt", ""),
        (
            f"{PAGE}/private/x",
            "2024-04-01",
            None,
            ROBOTS,
            ROBOTS_DISALLOWED,
            "mar.txt",
            "/private/",
        ),
        # Read with the user agent the entry names, not the crawl record's default.
        (
            f"{PAGE}/nobots/x",
            "2024-04-01",
            None,
            ROBOTS,
            ROBOTS_DISALLOWED,
            "mar.txt",
            "user agent corpusgate-bot",
        ),
        (f"{PAGE}/a", "2023-12-31", None, ROBOTS, NO_CRAWL_RECORD, None, "before the first"),
        (
            "https://other.org/a",
            "2024-02-01",
            None,
            ROBOTS,
            NO_CRAWL_RECORD,
            None,
            "'other.org' in ../crawl/crawl_record.yaml",
        ),
        (
            "https://down.example.org/a",
            "2024-02-01",
            None,
            ROBOTS,
            ROBOTS_DISALLOWED,
            None,
            "status 503",
        ),
        (f"{PAGE}/a", None, None, ROBOTS, NO_COLLECTION_TIME, None, "no collection time"),
        (None, "2024-02-01", None, ROBOTS, NO_CRAWL_RECORD, None, "no URL"),
        (
            f"{PAGE}/a",
            "2024-02-01",
            {"http_headers": [("X-Robots-Tag", "noai")], "html": ""},
            OPTOUT,
            OPTOUT_DECLARED,
            "jan.txt",
            "x-robots-tag:noai",
        ),
        (
            f"{PAGE}/a",
            "2024-02-01",
            {"http_headers": [], "html": NOAI_META},
            OPTOUT,
            OPTOUT_DECLARED,
            "jan.txt",
            "meta-robots:noai, meta-robots:noimageai",
        ),
        (
            f"{PAGE}/a",
            "2024-02-01",
            {"http_headers": [("X-Robots-Tag", "corpusgate-bot: noai")]},
            OPTOUT,
            OPTOUT_DECLARED,
            "jan.txt",
            "x-robots-tag:corpusgate-bot:noai",
        ),
        # Scoped to another bot: binds that bot only.
        (
            f"{PAGE}/a",
            "2024-02-01",
            {"http_headers": [("X-Robots-Tag", "otherbot: noai")]},
            OPTOUT,
            "",
            "jan.txt",
            "no opt-out signal",
        ),
        (
            f"{PAGE}/a",
            "2024-02-01",
            {"http_headers": [("tdm-reservation", "1")], "html": None},
            OPTOUT,
            OPTOUT_DECLARED,
            "jan.txt",
            "tdm-reservation:1",
        ),
    ],
)
def test_self_collected_pages(
    tmp_path: Path,
    policy: LicencePolicy,
    url,
    collected,
    extras,
    check,
    reason,
    snapshot,
    in_detail,
) -> None:  # type: ignore[no-untyped-def]
    facts = _crawl_source(tmp_path)
    checker = ProvenanceChecker({"crawl": facts}, policy)
    record = _record(
        facts, "p", url=url, collected_at=t(collected) if collected else None, extras=extras
    )
    verdict = checker.check(record)
    record = apply_verdict(record, verdict)  # type: ignore[assignment]
    assert (verdict.kept, verdict.check, verdict.reason) == (not reason, check, reason)
    detail = verdict.detail if reason else record["lineage"]["decisions"][-1]["detail"]
    assert in_detail in detail and "/tmp" not in detail
    snapshots = _evidence(record, "robots_snapshot")
    if snapshot is None:
        assert snapshots == []
    else:
        (robots,) = snapshots
        assert robots["path"] == f"../crawl/robots/{snapshot}"
        assert robots["sha256"] == _sha(JAN if snapshot == "jan.txt" else MAR)
    # The entry's own evidence stays first, as normalize put it.
    assert record["lineage"]["evidence"][0]["role"] == "crawl_record"
    if not reason:
        assert [d["check"] for d in record["lineage"]["decisions"]] == [ROBOTS, OPTOUT]


@pytest.mark.parametrize(
    ("change", "in_detail"),
    [
        ({"sha": "0" * 64}, "sha256 differs from the registry entry's"),
        ({"record": "user_agent: bot\nhosts: [unclosed\n"}, "not valid YAML"),
        (
            {
                "record": "user_agent: bot\nhosts:\n  example.org:\n    - {fetched_at: 2024-01-01T00:00:00Z,"
                " status: 200}\n"
            },
            "needs the robots.txt file",
        ),
        ({"user_agent": " "}, "names no crawler"),
    ],
)
def test_a_broken_crawl_record_refuses_every_page_once(
    tmp_path: Path, policy: LicencePolicy, change: dict[str, Any], in_detail: str
) -> None:
    facts = _crawl_source(tmp_path, **change)
    checker = ProvenanceChecker({"crawl": facts}, policy)
    refusal = checker.refusal("crawl")
    assert refusal is not None and (refusal.check, refusal.reason) == (ROBOTS, NO_CRAWL_RECORD)
    assert in_detail in refusal.detail and str(tmp_path) not in refusal.detail
    for moment in ("2024-02-01", "2024-04-01"):
        ok, row = _apply(checker, _record(facts, moment, url=f"{PAGE}/a", collected_at=t(moment)))
        assert not ok and row["reason"] == NO_CRAWL_RECORD  # type: ignore[typeddict-item]


def test_a_missing_crawl_record_refuses_the_source(tmp_path: Path, policy: LicencePolicy) -> None:
    facts = _crawl_source(tmp_path)
    Path(facts.evidence[0][1]).unlink()
    refusal = ProvenanceChecker({"crawl": facts}, policy).refusal("crawl")
    assert refusal is not None and refusal.reason == NO_CRAWL_RECORD
    assert "crawl record ../crawl/crawl_record.yaml unusable: cannot read" in refusal.detail
    no_record = _facts(tmp_path, "bare", "self_collected", [])
    refusal = ProvenanceChecker({"bare": no_record}, policy).refusal("bare")
    assert refusal is not None and "references 0 crawl records" in refusal.detail


# --------------------------------------------------------------------------- commercial

DOCS = {"contract": b"contract C-1\n", "commitment": b"we commit\n", "review_record": b"ok\n"}


def _commercial(base: Path, *, drop: str = "", missing: str = "", edited: str = "") -> SourceFacts:
    evidence = []
    for role, data in DOCS.items():
        if role == drop:
            continue
        path, sha = _put(base, f"evidence/{role}.md", data)
        if role == missing:
            Path(path).unlink()
        if role == edited:
            Path(path).write_bytes(data + b"changed after signing\n")
        evidence.append((role, path, sha))
    return _facts(base, "news", "commercial", evidence, extra={"contract_id": "C-1"})


@pytest.mark.parametrize(
    ("change", "in_detail"),
    [
        ({}, ""),
        ({"missing": "review_record"}, "review_record ../evidence/review_record.md does not exist"),
        ({"edited": "contract"}, "contract ../evidence/contract.md has sha256"),
        ({"drop": "commitment"}, "no commitment referenced"),
        (
            {"drop": "contract", "missing": "review_record"},
            "no contract referenced; review_record ../evidence/review_record.md does not exist",
        ),
    ],
)
def test_commercial_evidence(
    tmp_path: Path, policy: LicencePolicy, change: dict[str, str], in_detail: str
) -> None:
    facts = _commercial(tmp_path, **change)
    checker = ProvenanceChecker({"news": facts}, policy)
    results = [_apply(checker, _record(facts, f"n{i}")) for i in range(3)]
    if not in_detail:
        assert checker.refusal("news") is None
        assert all(ok for ok, _ in results)
        decision = results[0][1]["lineage"]["decisions"][-1]
        assert decision["check"] == COMMERCIAL and decision["detail"].startswith("contract C-1;")
        return
    # Refused whole: every record, with the same detail naming the document.
    assert not any(ok for ok, _ in results)
    for _, row in results:
        assert (row["check"], row["reason"]) == (COMMERCIAL, COMMERCIAL_EVIDENCE_MISSING)  # type: ignore[typeddict-item]
        assert row["detail"].startswith(in_detail)  # type: ignore[typeddict-item]
    assert len({row["detail"] for _, row in results}) == 1  # type: ignore[typeddict-item]


# --------------------------------------------------------------------------- user input

TABLE = b"""user_id,granted_at,scope,revoked_at
u-1,2024-01-01T00:00:00+08:00,model_training,
u-2,2024-01-01T00:00:00Z,model_training,2024-06-01T00:00:00Z
u-3,2024-05-01T12:00:00Z,model_training,
u-4,2024-01-01T00:00:00Z,analytics,
"""


def _users(base: Path, data: bytes = TABLE, sha: str | None = None) -> SourceFacts:
    path, actual = _put(base, "users/authorizations.csv", data)
    return _facts(base, "chat", "user_input", [("authorization_table", path, sha or actual)])


@pytest.mark.parametrize(
    ("user", "collected", "scope", "reason", "row"),
    [
        ("u-1", "2024-05-01T00:00:00", None, "", "2"),
        ("u-1", "2023-12-31T15:59:00", None, NO_USER_AUTHORIZATION, None),  # granted 16:00Z
        ("u-2", "2024-05-01T00:00:00", None, AUTHORIZATION_REVOKED, "3"),
        ("u-2", "2024-06-02T00:00:00", None, NO_USER_AUTHORIZATION, None),
        ("u-3", "2024-05-01T11:59:00", None, NO_USER_AUTHORIZATION, None),
        ("u-3", "2024-05-01T12:00:00", None, "", "4"),
        ("u-4", "2024-05-01T00:00:00", None, "", "5"),
        ("u-4", "2024-05-01T00:00:00", "model_training", NO_USER_AUTHORIZATION, None),
        ("u-1", "2024-05-01T00:00:00", "model_training", "", "2"),
        ("u-9", "2024-05-01T00:00:00", None, NO_USER_AUTHORIZATION, None),
        (None, "2024-05-01T00:00:00", None, NO_USER_AUTHORIZATION, None),
        ("u-1", None, None, NO_USER_AUTHORIZATION, None),
    ],
)
def test_user_input_authorization(
    tmp_path: Path, policy: LicencePolicy, user, collected, scope, reason, row
) -> None:  # type: ignore[no-untyped-def]
    facts = _users(tmp_path)
    checker = ProvenanceChecker({"chat": facts}, policy, authorization_scope=scope)
    record = _record(facts, "m", user_id=user, collected_at=t(collected) if collected else None)
    verdict = checker.check(record)
    record = apply_verdict(record, verdict)  # type: ignore[assignment]
    assert (verdict.kept, verdict.check, verdict.reason) == (
        not reason,
        USER_AUTHORIZATION,
        reason,
    )
    rows = _evidence(record, "user_authorization")
    if row is None:
        assert rows == []
    else:
        assert rows == [
            {
                "role": "user_authorization",
                "path": f"../users/authorizations.csv:{row}",
                "sha256": _sha(TABLE),
            }
        ]
    detail = verdict.detail or record["lineage"]["decisions"][-1]["detail"]
    assert str(tmp_path) not in detail
    if user:
        assert detail.startswith(f"user {user}: ")


@pytest.mark.parametrize(
    ("data", "sha", "in_detail"),
    [
        (TABLE, "f" * 64, "has sha256"),
        (b"user,granted\nu-1,2024-01-01\n", None, "header lacks"),
        (TABLE + b"u-5,yesterday,model_training,\n", None, "authorizations.csv:6: granted_at"),
    ],
)
def test_a_broken_authorization_table_refuses_the_source(
    tmp_path: Path, policy: LicencePolicy, data: bytes, sha: str | None, in_detail: str
) -> None:
    facts = _users(tmp_path, data, sha)
    checker = ProvenanceChecker({"chat": facts}, policy)
    refusal = checker.refusal("chat")
    assert refusal is not None
    assert (refusal.check, refusal.reason) == (USER_AUTHORIZATION, NO_USER_AUTHORIZATION)
    assert in_detail in refusal.detail and str(tmp_path) not in refusal.detail
    ok, row = _apply(checker, _record(facts, "m", user_id="u-1", collected_at=t("2024-05-01")))
    assert not ok and row["detail"] == refusal.detail  # type: ignore[typeddict-item]


def test_a_record_from_an_unknown_source_is_a_programming_error(
    tmp_path: Path, policy: LicencePolicy
) -> None:
    facts = _commercial(tmp_path)
    stray = _record(_facts(tmp_path, "stray", "commercial", []), "x")
    with pytest.raises(ValueError, match="source 'stray'"):
        ProvenanceChecker({"news": facts}, policy).check(stray)


# --------------------------------------------------------------------------- settings


def _spec(tmp_path: Path, facts: dict[str, SourceFacts], **settings: Any) -> ProvenanceSpec:
    parsed = parse_settings(ProvenanceSettings, settings, prefix="provenance", base=tmp_path)
    return ProvenanceSpec.settle(parsed, facts)


def test_settings_are_checked_where_they_enter(tmp_path: Path) -> None:
    facts = {"news": _commercial(tmp_path)}
    assert isinstance(_spec(tmp_path, facts).build(), ProvenanceChecker)
    with pytest.raises(
        SettingsError,
        match=r"unknown key 'provenance\.licence_polcy'; did you mean 'licence_policy'",
    ):
        _spec(tmp_path, facts, licence_polcy="x.yaml")
    with pytest.raises(ValueError, match=r"nope\.yaml: cannot read licence policy"):
        _spec(tmp_path, facts, licence_policy="nope.yaml")
    (tmp_path / "strict.yaml").write_text("provider_use: research\non_unknown: maybe\n")
    with pytest.raises(ValueError, match="on_unknown 'maybe'"):
        _spec(tmp_path, facts, licence_policy="strict.yaml")
    with pytest.raises(SettingsError, match="authorization_scope"):
        _spec(tmp_path, facts, authorization_scope=" ")


def test_a_run_policy_file_is_used(tmp_path: Path) -> None:
    # A non-commercial provider may use CC BY-NC text, which the shipped policy refuses.
    text = (resources.files("corpusgate.configs") / "policies" / "licences.yaml").read_text()
    custom = tmp_path / "policy" / "licences.yaml"
    custom.parent.mkdir()
    custom.write_text(
        text.replace("provider_use: commercial", "provider_use: non_commercial").replace(
            "aliases: licence_aliases.yaml\n", ""
        )
    )
    facts = {"oss": _facts(tmp_path, "oss", "open_source", [], licence="CC-BY-NC-4.0")}
    stage = CheckStage(_spec(tmp_path, facts, licence_policy="policy/licences.yaml"))
    records = [_record(facts["oss"], "r1")]
    with TestPipeline() as p:
        out = p | beam.Create(records) | stage
        assert_that(out[RECORDS] | beam.Map(lambda r: r["record_id"]), equal_to(["r1"]))


# --------------------------------------------------------------------------- Beam wrapper


def test_the_beam_stage_routes_records_and_counts(tmp_path: Path) -> None:
    oss = _facts(tmp_path / "a", "oss", "open_source", [], licence="MIT")
    news = _commercial(tmp_path / "b", missing="review_record")
    crawl = _crawl_source(tmp_path / "c")
    chat = _users(tmp_path / "d")
    facts = {f.source_id: f for f in (oss, news, crawl, chat)}
    records = [
        _record(oss, "oss-ok"),
        _record(oss, "oss-nc", licence="CC-BY-NC-4.0"),
        _record(news, "news-1"),
        _record(news, "news-2"),
        _record(
            crawl,
            "page-ok",
            url=f"{PAGE}/a",
            collected_at=t("2024-02-01"),
            extras={"http_headers": [], "html": "<p>hi</p>"},
        ),
        _record(
            crawl,
            "page-noai",
            url=f"{PAGE}/a",
            collected_at=t("2024-02-01"),
            extras={"http_headers": [("X-Robots-Tag", "noai")], "html": ""},
        ),
        _record(chat, "msg-ok", user_id="u-1", collected_at=t("2024-05-01")),
        _record(chat, "msg-revoked", user_id="u-2", collected_at=t("2024-05-01")),
    ]
    pipeline = TestPipeline()
    out = (
        pipeline
        | beam.Create(records)
        | CheckStage(ProvenanceSpec.settle(ProvenanceSettings(), facts), consumes=CONSUMES)
    )
    assert_that(
        out[RECORDS]
        | "KeptIds" >> beam.Map(lambda r: (r["record_id"], r["lineage"]["decisions"][-1]["check"])),
        equal_to([("oss-ok", LICENCE), ("page-ok", OPTOUT), ("msg-ok", USER_AUTHORIZATION)]),
        label="kept",
    )
    assert_that(
        out[QUARANTINE]
        | "HeldIds" >> beam.Map(lambda r: (r["record_id"], r["check"], r["reason"])),
        equal_to(
            [
                ("oss-nc", LICENCE, LICENCE_NOT_ALLOWED),
                ("news-1", COMMERCIAL, COMMERCIAL_EVIDENCE_MISSING),
                ("news-2", COMMERCIAL, COMMERCIAL_EVIDENCE_MISSING),
                ("page-noai", OPTOUT, OPTOUT_DECLARED),
                ("msg-revoked", USER_AUTHORIZATION, AUTHORIZATION_REVOKED),
            ]
        ),
        label="quarantined",
    )
    result = pipeline.run()
    result.wait_until_finish()
    counters = {
        c.key.metric.name: c.committed
        for c in result.metrics().query(MetricsFilter().with_namespace("provenance"))["counters"]
    }
    assert counters["seen"] == 8 and counters["kept"] == 3 and counters["quarantined"] == 5
    assert counters["quarantined_commercial_evidence_missing"] == 2
    assert counters["quarantined_optout_declared"] == 1

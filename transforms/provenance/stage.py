"""The Provenance stage of `curate` (GB/T 45654-2025 4.1.3): may this record be used at all?

One check per source kind, each resting on a pure core that already exists:

    open_source     licence (`licence.check_licence`): the record's own licence field decides
                    for that record, else the entry's; an authorization document lets a source
                    with no (or an unreadable) licence be used, never one the policy refuses
    self_collected  robots.txt snapshot in force at the page's collection time, read with the
                    user agent the entry names (`crawl_record`), then the page's own opt-out
                    signals: X-Robots-Tag, robots metas, TDMRep (`optout`)
    commercial      contract, commitment and review record present and matching their sha256
    user_input      a standing authorization covering the collection time (`user_authorization`)

`ProvenanceChecker` is the core: built once per worker from every source's `SourceFacts`, it
settles whole-source refusals in its constructor (evidence missing, unreadable or changed after
it was recorded), so a record costs a dict lookup plus its own check. A broken source never
stops the run: its records are quarantined with a detail saying what is wrong.

Which reason a whole-source refusal carries:
- commercial evidence missing / unreadable / mismatched  -> commercial_evidence_missing
- crawl record missing, unreadable, changed or malformed  -> no_crawl_record (no usable record
  of what robots.txt said, which is what the reason means for a single page too)
- authorization table missing, unreadable, changed or malformed -> no_user_authorization (no
  grant can be shown for any record)

Lineage the stage fills: `licence` (expression, class, obligations, authorization) for
open-source records; `evidence` gains the robots.txt snapshot a page was judged by (role
`robots_snapshot`) and the authorization row that decided a user record (role
`user_authorization`, row id in `path`, the table's sha256). Evidence the entry references is
already in the lineage (normalize copies it).

`ProvenanceChecker.check` appends a `pass` decision for every step a record passes and returns
the first failure; `apply` turns that into the record or its quarantine row. `CheckProvenance`
is the thin Beam wrapper; `make_check(ctx)` is the plug-in point of `transforms/checks.py`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apache_beam as beam
import yaml
from apache_beam.metrics import Metrics

from corpusgate.schemas.reasons import (
    COMMERCIAL,
    COMMERCIAL_EVIDENCE_MISSING,
    LICENCE,
    NO_CRAWL_RECORD,
    NO_USER_AUTHORIZATION,
    OPTOUT,
    PASS,
    PROVENANCE,
    ROBOTS,
    USER_AUTHORIZATION,
)
from corpusgate.schemas.records import QuarantineRow, Record, add_decision, to_quarantine
from corpusgate.schemas.sources import REQUIRED_EVIDENCE
from corpusgate.transforms.provenance.open_source import (
    LicencePolicy,
    check_licence,
    choose_licence,
)
from corpusgate.transforms.provenance.optout import check_optout
from corpusgate.transforms.provenance.robots import is_valid_user_agent
from corpusgate.transforms.provenance.self_collected import CrawlRecord, load_crawl_record
from corpusgate.transforms.provenance.user_input import AuthorizationTable
from corpusgate.transforms.spine.checks import QUARANTINE, RECORDS, CheckContext, SourceFacts

__all__ = ["CheckProvenance", "ProvenanceChecker", "Verdict", "make_check"]

ROBOTS_SNAPSHOT = "robots_snapshot"
USER_AUTHORIZATION_ROLE = "user_authorization"
SETTINGS_KEYS = frozenset({"enabled", "licence_policy", "authorization_scope"})


@dataclass(frozen=True)
class Verdict:
    ok: bool
    check: str = PROVENANCE  # the check that decided (a name from schemas.reasons)
    reason: str = ""  # a reason code when not ok
    detail: str = ""


@dataclass
class _SourceState:
    """What a source's records are checked against, settled once per worker."""

    facts: SourceFacts
    refusal: Verdict | None = None  # set: every record of the source fails with this
    has_authorization: bool = False  # open_source: a verified authorization document
    authorization_note: str = ""  # open_source: which document, or why none counts
    authorization_path: str = ""  # open_source: as the entry writes it, for the lineage
    crawl: CrawlRecord | None = None
    snapshot_files: Mapping[str, str] | None = None  # robots sha256 -> path (entry-relative)
    table: AuthorizationTable | None = None
    table_sha256: str = ""
    commercial_detail: str = ""
    # (absolute path, as the entry writes it): the cores name files by absolute path, which
    # would tie lineage and quarantine details to this machine.
    shown_paths: tuple[tuple[str, str], ...] = ()

    def shorten(self, text: str) -> str:
        for full, shown in self.shown_paths:
            text = text.replace(full, shown)
        return text


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _entry_relative(facts: SourceFacts, path: str) -> str:
    """A path as the entry would write it (relative to the entry file), like normalize's."""
    return os.path.relpath(path, Path(facts.entry_file).parent)


def _document_problem(facts: SourceFacts, role: str, path: str, recorded: str) -> str:
    """'' when the document exists and matches its recorded sha256, else what is wrong."""
    shown = _entry_relative(facts, path)
    if not Path(path).is_file():
        return f"{role} {shown} does not exist"
    try:
        actual = _sha256(path)
    except OSError as err:
        return f"{role} {shown} cannot be read ({err.strerror})"
    if actual != recorded.lower():
        return f"{role} {shown} has sha256 {actual[:12]}…, the entry records {recorded[:12]}…"
    return ""


class ProvenanceChecker:
    """Decides, per record, whether its source's evidence lets it be used."""

    def __init__(
        self,
        facts: Mapping[str, SourceFacts],
        policy: LicencePolicy,
        *,
        authorization_scope: str | None = None,
    ) -> None:
        self.policy = policy
        self.authorization_scope = authorization_scope
        builders = {
            "open_source": self._open_source,
            "self_collected": self._self_collected,
            "commercial": self._commercial,
            "user_input": self._user_input,
        }
        self._sources: dict[str, _SourceState] = {}
        for source_id, source in facts.items():
            if source.kind not in builders:
                raise ValueError(f"{source.entry_file}: source kind {source.kind!r} has no check")
            state = _SourceState(source)
            builders[source.kind](state)
            self._sources[source_id] = state

    def refusal(self, source_id: str) -> Verdict | None:
        """The whole-source refusal of a source, or None when its records are checked one by one."""
        return self._sources[source_id].refusal

    # ------------------------------------------------------------------ per source, once

    def _open_source(self, state: _SourceState) -> None:
        notes = []
        for path, recorded in state.facts.evidence_paths("authorization"):
            problem = _document_problem(state.facts, "authorization", path, recorded)
            if problem:
                notes.append(f"{problem}: not counted")
            elif not state.has_authorization:
                state.has_authorization = True
                state.authorization_path = _entry_relative(state.facts, path)
                notes.append(f"authorization {state.authorization_path} sha256 {recorded[:12]}…")
        state.authorization_note = "; ".join(notes)

    def _self_collected(self, state: _SourceState) -> None:
        facts = state.facts
        records = facts.evidence_paths("crawl_record")
        if len(records) != 1:
            state.refusal = Verdict(
                False,
                ROBOTS,
                NO_CRAWL_RECORD,
                f"the entry references {len(records)} crawl records; expected exactly one",
            )
            return
        path, recorded = records[0]
        shown = _entry_relative(facts, path)
        try:
            crawl = load_crawl_record(path, recorded)
            snapshot_files = self._snapshot_files(facts, path)
        except ValueError as err:
            why = str(err).replace(f"crawl record {path}: ", "").replace(path, shown)
            state.refusal = Verdict(
                False, ROBOTS, NO_CRAWL_RECORD, f"crawl record {shown} unusable: {why}"
            )
            return
        user_agent = facts.extra.get("user_agent")
        if user_agent is not None:
            if not isinstance(user_agent, str) or not is_valid_user_agent(user_agent):
                state.refusal = Verdict(
                    False,
                    ROBOTS,
                    NO_CRAWL_RECORD,
                    f"the entry's user_agent {user_agent!r} is not a product token "
                    "(RFC 9309 2.2.1: letters, '-' and '_')",
                )
                return
            # The entry names the agent the pages were fetched as; the crawl record's own
            # user_agent is only its default.
            crawl.user_agent = user_agent
        state.crawl = crawl
        state.snapshot_files = snapshot_files
        state.shown_paths = ((crawl.source, shown),)

    @staticmethod
    def _snapshot_files(facts: SourceFacts, crawl_path: str) -> dict[str, str]:
        """sha256 -> snapshot file, from the crawl record load_crawl_record has just verified."""
        doc = yaml.safe_load(Path(crawl_path).read_bytes())
        base = Path(crawl_path).parent
        files: dict[str, str] = {}
        for snapshots in (doc.get("hosts") or {}).values():
            for snap in snapshots or []:
                if isinstance(snap, dict) and snap.get("file") and snap.get("sha256"):
                    full = str((base / str(snap["file"])).resolve())
                    files[str(snap["sha256"]).lower()] = _entry_relative(facts, full)
        return files

    def _commercial(self, state: _SourceState) -> None:
        facts = state.facts
        problems = []
        for role in REQUIRED_EVIDENCE["commercial"]:
            documents = facts.evidence_paths(role)
            if not documents:
                problems.append(f"no {role} referenced")
            problems.extend(
                p for path, sha in documents if (p := _document_problem(facts, role, path, sha))
            )
        if problems:
            state.refusal = Verdict(
                False, COMMERCIAL, COMMERCIAL_EVIDENCE_MISSING, "; ".join(problems)
            )
            return
        contract_id = facts.extra.get("contract_id")
        verified = ", ".join(REQUIRED_EVIDENCE["commercial"])
        prefix = f"contract {contract_id}; " if contract_id else ""
        state.commercial_detail = f"{prefix}evidence verified by sha256: {verified}"

    def _user_input(self, state: _SourceState) -> None:
        facts = state.facts
        tables = facts.evidence_paths("authorization_table")
        if len(tables) != 1:
            state.refusal = Verdict(
                False,
                USER_AUTHORIZATION,
                NO_USER_AUTHORIZATION,
                f"the entry references {len(tables)} authorization tables; expected exactly one",
            )
            return
        path, recorded = tables[0]
        problem = _document_problem(facts, "authorization_table", path, recorded)
        if not problem:
            try:
                state.table = AuthorizationTable.load(path)
            except ValueError as err:
                shown = _entry_relative(facts, path)
                why = str(err).replace(f"{path}: ", "").replace(path, shown)
                problem = f"authorization_table {shown} unusable: {why}"
        if problem:
            state.refusal = Verdict(False, USER_AUTHORIZATION, NO_USER_AUTHORIZATION, problem)
            return
        state.table_sha256 = recorded.lower()
        state.shown_paths = ((str(path), _entry_relative(facts, path)),)

    # ------------------------------------------------------------------ per record

    def check(self, record: Record) -> Verdict:
        """Fill the record's provenance lineage; add a `pass` decision per step passed.

        Returns Verdict(ok=True) when every step passed, else the first failure (whose `fail`
        decision `to_quarantine` adds).
        """
        try:
            state = self._sources[record["source_id"]]
        except KeyError:
            raise ValueError(
                f"record {record['record_id']} comes from source {record['source_id']!r}, "
                "which the provenance stage was not given"
            ) from None
        if state.refusal is not None:
            return state.refusal
        kind = state.facts.kind
        if kind == "open_source":
            return self._check_licence(record, state)
        if kind == "self_collected":
            return self._check_page(record, state)
        if kind == "commercial":
            add_decision(record, COMMERCIAL, PASS, state.commercial_detail)
            return Verdict(True, COMMERCIAL)
        return self._check_user(record, state)

    def apply(self, record: Record) -> tuple[bool, Record | QuarantineRow]:
        """(True, record) when it may be used; (False, its quarantine row) otherwise."""
        verdict = self.check(record)
        if verdict.ok:
            return True, record
        return False, to_quarantine(record, verdict.check, verdict.reason, verdict.detail)

    def _check_licence(self, record: Record, state: _SourceState) -> Verdict:
        lineage = record["lineage"]
        entry_licence = state.facts.licence
        # normalize puts the record's own licence field over the entry's, so an expression that
        # differs from the entry's can only have come from the record.
        seen = (lineage.get("licence") or {}).get("expression")
        record_licence = seen if seen and seen != entry_licence else None
        expression, came_from = choose_licence(record_licence, entry_licence)
        verdict = check_licence(expression, self.policy, has_authorization=state.has_authorization)
        lineage["licence"] = {
            "expression": verdict.spdx or expression,
            "licence_class": verdict.licence_class,
            "obligations": list(verdict.obligations),
            "authorization": state.authorization_path or None,
        }
        stated = f"{expression} ({came_from} licence)" if expression else "no licence stated"
        parts = [stated, verdict.detail]
        if verdict.obligations:
            parts.append(f"obligations: {', '.join(verdict.obligations)}")
        if state.authorization_note:
            parts.append(state.authorization_note)
        detail = "; ".join(p for p in parts if p)
        if not verdict.ok:
            return Verdict(False, LICENCE, verdict.reason, detail)
        add_decision(record, LICENCE, PASS, detail)
        return Verdict(True, LICENCE)

    def _check_page(self, record: Record, state: _SourceState) -> Verdict:
        assert state.crawl is not None and state.snapshot_files is not None
        lineage = record["lineage"]
        url = lineage.get("url")
        if not url:
            return Verdict(
                False,
                ROBOTS,
                NO_CRAWL_RECORD,
                "the page has no URL: no robots.txt snapshot can apply to it",
            )
        robots = state.crawl.check_page(url, lineage.get("collected_at"))
        if robots.snapshot_sha256:
            lineage["evidence"].append(
                {
                    "role": ROBOTS_SNAPSHOT,
                    "path": state.snapshot_files.get(robots.snapshot_sha256, ""),
                    "sha256": robots.snapshot_sha256,
                }
            )
        if not robots.ok:
            return Verdict(False, ROBOTS, robots.reason, state.shorten(robots.detail))
        add_decision(record, ROBOTS, PASS, state.shorten(robots.detail))
        extras: dict[str, Any] = record.get("_extras") or {}  # type: ignore[assignment]
        if not extras:
            add_decision(record, OPTOUT, PASS, "no response headers or HTML kept: not checked")
            return Verdict(True, OPTOUT)
        optout = check_optout(
            extras.get("http_headers") or [], extras.get("html"), state.crawl.user_agent
        )
        if not optout.ok:
            return Verdict(False, OPTOUT, optout.reason, f"opted out by {optout.detail}")
        add_decision(record, OPTOUT, PASS, "no opt-out signal in headers or HTML head")
        return Verdict(True, OPTOUT)

    def _check_user(self, record: Record, state: _SourceState) -> Verdict:
        assert state.table is not None
        lineage = record["lineage"]
        user_id = record.get("_user_id")
        verdict = state.table.check(
            user_id,  # type: ignore[arg-type]
            lineage.get("collected_at"),
            self.authorization_scope,
        )
        if verdict.authorization_id:
            lineage["evidence"].append(
                {
                    "role": USER_AUTHORIZATION_ROLE,
                    "path": state.shorten(verdict.authorization_id),
                    "sha256": state.table_sha256,
                }
            )
        detail = state.shorten(verdict.detail)
        detail = f"user {user_id}: {detail}" if user_id else detail
        if not verdict.ok:
            return Verdict(False, USER_AUTHORIZATION, verdict.reason, detail)
        add_decision(record, USER_AUTHORIZATION, PASS, detail)
        return Verdict(True, USER_AUTHORIZATION)


# ---------------------------------------------------------------------- Beam wrapper


class _CheckProvenanceFn(beam.DoFn):
    def __init__(
        self,
        facts: dict[str, SourceFacts],
        policy_path: str | None,
        authorization_scope: str | None,
    ) -> None:
        self._facts = facts
        self._policy_path = policy_path
        self._scope = authorization_scope
        self._seen = Metrics.counter("provenance", "seen")
        self._kept = Metrics.counter("provenance", "kept")
        self._quarantined = Metrics.counter("provenance", "quarantined")
        self._checker: ProvenanceChecker | None = None

    def setup(self) -> None:
        self._checker = ProvenanceChecker(
            self._facts,
            LicencePolicy.load(self._policy_path),
            authorization_scope=self._scope,
        )

    def process(self, record: Record) -> Iterator[Any]:
        assert self._checker is not None
        self._seen.inc()
        ok, row = self._checker.apply(record)
        if ok:
            self._kept.inc()
            yield row
            return
        self._quarantined.inc()
        Metrics.counter("provenance", f"quarantined_{row['reason']}").inc()  # type: ignore[typeddict-item]
        yield beam.pvalue.TaggedOutput(QUARANTINE, row)


class CheckProvenance(beam.PTransform):
    """Records in; {"records": usable records, "quarantine": refused ones} out."""

    def __init__(
        self,
        facts: Mapping[str, SourceFacts],
        policy_path: str | None = None,
        *,
        authorization_scope: str | None = None,
    ) -> None:
        super().__init__()
        # Load now so a bad policy fails the build, not a worker.
        LicencePolicy.load(policy_path)
        if authorization_scope is not None and (
            not isinstance(authorization_scope, str) or not authorization_scope.strip()
        ):
            raise ValueError(
                f"provenance.authorization_scope {authorization_scope!r}: expected a scope name"
            )
        self._facts = dict(facts)
        self._policy_path = policy_path
        self._scope = authorization_scope

    def expand(self, records: beam.PCollection) -> dict[str, beam.PCollection]:
        fn = _CheckProvenanceFn(self._facts, self._policy_path, self._scope)
        out = records | "CheckSourceEvidence" >> beam.ParDo(fn).with_outputs(
            QUARANTINE, main=RECORDS
        )
        return {RECORDS: out[RECORDS], QUARANTINE: out[QUARANTINE]}


def make_check(ctx: CheckContext) -> CheckProvenance | None:
    """The run's provenance stage. Settings (run config key `provenance`):

    licence_policy       a policy file (default: the shipped configs/policies/licences.yaml)
    authorization_scope  the scope a user grant must include (default: any scope)
    """
    unknown = set(ctx.settings) - SETTINGS_KEYS
    if unknown:
        raise ValueError(
            f"provenance: unknown setting(s) {sorted(unknown)}; expected some of "
            f"{sorted(SETTINGS_KEYS)}"
        )
    if not ctx.facts:
        return None
    policy = ctx.settings.get("licence_policy")
    if policy is not None and not isinstance(policy, str):
        raise ValueError(f"provenance.licence_policy {policy!r}: expected a file path")
    return CheckProvenance(
        ctx.facts,
        ctx.path(policy) if policy else None,
        authorization_scope=ctx.settings.get("authorization_scope"),
    )

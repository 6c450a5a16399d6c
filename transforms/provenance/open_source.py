"""Open-source data (GB/T 45654-2025 4.1.3 a, B.2.1.1.3 a): may a record be used under its
licence?

The record's own licence field decides for that record, else the entry's SPDX expression,
classified by the licence policy (`licences.LicencePolicy`). An authorization document from
the rights holder (path + sha256 in the entry, verified once on the launcher) lets a source
with no licence, or one nobody can read, be used — never one the policy refuses. Kept records
carry the licence class and its obligations (attribution, share-alike) in their lineage.

A licence text the entry references is the copy of the terms the source is used under; when it
is missing or its bytes are no longer the ones recorded, the lineage would cite terms nobody
can show, so the source is refused whole (`licence_evidence_changed`, naming the document).
"""

from __future__ import annotations

from typing import Any

from corpusgate.schemas.reasons import LICENCE, LICENCE_EVIDENCE_CHANGED
from corpusgate.schemas.records import Record
from corpusgate.transforms.provenance.evidence import document_problem, entry_relative
from corpusgate.transforms.provenance.licences import LicencePolicy, check_licence, choose_licence
from corpusgate.transforms.spine.checks import SourceFacts, Verdict, keep, quarantine

_MEMO = 4096  # distinct record licences remembered per source (a few, in practice)


class OpenSourceCheck:
    def __init__(self, facts: SourceFacts, policy: LicencePolicy) -> None:
        self.facts = facts
        self.policy = policy
        self.authorization_path = ""  # as the entry writes it, for the lineage
        notes = []
        for path, recorded in facts.evidence_paths("authorization"):
            problem = document_problem(facts, "authorization", path, recorded)
            if problem:
                notes.append(f"{problem}: not counted")
            elif not self.authorization_path:
                self.authorization_path = entry_relative(facts, path)
                notes.append(f"authorization {self.authorization_path} sha256 {recorded[:12]}…")
        self.authorization_note = "; ".join(notes)
        self._decided: dict[str | None, tuple[bool, str, str, dict[str, Any]]] = {}
        self.refusal: Verdict | None = None
        problems = [
            p
            for path, recorded in facts.evidence_paths("licence_text")
            if (p := document_problem(facts, "licence_text", path, recorded))
        ]
        if problems:
            fix = (
                "restore the document, or record its new sha256 in the entry "
                "(`corpusgate registry validate` prints it)"
            )
            detail = f"{'; '.join(problems)}: {fix}"
            self.refusal = quarantine(LICENCE, LICENCE_EVIDENCE_CHANGED, detail)

    def check(self, record: Record) -> Verdict:
        if self.refusal is not None:
            return self.refusal
        lineage = record["lineage"]
        entry_licence = self.facts.licence
        # The record mapper puts the record's own licence field over the entry's, so an
        # expression that differs from the entry's can only have come from the record.
        seen = (lineage.get("licence") or {}).get("expression")
        record_licence = seen if seen and seen != entry_licence else None
        # The verdict depends on the record's licence alone: most records of a source state
        # none, so it is worked out once per expression (a fresh lineage dict each time).
        decided = self._decided.get(record_licence)
        if decided is None:
            decided = self._decide(record_licence)
            if len(self._decided) < _MEMO:
                self._decided[record_licence] = decided
        kept, reason, detail, licence = decided
        fresh = {**licence, "obligations": list(licence["obligations"])}
        if not kept:
            return quarantine(LICENCE, reason, detail, lineage={"licence": fresh})
        return keep(LICENCE, detail, lineage={"licence": fresh})

    def _decide(self, record_licence: str | None) -> tuple[bool, str, str, dict[str, Any]]:
        entry_licence = self.facts.licence
        expression, came_from = choose_licence(record_licence, entry_licence)
        result = check_licence(
            expression, self.policy, has_authorization=bool(self.authorization_path)
        )
        licence = {
            "expression": result.spdx or expression,
            "licence_class": result.licence_class,
            "obligations": list(result.obligations),
            "authorization": self.authorization_path or None,
        }
        stated = f"{expression} ({came_from} licence)" if expression else "no licence stated"
        parts = [stated, result.detail]
        if result.obligations:
            parts.append(f"obligations: {', '.join(result.obligations)}")
        if self.authorization_note:
            parts.append(self.authorization_note)
        detail = "; ".join(p for p in parts if p)
        return bool(result.ok), "" if result.ok else result.reason, detail, licence

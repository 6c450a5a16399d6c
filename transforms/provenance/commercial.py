"""Commercial data (GB/T 45654-2025 4.1.3 c, B.2.1.1.3 c): a source bought from a counterparty
may be used when its contract, the counterparty's commitments (source, quality, safety) and our
review record are all on file and unchanged since the registry recorded them.

The documents are checked once, on the launcher; a source missing any of them is refused
whole (`commercial_evidence_missing`, naming each problem), so a record costs a lookup.
"""

from __future__ import annotations

from corpusgate.schemas.reasons import COMMERCIAL, COMMERCIAL_EVIDENCE_MISSING
from corpusgate.schemas.records import Record
from corpusgate.schemas.sources import REQUIRED_EVIDENCE
from corpusgate.transforms.provenance.evidence import document_problem
from corpusgate.transforms.spine.checks import SourceFacts, Verdict, keep, quarantine


class CommercialCheck:
    def __init__(self, facts: SourceFacts) -> None:
        problems = []
        for role in REQUIRED_EVIDENCE["commercial"]:
            documents = facts.evidence_paths(role)
            if not documents:
                problems.append(f"no {role} referenced")
            problems.extend(
                p for path, sha in documents if (p := document_problem(facts, role, path, sha))
            )
        self.refusal = (
            quarantine(COMMERCIAL, COMMERCIAL_EVIDENCE_MISSING, "; ".join(problems))
            if problems
            else None
        )
        contract_id = facts.extra.get("contract_id")
        prefix = f"contract {contract_id}; " if contract_id else ""
        verified = ", ".join(REQUIRED_EVIDENCE["commercial"])
        self._kept = keep(COMMERCIAL, f"{prefix}evidence verified by sha256: {verified}")

    def check(self, record: Record) -> Verdict:
        return self.refusal or self._kept

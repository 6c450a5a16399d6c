"""The B.2.1 evidence pack: every sample GB/T 45654-2025 Appendix B.2.1 prescribes, judged.

For each evaluation method (B.2.1.1.1 a-b, B.2.1.1.3 b-e, B.2.1.2.1 a-b, B.2.1.2.3 b-e) the
pack draws the sample of the prescribed size from the run's outputs and the store, with a
seed per method (`samples.method_seed`), attaches each item's evidence references, judges
what is mechanical (`judgments`) and leaves the rest for a reviewer. B.2.1.1.2 (diversity) has
no sample: its judgment from the usage records is carried in. A method's result is
compliant, non_compliant, pending (a person must still answer) or not_applicable (the kind of
data it concerns is not used).

Pure core apart from reading the published output: the store's rows, the recorded spot checks
and a harm detector come in as values, so tests and notebooks drive it directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from corpusgate.transforms.evidence import judgments as J
from corpusgate.transforms.evidence.diversity import Diversity
from corpusgate.transforms.evidence.records import (
    EvidenceRef,
    RecordFacts,
    read_record_facts,
    read_texts,
)
from corpusgate.transforms.evidence.samples import Sample, Sampler, SampleSize, draw, method_seed
from corpusgate.transforms.harm.gate.spotcheck import (
    MANUAL_MIN_ITEMS,
    MANUAL_TARGET,
    TECHNICAL_TARGET,
    judge,
)
from corpusgate.transforms.output.published import Published

__all__ = [
    "METHODS",
    "EvidencePack",
    "Item",
    "Method",
    "MethodResult",
    "StoreFacts",
    "build_pack",
]

Result = Literal["compliant", "non_compliant", "pending", "not_applicable"]
Detector = Callable[[str], Sequence[str]]  # text -> Appendix A codes flagged (empty: passes)


@dataclass(frozen=True)
class Method:
    key: str  # seed suffix and file-name part; never renamed (samples are re-derived by it)
    clause: str
    title: str
    population: str
    size: SampleSize
    expected: str


METHODS: tuple[Method, ...] = (
    Method(
        "assessment-records",
        "B.2.1.1.1 a",
        "pre-collection safety assessment records",
        "assessments recorded before collection for this output's sources",
        SampleSize(fraction=0.10),
        "sources whose proportion exceeded 5% were not collected",
    ),
    Method(
        "verification-records",
        "B.2.1.1.1 b",
        "post-collection safety verification records",
        "verifications recorded by this output's runs",
        SampleSize(fraction=0.10),
        "sources whose proportion exceeded 5% were not used for training",
    ),
    Method(
        "open-source-datasets",
        "B.2.1.1.3 b",
        "open-source datasets",
        "open-source datasets with records in the training data",
        SampleSize(fraction=0.10),
        "licence complied with, or authorization documents obtained",
    ),
    Method(
        "self-collected-records",
        "B.2.1.1.3 c",
        "self-collected items: collection records",
        "self-collected records in the training data",
        SampleSize(count=1000),
        "collection records (time, source) for every item",
    ),
    Method(
        "self-collected-optout",
        "B.2.1.1.3 c",
        "self-collected items: opt-outs (100 more)",
        "self-collected records in the training data",
        SampleSize(count=100),
        "no item holds data others declared must not be collected",
    ),
    Method(
        "commercial-transactions",
        "B.2.1.1.3 d",
        "commercial transaction records",
        "commercial contracts with records in the training data",
        SampleSize(fraction=0.10),
        "contract, commitments on source/quality/safety and review records",
    ),
    Method(
        "user-input-records",
        "B.2.1.1.3 e",
        "user input items",
        "user-input records in the training data",
        SampleSize(fraction=0.10, count=1000),
        "a user authorization record for every item",
    ),
    Method(
        "manual-content",
        "B.2.1.2.1 a",
        "manual spot check of content",
        "training data records (text)",
        SampleSize(count=MANUAL_MIN_ITEMS),
        "qualified rate >= 96%",
    ),
    Method(
        "technical-content",
        "B.2.1.2.1 b",
        "technical spot check of content",
        "training data records (text)",
        SampleSize(fraction=0.10),
        "qualified rate >= 98%",
    ),
    Method(
        "personal-information",
        "B.2.1.2.3 b",
        "items with personal information",
        "training data records keeping personal information",
        SampleSize(fraction=0.10, count=1000),
        "the individual's consent for every item",
    ),
    Method(
        "sensitive-information",
        "B.2.1.2.3 c",
        "items with sensitive personal information",
        "training data records keeping sensitive personal information",
        SampleSize(fraction=0.10, count=1000),
        "the individual's separate consent for every item",
    ),
    Method(
        "random-personal",
        "B.2.1.2.3 d",
        "random items checked for personal information",
        "training data records",
        SampleSize(count=4000),
        "no personal information, or the individual's consent",
    ),
    Method(
        "random-sensitive",
        "B.2.1.2.3 e",
        "random items checked for sensitive personal information",
        "training data records",
        SampleSize(count=4000),
        "no sensitive personal information, or the individual's separate consent",
    ),
)
BY_KEY = {m.key: m for m in METHODS}

# Management-system documents B.2.1 asks the assessor to read: no sample, no judgment here.
DOCUMENT_REVIEWS = (
    ("B.2.1.1.2 a", "management system requires diverse training data sources"),
    ("B.2.1.1.3 a", "source management rules for each kind of training data"),
    ("B.2.1.2.3 a", "rules for personal and sensitive personal information in training data"),
)


@dataclass(frozen=True)
class Item:
    rank: int
    item_id: str
    source_id: str
    evidence: tuple[EvidenceRef, ...]
    facts: tuple[tuple[str, str], ...]
    checks: tuple[J.Check, ...]

    @property
    def status(self) -> J.Outcome:
        return J.item_status(self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "item_id": self.item_id,
            "source_id": self.source_id,
            "status": self.status,
            "evidence": [e.__dict__ for e in self.evidence],
            "facts": dict(self.facts),
            "checks": [c.__dict__ for c in self.checks],
        }


@dataclass(frozen=True)
class MethodResult:
    method: Method
    seed: str
    population: int
    prescribed: int
    note: str
    items: tuple[Item, ...]
    result: Result
    reason: str

    def count(self, status: J.Outcome) -> int:
        return sum(1 for i in self.items if i.status == status)

    def summary(self) -> dict[str, Any]:
        return {
            "method": self.method.key,
            "clause": self.method.clause,
            "title": self.method.title,
            "population": self.population,
            "population_is": self.method.population,
            "rule": self.method.size.describe(),
            "prescribed": self.prescribed,
            "sample_size": len(self.items),
            "whole_population": self.population > 0 and len(self.items) >= self.population,
            "seed": self.seed,
            "note": self.note,
            "expected": self.method.expected,
            "passed": self.count("pass"),
            "failed": self.count("fail"),
            "needs_review": self.count("review"),
            "result": self.result,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class StoreFacts:
    """What the pack reads from the store, as values."""

    assessments: tuple[Mapping[str, Any], ...] = ()
    collected: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class EvidencePack:
    run_id: str
    seed: str
    methods: tuple[MethodResult, ...]
    diversity: Diversity | None
    spotchecks_used: tuple[str, ...]

    def clauses(self) -> list[dict[str, Any]]:
        """One row per clause: sample sizes and counts summed, the worst result."""
        grouped: dict[str, list[MethodResult]] = defaultdict(list)
        for m in self.methods:
            grouped[m.method.clause.split(" ")[0]].append(m)
        rows = []
        for clause, methods in grouped.items():
            rows.append(
                {
                    "clause": clause,
                    "methods": [m.method.clause for m in methods],
                    "sample_size": sum(len(m.items) for m in methods),
                    "passed": sum(m.count("pass") for m in methods),
                    "failed": sum(m.count("fail") for m in methods),
                    "needs_review": sum(m.count("review") for m in methods),
                    "result": _worst([m.result for m in methods]),
                }
            )
        if self.diversity is not None:
            rows.append(
                {
                    "clause": "B.2.1.1.2",
                    "methods": ["B.2.1.1.2 b", "B.2.1.1.2 c"],
                    "sample_size": 0,
                    "passed": 0,
                    "failed": 0,
                    "needs_review": 0,
                    "result": self.diversity.result,
                }
            )
        return sorted(rows, key=lambda r: r["clause"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "seed": self.seed,
            "clauses": self.clauses(),
            "methods": [
                {**m.summary(), "items": [i.as_dict() for i in m.items]} for m in self.methods
            ],
            "diversity": self.diversity.as_dict() if self.diversity else None,
            "document_reviews": [{"clause": c, "document": d} for c, d in DOCUMENT_REVIEWS],
            "spotchecks_used": list(self.spotchecks_used),
        }

    def summary(self) -> dict[str, Any]:
        """What a report shows: the clause table and the method table, no items."""
        return {
            "run_id": self.run_id,
            "seed": self.seed,
            "clauses": self.clauses(),
            "methods": [m.summary() for m in self.methods],
        }


def _worst(results: Sequence[str]) -> Result:
    for result in ("non_compliant", "pending", "compliant"):
        if result in results:
            return result  # type: ignore[return-value]
    return "not_applicable"


def _judged(
    items: Sequence[Item], population: int, *, required: bool = False
) -> tuple[Result, str]:
    if population == 0:
        if required:
            return "non_compliant", "no records to sample: the expected result cannot be shown"
        return "not_applicable", "not used in this run's training data"
    failed = [i for i in items if i.status == "fail"]
    review = [i for i in items if i.status == "review"]
    if failed:
        return "non_compliant", f"{len(failed)} of {len(items)} items fail"
    if review:
        return "pending", f"{len(review)} of {len(items)} items need a reviewer's verdict"
    return "compliant", f"all {len(items)} items pass"


def _record_evidence(
    facts: RecordFacts, roles: Sequence[str] | None = None
) -> tuple[EvidenceRef, ...]:
    refs = [e for e in facts.evidence if roles is None or e.role in roles]
    return tuple(refs)


def _record_item(
    rank: int, facts: RecordFacts, checks: list[J.Check], *, consent: bool = False
) -> Item:
    shown = [("collected_at", facts.collected_at or ""), ("url", facts.url or "")]
    if facts.licence:
        shown.append(("licence", facts.licence))
    return Item(
        rank,
        facts.record_id,
        facts.source_id,
        _record_evidence(facts) + (facts.consent if consent else ()),
        tuple((k, v) for k, v in shown if v),
        tuple(checks),
    )


def _method_result(
    method: Method,
    sample: Sample[Any],
    items: list[Item],
    *,
    required: bool = False,
    judged: tuple[Result, str] | None = None,
) -> MethodResult:
    """`judged`: a result decided by a qualified rate (B.2.1.2.1) instead of item by item."""
    result, reason = judged or _judged(items, sample.population, required=required)
    return MethodResult(
        method,
        sample.seed,
        sample.population,
        sample.prescribed,
        sample.note(),
        tuple(items),
        result,
        reason,
    )


def build_pack(
    published: Published,
    *,
    seed: str,
    store: StoreFacts,
    run_writes: Mapping[str, Mapping[str, int]],
    detector: Detector | None = None,
    spotchecks: Sequence[Mapping[str, Any]] = (),
    diversity: Diversity | None = None,
    verdicts: Mapping[tuple[str, str], tuple[bool, str]] | None = None,
) -> EvidencePack:
    """Draw and judge every method's sample. `run_writes`: run id -> source -> records written
    for the runs of this output (B.2.1.1.1 b); `verdicts`: (method, item id) -> (qualified,
    note) from a filled review sheet; `detector`: the technical spot check's scorer."""
    manifest = published.manifest
    entries = {sid: (row.get("registry_entry") or {}) for sid, row in manifest["sources"].items()}
    kind_of = {sid: e.get("kind") for sid, e in entries.items()}
    seeds = {m.key: method_seed(seed, m.key) for m in METHODS}
    written = {
        modality: sum(
            int(row["written"])
            for sid, row in manifest["sources"].items()
            if (entries[sid].get("modality") or "text") == modality
        )
        for modality in {e.get("modality") or "text" for e in entries.values()}
    }
    total_written = sum(written.values())

    def of_kind(kind: str) -> Callable[[RecordFacts], bool]:
        return lambda r: kind_of.get(r.source_id) == kind

    samplers: dict[str, Sampler[RecordFacts]] = {
        "self-collected-records": Sampler(
            seeds["self-collected-records"],
            BY_KEY["self-collected-records"].size,
            of_kind("self_collected"),
        ),
        "self-collected-optout": Sampler(
            seeds["self-collected-optout"],
            BY_KEY["self-collected-optout"].size,
            of_kind("self_collected"),
        ),
        "user-input-records": Sampler(
            seeds["user-input-records"], BY_KEY["user-input-records"].size, of_kind("user_input")
        ),
        "manual-content": Sampler(seeds["manual-content"], BY_KEY["manual-content"].size),
        "technical-content": Sampler(
            seeds["technical-content"],
            BY_KEY["technical-content"].size,
            population=total_written,
        ),
        "personal-information": Sampler(
            seeds["personal-information"],
            BY_KEY["personal-information"].size,
            lambda r: r.kept_personal + r.kept_sensitive > 0,
        ),
        "sensitive-information": Sampler(
            seeds["sensitive-information"],
            BY_KEY["sensitive-information"].size,
            lambda r: r.kept_sensitive > 0,
        ),
        "random-personal": Sampler(seeds["random-personal"], BY_KEY["random-personal"].size),
        "random-sensitive": Sampler(seeds["random-sensitive"], BY_KEY["random-sensitive"].size),
    }
    # Datasets and contracts are judged on every record they contributed: their sample is of
    # sources, but the evidence is in the records' lineage.
    by_source: dict[str, list[RecordFacts]] = defaultdict(list)
    for facts in read_record_facts(published):
        for sampler in samplers.values():
            sampler.offer(facts.record_id, facts)
        if kind_of.get(facts.source_id) in ("open_source", "commercial"):
            by_source[facts.source_id].append(facts)

    results: dict[str, MethodResult] = {}
    results.update(_store_methods(published, store, seeds, run_writes))
    results["open-source-datasets"] = _dataset_method(
        BY_KEY["open-source-datasets"], seeds, by_source, entries, "open_source"
    )
    results["commercial-transactions"] = _dataset_method(
        BY_KEY["commercial-transactions"], seeds, by_source, entries, "commercial"
    )
    record_checks: dict[str, Callable[[RecordFacts], list[J.Check]]] = {
        "self-collected-records": J.self_collected_checks,
        "self-collected-optout": J.optout_checks,
        "user-input-records": J.user_input_checks,
        "personal-information": lambda r: J.personal_checks(r, sensitive=False, screening=False),
        "sensitive-information": lambda r: J.personal_checks(r, sensitive=True, screening=False),
        "random-personal": lambda r: J.personal_checks(r, sensitive=False, screening=True),
        "random-sensitive": lambda r: J.personal_checks(r, sensitive=True, screening=True),
    }
    for key, check in record_checks.items():
        sample = samplers[key].sample()
        consent = key not in ("self-collected-records", "self-collected-optout")
        items = [
            _record_item(rank, facts, check(facts), consent=consent)
            for rank, (_, facts) in enumerate(sample.items, 1)
        ]
        results[key] = _method_result(BY_KEY[key], sample, items)
    results["manual-content"] = _manual_method(samplers["manual-content"].sample(), spotchecks)
    results["technical-content"] = _technical_method(
        published, samplers["technical-content"].sample(), detector
    )
    methods = tuple(_apply_verdicts(results[m.key], verdicts or {}) for m in METHODS)
    used = tuple(
        str(s.get("report") or s.get("kind")) for s in spotchecks if s.get("kind") == "manual"
    )
    return EvidencePack(published.run_id, seed, methods, diversity, used)


def _store_methods(
    published: Published,
    store: StoreFacts,
    seeds: Mapping[str, str],
    run_writes: Mapping[str, Mapping[str, int]],
) -> dict[str, MethodResult]:
    manifest = published.manifest
    ours = set(manifest["sources"]) | set(manifest.get("not_collected") or {})
    before = [a for a in store.assessments if a["stage"] == "assessment" and a["source_id"] in ours]
    after = [
        a
        for a in store.assessments
        if a["stage"] == "verification" and a.get("run_id") in run_writes
    ]
    out = {}
    method = BY_KEY["assessment-records"]
    sample = draw(((a["assessment_id"], a) for a in before), method.size, seeds[method.key])
    items = []
    for rank, (assessment_id, record) in enumerate(sample.items, 1):
        later = [
            a
            for a in before
            if a["source_id"] == record["source_id"] and a["created_at"] > record["created_at"]
        ]
        checks = J.assessment_checks(record, later, store.collected.get(record["source_id"], ()))
        items.append(_assessment_item(rank, assessment_id, record, checks))
    out[method.key] = _method_result(method, sample, items, required=True)
    method = BY_KEY["verification-records"]
    sample = draw(((a["assessment_id"], a) for a in after), method.size, seeds[method.key])
    items = []
    for rank, (assessment_id, record) in enumerate(sample.items, 1):
        writes = run_writes.get(record.get("run_id") or "")
        written = None if writes is None else int(writes.get(record["source_id"], 0))
        items.append(
            _assessment_item(rank, assessment_id, record, J.verification_checks(record, written))
        )
    out[method.key] = _method_result(method, sample, items, required=True)
    return out


def _assessment_item(
    rank: int, assessment_id: str, record: Mapping[str, Any], checks: list[J.Check]
) -> Item:
    created = record.get("created_at")
    facts = {
        "stage": record.get("stage"),
        "created_at": created.isoformat() if isinstance(created, datetime) else str(created),
        "seed": record.get("seed"),
        "sample": f"{record.get('flagged')}/{record.get('sample_size')}",
        "rate": f"{record.get('rate', 0):.2%}",
        "interval": f"[{record.get('ci_low') or 0:.2%}, {record.get('ci_high') or 0:.2%}]",
        "decision": record.get("decision"),
        "action": record.get("action"),
        "run_id": record.get("run_id"),
    }
    return Item(
        rank,
        str(assessment_id),
        str(record["source_id"]),
        (EvidenceRef("store_assessment", str(assessment_id), ""),),
        tuple((k, str(v)) for k, v in facts.items() if v not in (None, "")),
        tuple(checks),
    )


def _dataset_method(
    method: Method,
    seeds: Mapping[str, str],
    by_source: Mapping[str, list[RecordFacts]],
    entries: Mapping[str, Mapping[str, Any]],
    kind: str,
) -> MethodResult:
    population = sorted(
        sid for sid, recs in by_source.items() if recs and entries[sid].get("kind") == kind
    )
    sample = draw(((sid, sid) for sid in population), method.size, seeds[method.key])
    items = []
    for rank, (source_id, _) in enumerate(sample.items, 1):
        records = by_source[source_id]
        entry = entries[source_id]
        if kind == "open_source":
            checks = J.open_source_checks(records, entry.get("licence"))
        else:
            checks = J.commercial_checks(records, entry.get("contract_id"))
        refs = sorted({e for r in records for e in r.evidence}, key=lambda e: (e.role, e.path))
        facts = [
            ("title", str(entry.get("title") or "")),
            ("records used", str(len(records))),
            ("licence", str(entry.get("licence") or "")),
            ("registry entry sha256", str(entry.get("sha256") or "")),
        ]
        items.append(
            Item(
                rank,
                source_id,
                source_id,
                tuple(refs),
                tuple((k, v) for k, v in facts if v),
                tuple(checks),
            )
        )
    return _method_result(method, sample, items)


def _manual_method(
    sample: Sample[RecordFacts], spotchecks: Sequence[Mapping[str, Any]]
) -> MethodResult:
    """B.2.1.2.1 a: the items go to reviewers through `spotcheck export --seed` (the same
    sample); a manual spot check recorded on this run with that seed judges them."""
    method = BY_KEY["manual-content"]
    recorded = [s for s in spotchecks if s.get("kind") == "manual" and s.get("seed") == sample.seed]
    unqualified = set(recorded[-1].get("unqualified_ids") or ()) if recorded else set()
    items = []
    for rank, (_, facts) in enumerate(sample.items, 1):
        if recorded:
            ok = facts.record_id not in unqualified
            check = J.Check(
                "reviewer: qualified", "pass" if ok else "fail", "manual spot check verdict"
            )
        else:
            check = J.Check(
                "reviewer: qualified",
                "review",
                f"corpusgate spotcheck export --seed {sample.seed} --size {method.size.count}",
            )
        items.append(Item(rank, facts.record_id, facts.source_id, (), (), (check,)))
    if sample.population == 0:
        result, reason = "not_applicable", "no training data"
    elif not recorded:
        result, reason = (
            "pending",
            (
                f"export the {len(items)} items for reviewers with `corpusgate spotcheck export "
                f"--seed {sample.seed}`, then `corpusgate spotcheck import`"
            ),
        )
    else:
        verdict = judge(
            len(items) - len(unqualified & {i.item_id for i in items}), len(items), MANUAL_TARGET
        )
        result = "compliant" if verdict["judgment"] == "pass" else "non_compliant"
        reason = f"qualified rate {verdict['qualified_rate']:.2%} against >= 96% (reviewed sheet)"
    return _method_result(method, sample, items, judged=(result, reason))


def _technical_method(
    published: Published, sample: Sample[RecordFacts], detector: Detector | None
) -> MethodResult:
    """B.2.1.2.1 b: the detectors score the sampled texts; the qualified rate is judged."""
    method = BY_KEY["technical-content"]
    texts = read_texts(published, {rid for rid, _ in sample.items}) if detector else {}
    items = []
    for rank, (record_id, facts) in enumerate(sample.items, 1):
        if detector is None:
            checks = [J.Check("detectors pass", "review", "no detector was loaded for this pack")]
        else:
            checks = J.technical_checks(list(detector(texts[record_id])))
        items.append(Item(rank, record_id, facts.source_id, (), (), tuple(checks)))
    if sample.population == 0:
        result, reason = "not_applicable", "no training data"
    elif detector is None:
        result, reason = "pending", "no detector was loaded"
    else:
        passed = sum(1 for i in items if i.status == "pass")
        verdict = judge(passed, len(items), TECHNICAL_TARGET)
        result = "compliant" if verdict["judgment"] == "pass" else "non_compliant"
        reason = (
            f"qualified rate {verdict['qualified_rate']:.2%} ({passed}/{len(items)}) against >= 98%"
        )
    return _method_result(method, sample, items, judged=(result, reason))


def _apply_verdicts(
    result: MethodResult, verdicts: Mapping[tuple[str, str], tuple[bool, str]]
) -> MethodResult:
    """A reviewer's verdict settles an item's `review` checks (qualified: pass, else fail)."""
    if not verdicts or result.method.key == "manual-content":
        return result
    items = []
    for item in result.items:
        verdict = verdicts.get((result.method.key, item.item_id))
        if verdict is None or item.status != "review":
            items.append(item)
            continue
        qualified, note = verdict
        outcome: J.Outcome = "pass" if qualified else "fail"
        checks = tuple(
            J.Check(c.name, outcome, f"reviewer: {note}" if note else "reviewer's verdict")
            if c.outcome == "review"
            else c
            for c in item.checks
        )
        items.append(
            Item(item.rank, item.item_id, item.source_id, item.evidence, item.facts, checks)
        )
    population = result.population
    if result.method.key == "technical-content":
        return result
    status, reason = _judged(
        items, population, required=result.method.clause.startswith("B.2.1.1.1")
    )
    return MethodResult(
        result.method,
        result.seed,
        population,
        result.prescribed,
        result.note,
        tuple(items),
        status,
        reason,
    )

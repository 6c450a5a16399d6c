"""B.2.1 sample sizes, reproducible samples, and the mechanical judgments of sampled items."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from corpusgate.transforms.evidence import judgments as J
from corpusgate.transforms.evidence.records import record_facts
from corpusgate.transforms.evidence.samples import Sampler, SampleSize, draw
from corpusgate.transforms.harm.gate.spotcheck import sample_output


@pytest.mark.parametrize(
    ("size", "population", "expected"),
    [
        (SampleSize(fraction=0.10), 9, 1),  # 10% of 9 rounds up to one item
        (SampleSize(fraction=0.10), 101, 11),
        (SampleSize(count=1000), 13, 13),  # smaller than prescribed: whole
        (SampleSize(count=4000), 10_000, 4000),
        (SampleSize(fraction=0.10, count=1000), 500, 50),  # either satisfies: the smaller
        (SampleSize(fraction=0.10, count=1000), 1_000_000, 1000),
        (SampleSize(count=100), 0, 0),
    ],
)
def test_b21_prescribed_sizes(size: SampleSize, population: int, expected: int) -> None:
    assert size.of(population) == expected


def test_sample_is_reproducible_and_says_when_taken_whole() -> None:
    items = [(f"id{i}", i) for i in range(300)]
    first = draw(items, SampleSize(fraction=0.10), "s")
    again = draw(reversed(items), SampleSize(fraction=0.10), "s")
    other = draw(items, SampleSize(fraction=0.10), "t")
    assert first.items == again.items and len(first.items) == 30
    assert first.items != other.items
    whole = draw(items[:12], SampleSize(count=1000), "s")
    assert whole.whole_population and "sampled whole" in whole.note()


def test_a_bounded_sampler_keeps_the_same_items_as_a_full_one() -> None:
    """Known population (the manifest's count) or a count rule: bottom-k in bounded memory,
    the same items as sorting the whole population by rank."""
    items = [(f"r{i}", None) for i in range(2000)]
    bounded: Sampler[None] = Sampler("s", SampleSize(fraction=0.10), population=2000)
    for item_id, payload in items:
        bounded.offer(item_id, payload)
    assert bounded.sample().items == draw(items, SampleSize(fraction=0.10), "s").items
    wrong: Sampler[None] = Sampler("s", SampleSize(fraction=0.10), population=5)
    wrong.offer("x", None)
    with pytest.raises(ValueError, match="announced as 5"):
        wrong.sample()


def test_manual_sample_is_the_spotcheck_export_of_the_same_seed() -> None:
    records = [{"record_id": f"r{i:04d}", "source_id": "s", "text": "t"} for i in range(5000)]
    rows, _ = sample_output(records, 4000, "pack/manual-content")
    ours = draw(
        ((r["record_id"], None) for r in records), SampleSize(count=4000), "pack/manual-content"
    )
    assert [r["record_id"] for r in rows] == [rid for rid, _ in ours.items]


def _row(**lineage: object) -> dict[str, object]:
    base = {
        "collected_at": None,
        "url": None,
        "licence": {},
        "evidence": [],
        "consent": [],
        "pii": {"entities": [], "redactions": 0},
        "decisions": [],
    }
    return {"record_id": "r1", "source_id": "s", "lineage": {**base, **lineage}}


CRAWL = {"role": "crawl_record", "path": "crawl.yaml", "sha256": "a" * 64}
SNAPSHOT = {"role": "robots_snapshot", "path": "robots/x.txt", "sha256": "b" * 64}


@pytest.mark.parametrize(
    ("lineage", "outcomes"),
    [
        (
            {"collected_at": datetime(2024, 4, 1), "url": "https://x/", "evidence": [CRAWL]},
            ["pass", "pass"],
        ),
        ({"url": "https://x/", "evidence": [CRAWL]}, ["fail", "pass"]),  # no collection time
        ({"collected_at": datetime(2024, 4, 1), "url": "https://x/"}, ["pass", "fail"]),
    ],
)
def test_b21113c_collection_records(lineage: dict, outcomes: list[str]) -> None:
    checks = J.self_collected_checks(record_facts(_row(**lineage)))
    assert [c.outcome for c in checks] == outcomes


@pytest.mark.parametrize(
    ("decisions", "evidence", "outcomes"),
    [
        ([("robots", "pass"), ("optout", "pass")], [SNAPSHOT], ["pass", "pass"]),
        ([("robots", "pass"), ("optout", "fail")], [SNAPSHOT], ["pass", "fail"]),
        ([("robots", "pass")], [], ["fail", "review"]),  # no snapshot; opt-out never checked
    ],
)
def test_b21113c_optouts(decisions: list, evidence: list, outcomes: list[str]) -> None:
    row = _row(
        evidence=evidence,
        decisions=[{"check": c, "outcome": o, "detail": "user u-1 said"} for c, o in decisions],
    )
    checks = J.optout_checks(record_facts(row))
    assert [c.outcome for c in checks] == outcomes
    assert all("u-1" not in c.detail for c in checks)  # a decision's detail is never copied


def _pii(category: str, action: str) -> dict[str, object]:
    return {
        "entities": [{"entity_type": "X", "category": category, "count": 1, "action": action}],
        "redactions": 0 if action == "keep" else 1,
    }


GENERAL = {"subject_key": "k" * 64, "scope": "general", "ref": "form CF-1"}
SEPARATE = {"subject_key": "k" * 64, "scope": "separate", "ref": "form CF-2"}


@pytest.mark.parametrize(
    ("pii", "consent", "sensitive", "screening", "outcome"),
    [
        (_pii("personal", "keep"), [GENERAL], False, False, "pass"),
        (_pii("personal", "keep"), [], False, False, "fail"),
        (_pii("sensitive", "keep"), [GENERAL], True, False, "fail"),  # general is not separate
        (_pii("sensitive", "keep"), [SEPARATE], True, False, "pass"),
        (_pii("personal", "redact"), [], False, True, "pass"),  # redacted: none left
        ({"entities": [], "redactions": 0}, [], True, True, "pass"),
    ],
)
def test_b21223_consent_references(pii, consent, sensitive, screening, outcome) -> None:
    facts = record_facts(_row(pii=pii, consent=consent))
    [check] = J.personal_checks(facts, sensitive=sensitive, screening=screening)
    assert check.outcome == outcome


def test_b21111_assessment_over_5_percent_collected_afterwards_fails() -> None:
    made = datetime(2024, 5, 1)
    record = {
        "rate": 0.3,
        "sample_size": 60,
        "flagged": 18,
        "decision": "reject",
        "action": "not collected",
        "created_at": made,
        "details": {},
    }
    later = [{"decision": "accept", "created_at": made + timedelta(days=10)}]
    ok = J.assessment_checks(record, later, [made + timedelta(days=20)])  # after re-acceptance
    bad = J.assessment_checks(record, later, [made + timedelta(days=2)])
    assert J.item_status(ok) == "pass" and J.item_status(bad) == "fail"
    unhandled = J.assessment_checks({**record, "decision": "accept"}, [], [])
    assert [c.outcome for c in unhandled][:2] == ["pass", "fail"]  # over 5% but accepted


def test_b21111_verification_over_5_percent_must_write_nothing() -> None:
    record = {
        "rate": 0.3,
        "sample_size": 60,
        "flagged": 18,
        "decision": "reject",
        "action": "source rejected",
        "run_id": "r1",
        "details": {},
    }
    assert J.item_status(J.verification_checks(record, 0)) == "pass"
    assert J.item_status(J.verification_checks(record, 5)) == "fail"
    assert J.item_status(J.verification_checks(record, None)) == "review"

"""`FindDuplicates` under TestPipeline with exact expected decisions (GB/T 45654-2025 4.2.1/
4.2.2): exact copies across two sources, a chain of near copies in one cluster, the keeper
rule, SimHash per source kind, a keeper published by an earlier run (in memory and through
signature files), real poems, and a graph too long for the rounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from corpusgate.schemas.reasons import EXACT_DUPLICATE, NEAR_DUPLICATE
from corpusgate.transforms.dedup import (
    DedupItem,
    DedupSettings,
    DedupSpec,
    DupDecision,
    dedup_items,
)
from corpusgate.transforms.dedup.incremental import PublishSignatures, ReadSignatures
from corpusgate.transforms.dedup.stage import FindDuplicates

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dedup-poetry" / "poems.jsonl"
WORDS = [f"w{i}" for i in range(80)]


def _settings(**fields: Any) -> DedupSettings:
    """A handful of records needs no 64-way shuffle: each step is still cut into 4 parts, so
    records meet across part files, with a fraction of the files to write and delete."""
    return DedupSettings(**{"partitions": 4, "max_rounds": 4, **fields})


def _replace(words: list[str], at: list[int], tag: str) -> list[str]:
    return [f"{tag}{i}" if i in at else w for i, w in enumerate(words)]


A = " ".join(WORDS)
B_WORDS = _replace(WORDS, [15, 40, 65], "b")
B = " ".join(B_WORDS)
C = " ".join(_replace(B_WORDS, [5, 30, 55, 75], "c"))


def _items(
    rows: list[tuple[str, str, str]], spec: DedupSpec, language: str | None = "en"
) -> list[DedupItem]:
    records = [
        {"record_id": r, "source_id": s, "text": t, "lineage": {"language": language}}
        for r, s, t in rows
    ]
    return dedup_items(records, [("piece-0", i) for i in range(len(rows))], spec)


def _jaccard(a: DedupItem, b: DedupItem) -> float:
    x, y = (np.frombuffer(i.signature, dtype="<u4") for i in (a, b))
    return float(np.count_nonzero(x == y)) / len(x)


def _expected(
    item: DedupItem,
    keeper: DedupItem,
    size: int,
    reason: str | None = None,
    similarity: float = 1.0,
    method: str = "exact",
    absorbed: dict[str, int] | None = None,
) -> tuple[str, DupDecision]:
    """The decision `item` should get in a cluster of `size` kept by `keeper`."""
    counts = absorbed or {}
    return (
        item.record_id,
        DupDecision(
            record_id=item.record_id,
            source_id=item.source_id,
            cluster_id=keeper.record_id,
            keeper_id=keeper.record_id,
            keeper_source=keeper.source_id,
            keeper_previous=keeper.previous,
            reason=reason,
            similarity=similarity,
            method=method,
            cluster_size=size,
            absorbed=sum(counts.values()),
            absorbed_from=tuple(sorted(counts.items())),
            ref=item.ref,
            keeper_ref=None if keeper.previous else keeper.ref,
        ),
    )


def _keeper(item: DedupItem, size: int, absorbed: dict[str, int]) -> tuple[str, DupDecision]:
    return _expected(item, item, size, absorbed=absorbed)


def _removed(
    item: DedupItem, keeper: DedupItem, reason: str, size: int, **measured: Any
) -> tuple[str, DupDecision]:
    return _expected(item, keeper, size, reason, **measured)


def _check(
    items: list[DedupItem],
    settings: DedupSettings,
    work: Path,
    expected: list[tuple],
    previous: list[DedupItem] | None = None,
) -> None:
    with TestPipeline(runner="FnApiRunner") as p:
        earlier = p | "Earlier" >> beam.Create(previous) if previous else None
        found = p | beam.Create(items) | FindDuplicates(settings, str(work), previous=earlier)
        assert_that(found, equal_to(expected), label="decisions")


def test_exact_copies_across_two_sources(tmp_path: Path) -> None:
    spec = DedupSpec(_settings(keeper_sources=["wiki"]))
    w1, k1, w2, w3 = _items(
        [
            ("w1", "web", "Hello World, said the page."),
            ("k1", "wiki", "hello   world, SAID the page."),
            ("w2", "web", "ＨＥＬＬＯ WORLD, said the page."),
            ("w3", "web", "Something else entirely, not a copy."),
        ],
        spec,
    )
    expected = [
        _keeper(k1, 3, {"web": 2}),
        _removed(w1, k1, EXACT_DUPLICATE, 3),
        _removed(w2, k1, EXACT_DUPLICATE, 3),
    ]
    _check([w1, k1, w2, w3], spec.settings, tmp_path, expected)


def test_a_repeated_record_id_is_decided_by_the_copy_read_first(tmp_path: Path) -> None:
    # Two rows share the record id "x" (a native id repeated in a source); the copy read
    # first is the record, the later one leaves as duplicate_record_id (unique_ids). Dedup
    # must decide for "x" by the first copy only, whichever reaches it first: here the later
    # copy comes first and holds the text of "y", which must stay a cluster of its own.
    spec = DedupSpec(_settings(keeper_sources=["wiki"]))
    records = [
        ("x", "web", "The same words, twice over.", "b.jsonl\x00" + "9".zfill(20)),
        ("y", "web", "Another text that only the later copy holds.", "c.jsonl\x00" + "1".zfill(20)),
        ("x", "web", "Words of the first copy, kept elsewhere.", "a.jsonl\x00" + "3".zfill(20)),
        ("k", "wiki", "WORDS of the first copy, kept elsewhere.", "w.jsonl\x00" + "1".zfill(20)),
    ]
    rows = [
        {"record_id": r, "source_id": s, "text": t, "lineage": {"origin": None}}
        for r, s, t, _ in records
    ]
    late, y, first, k = dedup_items(rows, [("piece-0", i) for i in range(4)], spec)
    late, y, first, k = (
        DedupItem(**{**{f: getattr(i, f) for f in i.__slots__}, "origin": o})
        for i, (*_, o) in zip((late, y, first, k), records, strict=True)
    )
    expected = [_keeper(k, 2, {"web": 1}), _removed(first, k, EXACT_DUPLICATE, 2)]
    _check([late, y, first, k], spec.settings, tmp_path, expected)


def test_near_copy_chain_is_one_cluster(tmp_path: Path) -> None:
    spec = DedupSpec(_settings())
    a, b, c = _items([("a", "s", A), ("b", "s", B), ("c", "s", C)], spec)
    # The premise: a ~ b and b ~ c reach the threshold, a and c do not.
    bar = spec.settings.threshold
    assert _jaccard(a, b) >= bar and _jaccard(b, c) >= bar and _jaccard(a, c) < bar
    expected = [
        _keeper(a, 3, {"s": 2}),
        _removed(b, a, NEAR_DUPLICATE, 3, similarity=_jaccard(a, b), method="minhash"),
        _removed(c, a, NEAR_DUPLICATE, 3, similarity=_jaccard(a, c), method="minhash"),
    ]
    _check([c, a, b], spec.settings, tmp_path, expected)


def test_keeper_by_source_priority_then_record_id(tmp_path: Path) -> None:
    spec = DedupSpec(_settings(keeper_sources=["gold", "silver"]))
    rows = [("a1", "bronze", A), ("s2", "silver", A), ("g9", "gold", A), ("g3", "gold", B)]
    a1, s2, g9, g3 = _items(rows, spec)
    expected = [
        _keeper(g3, 4, {"bronze": 1, "gold": 1, "silver": 1}),
        _removed(a1, g3, NEAR_DUPLICATE, 4, similarity=_jaccard(a1, g3), method="minhash"),
        _removed(s2, g3, NEAR_DUPLICATE, 4, similarity=_jaccard(s2, g3), method="minhash"),
        _removed(g9, g3, NEAR_DUPLICATE, 4, similarity=_jaccard(g9, g3), method="minhash"),
    ]
    _check([a1, s2, g9, g3], spec.settings, tmp_path, expected)


def test_simhash_for_one_source_kind(tmp_path: Path) -> None:
    spec = DedupSpec(_settings(methods_by_kind={"user_input": "simhash"}), {"chat": "user_input"})
    x, y, z = _items(
        [
            ("x", "chat", "see you at the station at nine"),
            ("y", "chat", "See you at the station at nine!!"),
            ("z", "chat", "completely different message about the weather"),
        ],
        spec,
    )
    assert x.method == y.method == "simhash" and x.exact != y.exact
    expected = [_keeper(x, 2, {"chat": 1}), _removed(y, x, NEAR_DUPLICATE, 2, method="simhash")]
    _check([x, y, z], spec.settings, tmp_path, expected)


@pytest.mark.parametrize(
    ("exact", "near", "clustered"),
    [
        (True, False, {"a", "b"}),
        (False, True, {"a", "b", "c", "d"}),
        (True, True, {"a", "b", "c", "d"}),
    ],
)
def test_exact_and_near_can_be_switched(
    tmp_path: Path, exact: bool, near: bool, clustered: set[str]
) -> None:
    spec = DedupSpec(_settings(exact=exact, near=near))
    rows = [("a", "s", A), ("b", "s", A.upper()), ("c", "s", A + " ."), ("d", "s", B)]
    items = _items(rows, spec)
    with TestPipeline(runner="FnApiRunner") as p:
        found = p | beam.Create(items) | FindDuplicates(spec.settings, str(tmp_path))
        reasons = found | beam.Map(lambda kv: (kv[0], kv[1].reason))
        # b is a in capitals (the same normalised text); c is a with a full stop (another
        # exact hash, the same shingles); d is a near copy. A removed record's reason says
        # what it is to its keeper, whichever step found it.
        expected = {"a": None, "b": EXACT_DUPLICATE, "c": NEAR_DUPLICATE, "d": NEAR_DUPLICATE}
        assert_that(reasons, equal_to([(r, expected[r]) for r in clustered]))


def test_disabled_decides_nothing(tmp_path: Path) -> None:
    spec = DedupSpec(_settings(enabled=False))
    _check(_items([("x", "s", A), ("y", "s", A)], spec), spec.settings, tmp_path, [])


def test_no_duplicates_no_decisions(tmp_path: Path) -> None:
    spec = DedupSpec(_settings())
    _check(
        _items([("x", "s", A), ("y", "s", "!!!"), ("z", "s", "")], spec),
        spec.settings,
        tmp_path,
        [],
    )


def test_keeper_published_by_an_earlier_run(tmp_path: Path) -> None:
    spec = DedupSpec(_settings(keeper_sources=["new"]))
    (old,) = _items([("old", "archive", A)], spec)
    fresh, again = _items([("fresh", "new", B), ("old", "archive", A)], spec)
    published = old.as_previous()
    expected = [
        _removed(
            fresh, published, NEAR_DUPLICATE, 3, similarity=_jaccard(fresh, old), method="minhash"
        ),
        # The same record read again is a copy of its published self.
        _removed(again, published, EXACT_DUPLICATE, 3),
    ]
    _check([fresh, again], spec.settings, tmp_path / "w", expected, previous=[old])


@pytest.mark.slow(5)
def test_incremental_run_through_signature_files(tmp_path: Path) -> None:
    spec = DedupSpec(_settings())
    first = _items([("p1", "crawl", A), ("p2", "crawl", A), ("p3", "crawl", C)], spec)
    folder = tmp_path / "published"
    with TestPipeline(runner="FnApiRunner") as p:
        items = p | "Items" >> beam.Create(first)
        found = items | FindDuplicates(spec.settings, str(tmp_path / "w1"))
        files = (items, found) | PublishSignatures(spec.settings, str(folder), str(tmp_path / "w1"))
        assert_that(files | beam.Map(lambda f: f[1]) | beam.CombineGlobally(sum), equal_to([2]))
    kept = sorted(
        r for f in folder.glob("*.parquet") for r in pq.read_table(f)["record_id"].to_pylist()
    )
    assert kept == ["p1", "p3"]  # p2 was removed in favour of p1: not published

    second = _items([("n1", "crawl", B), ("n2", "crawl", "a text never seen before at all")], spec)
    p1 = first[0].as_previous()
    with TestPipeline(runner="FnApiRunner") as p:
        earlier = p | ReadSignatures([str(f) for f in folder.glob("*.parquet")], spec)
        found = (
            p
            | "Items" >> beam.Create(second)
            | FindDuplicates(spec.settings, str(tmp_path / "w2"), previous=earlier)
        )
        keeper_of = found | beam.Map(lambda kv: (kv[0], kv[1].keeper_id, kv[1].keeper_previous))
        assert_that(keeper_of, equal_to([("n1", p1.record_id, True)]))


def test_real_poems_golden(tmp_path: Path) -> None:
    """Two editions of 唐詩三百首 against 全唐诗: variant characters fold, exact copies under
    other authors are found, editions with other readings in two of twenty characters
    (相思, 靜夜思: estimated Jaccard ~0.5) stay apart."""
    poems = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    spec = DedupSpec(_settings(keeper_sources=["quantangshi"]))
    rows = [
        (p["id"], "mengxue" if p["id"].startswith("mx") else "quantangshi", p["text"])
        for p in poems
    ]
    items = _items(rows, spec, language="zh")
    expected = {
        # record: (keeper, reason)
        "mx-000": ("qts-16189", NEAR_DUPLICATE),  # 行宮: 閒 vs 閑, folded the same
        "qts-21442": ("qts-16189", EXACT_DUPLICATE),  # 行宮 under 元稹 and under 王建
        "qts-16189": ("qts-16189", None),
        "mx-001": ("qts-10034", EXACT_DUPLICATE),  # 登鸛雀樓, also under 朱斌
        "qts-13386": ("qts-10034", EXACT_DUPLICATE),
        "qts-10034": ("qts-10034", None),
        "mx-019": ("qts-18679", NEAR_DUPLICATE),  # 江雪: 徑 vs 逕
        "qts-18679": ("qts-18679", None),
        "mx-067": ("qts-12743", NEAR_DUPLICATE),  # 楓橋夜泊: 漁火 vs 漁父
        "qts-12743": ("qts-12743", None),
        "mx-276": ("qts-00951", NEAR_DUPLICATE),  # 涼州詞 / 出塞: 黃河遠上 vs 黃砂直上
        "mx-008": ("qts-22939", NEAR_DUPLICATE),  # 問劉十九: 綠蟻 vs 綠螘, 爐 vs 壚
        "qts-22939": ("qts-22939", None),
        "qts-00951": ("qts-00951", None),
        "qts-00607": ("qts-00375", EXACT_DUPLICATE),  # 壽和, three attributions
        "qts-02451": ("qts-00375", EXACT_DUPLICATE),
        "qts-00375": ("qts-00375", None),
    }
    with TestPipeline(runner="FnApiRunner") as p:
        found = p | beam.Create(items) | FindDuplicates(spec.settings, str(tmp_path))
        outcome = found | beam.Map(lambda kv: (kv[0], (kv[1].keeper_id, kv[1].reason)))
        assert_that(outcome, equal_to(list(expected.items())))


def test_a_graph_longer_than_the_rounds_fails_the_run(tmp_path: Path) -> None:
    words = [f"v{i}" for i in range(200)]
    rows = [(f"r{i:02d}", "s", " ".join(words[3 * i : 3 * i + 60])) for i in range(40)]
    settings = _settings(max_rounds=1)
    items = _items(rows, DedupSpec(settings))
    pipeline = TestPipeline(runner="FnApiRunner")
    _ = pipeline | beam.Create(items) | FindDuplicates(settings, str(tmp_path))
    with pytest.raises(Exception, match="did not settle in 1 rounds"):
        pipeline.run().wait_until_finish()

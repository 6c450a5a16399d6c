"""Manifest accounting: counts come from the data and must add up."""

from __future__ import annotations

import pytest

from corpusgate.transforms.output.filelist import FileWritten
from corpusgate.transforms.output.manifest import balance_problems, build_manifest, format_table


def manifest(read: list, outcomes: list, files: list):  # type: ignore[no-untyped-def]
    return build_manifest(
        run_id="r",
        config_sha256="c",
        runner="FnApiRunner",
        started_at="t0",
        finished_at="t1",
        registry_entries={"a": {"sha256": "1"}, "b": {"sha256": "2"}, "empty": {"sha256": "3"}},
        read_counts=read,
        outcomes=outcomes,
        written=files,
        files_table={"table": "files.parquet", "sha256": "f", "bytes": 1, "count": len(files)},
    )


GOOD_FILES = [
    FileWritten("shards", "shards/part-2.parquet", 5, 10, "s2"),
    FileWritten("shards", "shards/part-1.parquet", 2, 10, "s1"),
    FileWritten("quarantine", "quarantine/part-1.parquet", 3, 10, "q1"),
    FileWritten("index", "index/aa.parquet", 10, 10, "i1"),
]


def test_a_balanced_run() -> None:
    m = manifest(
        read=[("a", 4), ("a", 2), ("b", 4)],
        outcomes=[
            (("a", "written", ""), 5),
            (("a", "quarantined", "invalid_json"), 1),
            (("b", "written", ""), 2),
            (("b", "quarantined", "empty_text"), 2),
        ],
        files=GOOD_FILES,
    )
    assert m["balanced"] and balance_problems(m) == []
    assert m["sources"]["a"] == {
        "read": 6,
        "written": 5,
        "quarantined": 1,
        "withdrawn": 0,
        "quarantined_by_reason": {"invalid_json": 1},
        "balanced": True,
        "registry_entry": {"sha256": "1"},
    }
    # A registered source with no input still shows, with zeros.
    assert m["sources"]["empty"]["read"] == 0 and m["sources"]["empty"]["balanced"]
    assert m["totals"]["quarantined_by_reason"] == {"empty_text": 2, "invalid_json": 1}
    assert m["files"]["by_kind"]["shards"] == {"files": 2, "rows": 7, "bytes": 20}
    table = format_table(m)
    assert "balanced: read = written + quarantined" in table
    assert "invalid_json 1" in table


@pytest.mark.parametrize(
    ("read", "outcomes", "files", "expected"),
    [
        ([("a", 3)], [(("a", "written", ""), 2)], [], "a: read 3 != written 2 + quarantined 0"),
        (
            [("a", 7)],
            [(("a", "written", ""), 7)],
            [FileWritten("shards", "s", 6, 1, "x")],
            "shards hold 6 rows but 7 were written",
        ),
        (
            [("a", 1)],
            [(("a", "quarantined", "x"), 1)],
            [FileWritten("quarantine", "q", 1, 1, "x")],
            "the audit index holds 0 rows, expected 1",
        ),
    ],
)
def test_imbalances_are_named(read, outcomes, files, expected) -> None:  # type: ignore[no-untyped-def]
    m = manifest(read, outcomes, files)
    assert not m["balanced"]
    assert expected in balance_problems(m)


def test_an_unknown_status_is_a_bug_not_a_count() -> None:
    with pytest.raises(ValueError, match="unknown outcome status"):
        manifest([("a", 1)], [(("a", "lost", ""), 1)], [])


def test_withdrawn_records_balance_and_show_in_the_table() -> None:
    m = manifest(
        read=[("a", 6)],
        outcomes=[(("a", "written", ""), 5), (("a", "quarantined", "invalid_json"), 1)],
        files=[
            FileWritten("shards", "shards/part-1.parquet", 5, 10, "s1"),
            FileWritten("quarantine", "quarantine/part-1.parquet", 1, 10, "q1"),
            FileWritten("index", "index/aa.parquet", 6, 10, "i1"),
        ],
    )
    assert "withdrawn" not in format_table(m)  # a fresh run's table is unchanged
    # What `forget` does to a manifest: 2 written records move to the withdrawn account.
    m["sources"]["a"]["written"] -= 2
    m["sources"]["a"]["withdrawn"] = 2
    m["totals"]["written"] -= 2
    m["totals"]["withdrawn"] = 2
    m["files"]["by_kind"]["shards"]["rows"] = 3
    assert balance_problems(m) == []
    table = format_table({**m, "balanced": True})
    assert "withdrawn" in table.splitlines()[0]
    assert "balanced: read = written + quarantined + withdrawn" in table
    m["sources"]["a"]["withdrawn"] = 1
    assert any("withdrawn 1" in p for p in balance_problems(m))

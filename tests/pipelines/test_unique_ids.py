"""One record, one id (issue 9): a native id repeated in a source publishes one row, the copy
read first; the later copies are quarantined `duplicate_record_id` and the manifest balances.
Every input is written by the test: JSONL, CSV and Parquet files of one source."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.dedup.runs import from_ids
from corpusgate.transforms.output.unique_ids import ENTRY_SCHEMA, later_copies
from corpusgate.transforms.spine.identity import record_id

ENTRY = """\
source_id: {sid}
kind: open_source
languages: [en]
origin: foreign
location: {{paths: [{paths}]}}
fields: {{text: body{id}}}
licence: MIT
"""


WORDS = [
    "river",
    "valley",
    "farm",
    "barley",
    "beans",
    "clover",
    "season",
    "soil",
    "harbour",
    "lantern",
    "orchard",
    "meadow",
    "granite",
    "ferry",
    "mill",
    "weaver",
    "market",
    "bridge",
    "chapel",
    "winter",
    "copper",
    "timber",
    "quarry",
    "salt",
    "tide",
    "beacon",
    "pasture",
    "cider",
    "loom",
    "kiln",
    "thatch",
    "barrow",
    "furrow",
    "hedge",
    "spring",
    "well",
    "cart",
]


def sentence(topic: str, n: int) -> str:
    """A plain sentence of its own: no two (topic, n) are near copies of each other."""
    pick = random.Random(f"{topic}-{n}").sample(WORDS, 14)
    return f"Notes on {topic} {n}: " + " ".join(pick) + "."


def _entries(rows: list[tuple[bytes, str]]) -> pa.Table:
    """ENTRY_SCHEMA rows of (16-byte id, origin), all headed for the shards."""
    node = np.frombuffer(b"".join(i for i, _ in rows), dtype="S16")
    return pa.Table.from_arrays(
        [
            from_ids(node),
            pa.array([o for _, o in rows], pa.string()),
            pa.array(["p"] * len(rows), pa.string()),
            pa.array(range(len(rows)), pa.int64()),
            pa.array([True] * len(rows), pa.bool_()),
        ],
        schema=ENTRY_SCHEMA,
    )


def test_later_copies_names_every_copy_after_the_first_read() -> None:
    a, b, c = (bytes([k]) * 16 for k in (1, 2, 3))
    table = _entries(
        [(a, "f2\x00001"), (b, "f1\x00009"), (a, "f1\x00005"), (a, "f1\x00007"), (c, "")]
    )
    later, first = later_copies(table)
    # id a: first read at f1 position 5 (row 2); rows 3 (f1:7) and 0 (f2:1) are later copies.
    assert sorted(zip(later.tolist(), first.tolist(), strict=True)) == [(0, 2), (3, 2)]
    assert later_copies(_entries([(a, "x"), (b, "x")]))[0].size == 0


def test_later_copies_agrees_with_a_plain_reading_of_the_rule() -> None:
    rng = random.Random(7)
    rows = [
        (bytes([rng.randrange(40)]) * 16, f"f{rng.randrange(5)}\x00{rng.randrange(10**6):020d}")
        for _ in range(500)
    ]
    later, first = later_copies(_entries(rows))
    expected = {}
    for i, (node, _) in enumerate(rows):
        keeper = min((o, j) for j, (n, o) in enumerate(rows) if n == node)[1]
        if i != keeper:
            expected[i] = keeper
    assert dict(zip(later.tolist(), first.tolist(), strict=True)) == expected


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    # File a.jsonl is read before b.csv and c.parquet (paths in order). Id 1 appears as the
    # number 1, then as the string "1" (the same native id), in a later file as "1" again.
    jsonl = [
        {"id": 1, "body": sentence("first", 1)},
        {"id": 2, "body": sentence("first", 2)},
        {"id": "1", "body": sentence("second", 1)},
        {"id": 3, "body": ""},  # quarantined for a cause: its later copy is still a copy
        {"id": 4, "body": sentence("first", 4)},
        {"id": 4, "body": sentence("first", 4)},  # the same record twice, word for word
    ]
    (data / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in jsonl))
    (data / "b.csv").write_text(
        "id,body\n"
        f'1,"{sentence("third", 1)}"\n'
        f'3,"{sentence("first", 3)}"\n'
        f'5,"{sentence("first", 5)}"\n'
        f'5,"{sentence("second", 5)}"\n'
    )
    pq.write_table(
        pa.table({"id": ["6", "2", "6"], "body": [sentence(t, 6) for t in ("p", "q", "r")]}),
        data / "c.parquet",
    )
    # A source without native ids: its ids come from where each record was read.
    (data / "plain.jsonl").write_text(
        "".join(json.dumps({"body": sentence("plain", n)}) + "\n" for n in (1, 1, 2))
        + json.dumps({"body": sentence("first", 4)})  # the text of id 4, kept over it by dedup
        + "\n"
    )
    reg = tmp_path / "reg"
    reg.mkdir()
    paths = ", ".join(f"../data/{name}" for name in ("a.jsonl", "b.csv", "c.parquet"))
    (reg / "ids.yaml").write_text(ENTRY.format(sid="ids", paths=paths, id=", id: id"))
    (reg / "plain.yaml").write_text(ENTRY.format(sid="plain", paths="../data/plain.jsonl", id=""))
    config = tmp_path / "run.yaml"
    config.write_text(
        f"registry: reg\nstore: sqlite:///{tmp_path}/s.sqlite\noutput: {tmp_path}/out\n"
        "dedup: {enabled: false, keeper_sources: [plain]}\n"
    )
    return config


def _run(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code = main(["run", "--config", str(config), "--json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _rows(output: Path, kind: str) -> list[dict]:
    run_dir = output / json.loads((output / "manifest.json").read_text())["run_dir"]
    return [
        row
        for f in sorted((run_dir / kind).glob("*.parquet"))
        for row in pq.read_table(f).to_pylist()
    ]


@pytest.mark.slow(5)
@pytest.mark.parametrize("dedup", [False, True])
def test_a_repeated_native_id_publishes_the_copy_read_first(
    corpus: Path, capsys: pytest.CaptureFixture[str], dedup: bool
) -> None:
    if dedup:
        corpus.write_text(corpus.read_text().replace("enabled: false", "enabled: true"))
    _run(corpus, capsys)
    output = corpus.parent / "out"
    manifest = json.loads((output / "manifest.json").read_text())
    shards = [r for r in _rows(output, "shards") if r["source_id"] == "ids"]
    held = [r for r in _rows(output, "quarantine") if r["source_id"] == "ids"]

    # One row per id in the shards, and it is the copy read first.
    ids = [r["record_id"] for r in shards]
    assert len(ids) == len(set(ids))
    first = {record_id("ids", f"id={n}"): n for n in range(1, 7)}
    published = {first[r["record_id"]]: r["text"] for r in shards}
    expected = {
        1: sentence("first", 1),
        2: sentence("first", 2),
        4: sentence("first", 4),
        5: sentence("first", 5),
        6: sentence("p", 6),
    }
    if dedup:  # id 4's text is the plain source's, kept first: the record of id 4 goes
        del expected[4]
    assert published == expected
    repeated = [r for r in held if r["reason"] == "duplicate_record_id"]
    # id 1 twice more, 2 once (in c.parquet), 3 once (its first copy had no text), 4, 5, 6.
    assert Counter(first[r["record_id"]] for r in repeated) == Counter(
        {1: 2, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1}
    )
    assert all(r["check"] == "normalize" for r in repeated)
    by_text = {r["text"]: r for r in repeated}
    assert "a.jsonl position 1" in by_text[sentence("third", 1)]["detail"]
    assert "quarantined for a cause" in by_text[sentence("first", 3)]["detail"]

    # The manifest balances, and says where the rows went.
    counts = manifest["sources"]["ids"]
    assert counts["read"] == 13 == counts["written"] + counts["quarantined"]
    assert counts["written"] == len(expected)
    assert counts["quarantined_by_reason"]["duplicate_record_id"] == 7
    assert counts["quarantined_by_reason"]["empty_text"] == 1
    # Dedup decided for the record of id 4 by its first copy: that copy is the exact
    # duplicate, the later one (the same text) a repeated id, whatever order they meet in.
    assert counts["quarantined_by_reason"].get("exact_duplicate", 0) == (1 if dedup else 0)
    plain = manifest["sources"]["plain"]
    assert (plain["read"], plain["written"]) == (4, 4 if not dedup else 3)

    # An auditor asking for id 1 is told where the record is and where its copies went.
    code = main(["audit", record_id("ids", "id=1"), "--output", str(output), "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    statuses = sorted(where["status"] for where in answer["locations"])
    assert statuses == ["quarantined", "quarantined", "written"]

"""Writing a run's files: pieces, the shard plan, final shards with their index rows, index
buckets by shuffle, and where a row is after `forget` removed rows before it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusgate.schemas.records import (
    QUARANTINE_SCHEMA,
    SHARD_SCHEMA,
    new_lineage,
    shard_metadata,
)
from corpusgate.transforms.output import pieces as pieces_module
from corpusgate.transforms.output.buckets import merge_bucket, write_bucketed_run
from corpusgate.transforms.output.filelist import FileWritten, lookup, write_file_list
from corpusgate.transforms.output.finalize import RowNote, ShardResult, plan_shards, write_shard
from corpusgate.transforms.output.layout import ShardSettings
from corpusgate.transforms.output.pieces import Piece, PieceWriter
from corpusgate.transforms.spine.identity import record_id


def rows(n: int, source: str = "src") -> list[dict]:
    return [
        {
            "record_id": record_id(source, str(i)),
            "source_id": source,
            "text": f"text {i}",
            "lineage": new_lineage(
                registry_entry_sha256="e",
                run_id="run-1",
                config_sha256="c",
                origin={"uri": "f", "kind": "line", "position": i + 1},
            ),
        }
        for i in range(n)
    ]


def write_pieces(run_dir: Path, data: list[dict], **sizes: int) -> tuple[list[Piece], PieceWriter]:
    writer = PieceWriter(str(run_dir), "shards", SHARD_SCHEMA, "written", **sizes)
    out = [p for row in data for p in writer.add(row)] + list(writer.close())
    return out, writer


def record_row_group_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The row groups Parquet files are asked for from now on, in order."""
    read: list[int] = []
    original = pq.ParquetFile.read_row_group

    def recording(self: pq.ParquetFile, i: int, *args: object, **kwargs: object) -> pa.Table:
        read.append(i)
        return original(self, i, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", recording)
    return read


def test_pieces_roll_by_rows_and_count_what_they_hold(tmp_path: Path) -> None:
    pieces, writer = write_pieces(
        tmp_path, rows(25), roll_rows=10, roll_bytes=1 << 30, group_rows=4
    )
    assert [p.rows for p in pieces] == [12, 12, 1]  # rolled at the first row group past 10
    assert all(p.path.startswith("_tmp/pieces/shards/") for p in pieces)
    assert sum(pq.ParquetFile(tmp_path / p.path).metadata.num_rows for p in pieces) == 25
    assert writer.outcomes == {("src", "written", ""): 25}
    # A second attempt at the same bundle writes under other names: never over a piece.
    again, _ = write_pieces(tmp_path, rows(25), roll_rows=10, roll_bytes=1 << 30, group_rows=4)
    assert not {p.path for p in pieces} & {p.path for p in again}


def test_pieces_roll_by_bytes(tmp_path: Path) -> None:
    pieces, _ = write_pieces(tmp_path, rows(40), roll_rows=1_000, roll_bytes=1, group_rows=10)
    assert [p.rows for p in pieces] == [10, 10, 10, 10]


def test_row_groups_close_by_the_bytes_a_writer_holds(tmp_path: Path) -> None:
    # Ten 1 MiB texts: with a 3 MiB budget no row group holds more than three of them, so a
    # writer never holds group_rows large records at once.
    data = rows(10)
    for row in data:
        row["text"] = "x" * (1 << 20)
    pieces, _ = write_pieces(
        tmp_path, data, roll_rows=1_000, roll_bytes=1 << 40, group_rows=1_000, group_bytes=3 << 20
    )
    (piece,) = pieces
    meta = pq.ParquetFile(tmp_path / piece.path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [3, 3, 3, 1]


def test_rows_wait_as_small_batches_and_are_signed_with_their_piece_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows become Arrow batches of a few rows while a row group gathers; each batch is signed
    as it is made, and every row's ref is its piece and row, whatever the batch cut."""
    monkeypatch.setattr(pieces_module, "_BATCH_ROWS", 3)
    signed: list[int] = []

    def sign(batch: list[dict], refs: list[tuple[str, int]]) -> list:
        signed.append(len(batch))
        return [(ref, row["text"]) for row, ref in zip(batch, refs, strict=True)]

    writer = PieceWriter(
        str(tmp_path), "shards", SHARD_SCHEMA, "written",
        roll_rows=12, roll_bytes=1 << 30, group_rows=8, sign=sign,
    )  # fmt: skip
    out = [p for row in rows(30) for p in writer.add(row)] + list(writer.close())
    assert max(signed) == 3 and sum(signed) == 30  # signed three rows at a time, never more
    for (path, row), text in writer.signed:
        assert pq.read_table(tmp_path / path)["text"][row].as_py() == text
    assert [p.rows for p in out] == [16, 14]
    meta = pq.ParquetFile(tmp_path / out[0].path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [8, 8]


def test_a_shard_reads_only_the_row_groups_of_its_slice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = rows(12)
    pieces, _ = write_pieces(tmp_path, data, roll_rows=1_000, roll_bytes=1 << 40, group_rows=4)
    plans = plan_shards(pieces, ShardSettings(num_shards=3))
    schema = SHARD_SCHEMA.with_metadata(shard_metadata("run-1", "c"))
    read = record_row_group_reads(monkeypatch)
    (written,) = write_shard(
        str(tmp_path), plans[1], schema, "written", group_rows=4, digits=1
    ).files
    assert read == [1]  # rows 4..7 of the piece: its second row group only
    got = pq.read_table(tmp_path / written.path).column("record_id").to_pylist()
    assert got == [r["record_id"] for r in data[4:8]]


def _noted_shard(tmp_path: Path, data: list[dict], notes: dict[int, RowNote]) -> ShardResult:
    """One shard over one piece of `data` (row groups of 4), with `notes` (piece row -> note)."""
    pieces, _ = write_pieces(tmp_path, data, roll_rows=1_000, roll_bytes=1 << 40, group_rows=4)
    (plan,) = plan_shards(pieces, ShardSettings())
    (piece,) = pieces
    meta = shard_metadata("run-1", "c")
    return write_shard(
        str(tmp_path),
        plan,
        SHARD_SCHEMA.with_metadata(meta),
        "written",
        group_rows=4,
        digits=1,
        notes={(piece.path, row): note for row, note in notes.items()},
        moved_schema=QUARANTINE_SCHEMA.with_metadata(meta),
    )


def test_a_shards_index_rows_are_written_out_as_it_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Index rows leave in runs of `_INDEX_SPILL` (a full shard's held to the end were ~300 MB),
    and the merged index still names every row's file and position, moved rows included."""
    from corpusgate.transforms.output import finalize

    monkeypatch.setattr(finalize, "_INDEX_SPILL", 3)
    data = rows(20)
    keeper = data[0]["record_id"]
    result = _noted_shard(
        tmp_path,
        data,
        {
            i: RowNote("dedup", keeper, "exact_duplicate", f"keeper {keeper}")
            for i in range(1, 20, 3)
        },
    )
    # Rows come a batch (a piece row group of 4, kept and moved) at a time: a run per batch.
    assert len({ref.run for _, ref in result.refs}) == 5
    by_bucket: dict[str, list] = {}
    for bucket, ref in result.refs:
        by_bucket.setdefault(bucket, []).append(ref)
    index = [
        row
        for bucket, refs in sorted(by_bucket.items())
        for row in pq.read_table(
            tmp_path / merge_bucket(str(tmp_path), "index", bucket, refs).path
        ).to_pylist()
    ]
    where = {r["record_id"]: (r["file"], r["row"], r["status"]) for r in index}
    assert len(where) == 20
    for written in result.files:
        status = "written" if written.kind == "shards" else "quarantined"
        ids = pq.read_table(tmp_path / written.path).column("record_id").to_pylist()
        assert [where[i] for i in ids] == [(written.path, n, status) for n in range(len(ids))]


def test_rows_that_stay_fill_whole_row_groups_when_most_move_out(tmp_path: Path) -> None:
    """Dedup moves 3 of every 4 rows out of each batch (a piece row group of 4): the one left
    of each batch waits for the next, so the shard's row groups hold `group_rows` rows, not one
    row each (a shard of 878 rows in 244 row groups at 2,000,000 records); so do the moved rows'."""
    data = rows(40)
    keeper = data[0]["record_id"]
    notes = {
        i: RowNote("dedup", keeper, "exact_duplicate", f"keeper {keeper}")
        for i in range(40)
        if i % 4
    }
    shard, moved = _noted_shard(tmp_path, data, notes).files
    groups = {}
    for written in (shard, moved):
        meta = pq.ParquetFile(tmp_path / written.path).metadata
        groups[written.kind] = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert groups == {"shards": [4, 4, 2], "quarantine": [4] * 7 + [2]}
    kept = pq.read_table(tmp_path / shard.path).column("record_id").to_pylist()
    assert kept == [data[i]["record_id"] for i in range(0, 40, 4)]


def test_notes_move_rows_out_of_a_shard_and_mark_the_rows_that_stay(tmp_path: Path) -> None:
    data = rows(6)
    keeper = data[0]["record_id"]
    notes = {
        0: RowNote("dedup", keeper, None, "kept; absorbed 2"),
        2: RowNote("dedup", keeper, "exact_duplicate", f"keeper {keeper}"),
        5: RowNote("dedup", keeper, "near_duplicate", f"keeper {keeper}"),
    }
    result = _noted_shard(tmp_path, data, notes)
    assert len({ref.run for _, ref in result.refs}) == 1  # a small shard's index: one run
    shard, moved = result.files
    assert (shard.kind, shard.rows, moved.kind, moved.rows) == ("shards", 4, "quarantine", 2)
    assert moved.path == "quarantine/dedup-part-00000.parquet"
    kept = pq.read_table(tmp_path / shard.path).to_pylist()
    assert [r["record_id"] for r in kept] == [data[i]["record_id"] for i in (0, 1, 3, 4)]
    assert kept[0]["lineage"]["dedup_cluster"] == keeper
    assert kept[0]["lineage"]["decisions"][-1] == {
        "check": "dedup",
        "outcome": "pass",
        "detail": "kept; absorbed 2",
    }
    assert kept[1]["lineage"]["dedup_cluster"] is None
    out = pq.read_table(tmp_path / moved.path).to_pylist()
    assert [(r["record_id"], r["reason"]) for r in out] == [
        (data[2]["record_id"], "exact_duplicate"),
        (data[5]["record_id"], "near_duplicate"),
    ]
    assert out[0]["lineage"]["decisions"][-1]["outcome"] == "fail"
    assert result.outcomes == {
        ("src", "written", ""): -2,
        ("src", "quarantined", "exact_duplicate"): 1,
        ("src", "quarantined", "near_duplicate"): 1,
    }
    assert result.usage == {("src", "und"): -2}
    # The index runs point at both files: 4 written rows, 2 quarantined.
    statuses = []
    for bucket in sorted({b for b, _ in result.refs}):
        merged = merge_bucket(
            str(tmp_path), "index", bucket, [r for b, r in result.refs if b == bucket]
        )
        statuses += pq.read_table(tmp_path / merged.path).column("status").to_pylist()
    assert sorted(statuses) == ["quarantined"] * 2 + ["written"] * 4


def _notes_row_by_row(
    batch: pa.RecordBatch, first: int, notes: dict[int, RowNote]
) -> tuple[list[dict], list[dict]]:
    """What notes mean, one Python row at a time: the rows that stay, the rows that move."""
    staying, moved = [], []
    for i, row in enumerate(batch.to_pylist()):
        note = notes.get(first + i)
        if note is None:
            staying.append(row)
            continue
        row["lineage"]["dedup_cluster"] = note.cluster
        detail = f"{note.reason}: {note.detail}" if note.reason else note.detail
        outcome = "fail" if note.reason else "pass"
        row["lineage"]["decisions"].append(
            {"check": note.check, "outcome": outcome, "detail": detail}
        )
        if note.reason is None:
            staying.append(row)
        else:
            moved.append(
                {
                    "record_id": row["record_id"],
                    "source_id": row["source_id"],
                    "text": row["text"],
                    "raw": None,
                    "check": note.check,
                    "reason": note.reason,
                    "detail": note.detail,
                    "lineage": row["lineage"],
                }
            )
    return staying, moved


@pytest.mark.parametrize("seed", range(6))
def test_notes_are_applied_column_by_column_as_they_read_row_by_row(seed: int) -> None:
    """A batch sliced out of a larger one (offsets), rows with decisions already, notes on
    none, some or all rows, clusters and reasons or none: the same rows as row by row."""
    import random

    from corpusgate.transforms.output.finalize import _apply_notes

    rng = random.Random(seed)
    data = rows(300)
    for i, row in enumerate(data):
        row["lineage"]["decisions"] = [
            {"check": "harm", "outcome": "pass", "detail": f"d{i}.{k}"} for k in range(i % 3)
        ]
        row["lineage"]["dedup_cluster"] = "old" if i % 7 == 0 else None
    whole = pa.RecordBatch.from_pylist(data, schema=SHARD_SCHEMA)
    start = rng.randrange(0, 50)
    batch = whole.slice(start, rng.randrange(1, 250))
    first = rng.randrange(0, 1000)
    share = (0.0, 0.1, 0.5, 1.0)[seed % 4]
    notes = {
        first + i: RowNote(
            rng.choice(["dedup", "normalize"]),
            rng.choice([None, "c1", "簇"]),
            rng.choice([None, "exact_duplicate", "near_duplicate"]),
            f"note {i}",
        )
        for i in range(batch.num_rows)
        if rng.random() < share
    }
    staying, moved = _apply_notes(batch, first, "p", notes, SHARD_SCHEMA, QUARANTINE_SCHEMA)
    want_staying, want_moved = _notes_row_by_row(batch, first, notes)
    assert staying.to_pylist() == want_staying
    assert (moved.to_pylist() if moved is not None else []) == want_moved
    assert staying.schema == SHARD_SCHEMA
    assert moved is None or moved.schema == QUARANTINE_SCHEMA


@pytest.mark.parametrize(
    ("settings", "rows_per_shard"),
    [
        (ShardSettings(num_shards=3), [3, 3, 4]),
        (ShardSettings(num_shards=20), [1] * 10),  # never an empty file
        (ShardSettings(max_rows=4), [3, 3, 4]),
        (ShardSettings(target_mb=1e-6), [1] * 10),
        (ShardSettings(), [10]),
    ],
)
def test_the_plan_cuts_equal_contiguous_ranges(
    settings: ShardSettings, rows_per_shard: list[int]
) -> None:
    pieces = [Piece("shards", f"_tmp/p{i}", n, 100) for i, n in enumerate([3, 0, 5, 2])]
    plans = plan_shards(pieces, settings)
    assert [p.rows for p in plans] == rows_per_shard
    assert [p.path for p in plans] == [f"shards/part-{i:05d}.parquet" for i in range(len(plans))]
    # Concatenated, the slices cover every row of every piece once, in path order.
    covered = [(s.piece, r) for p in plans for s in p.slices for r in range(s.start, s.stop)]
    expected = [(p.path, r) for p in sorted(pieces, key=lambda p: p.path) for r in range(p.rows)]
    assert covered == expected


def test_a_shard_is_written_from_slices_with_its_index_rows(tmp_path: Path) -> None:
    data = rows(30)
    pieces, _ = write_pieces(tmp_path, data, roll_rows=7, roll_bytes=1 << 30, group_rows=7)
    plans = plan_shards(pieces, ShardSettings(num_shards=2))
    schema = SHARD_SCHEMA.with_metadata(shard_metadata("run-1", "c"))
    refs = []
    seen = []
    for plan in plans:
        result = write_shard(str(tmp_path), plan, schema, "written", group_rows=4, digits=1)
        (written,), plan_refs = result.files, result.refs
        refs += plan_refs
        table = pq.read_table(tmp_path / written.path)
        assert table.num_rows == written.rows == plan.rows
        assert table.schema.metadata[b"corpusgate.run_id"] == b"run-1"
        seen += table.column("record_id").to_pylist()
    assert sorted(seen) == sorted(r["record_id"] for r in data)
    index = {}
    for bucket in sorted({b for b, _ in refs}):
        merged = merge_bucket(str(tmp_path), "index", bucket, [r for b, r in refs if b == bucket])
        table = pq.read_table(tmp_path / merged.path)
        ids = table.column("record_id").to_pylist()
        assert ids == sorted(ids) and all(i.startswith(bucket) for i in ids)
        index.update({row["record_id"]: row for row in table.to_pylist()})
    assert set(index) == set(seen)
    for rid, row in index.items():
        located = pq.read_table(tmp_path / row["file"]).to_pylist()[row["row"]]
        assert located["record_id"] == rid and row["status"] == "written"


def test_bucketed_runs_hold_one_batch_per_bucket(tmp_path: Path) -> None:
    table = pa.table({"key": ["b2", "a1", "b1", "c9"], "value": ["x", "y", "z", "w"]})
    refs = write_bucketed_run(str(tmp_path), table, "key", 1)
    assert [(b, r.batch) for b, r in refs] == [("a", 0), ("b", 1), ("c", 2)]
    merged = merge_bucket(str(tmp_path), "index/k", "b", [r for b, r in refs if b == "b"])
    assert merged.path == "index/k/b.parquet"
    assert pq.read_table(tmp_path / merged.path).column("key").to_pylist() == ["b1", "b2"]


def test_a_file_that_lost_rows_relocates_the_others(tmp_path: Path) -> None:
    new = FileWritten(
        "shards", "shards/part-00001.w2.parquet", 6, 1, "s", "shards/part-00001.parquet", (2, 5)
    )
    assert [new.current_row(r) for r in range(8)] == [0, 1, None, 2, 3, None, 4, 5]
    listed = [new, FileWritten("index", "index/a.parquet", 3, 1, "t")]
    write_file_list(str(tmp_path / "files.parquet"), listed)
    assert lookup(str(tmp_path / "files.parquet"), "shards/part-00001.parquet") == new
    assert lookup(str(tmp_path / "files.parquet"), "index/a.parquet") == listed[1]
    assert lookup(str(tmp_path / "files.parquet"), "index/b.parquet") is None


@pytest.mark.parametrize(("fan_in", "merged"), [(32, 0), (2, 2)])
def test_notes_reach_their_shards_through_files_whatever_the_spill_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fan_in: int, merged: int
) -> None:
    """In the pipeline, notes are written to files by the shard they fall in and only the file
    names are shuffled: with one note per file, every note still reaches its shard once, and
    so it does when a piece's files are merged to at most `fan_in` first (4 files -> 2)."""
    import apache_beam as beam

    from corpusgate.transforms.output import finalize
    from corpusgate.transforms.output.finalize import SHARD_FILES, WriteShards

    monkeypatch.setattr(finalize, "_NOTES_SPILL", 1)
    monkeypatch.setattr(finalize, "_NOTES_FAN_IN", fan_in)
    data = rows(10)
    pieces, _ = write_pieces(tmp_path, data, roll_rows=1_000, roll_bytes=1 << 40, group_rows=4)
    (piece,) = pieces
    keeper = data[0]["record_id"]
    notes = [((piece.path, 0), RowNote("dedup", keeper, None, "kept; absorbed 3"))] + [
        ((piece.path, i), RowNote("dedup", keeper, "exact_duplicate", f"keeper {keeper}"))
        for i in (3, 6, 9)  # one in the first shard (rows 0-4), two in the second
    ]
    meta = shard_metadata("run-1", "c")
    schemas = {
        "shards": (SHARD_SCHEMA.with_metadata(meta), "written"),
        "quarantine": (QUARANTINE_SCHEMA.with_metadata(meta), "quarantined"),
    }
    listed = tmp_path / "listed.txt"
    with beam.Pipeline() as p:
        out = (p | "Pieces" >> beam.Create(pieces), p | "Notes" >> beam.Create(notes)) | (
            WriteShards(str(tmp_path), schemas, ShardSettings(num_shards=2), digits=1)
        )
        _ = (
            out[SHARD_FILES]
            | beam.Map(lambda f: f"{f.kind} {f.path} {f.rows}")
            | beam.combiners.ToList()
            | beam.Map(lambda lines: listed.write_text("\n".join(sorted(lines))))
        )
    assert listed.read_text().splitlines() == [
        "quarantine quarantine/dedup-part-00000.parquet 1",
        "quarantine quarantine/dedup-part-00001.parquet 2",
        "shards shards/part-00000.parquet 4",
        "shards shards/part-00001.parquet 3",
    ]
    first = pq.read_table(tmp_path / "shards/part-00000.parquet").to_pylist()
    assert first[0]["lineage"]["dedup_cluster"] == keeper
    # One file per note, and the merged ones.
    assert len(list((tmp_path / "_tmp" / "notes").iterdir())) == 4 + merged


def test_a_pieces_notes_are_taken_by_row_range() -> None:
    from corpusgate.transforms.output.finalize import NoteTable

    notes = {
        ("p1", 7): RowNote("dedup", "k", "exact_duplicate", "keeper k"),
        ("p1", 2): RowNote("dedup", "k", None, "kept; absorbed 1"),
        ("p2", 3): RowNote("dedup", "k", "near_duplicate", "keeper k"),
    }
    table = NoteTable.of_notes(notes)
    p1 = table.piece("p1")
    assert len(p1) == 2 and len(table.piece("p3")) == 0
    assert p1.between(0, 5) == {2: notes[("p1", 2)]}
    assert p1.between(5, 8) == {7: notes[("p1", 7)]}
    assert p1.between(3, 7) == {}  # the upper bound is not in the range


def test_a_pieces_note_files_are_read_a_row_range_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notes spilled in bundle order (rows scattered over several files) come back per range
    exactly as from one table, and the reader holds only the row groups the range touches."""
    import random

    from corpusgate.schemas.reasons import NORMALIZE
    from corpusgate.transforms.output import finalize

    monkeypatch.setattr(finalize, "_NOTES_SPILL", 40)  # files of 40 notes
    monkeypatch.setattr(finalize, "_NOTE_GROUP_ROWS", 8)  # row groups of 8
    rng = random.Random(7)
    rows = rng.sample(range(1000), 150)
    notes = [
        (("p1", row), RowNote("dedup", "k", "exact_duplicate" if row % 3 else None, f"n{row}"))
        for row in rows
    ]
    # A row noted twice (a repeated id and dedup): the note that moves the row applies.
    notes.append((("p1", rows[0]), RowNote(NORMALIZE, None, "duplicate_record_id", "first")))
    spill = finalize._SpillNotesFn(str(tmp_path))
    spill.start_bundle()
    located = [out for note in notes for out in spill.process(note)]
    located += [value.value for value in spill.finish_bundle()]
    assert len(located) == 4 and {piece for piece, _ in located} == {"p1"}
    expected = finalize.NoteTable.of_notes(dict(notes[:-1])).piece("p1")
    expected_first = finalize._by_row(finalize._note_table(notes[-1:]))
    with finalize.NoteFiles({"p1": [loc for _, loc in located]}).piece("p1") as streamed:
        assert len(streamed) == len(notes)
        for lo in range(0, 1000, 50):
            got = streamed.between(lo, lo + 50)
            want = expected.between(lo, lo + 50)
            if lo <= rows[0] < lo + 50:
                want.update(expected_first)
            assert got == want
            held = sum(table.num_rows for loaded in streamed._loaded for table in loaded.values())
            assert held <= 4 * 2 * 8  # per file at most the two groups a range can straddle


def _note_files(tmp_path: Path, spills: list[list[int]], group_rows: int) -> list[str]:
    """One note file per spill (the rows it notes, on piece "p"), as `_SpillNotesFn` writes."""
    from corpusgate.transforms.output import finalize

    found = []
    for k, noted in enumerate(spills):
        notes = [
            (("p", row), RowNote("dedup", f"c{k}", "exact_duplicate", f"s{k}")) for row in noted
        ]
        path = tmp_path / f"notes-{k}.parquet"
        table = finalize._note_table(notes).sort_by("row")
        pq.write_table(table, path, row_group_size=group_rows)
        found.append(str(path))
    return found


def _all_notes(locations: list[str]) -> list[tuple[int, str]]:
    table = pa.concat_tables([pq.read_table(p, columns=["row", "detail"]) for p in locations])
    return sorted(zip(table["row"].to_pylist(), table["detail"].to_pylist(), strict=True))


def test_note_files_merge_into_one_sorted_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interleaved spills (one row noted by two) merge into one file, sorted by row in full
    row groups, every note kept; a range reads one row group of each file at a time."""
    from corpusgate.transforms.output import finalize

    monkeypatch.setattr(finalize, "_NOTE_GROUP_ROWS", 3)
    spills = [list(range(0, 40, 3)), list(range(1, 40, 5)), [2, 7, 39], [7]]
    locations = _note_files(tmp_path, spills, group_rows=3)
    read = record_row_group_reads(monkeypatch)
    merged = finalize.merge_note_files(str(tmp_path), locations)
    monkeypatch.undo()
    rows_in = pq.read_table(merged)["row"].to_pylist()
    assert rows_in == sorted(rows_in)
    assert _all_notes([merged]) == _all_notes(locations)
    meta = pq.ParquetFile(merged).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes[:-1] == [3] * (len(sizes) - 1) and 0 < sizes[-1] <= 3
    # Every row group of every file read once: 5 + 3 + 1 + 1.
    assert len(read) == 10
    # And the shard reading the merged file finds the note each row had (7: two notes).
    with finalize.StreamedNotes([merged]) as notes:
        assert sorted(notes.between(0, 10)) == [0, 1, 2, 3, 6, 7, 9]


@pytest.mark.parametrize("fan_in", [2, 3])
def test_a_piece_reaches_its_shard_in_at_most_fan_in_note_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fan_in: int
) -> None:
    from corpusgate.transforms.output import finalize

    monkeypatch.setattr(finalize, "_NOTES_FAN_IN", fan_in)
    spills = [[i, i + 7, i + 20] for i in range(7)]
    locations = _note_files(tmp_path, spills, group_rows=2)
    out = list(finalize._MergeNotesFn(str(tmp_path)).process(("p", locations)))
    assert {piece for piece, _ in out} == {"p"}
    assert len(out) <= fan_in
    assert _all_notes([location for _, location in out]) == _all_notes(locations)
    few = locations[:fan_in]
    assert [loc for _, loc in finalize._MergeNotesFn(str(tmp_path)).process(("p", few))] == few

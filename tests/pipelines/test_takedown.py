"""`takedown` on the demo: an IP complaint withdraws the work and its near copy, audit names the
complaint, the store keeps it append-only, a re-run and a dry run change nothing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.dedup.published import write_signature_file
from corpusgate.transforms.dedup.settings import DedupSettings, DedupSpec
from corpusgate.transforms.dedup.signatures import dedup_items
from corpusgate.transforms.output.filelist import FileWritten, read_file_list, write_file_list
from corpusgate.transforms.output.manifest import file_summary

if TYPE_CHECKING:
    from conftest import DemoRun


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _publish_files(run_dir: Path, out: Path, manifest: dict[str, Any], listed: list) -> None:
    """A new file list and manifest for the run, and the pointer naming them."""
    size, sha = write_file_list(str(run_dir / manifest["files"]["table"]), listed)
    manifest["files"].update(sha256=sha, bytes=size, count=len(listed))
    manifest["files"]["by_kind"] = file_summary(listed)
    (run_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    pointer = {**manifest, "run_dir": f"runs/{manifest['run_id']}"}
    (out / "manifest.json").write_text(json.dumps(pointer, ensure_ascii=False))


def _near_copy(text: str) -> str:
    """The text with one word in 25 changed: estimated Jaccard about (1 - 3p) / (1 + 3p) = 0.79
    for 3-word shingles, a near copy at the default threshold 0.6 yet clearly not the same."""
    words = text.split()
    assert len(words) > 100, "the demo's longest text is a web page of several hundred words"
    return " ".join("CHANGED" if i % 25 == 12 else w for i, w in enumerate(words))


@dataclass
class Signed:
    output: Path
    store: str
    work: Path  # the complained work: one written record's text
    original: str  # that record's id
    copy: str  # the record planted as its near copy


def sign_run(output: Path, *, listed: bool = True, plant_copy: bool = True) -> Signed:
    """Publish signature files for the run's written records as the dedup step will
    (signatures/part-00000.parquet of kind `signatures`, manifest `dedup.settings`), after
    turning one written record into a near copy of another."""
    out_manifest = json.loads((output / "manifest.json").read_text())
    run_dir = output / out_manifest["run_dir"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    files_table = run_dir / manifest["files"]["table"]
    files = read_file_list(str(files_table))
    shards = sorted(f for f in files if f.kind == "shards")
    rows = [r for f in shards for r in pq.read_table(run_dir / f.path).to_pylist()]
    # The work: the longest text, so that a few changed words keep its copy near.
    work = max(rows, key=lambda r: len(r["text"]))
    other = next(r for r in rows if r["record_id"] != work["record_id"])
    if plant_copy:
        shard = next(
            f
            for f in shards
            if other["record_id"] in pq.read_table(run_dir / f.path)["record_id"].to_pylist()
        )
        table = pq.read_table(run_dir / shard.path)
        texts = table["text"].to_pylist()
        at = table["record_id"].to_pylist().index(other["record_id"])
        texts[at] = _near_copy(work["text"])
        other["text"] = texts[at]
        column = table.schema.get_field_index("text")
        table = table.set_column(column, table.schema.field("text"), pa.array(texts, pa.string()))
        pq.write_table(table, run_dir / shard.path, compression="zstd")
        path = run_dir / shard.path
        files = [f for f in files if f.path != shard.path] + [
            FileWritten(
                shard.kind,
                shard.path,
                shard.rows,
                path.stat().st_size,
                _sha256(path),
                shard.logical,
            )
        ]
    settings = DedupSettings()
    kinds = {s: e["registry_entry"]["kind"] for s, e in manifest["sources"].items()}
    spec = DedupSpec(settings, kinds)
    # The default settings sign every record with MinHash, whatever its source's kind.
    location = run_dir / "signatures" / "part-00000.parquet"
    location.parent.mkdir()
    rows_by_id = {r["record_id"]: r for r in rows}
    write_signature_file(
        str(location), dedup_items(list(rows_by_id.values()), list(rows_by_id), spec), settings
    )
    if listed:
        n = len(rows_by_id)
        files.append(
            FileWritten(
                "signatures",
                "signatures/part-00000.parquet",
                n,
                location.stat().st_size,
                _sha256(location),
            )
        )
    manifest["dedup"] = {"settings": settings.model_dump(mode="json")}
    _publish_files(run_dir, output, manifest, files)
    work_file = output.parent / "work.txt"
    work_file.write_text(work["text"], encoding="utf-8")
    return Signed(output, "", work_file, work["record_id"], other["record_id"])


@pytest.fixture
def signed(demo_run: DemoRun, tmp_path: Path) -> Signed:
    copy = demo_run.copy(tmp_path)
    done = sign_run(copy.output)
    done.store = copy.store
    return done


def every_sha256(*roots: Path) -> dict[str, str]:
    return {str(p): _sha256(p) for root in roots for p in sorted(root.rglob("*")) if p.is_file()}


def written_ids(output: Path) -> set[str]:
    run_dir = output / json.loads((output / "manifest.json").read_text())["run_dir"]
    return {
        r["record_id"]
        for f in sorted((run_dir / "shards").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    }


def takedown(
    capsys: pytest.CaptureFixture[str], s: Signed, *extra: str, complaint: str = "IPC-2025-0042"
) -> tuple[int, Any, str]:
    code, out, err = cli(
        capsys,
        "takedown",
        "--work",
        str(s.work),
        "--complaint",
        complaint,
        "--output",
        str(s.output),
        "--store",
        s.store,
        "--json",
        *extra,
    )
    return code, json.loads(out) if out else None, err


def test_dry_run_lists_the_work_and_its_near_copy_and_changes_nothing(
    signed: Signed, capsys: pytest.CaptureFixture[str]
) -> None:
    database = Path(signed.store.removeprefix("sqlite:///"))
    before = every_sha256(signed.output, database.parent)
    code, doc, err = takedown(capsys, signed, "--dry-run")
    assert code == 0, err
    assert every_sha256(signed.output, database.parent) == before
    found = {m["record_id"]: m for m in doc["matches"]}
    assert set(found) == {signed.original, signed.copy}
    assert found[signed.original]["method"] == "exact"
    assert found[signed.original]["similarity"] == 1.0
    assert found[signed.copy]["method"] == "minhash"
    assert 0.6 <= found[signed.copy]["similarity"] < 1.0
    assert all(
        m["status"] == "written" and m["shard"].startswith("shards/") for m in found.values()
    )
    assert doc["dry_run"] and doc["withdrawn"] == [] and doc["request_id"] is None
    assert doc["recorded"] is False and doc["skipped"] == []
    code, text, _ = cli(
        capsys, "takedown", "--work", str(signed.work), "--complaint", "C-1",
        "--output", str(signed.output), "--dry-run",
    )  # fmt: skip
    assert code == 0 and "dry run: nothing changed" in text and "would withdraw" in text


def test_takedown_withdraws_audit_names_the_complaint_and_a_rerun_is_harmless(
    signed: Signed, capsys: pytest.CaptureFixture[str]
) -> None:
    before = json.loads((signed.output / "manifest.json").read_text())
    code, doc, err = takedown(capsys, signed, "--reason", "Example Press, letter of 2025-03-02")
    assert code == 0, err
    gone = {signed.original, signed.copy}
    assert {w["record_id"] for w in doc["withdrawn"]} == gone
    assert doc["request_id"] == "IPC-2025-0042" and doc["recorded"] is True
    assert not gone & written_ids(signed.output)

    manifest = json.loads((signed.output / "manifest.json").read_text())
    assert manifest["balanced"]
    assert manifest["totals"]["withdrawn"] == 2
    assert manifest["totals"]["written"] == before["totals"]["written"] - 2
    for entry in manifest["sources"].values():
        assert entry["read"] == entry["written"] + entry["quarantined"] + entry.get("withdrawn", 0)
    assert manifest["withdrawals"][-1]["reason"] == "ip_complaint"

    code, text, _ = cli(capsys, "audit", signed.copy, "--output", str(signed.output), "--json")
    answer = json.loads(text)
    assert code == 0 and answer["status"] == "withdrawn"
    withdrawal = answer["withdrawal"]
    assert withdrawal["reason"] == "ip_complaint"
    assert withdrawal["detail"] == "Example Press, letter of 2025-03-02"
    assert withdrawal["complaint"]["complaint_id"] == "IPC-2025-0042"
    assert withdrawal["complaint"]["method"] == "minhash"
    assert withdrawal["complaint"]["work_sha256"] == _sha256(signed.work)
    code, text, _ = cli(capsys, "audit", signed.original, "--output", str(signed.output))
    assert code == 0 and "WITHDRAWN" in text and "ip_complaint" in text
    assert "complaint    IPC-2025-0042: exact match, similarity 1.00" in text

    database = sqlite3.connect(signed.store.removeprefix("sqlite:///"))
    rows = database.execute(
        "SELECT complaint_id, work_sha256, threshold, run_id, matched, withdrawn, detail "
        "FROM ip_complaints"
    ).fetchall()
    assert len(rows) == 1
    complaint_id, work_sha, threshold, run_id, matched, withdrawn, detail = rows[0]
    assert (complaint_id, work_sha, threshold, run_id, matched, withdrawn) == (
        "IPC-2025-0042",
        _sha256(signed.work),
        0.6,
        manifest["run_id"],
        2,
        2,
    )
    assert set(json.loads(detail)["withdrawn"]) == gone
    for statement in ("UPDATE ip_complaints SET threshold = 0.1", "DELETE FROM ip_complaints"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            database.execute(statement)
    database.close()

    # Again: nothing changes in the output or the store.
    snapshot = every_sha256(signed.output)
    code, doc, err = takedown(capsys, signed)
    assert code == 0, err
    assert doc["withdrawn"] == [] and doc["recorded"] is False
    assert sorted(s["record_id"] for s in doc["skipped"]) == sorted(gone)
    assert {s["status"] for s in doc["skipped"]} == {"withdrawn"}
    assert every_sha256(signed.output) == snapshot
    from corpusgate.source_registry.complaints import ComplaintStore

    assert len(ComplaintStore(signed.store).history("IPC-2025-0042")) == 1
    code, text, _ = cli(
        capsys, "takedown", "--work", str(signed.work), "--complaint", "IPC-2025-0042",
        "--output", str(signed.output), "--store", signed.store,
    )  # fmt: skip
    assert code == 0 and "withdrawn earlier" in text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_work_matching_nothing_is_recorded_and_withdraws_nothing(
    backend: str, signed: Signed, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    if backend == "postgresql":  # one server for the session: this test's own complaint id
        signed.store = request.getfixturevalue("postgres_url")
    complaint = f"IPC-NONE-{hashlib.sha256(str(signed.output).encode()).hexdigest()[:12]}"
    signed.work.write_text("一首与语料无关的诗，没有任何记录与它相似。" * 3, encoding="utf-8")
    snapshot = every_sha256(signed.output)
    code, doc, err = takedown(capsys, signed, complaint=complaint)
    assert code == 0, err
    assert doc["matches"] == [] and doc["withdrawn"] == [] and doc["recorded"] is True
    assert every_sha256(signed.output) == snapshot
    from corpusgate.source_registry.complaints import ComplaintStore

    [row] = ComplaintStore(signed.store).history(complaint)
    assert (row["matched"], row["withdrawn"], row["request_id"]) == (0, 0, None)
    assert row["work_sha256"] == _sha256(signed.work)
    # The same complaint id with another work is a mistake, not a new action.
    signed.work.write_text("another work", encoding="utf-8")
    code, _, err = takedown(capsys, signed, complaint=complaint)
    assert code == 2 and "recorded for another work" in err


def test_a_second_action_on_a_complaint_gets_its_own_log_and_store_row(
    signed: Signed, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = takedown(capsys, signed, "--threshold", "0.95")
    assert code == 0, err
    assert [w["record_id"] for w in doc["withdrawn"]] == [signed.original]
    code, doc, err = takedown(capsys, signed, "--threshold", "0.6")
    assert code == 0, err
    assert [w["record_id"] for w in doc["withdrawn"]] == [signed.copy]
    assert doc["request_id"] == "IPC-2025-0042.2"
    assert doc["skipped"] == [{"record_id": signed.original, "status": "withdrawn"}]
    from corpusgate.source_registry.complaints import ComplaintStore

    first, second = ComplaintStore(signed.store).history("IPC-2025-0042")
    assert (first["threshold"], second["threshold"]) == (0.95, 0.6)
    assert second["received_at"] == first["received_at"] <= second["acted_at"]
    manifest = json.loads((signed.output / "manifest.json").read_text())
    assert [w["request_id"] for w in manifest["withdrawals"]] == [
        "IPC-2025-0042",
        "IPC-2025-0042.2",
    ]
    assert manifest["balanced"] and manifest["totals"]["withdrawn"] == 2


def test_a_run_without_signatures_exits_1(
    demo_run: DemoRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work.txt"
    work.write_text("a work", encoding="utf-8")
    code, out, err = cli(
        capsys, "takedown", "--work", str(work), "--complaint", "C-1",
        "--output", str(demo_run.output), "--dry-run",
    )  # fmt: skip
    assert code == 1 and out == ""
    assert "this run was published without dedup signatures; re-run with dedup enabled" in err


def test_signatures_are_found_in_their_folder_when_the_file_list_omits_them(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    from corpusgate.transforms.output.complaints import published_signatures
    from corpusgate.transforms.output.published import open_output

    copy = demo_run.copy(tmp_path)
    sign_run(copy.output, listed=False, plant_copy=False)
    found = published_signatures(open_output(str(copy.output)))
    assert [Path(p).name for p in found.locations] == ["part-00000.parquet"]
    assert found.settings == DedupSettings()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--complaint", "../etc"], "complaint id '../etc' must be"),
        (["--complaint", "C-1", "--threshold", "1.5"], "--threshold must be in (0, 1]"),
        (["--complaint", "C-1", "--work", "/nonexistent/work.txt"], "cannot read the work file"),
        (["--complaint", "C-1", "--work", "EMPTY"], "holds no text"),
        (["--complaint", "C-1", "--work", "BINARY"], "not UTF-8 text"),
        (["--complaint", "C-1"], "no store"),
        (["--complaint", "C-1", "--output", ""], "no output folder"),
    ],
)
def test_bad_usage_exits_2(
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CORPUSGATE_STORE_URL", raising=False)
    work = tmp_path / "work.txt"
    work.write_text("a work", encoding="utf-8")
    (tmp_path / "EMPTY").write_text("  \n", encoding="utf-8")
    (tmp_path / "BINARY").write_bytes(b"\xff\xfe\x00bad")
    argv = ["takedown", "--work", str(work), "--output", str(tmp_path / "out"), *args]
    argv = [str(tmp_path / a) if a in ("EMPTY", "BINARY") else a for a in argv]
    code, out, err = cli(capsys, *argv)
    assert code == 2 and message in err and out == ""


def test_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["takedown", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    for expected in ("4.2.2 c", "examples:", "exit codes:", "--dry-run", "ip_complaints"):
        assert expected in out

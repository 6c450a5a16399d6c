"""`corpusgate evidence` on the demo: every B.2.1 sample, judged, written as files an assessor
opens; the review sheet's round trip; no raw personal data in any file."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.evidence.pack import METHODS
from corpusgate.transforms.harm.gate.spotcheck import read_output_records, sample_output
from corpusgate.transforms.output.published import open_output

if TYPE_CHECKING:
    from conftest import DemoRun

# Identifiers that stand in the demo's raw sources: none may reach an evidence file.
# (A mobile number is 11 digits standing alone: record ids and hashes are hex and hold digit runs.)
RAW_IDENTIFIERS = re.compile(
    r"u-\d{4}|(?<![0-9a-f])1[3-9]\d{9}(?![0-9a-f])|@example\.c|张伟|Alice Example"
)


@pytest.fixture(scope="module")
def pack(demo_run: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo with two pre-collection assessments recorded, then its evidence pack."""
    run = demo_run.copy(tmp_path_factory.mktemp("evidence"))
    store = ["--store", run.store]
    for source in ("forum-spam-2024-06", "forum-hobby-2024-06"):
        assert main(["assess", source, *store, "--json"]) in (0, 1)
    out = tmp_path_factory.mktemp("stdout") / "pack.json"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["evidence", "--output", str(run.output), *store, "--json"])
    out.write_text(buffer.getvalue())
    return {"run": run, "code": code, "json": json.loads(buffer.getvalue()), "store": store}


def test_every_b21_method_is_drawn_at_its_prescribed_size(pack: dict) -> None:
    summary = pack["json"]
    methods = {m["method"]: m for m in summary["methods"]}
    assert list(methods) == [m.key for m in METHODS]
    manifest = pack["run"].manifest()
    written = manifest["totals"]["written"]
    # 4,000 items asked of 192 records: the whole population, said so
    for key in ("manual-content", "random-personal", "random-sensitive"):
        assert methods[key]["sample_size"] == methods[key]["population"] == written
        assert methods[key]["whole_population"] and "sampled whole" in methods[key]["note"]
    assert methods["technical-content"]["sample_size"] == -(-written // 10)  # >= 10%
    verified = manifest["checks"]["gate"]  # one verification per source the gate decided
    assert methods["verification-records"]["population"] == len(verified) == 10
    assert methods["verification-records"]["sample_size"] == 1  # 10% of 10
    assert methods["assessment-records"]["population"] == 2
    self_collected = manifest["sources"]["web-crawl-2024-04"]["written"]
    assert methods["self-collected-records"]["population"] == self_collected
    assert methods["commercial-transactions"]["population"] == 1  # recipes wrote nothing
    # judgments: mechanical ones settled, the rest waiting for a person
    assert methods["self-collected-optout"]["result"] == "compliant"
    assert methods["user-input-records"]["result"] == "compliant"
    assert (
        methods["sensitive-information"]["passed"]
        == methods["sensitive-information"]["sample_size"]
        == 1
    )
    assert methods["commercial-transactions"]["result"] == "pending"
    assert methods["manual-content"]["result"] == "pending"
    assert methods["assessment-records"]["result"] == "compliant"
    assert {c["clause"] for c in summary["clauses"]} == {
        "B.2.1.1.1",
        "B.2.1.1.2",
        "B.2.1.1.3",
        "B.2.1.2.1",
        "B.2.1.2.3",
    }
    assert pack["code"] == 0  # nothing non-compliant once assessments are on record


def test_the_pack_is_written_where_an_assessor_opens_it(pack: dict) -> None:
    published = open_output(str(pack["run"].output))
    folder = Path(published.path("reports/evidence"))
    assert {p.name for p in folder.iterdir()} == {
        "evidence.html",
        "evidence.json",
        "summary.csv",
        "items.csv",
        "review.csv",
    }
    with (folder / "summary.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["method"] for r in rows] == [m.key for m in METHODS]
    page = (folder / "evidence.html").read_text()
    assert "<script" not in page and "robots_snapshot" in page and "B.2.1.2.3 e" in page
    # the run's report now carries the pack's summary and the exact usage
    report = json.loads(Path(published.path("reports/sources.json")).read_text())
    assert report["evidence"]["seed"] == "corpusgate-evidence-v1"
    assert report["diversity"]["basis"] == "records written (shards)"
    assert "Evidence pack (B.2.1)" in Path(published.path("reports/sources.html")).read_text()


def test_no_evidence_file_holds_raw_personal_data(pack: dict) -> None:
    published = open_output(str(pack["run"].output))
    folder = Path(published.path("reports/evidence"))
    for path in folder.iterdir():
        found = RAW_IDENTIFIERS.findall(path.read_text(encoding="utf-8-sig"))
        assert not found, f"{path.name} holds {found[:3]}"
    document = json.loads((folder / "evidence.json").read_text())
    consent = [
        e
        for m in document["methods"]
        if m["method"] == "personal-information"
        for i in m["items"]
        for e in i["evidence"]
        if e["role"] in ("general", "separate")
    ]
    assert consent and all(re.fullmatch(r"[0-9a-f]{64}", e["sha256"]) for e in consent)


def test_manual_sample_is_what_spotcheck_export_writes_with_its_seed(pack: dict) -> None:
    published = open_output(str(pack["run"].output))
    document = json.loads(Path(published.path("reports/evidence/evidence.json")).read_text())
    manual = next(m for m in document["methods"] if m["method"] == "manual-content")
    rows, _ = sample_output(read_output_records(published), 4000, manual["seed"])
    assert [i["item_id"] for i in manual["items"]] == [r["record_id"] for r in rows]


def test_review_sheet_round_trip_settles_pending_items(
    pack: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = open_output(str(pack["run"].output))
    with Path(published.path("reports/evidence/review.csv")).open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["method"] for r in rows} >= {"commercial-transactions"}
    assert all(r["verdict"] == "" and "B.2.1" in r["text"] for r in rows)
    for row in rows:
        row["verdict"] = "qualified"
    sheet = tmp_path / "filled.csv"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = [
        "evidence",
        "--output",
        str(pack["run"].output),
        *pack["store"],
        "--to",
        str(tmp_path / "pack"),
        "--verdicts",
        str(sheet),
        "--json",
    ]
    capsys.readouterr()
    assert main(again) == 0
    methods = {m["method"]: m for m in json.loads(capsys.readouterr().out)["methods"]}
    assert methods["commercial-transactions"]["result"] == "compliant"
    assert methods["open-source-datasets"]["needs_review"] == 0
    assert (tmp_path / "pack" / "evidence.html").is_file()
    # a bad verdict is bad usage, named by line
    rows[0]["verdict"] = "maybe"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(again) == 2
    assert "filled.csv:2: 'maybe' is not a verdict" in capsys.readouterr().err


def test_same_seed_same_pack_other_seed_other_samples(
    pack: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def methods(seed: str) -> dict[str, list[str]]:
        target = tmp_path / seed
        argv = [
            "evidence",
            "--output",
            str(pack["run"].output),
            *pack["store"],
            "--seed",
            seed,
            "--to",
            str(target),
            "--json",
        ]
        capsys.readouterr()
        main(argv)
        document = json.loads((target / "evidence.json").read_text())
        return {m["method"]: [i["item_id"] for i in m["items"]] for m in document["methods"]}

    first, again, other = methods("a"), methods("a"), methods("b")
    assert first == again
    assert first["technical-content"] != other["technical-content"]


def test_without_assessments_b21111a_is_non_compliant_and_exit_1(
    demo_run: DemoRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "evidence",
            "--output",
            str(demo_run.output),
            "--store",
            demo_run.store,
            "--to",
            str(tmp_path),
            "--json",
        ]
    )
    methods = {m["method"]: m for m in json.loads(capsys.readouterr().out)["methods"]}
    assert code == 1
    assert methods["assessment-records"]["result"] == "non_compliant"
    assert "no records to sample" in methods["assessment-records"]["reason"]


def test_no_output_is_a_negative_answer_and_help_teaches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evidence", "--output", str(tmp_path), "--store", f"sqlite:///{tmp_path}/s"]) == 1
    assert "holds no manifest.json" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["evidence", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "exit codes:" in text and "B.2.1.2.3" in text

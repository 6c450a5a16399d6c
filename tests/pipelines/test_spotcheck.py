"""`corpusgate spotcheck`: reproducible export, verdict import with validation, technical check."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pytest

from corpusgate.pipelines.cli import main
from corpusgate.source_registry.store import Store
from corpusgate.transforms.harm.gate.spotcheck import judge, parse_verdict
from corpusgate.transforms.output.filelist import write_file_list, write_table

SPAM = "澳门娱乐城真人娱乐，注册即送88元"


@pytest.fixture
def output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CORPUSGATE_STORE_URL", f"sqlite:///{tmp_path}/s.sqlite")
    out = tmp_path / "out"
    run_dir = out / "runs" / "run-x"
    ids = [f"r{i:03d}" for i in range(200)]
    texts = [SPAM if i < 6 else f"第{i}条普通记录" for i in range(200)]
    written = []
    for part in (0, 1):  # two shards, as a run writes them, listed in the run's file list
        sl = slice(part * 100, part * 100 + 100)
        table = pa.table({"record_id": ids[sl], "source_id": ["src"] * 100, "text": texts[sl]})
        path = f"shards/part-{part:05d}.parquet"
        written.append(write_table(str(run_dir), "shards", path, table, row_group_size=50))
    write_file_list(str(run_dir / "files.parquet"), written)
    manifest = {"run_id": "run-x", "sources": {}, "files": {"table": "files.parquet"}}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    (out / "manifest.json").write_text(json.dumps({**manifest, "run_dir": "runs/run-x"}))
    return out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("qualified", True),
        (" Unqualified ", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("NO", False),
        ("合格", True),
        ("不合格", False),
        ("", None),
        ("maybe", None),
        (1, True),
        (2, None),
        (None, None),
    ],
)
def test_parse_verdict(value: object, expected: bool | None) -> None:
    assert parse_verdict(value) is expected


@pytest.mark.parametrize(
    ("qualified", "n", "target", "judgment", "inconclusive"),
    [
        (3900, 4000, 0.96, "pass", False),  # 97.5%, [97.0%, 97.9%]
        (3845, 4000, 0.96, "pass", True),  # 96.1%: interval contains 96%
        (3800, 4000, 0.96, "fail", False),
        (98, 100, 0.98, "pass", True),
    ],
)
def test_judge(qualified: int, n: int, target: float, judgment: str, inconclusive: bool) -> None:
    result = judge(qualified, n, target)
    assert (result["judgment"], result["inconclusive"]) == (judgment, inconclusive)
    assert result["ci_low"] <= result["qualified_rate"] <= result["ci_high"]


def _fill(sheet: Path, verdict_of: dict[str, str]) -> Path:
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["verdict"] = verdict_of.get(row["record_id"], "qualified")
    filled = sheet.with_name("filled.csv")
    with filled.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return filled


def test_export_is_reproducible_and_import_judges(
    output: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.jsonl"
    assert (
        main(
            [
                "spotcheck",
                "export",
                "--output",
                str(output),
                "--to",
                str(a),
                "--size",
                "50",
                "--seed",
                "s1",
                "--json",
            ]
        )
        == 0
    )
    first = json.loads(capsys.readouterr().out)
    assert (
        main(
            [
                "spotcheck",
                "export",
                "--output",
                str(output),
                "--to",
                str(b),
                "--size",
                "50",
                "--seed",
                "s1",
                "--json",
            ]
        )
        == 0
    )
    second = json.loads(capsys.readouterr().out)
    assert first["sample_sha256"] == second["sample_sha256"]
    assert (first["sample_size"], first["population"], first["meets_b21211a"]) == (50, 200, False)
    jsonl_ids = [json.loads(line)["record_id"] for line in b.read_text().splitlines()]
    with a.open(encoding="utf-8-sig", newline="") as fh:
        csv_ids = [row["record_id"] for row in csv.DictReader(fh)]
    assert csv_ids == jsonl_ids and len(set(csv_ids)) == 50
    bad = {rid: "unqualified" for rid in csv_ids[:3]}
    filled = _fill(a, bad)
    assert (
        main(
            [
                "spotcheck",
                "import",
                str(filled),
                "--output",
                str(output),
                "--json",
                "--reviewer",
                "qa",
            ]
        )
        == 1
    )  # 47/50 = 94% < 96%
    report = json.loads(capsys.readouterr().out)
    assert (report["qualified"], report["items"], report["judgment"]) == (47, 50, "fail")
    assert report["unqualified_ids"] == sorted(bad)
    assert Path(report["report"]).parent == output / "runs" / "run-x" / "reports" / "spotchecks"
    stored = [r for r in Store(f"sqlite:///{tmp_path}/s.sqlite").assessments("output/text")]
    assert [(r["stage"], r["flagged"], r["actor"], r["seed"]) for r in stored] == [
        ("spotcheck_manual", 3, "qa", "s1")
    ]


def test_import_names_line_and_id_of_every_problem(
    output: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "record_id,verdict,codes\n"
        "r001,qualified,\n"
        "ghost,qualified,\n"
        "r002,,\n"
        "r003,perhaps,\n"
        "r001,unqualified,A.9.z\n",
        encoding="utf-8",
    )
    assert main(["spotcheck", "import", str(sheet), "--output", str(output)]) == 2
    err = capsys.readouterr().err
    assert f"{sheet}:3: record ghost is not in this output's shards" in err
    assert f"{sheet}:4: record r002: verdict missing" in err
    assert f"{sheet}:5: record r003: verdict 'perhaps' is not a verdict" in err
    assert f"{sheet}:6: record r001 repeats line 2" in err
    assert "unknown Appendix A code 'A.9.z'" in err


def test_technical_spot_check(output: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "spotcheck",
            "technical",
            "--output",
            str(output),
            "--fraction",
            "0.5",
            "--seed",
            "t1",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert report["items"] == 100 and report["population"] == 200
    flagged = len(report["flagged"])
    assert 0 < flagged <= 6  # only the spam rows can be flagged
    assert report["judgment"] == ("pass" if (100 - flagged) / 100 >= 0.98 else "fail")
    assert code == (0 if report["judgment"] == "pass" else 1)
    assert report["meets_b21211b"] is True


def test_a_folder_without_a_run_is_a_negative_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["spotcheck", "export", "--output", str(tmp_path), "--to", str(tmp_path / "x.csv")])
        == 1
    )
    assert "holds no manifest.json" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["spotcheck", "--help"],
        ["spotcheck", "export", "--help"],
        ["spotcheck", "import", "--help"],
        ["spotcheck", "technical", "--help"],
        ["assess", "--help"],
    ],
)
def test_help_teaches_with_an_example(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert "example" in capsys.readouterr().out

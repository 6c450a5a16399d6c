"""B.1.1 as a workflow: review export/import round trip, add, import a list, versions and diff,
candidates mined from labelled data (GB/T 45654-2025 B.1.1 a-c)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.harm.library import KeywordLibrary, Term, diff_libraries, write_library
from corpusgate.transforms.harm.review import apply_review, export_rows, read_review
from corpusgate.transforms.harm.suggest import log_odds

DAY = dt.date(2026, 12, 1)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "kw"
    write_library(
        folder,
        [
            Term("出售冰毒", "A.1.h", "expression", 1.0, "test", "alice", DAY),
            Term("冰毒", "A.1.h", "mention", 1.0, "test", "alice", DAY),
            Term("河南骗子", "A.2.d", "expression", 1.0, "test", "alice", DAY),
        ],
        version=1,
        build_date=DAY,
    )
    return folder


def test_review_export_then_import_unchanged_is_the_same_library(
    library: Path, tmp_path: Path
) -> None:
    lib = KeywordLibrary.load(library)
    sheet = tmp_path / "review.tsv"
    sheet.write_text(export_rows(lib), encoding="utf-8")
    outcome = apply_review(lib, read_review(sheet), reviewer=None, today=DAY)
    assert sorted(outcome.terms, key=lambda t: (t.code, t.term)) == list(lib.terms())
    assert (outcome.kept, outcome.dropped, outcome.undecided) == (3, 0, 0)


def test_review_import_applies_each_decision_as_a_new_version(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "review.tsv"
    assert (
        main(["keywords", "review", "export", "--library", str(library), "--out", str(sheet)]) == 0
    )
    rows = sheet.read_text(encoding="utf-8").splitlines()
    edited = [rows[0]]
    for row in rows[1:]:
        cells = row.split("\t")
        if cells[0] == "冰毒":
            cells[4] = "drop"
        if cells[0] == "河南骗子":  # recode and re-review
            cells[1], cells[5], cells[6] = "A.2.d,A.4.c", "", ""
        edited.append("\t".join(cells))
    edited.append("\t".join(["地域黑", "A.2.d", "mention", "1", "", "", "", "suggest", "", ""]))
    sheet.write_text("\n".join(edited) + "\n", encoding="utf-8")
    capsys.readouterr()
    code = main(
        [
            "keywords",
            "review",
            "import",
            str(sheet),
            "--library",
            str(library),
            "--reviewer",
            "bob",
            "--date",
            "2026-12-02",
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["version"] == 2
    assert (doc["kept"], doc["dropped"], doc["undecided"]) == (2, 1, 1)
    lib = KeywordLibrary.load(library)
    entries = {(t.code, t.term): t for t in lib.terms()}
    assert set(entries) == {("A.1.h", "出售冰毒"), ("A.2.d", "河南骗子"), ("A.4.c", "河南骗子")}
    assert entries[("A.4.c", "河南骗子")].reviewer == "bob"
    assert entries[("A.1.h", "出售冰毒")].reviewer == "alice"  # untouched review kept
    # The earlier version stays loadable, and diff says what changed.
    diff = diff_libraries(KeywordLibrary.load(library, 1), lib)
    assert [(t.code, t.term) for t in diff.added] == [("A.4.c", "河南骗子")]
    assert [(t.code, t.term) for t in diff.removed] == [("A.1.h", "冰毒")]
    assert [(b.term, b.reviewer) for _, b in diff.changed] == [("河南骗子", "bob")]
    assert main(["keywords", "diff", "1", "2", "--library", str(library)]) == 1
    assert main(["keywords", "diff", "2", "2", "--library", str(library)]) == 0
    assert main(["keywords", "diff", "1", "7", "--library", str(library)]) == 2


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("冰毒\tA.9.z\tmention\t1\tkeep\ta\t2026-12-01", "A.9.z"),
        ("冰毒\tA.1.h\tslur\t1\tkeep\ta\t2026-12-01", "tier"),
        ("冰毒\tA.1.h\tmention\tx\tkeep\ta\t2026-12-01", "weight"),
        ("冰毒\tA.1.h\tmention\t1\tmaybe\ta\t2026-12-01", "decision"),
        ("冰毒\tA.1.h\tmention\t1\tkeep\ta\t12/01/2026", "not a date"),
        ("冰毒\t\tmention\t1\tkeep\ta\t2026-12-01", "at least one code"),
    ],
)
def test_bad_review_row_is_named_by_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    sheet = tmp_path / "r.tsv"
    sheet.write_text(
        "term\tcodes\ttier\tweight\tdecision\treviewer\treviewed\n" + row + "\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=message) as err:
        read_review(sheet)
    assert f"{sheet}:2" in str(err.value)


def test_kept_row_without_reviewer_is_refused(library: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "r.tsv"
    sheet.write_text(
        "term\tcodes\ttier\tweight\tdecision\n新词\tA.1.h\texpression\t1\tkeep\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="no reviewer"):
        apply_review(KeywordLibrary.load(library), read_review(sheet), reviewer=None, today=DAY)


def test_add_and_import_need_a_reviewer_and_write_versions(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keywords", "add", "臭外卖的", "--code", "A.2.g", "--library", str(library)]) == 2
    assert "--reviewer" in capsys.readouterr().err
    assert (
        main(
            [
                "keywords",
                "add",
                "臭外卖的",
                "--code",
                "A.2.g",
                "--library",
                str(library),
                "--reviewer",
                "carol",
                "--date",
                "2026-12-03",
            ]
        )
        == 0
    )
    terms = tmp_path / "a2d.txt"
    terms.write_text("# regional slurs\n港灿\n捞仔\n\n", encoding="utf-8")
    assert (
        main(
            [
                "keywords",
                "import",
                "--code",
                "A.2.d",
                str(terms),
                "--library",
                str(library),
                "--reviewer",
                "carol",
                "--tier",
                "expression",
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert doc == {"library": str(library), "version": 3, "code": "A.2.d", "imported": 2}
    lib = KeywordLibrary.load(library)
    assert {t.term for t in lib.terms() if t.code == "A.2.d"} == {"河南骗子", "港灿", "捞仔"}
    assert lib.stats(DAY).per_code["A.2.d"] == 3  # reviewed terms count towards B.1.1


def test_stats_warn_when_the_library_misses_the_weekly_update(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    late = (DAY + dt.timedelta(days=8)).isoformat()
    assert main(["keywords", "stats", "--library", str(library), "--today", late]) == 1
    assert "weekly update" in capsys.readouterr().err


def test_tampered_version_is_refused(library: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(library, copy)
    path = copy / "A.1.h.v1.txt"
    path.write_text(
        path.read_text(encoding="utf-8") + "新词\texpression\t1\t-\t-\t-\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="sha256"):
        KeywordLibrary.load(copy)


def test_log_odds_ranks_what_sets_the_harmful_side_apart() -> None:
    harmful = ["河南人都是骗子"] * 20 + ["今天天气很好"] * 5
    safe = ["今天天气很好"] * 30 + ["河南的小麦丰收"] * 5
    ranked = [gram for gram, *_ in log_odds(harmful, safe, min_count=5)]
    assert ranked[0] in {"骗子", "是骗", "都是", "人都", "是骗子", "都是骗", "人都是"}
    assert ranked.index("骗子") < ranked.index("天气")


@pytest.mark.slow(4)
def test_suggest_prints_a_review_sheet_for_the_code(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["keywords", "suggest", "--code", "A.2.d", "--top", "20", "--data", str(shared_data)])
        == 0
    )
    sheet = capsys.readouterr().out.splitlines()
    assert sheet[0].startswith("term\tcodes\ttier")
    rows = [line.split("\t") for line in sheet[1:]]
    assert len(rows) == 20
    assert all(r[1] == "A.2.d" and r[4] == "" and "log-odds z" in r[8] for r in rows)
    assert main(["keywords", "suggest", "--code", "A.3.d", "--data", str(shared_data)]) == 2

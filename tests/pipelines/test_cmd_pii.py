"""`corpusgate pii scan` run in-process with stdin redirected."""

from __future__ import annotations

import io
import json

import pytest

from corpusgate.pipelines.cli import main


def run(monkeypatch, capsys, argv: list[str], stdin: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_json_prints_one_document(monkeypatch, capsys) -> None:
    code, out, _ = run(
        monkeypatch,
        capsys,
        ["pii", "scan", "--language", "zh", "--json"],
        "手机13800138000，身份证110102199101010078",
    )
    assert code == 0
    doc = json.loads(out)
    assert [(e["type"], e["start"], e["end"], e["class"]) for e in doc["entities"]] == [
        ("CN_MOBILE", 2, 13, "personal"),
        ("CN_RESIDENT_ID", 17, 35, "sensitive"),
    ]
    assert "13800138000" not in out  # values are never printed


def test_scan_jsonl_one_result_per_line_in_order(monkeypatch, capsys) -> None:
    lines = [{"text": "a@example.com"}, {"text": "nothing here"}, {"text": "ip 10.0.0.1"}]
    stdin = "".join(json.dumps(x) + "\n" for x in lines)
    code, out, _ = run(monkeypatch, capsys, ["pii", "scan", "--language", "en", "--jsonl"], stdin)
    assert code == 0
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["line"] for d in docs] == [1, 2, 3]
    assert [[e["type"] for e in d["entities"]] for d in docs] == [
        ["EMAIL_ADDRESS"],
        [],
        ["IP_ADDRESS"],
    ]


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("not json\n", "line 1: not valid JSON"),
        ('{"text": "ok"}\n[1]\n', "line 2: expected an object"),
        ('{"text": 5}\n', "line 1: expected an object"),
        ('{"text": "ok"}\n\n', "line 2: empty line"),
    ],
)
def test_scan_jsonl_bad_input_exits_2_and_prints_nothing(
    monkeypatch, capsys, stdin: str, message: str
) -> None:
    code, out, err = run(monkeypatch, capsys, ["pii", "scan", "--jsonl"], stdin)
    assert code == 2
    assert out == ""
    assert message in err


def test_scan_table_output(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, ["pii", "scan", "--language", "en"], "no pii")
    assert code == 0
    assert out.strip() == "no personal information found"


def test_bad_policy_file_exits_2(monkeypatch, capsys, tmp_path) -> None:
    bad = tmp_path / "pii.yaml"
    bad.write_text("version: x\nclasses: {}\n")
    code, _, err = run(monkeypatch, capsys, ["pii", "scan", "--policy", str(bad)], "x")
    assert code == 2
    assert str(bad) in err


def test_help_has_an_example(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["pii", "scan", "--help"])
    assert exc.value.code == 0
    assert "corpusgate pii scan --language zh --jsonl" in capsys.readouterr().out

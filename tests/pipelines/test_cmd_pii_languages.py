"""`corpusgate pii scan` with the record's language: any ISO 639-1 code, `auto`, a language per
JSON line; structured identifiers found whatever the language (GB/T 45654-2025 4.2.3)."""

from __future__ import annotations

import io
import json

import pytest

from corpusgate.pipelines.cli import main

ID = "110101199003074514"


def run(monkeypatch, capsys, argv: list[str], stdin: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("language", ["en", "zh", "fr", "ja", "auto"])
def test_a_resident_id_is_found_whatever_the_language(monkeypatch, capsys, language: str) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        monkeypatch, capsys, ["pii", "scan", "--language", language, "--json"], f"ID {ID}."
    )
    assert code == 0
    doc = json.loads(out)  # exactly one document
    assert [(e["type"], e["start"], e["end"]) for e in doc["entities"]] == [
        ("CN_RESIDENT_ID", 3, 21)
    ]
    assert doc["language"] == language and doc["profile"] in ("en", "zh")
    assert doc["detector_version"].startswith("pii_detector_v")
    assert ID not in out


def test_jsonl_lines_may_carry_their_own_language(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    lines = [
        {"text": "护照E12345678"},  # --language zh applies
        {"text": "passport E12345678", "language": "en"},
        {"text": "E12345678，护照", "language": None},  # auto: the context word comes after
    ]
    stdin = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    code, out, _ = run(monkeypatch, capsys, ["pii", "scan", "--language", "zh", "--jsonl"], stdin)
    assert code == 0
    docs = [json.loads(line) for line in out.splitlines()]
    assert [[e["type"] for e in d["entities"]] for d in docs] == [
        ["CN_PASSPORT"],
        ["CN_PASSPORT"],
        [],
    ]


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--language", "e n"], "x", "is not a language code"),
        (["--language", "english!"], "x", "is not a language code"),
        (["--jsonl"], '{"text": "x", "language": 5}\n', "line 1: `language` must be a string"),
    ],
)
def test_bad_languages_exit_2(monkeypatch, capsys, argv, stdin, message) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = main(["pii", "scan", *argv])
    except SystemExit as done:  # argparse rejects a bad option value itself
        code = done.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert message in err


def test_help_teaches_languages(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as done:
        main(["pii", "scan", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    for needed in ("whatever the language", "auto", "ISO 639-1", "exit codes", "examples:"):
        assert needed in out

"""`corpusgate robots check`: verdict lines, JSON Lines, exit codes, help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusgate.pipelines.cli import main

ROBOTS = "User-agent: *\nAllow: /public\nDisallow: /private/\n\nUser-agent: other\nDisallow: /\n"


@pytest.fixture
def robots_file(tmp_path: Path) -> Path:
    path = tmp_path / "robots.txt"
    path.write_text(ROBOTS, encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_all_allowed_exit_0(capsys, robots_file: Path) -> None:
    code, out, _ = run(
        capsys,
        "robots",
        "check",
        "--robots-txt",
        str(robots_file),
        "--user-agent",
        "corpusgate-bot",
        "https://example.org/public/a",
        "https://example.org/",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "allowed",
        "https://example.org/public/a",
        "Allow:",
        "/public",
        "(line",
        "2)",
    ]
    assert lines[1].startswith("allowed") and "no rule matched" in lines[1]


def test_any_disallowed_exit_1(capsys, robots_file: Path) -> None:
    code, out, _ = run(
        capsys,
        "robots",
        "check",
        "--robots-txt",
        str(robots_file),
        "--user-agent",
        "corpusgate-bot",
        "/public",
        "/private/x",
    )
    assert code == 1
    assert out.splitlines()[1].split()[:2] == ["disallowed", "/private/x"]
    assert "Disallow: /private/ (line 3)" in out


def test_json_lines_one_object_per_url(capsys, robots_file: Path) -> None:
    code, out, _ = run(
        capsys,
        "robots",
        "check",
        "--robots-txt",
        str(robots_file),
        "--user-agent",
        "Other",
        "--jsonl",
        "https://example.org/public?q=1#f",
        "https://example.org/ツ",
    )
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0] == {
        "url": "https://example.org/public?q=1#f",
        "path": "/public?q=1",
        "user_agent": "Other",
        "matched_token": "other",
        "allowed": False,
        "rule": "Disallow: /",
        "line": 6,
        "note": "",
    }
    assert rows[1]["path"] == "/%E3%83%84"


def test_json_is_one_document(capsys, robots_file: Path) -> None:
    code, out, _ = run(
        capsys,
        "robots",
        "check",
        "--robots-txt",
        str(robots_file),
        "--user-agent",
        "Other",
        "--json",
        "/public",
        "/ツ",
    )
    document = json.loads(out)  # exactly one document, whatever the number of URLs
    assert code == 1 and document["allowed"] is False and len(document["results"]) == 2
    assert document["matched_token"] == "other" and document["matched_by"] == "product_token"


@pytest.mark.parametrize(
    ("name", "token", "warned"),
    [
        ("corpusgate-bot", "corpusgate-bot", False),
        ("Googlebot/2.1", "googlebot", True),
        ("Sogou web spider", "sogou", True),
        ("AB42bot", "ab", True),
        ("360Spider", "360spider", True),
    ],
)
def test_crawler_names_people_use_are_matched_with_a_warning(
    capsys, tmp_path: Path, name: str, token: str, warned: bool
) -> None:
    robots = tmp_path / "robots.txt"
    robots.write_text(
        "User-agent: *\nDisallow: /\n\nUser-agent: corpusgate-bot\nUser-agent: Googlebot\n"
        "User-agent: Sogou\nUser-agent: AB\nUser-agent: 360Spider\nAllow: /\n"
    )
    code, out, err = run(
        capsys, "robots", "check", "--robots-txt", str(robots), "--user-agent", name, "--json", "/x"
    )
    document = json.loads(out)
    assert code == 0 and document["matched_token"] == token  # its own group allows /x
    assert ("warning" in err and repr(name) in err) is warned


@pytest.mark.parametrize(
    ("status", "code", "word"),
    [
        ("404", 0, "allowed"),
        ("503", 1, "disallowed"),
        ("unreachable", 1, "disallowed"),
        ("429", 1, "disallowed"),
    ],
)
def test_status_rules_need_no_file(capsys, status: str, code: int, word: str) -> None:
    got, out, _ = run(capsys, "robots", "check", "--status", status, "--user-agent", "bot", "/x")
    assert got == code
    assert out.split()[0] == word and "RFC 9309 2.3.1" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--robots-txt", "/nonexistent/robots.txt", "--user-agent", "bot", "/x"], "cannot read"),
        (["--user-agent", "bot", "/x"], "needs --robots-txt"),
        (["--robots-txt", "ROBOTS", "--user-agent", " ", "/x"], "a user agent is needed"),
        (["--robots-txt", "ROBOTS", "--user-agent", "bot", "--status", "abc", "/x"], "--status"),
        (["--robots-txt", "ROBOTS", "--user-agent", "bot", "--status", "700", "/x"], "100 to 599"),
    ],
)
def test_usage_errors_exit_2(capsys, robots_file: Path, argv: list[str], message: str) -> None:
    argv = [str(robots_file) if a == "ROBOTS" else a for a in argv]
    code, out, err = run(capsys, "robots", "check", *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_robots_without_action_prints_usage(capsys) -> None:
    code, _, err = run(capsys, "robots")
    assert code == 2
    assert "check" in err


def test_help_teaches(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["robots", "check", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for needle in (
        "JSON Lines",
        "Exit status",
        "examples:",
        "--status",
        "product token",
        "--jsonl",
    ):
        assert needle in out

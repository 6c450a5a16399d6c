"""Registry entries: bad ones are named by file and field; validate checks inputs and evidence."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from corpusgate.source_registry.entry import RegistryError, load_entry
from corpusgate.source_registry.registry import Registry, evidence_findings, validate

DEMO = Path(__file__).resolve().parents[2] / "demo"

GOOD = """\
source_id: news
kind: open_source
languages: [zh]
origin: domestic
location: {paths: [data.jsonl]}
licence: MIT
"""


def write(tmp_path: Path, text: str, name: str = "entry.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    (tmp_path / "data.jsonl").write_text('{"text": "x"}\n')
    return path


def test_a_good_entry_loads_with_defaults(tmp_path: Path) -> None:
    entry = load_entry(write(tmp_path, GOOD))
    assert entry.source_id == "news" and entry.modality == "text"
    assert entry.fields == {"text": "text"}
    assert entry.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert entry.input_files() == [str(tmp_path / "data.jsonl")]
    assert entry.format_of(tmp_path / "data.jsonl") == "jsonl"


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (("source_id: news", "source_id: News Feed"), "source_id", "lowercase"),
        (("kind: open_source", "kind: scraped"), "kind", "not one of open_source"),
        (("origin: domestic\n", ""), "origin", "missing"),
        (("languages: [zh]", "languages: []"), "languages", "non-empty list"),
        (("location: {paths: [data.jsonl]}", "location: data.jsonl"), "location", "mapping"),
        (
            ("location: {paths: [data.jsonl]}", "location: {paths: [a.x], format: xml}"),
            "location.format",
            "'xml' is not one of",
        ),
        (("licence: MIT", "licence: MIT\nfields: {body: text}"), "fields.body", "unknown"),
        (
            ("licence: MIT", "evidence: [{role: contract, path: c.pdf, sha256: " + "a" * 64 + "}]"),
            "evidence[0].role",
            "not one of licence_text, authorization",
        ),
        (
            ("licence: MIT", "evidence: [{role: licence_text, path: L, sha256: abc}]"),
            "evidence[0].sha256",
            "64 hex digits",
        ),
        (("kind: open_source", "kind: [open_source"), "line 3", "not valid YAML"),
    ],
)
def test_bad_entries_name_file_field_and_expectation(
    tmp_path: Path, change, field, expected
) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RegistryError) as caught:
        load_entry(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and field in message and expected in message


def test_duplicate_source_ids_are_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(RegistryError, match="already defined"):
        Registry.load(tmp_path)


def test_an_empty_or_missing_registry_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"no \*\.yaml"):
        Registry.load(tmp_path)
    with pytest.raises(RegistryError, match="not a folder"):
        Registry.load(tmp_path / "nope")


def test_the_demo_registry_is_valid() -> None:
    registry = Registry.load(DEMO / "registry")
    assert {e.kind for e in registry} == {
        "open_source",
        "self_collected",
        "commercial",
        "user_input",
    }
    # One planted fault (demo/PROVENANCE.md): the second commercial source's review record was
    # never filed, so the Provenance stage refuses that whole source.
    (finding,) = validate(registry)
    assert (finding.source_id, finding.field) == (
        "commercial-recipes-2024q2",
        "evidence[2] (review_record)",
    )
    assert finding.problem.startswith(
        "file ../evidence/commercial-recipes/review_record.md does not exist"
    )


def test_validate_reports_missing_mismatched_and_absent_evidence(tmp_path: Path) -> None:
    tree = tmp_path / "demo"
    shutil.copytree(DEMO, tree)
    (tree / "evidence/commercial-news/commitment.md").write_text("edited after signing\n")
    (tree / "evidence/commercial-news/review_record.md").unlink()
    entry = Registry.load(tree / "registry").get("commercial-news-2024q2")
    problems = [f.problem for f in evidence_findings(entry)]
    assert any("sha256 of ../evidence/commercial-news/commitment.md is" in p for p in problems)
    assert any("review_record.md does not exist" in p for p in problems)


def test_validate_requires_the_evidence_of_each_kind(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("kind: open_source", "kind: user_input"))
    findings = validate(Registry.load(path.parent))
    assert [f.problem for f in findings] == [
        "a user_input source must reference a 'authorization_table' document"
    ]


def test_validate_reports_inputs_that_match_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("data.jsonl", "missing/*.jsonl"))
    (finding,) = validate(Registry.load(path.parent))
    assert finding.field == "location.paths" and "matches no file" in finding.problem


def test_validate_looks_inside_crawl_records(tmp_path: Path) -> None:
    tree = tmp_path / "demo"
    shutil.copytree(DEMO, tree)
    snapshot = tree / "sources/web-crawl/robots/commoncrawl.org-2024-04-20.txt"
    snapshot.write_text("User-agent: *\nAllow: /\n")  # edited after the crawl
    entry = Registry.load(tree / "registry").get("web-crawl-2024-04")
    (finding,) = evidence_findings(entry)
    assert finding.field == "evidence[0] (crawl_record)" and "commoncrawl.org" in finding.problem


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("licence: MIT", "licnese: MIT"),
            "unknown field 'licnese' (line 6); did you mean 'licence'?",
        ),
        (
            ("location: {paths: [data.jsonl]}", "location: {paths: [data.jsonl], fromat: csv}"),
            "unknown field 'location.fromat' (line 5); did you mean 'format'?",
        ),
        (("licence: MIT", "licence: MIT\ncolour: red"), "unknown field 'colour' (line 7)"),
        (("licence: MIT", "licence: MIT\nlicence: GPL-3.0-only"), "duplicate key 'licence'"),
        (
            ("licence: MIT", "licence: MIT\nfields: {text: [a, b]}"),
            "field 'fields.text' (line 7): expected text",
        ),
        (("licence: MIT", "licence: MIT\ntitle: [a, b]"), "field 'title' (line 7): expected text"),
        (
            ("licence: MIT", "licence: MIT\nuser_agent: bot"),
            "field 'user_agent' (line 7): only a self_collected",
        ),
    ],
)
def test_a_typo_is_an_error_naming_the_field(tmp_path: Path, change, expected) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RegistryError) as caught:
        load_entry(path)
    assert str(caught.value).startswith(f"{path}") and expected in str(caught.value)

"""`SourceEntry.input_files()`: each file once, links cannot loop, remote paths stay remote."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from corpusgate.source_registry.entry import RegistryError, _glob_once, load_entry


def entry_with(tmp_path: Path, *patterns: str):  # type: ignore[no-untyped-def]
    (tmp_path / "reg").mkdir(exist_ok=True)
    path = tmp_path / "reg/src.yaml"
    paths = ", ".join(f"'{p}'" for p in patterns)
    path.write_text(
        "source_id: src\nkind: open_source\nlanguages: [en]\norigin: foreign\n"
        f"location: {{paths: [{paths}]}}\nlicence: MIT\n"
    )
    return load_entry(path)


def tree(root: Path) -> Path:
    data = root / "data"
    (data / "sub/deeper").mkdir(parents=True)
    for name in ("a.jsonl", "sub/b.jsonl", "sub/deeper/c.jsonl", "sub/notes.txt", ".hidden.jsonl"):
        (data / name).write_text('{"text": "x"}\n')
    return data


def test_a_folder_linked_into_itself_reads_each_file_once(tmp_path: Path) -> None:
    # Issue 9: glob followed data/loop -> data 40 levels deep and read every file 41 times.
    data = tree(tmp_path)
    (data / "loop").symlink_to(data, target_is_directory=True)
    (data / "sub/up").symlink_to("..", target_is_directory=True)
    files = entry_with(tmp_path, "../data/**/*.jsonl").input_files()
    assert [os.path.relpath(f, data) for f in files] == [
        "a.jsonl",
        "sub/b.jsonl",
        "sub/deeper/c.jsonl",
    ]


def test_two_links_to_the_same_folder_do_not_multiply(tmp_path: Path) -> None:
    # With plain glob, n self-links at each level make n**40 paths: the run would never start.
    data = tree(tmp_path)
    for name in ("l1", "l2", "l3"):
        (data / name).symlink_to(data, target_is_directory=True)
    files = entry_with(tmp_path, "../data/**/*.jsonl").input_files()
    assert len(files) == 3 and len({os.path.realpath(f) for f in files}) == 3


def test_patterns_naming_the_same_file_read_it_once(tmp_path: Path) -> None:
    data = tree(tmp_path)
    (tmp_path / "alias").symlink_to(data, target_is_directory=True)
    files = entry_with(
        tmp_path, "../data/a.jsonl", "../data/*.jsonl", "../alias/a.jsonl"
    ).input_files()
    assert files == [str(tmp_path / "reg/../data/a.jsonl")]


@pytest.mark.parametrize(
    "pattern",
    [
        "data/*.jsonl",
        "data/**/*.jsonl",
        "data/**",
        "data/*/*.jsonl",
        "data/sub/**/c.jsonl",
        "data/.*.jsonl",
        "data/[as]*",
        "data/sub/deeper/c.json?",
    ],
)
def test_without_links_matching_is_globs(tmp_path: Path, pattern: str) -> None:
    tree(tmp_path)
    full = str(tmp_path / pattern)
    assert _glob_once(full) == sorted(glob.glob(full, recursive=True))


def test_a_pattern_matching_nothing_is_an_error_naming_it(tmp_path: Path) -> None:
    tree(tmp_path)
    with pytest.raises(RegistryError, match=r"'../data/\*\*/\*.csv' matches no file"):
        entry_with(tmp_path, "../data/**/*.csv").input_files()


def test_remote_paths_are_matched_by_beam_and_returned_as_urls(
    tmp_path: Path, remote_url: Callable[[Path], str]
) -> None:
    data = tree(tmp_path)
    pattern = remote_url(data) + "/sub/*.jsonl"
    entry = entry_with(tmp_path, pattern, "../data/a.jsonl")
    assert entry.input_files() == [
        remote_url(data / "sub/b.jsonl"),
        str(tmp_path / "reg/../data/a.jsonl"),
    ]
    assert entry.format_of(remote_url(data / "sub/b.jsonl")) == "jsonl"


def test_a_remote_pattern_matching_nothing_is_an_error(
    tmp_path: Path, remote_url: Callable[[Path], str]
) -> None:
    pattern = remote_url(tmp_path) + "/none/*.warc.gz"
    with pytest.raises(RegistryError, match="matches no file"):
        entry_with(tmp_path, pattern).input_files()


def test_a_scheme_beam_cannot_list_is_an_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"'nosuch://bucket/x\.jsonl' cannot be listed"):
        entry_with(tmp_path, "nosuch://bucket/x.jsonl").input_files()


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("crawl.arc.gz", "warc"), ("crawl.arc", "warc"), ("gs://b/x/part.warc.wet.gz", "wet")],
)
def test_format_from_the_name(tmp_path: Path, name: str, fmt: str) -> None:
    tree(tmp_path)
    assert entry_with(tmp_path, "../data/a.jsonl").format_of(name) == fmt

"""The generated malformed corpus, read file by file: every expected reason, good records through.

The run-level test (read → map → publish → balance) uses the same corpus; here the reasons of
the read step are checked as `read_file` yields them, and the mapper's two (`missing_text`,
`empty_text`) from the records' `text` field, which is where the mapper finds them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from malformed_inputs import write_malformed_corpus

from corpusgate.transforms.spine.readers import RawFailure, RawRecord, Skipped, read_file
from corpusgate.transforms.spine.readers.base import MAX_RAW_BYTES

FORMAT_OF_FOLDER = {
    "jsonl": "jsonl",
    "csv": "csv",
    "parquet": "parquet",
    "warc": "warc",
    "arc": "warc",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    folder = tmp_path_factory.mktemp("malformed")
    return folder, write_malformed_corpus(folder)


def test_the_corpus_covers_every_format_and_fault(corpus: tuple[Path, dict[str, set[str]]]) -> None:
    _, expected = corpus
    assert {name.split("/")[0] for name in expected} == set(FORMAT_OF_FOLDER)
    every = set().union(*expected.values())
    assert {
        "invalid_json", "invalid_utf8", "not_an_object", "missing_text", "empty_text",
        "truncated_file", "csv_column_count", "csv_unterminated_quote", "csv_stray_quote",
        "csv_nul_byte", "unreadable_row_group", "invalid_value", "warc_body_undecodable",
        "warc_http_status", "warc_unsupported_content", "warc_invalid_record",
    } <= every  # fmt: skip
    assert any(not reasons for reasons in expected.values())  # good files too


def reasons_of(items: list) -> set[str]:
    found = {i.reason for i in items if isinstance(i, RawFailure)}
    for item in items:
        if isinstance(item, RawRecord):
            text = item.fields.get("text")
            if not isinstance(text, str):
                found.add("missing_text")
            elif not text.strip():
                found.add("empty_text")
    return found


def test_every_file_gives_its_reasons_and_its_good_records(
    corpus: tuple[Path, dict[str, set[str]]],
) -> None:
    folder, expected = corpus
    native_ids: list[str] = []
    for name, reasons in expected.items():
        items = list(read_file(folder / name, FORMAT_OF_FOLDER[name.split("/")[0]], name))
        native_ids += [
            str(i.fields.get("id") or i.fields.get("warc_record_id"))
            for i in items
            if isinstance(i, RawRecord) and (i.fields.get("id") or i.fields.get("warc_record_id"))
        ]
        assert reasons_of(items) == reasons, name
        good = [i for i in items if isinstance(i, RawRecord) and str(i.fields.get("text")).strip()]
        assert good, f"{name}: no good record came through"
        counted = [i for i in items if not isinstance(i, Skipped)]
        assert len({i.locator.key() for i in counted}) == len(counted), f"{name}: shared locator"
        for failure in (i for i in items if isinstance(i, RawFailure)):
            assert len(failure.raw) <= MAX_RAW_BYTES
            failure.detail.encode("utf-8")
            failure.locator.uri.encode("utf-8")
    # A run keyed on native ids must not see one id twice (that is another check's fault case).
    assert len(native_ids) == len(set(native_ids))

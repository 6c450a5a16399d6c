"""The 1 MiB raw limit, from the reader through the record mapper (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

from corpusgate.schemas import reasons
from corpusgate.transforms.spine.readers import read_file
from corpusgate.transforms.spine.readers.base import MAX_RAW_BYTES
from corpusgate.transforms.spine.to_record import SourceContext, normalize

CTX = SourceContext(
    source_id="src",
    entry_sha256="e" * 64,
    fields=(("text", "text"),),
    licence=None,
    evidence=(),
    run_id="run-1",
    config_sha256="c" * 64,
)


def test_a_50_mb_record_without_text_is_quarantined_with_at_most_one_mib_of_raw(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": 1, "body": "z" * (50 << 20)}) + "\n")
    (item,) = read_file(path, "jsonl", "big.jsonl")
    ok, row = normalize(item, CTX)
    assert not ok and row["reason"] == reasons.MISSING_TEXT
    assert len(row["raw"]) == MAX_RAW_BYTES
    assert f"(raw bytes cut to {MAX_RAW_BYTES} of " in row["detail"]

"""Signature files beside published shards (incremental dedup) and IP complaints (GB/T
45654-2025 4.2.2 c) matched through them."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpusgate.transforms.dedup import DedupSettings, DedupSpec, dedup_items
from corpusgate.transforms.dedup.nodes import handle_of, node_table
from corpusgate.transforms.dedup.published import (
    SIGNATURE_SCHEMA,
    SignatureMismatch,
    read_params,
    read_signature_file,
    write_kept,
    write_signature_file,
)
from corpusgate.transforms.dedup.takedown import find_complaint_matches

POEM = "白日依山盡，黃河入海流。欲窮千里目，更上一層樓。"
POEM_SIMPLIFIED = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
POEM_VARIANT = "白日依山盡，黃河入海流。欲窮千里目，更上一重樓。"
OTHER = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。"
PROSE = " ".join(f"token{i}" for i in range(50))


def _items(spec: DedupSpec, texts: dict[str, str], source: str = "s") -> list:
    records = [
        {"record_id": k, "source_id": source, "text": t, "lineage": {"language": None}}
        for k, t in texts.items()
    ]
    return dedup_items(records, [None] * len(records), spec)


def test_round_trip(tmp_path: Path) -> None:
    spec = DedupSpec(DedupSettings(keeper_sources=["s"]))
    items = _items(spec, {"a": POEM, "b": PROSE, "c": "!!!"})
    location = str(tmp_path / "sig.parquet")
    assert write_signature_file(location, items, spec.settings) == 3
    assert pq.read_schema(location).remove_metadata() == SIGNATURE_SCHEMA
    back = list(read_signature_file(location, spec))
    assert back == [i.as_previous() for i in items]
    assert read_params(location)["num_perm"] == 128


def test_other_signature_settings_are_refused_naming_them(tmp_path: Path) -> None:
    old = DedupSpec(DedupSettings(minhash={"num_perm": 64}, shingles={"chars": 4}))
    location = str(tmp_path / "sig.parquet")
    write_signature_file(location, _items(old, {"a": POEM}), old.settings)
    with pytest.raises(SignatureMismatch, match=r"num_perm: file 64 vs run 128.*chars"):
        list(read_signature_file(location, DedupSpec(DedupSettings())))


def test_another_band_shape_recomputes_band_keys(tmp_path: Path) -> None:
    old = DedupSpec(DedupSettings(threshold=0.8))
    new = DedupSpec(DedupSettings(threshold=0.6))
    location = str(tmp_path / "sig.parquet")
    write_signature_file(location, _items(old, {"a": POEM, "b": PROSE}), old.settings)
    back = list(read_signature_file(location, new))
    assert [i.bands for i in back] == [i.bands for i in _items(new, {"a": POEM, "b": PROSE})]


def test_write_kept_leaves_out_removed_and_earlier_records(tmp_path: Path) -> None:
    spec = DedupSpec(DedupSettings())
    items = _items(spec, {"a": POEM, "b": PROSE, "c": OTHER})
    items[2] = items[2].as_previous()
    location = str(tmp_path / "kept.parquet")
    batches = node_table(items).to_batches(max_chunksize=1)
    assert write_kept(location, batches, {handle_of("b", False)}, spec.settings) == 1
    assert pq.read_table(location)["record_id"].to_pylist() == ["a"]
    assert write_kept(str(tmp_path / "none.parquet"), [], set(), spec.settings) == 0
    assert not (tmp_path / "none.parquet").exists()


@pytest.fixture
def published(tmp_path: Path) -> tuple[DedupSpec, list[str]]:
    spec = DedupSpec(DedupSettings())
    files = []
    for i, texts in enumerate(
        [
            {"orig": POEM, "copy": POEM + "\n", "simp": POEM_SIMPLIFIED, "other": OTHER},
            {"variant": POEM_VARIANT, "prose": PROSE},
        ]
    ):
        location = str(tmp_path / f"part-{i}.parquet")
        write_signature_file(location, _items(spec, texts), spec.settings)
        files.append(location)
    return spec, files


def test_complaint_finds_the_work_and_its_near_copies(
    published: tuple[DedupSpec, list[str]],
) -> None:
    spec, files = published
    found = find_complaint_matches(POEM, files, spec)
    by_id = {m.record_id: m for m in found}
    assert set(by_id) == {"orig", "copy", "simp", "variant"}
    assert [by_id[r].method for r in ("orig", "copy", "simp")] == ["exact", "exact", "minhash"]
    assert by_id["simp"].similarity == 1.0  # folded to the same characters
    assert 0.6 <= by_id["variant"].similarity < 1.0
    assert by_id["variant"].location == files[1]
    assert [m.record_id for m in found][-1] == "variant"  # most similar first


def test_complaint_threshold_decides_how_near(published: tuple[DedupSpec, list[str]]) -> None:
    spec, files = published
    strict = {m.record_id for m in find_complaint_matches(POEM, files, spec, threshold=0.99)}
    assert strict == {"orig", "copy", "simp"}
    with pytest.raises(ValueError, match="threshold"):
        find_complaint_matches(POEM, files, spec, threshold=0)


def test_complaint_matches_simhash_records(tmp_path: Path) -> None:
    spec = DedupSpec(
        DedupSettings(methods_by_kind={"user_input": "simhash"}), {"chat": "user_input"}
    )
    location = str(tmp_path / "chat.parquet")
    write_signature_file(location, _items(spec, {"c1": PROSE, "c2": OTHER}, "chat"), spec.settings)
    found = find_complaint_matches(PROSE.replace("token7 ", "token7x "), [location], spec)
    assert [(m.record_id, m.method) for m in found] == [("c1", "simhash")]

"""The stored bytes of an input file: gzip by its magic, member offsets, damage noted in one pass."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from corpusgate.transforms.spine.readers.stored import (
    DecodedStream,
    is_remote,
    open_decoded,
    read_stored_head,
)

MEMBERS = [b"first member\n", b"second, a little longer member\n", b"third\n"]


def read_all(path: Path | str) -> tuple[bytes, DecodedStream]:
    with open_decoded(str(path)) as stream:
        return stream.read(), stream


def test_plain_file_reads_as_stored_and_offsets_are_its_own(tmp_path: Path) -> None:
    path = tmp_path / "plain.gz"  # the name says gzip, the bytes do not: the bytes win
    path.write_bytes(b"".join(MEMBERS))
    data, stream = read_all(path)
    assert data == b"".join(MEMBERS) and not stream.gzipped and stream.damage is None
    assert stream.stored_offset(3, 13) == 13


def test_gzip_members_are_located_in_the_stored_bytes(tmp_path: Path) -> None:
    packed = [gzip.compress(m, mtime=0) for m in MEMBERS]
    path = tmp_path / "members.jsonl"  # gzip without a .gz name is still gunzipped
    path.write_bytes(b"".join(packed))
    with open_decoded(str(path)) as stream:
        assert stream.read() == b"".join(MEMBERS) and stream.gzipped and stream.damage is None
        decoded_starts = [0, len(MEMBERS[0]), len(MEMBERS[0]) + len(MEMBERS[1])]
        stored_starts = [0, len(packed[0]), len(packed[0]) + len(packed[1])]
        for decoded, stored in zip(decoded_starts, stored_starts, strict=True):
            assert stream.stored_offset(decoded, decoded) == stored
        # Inside a member there is no stored offset of one's own.
        assert stream.stored_offset(5, 5) is None
        # Blank lines before a record may come from the end of the previous member.
        assert stream.stored_offset(decoded_starts[1] - 2, decoded_starts[1]) == stored_starts[1]
        assert stream.member_start_within(2, decoded_starts[1] + 1) == decoded_starts[1]
        assert stream.member_start_within(decoded_starts[1], decoded_starts[1] + 3) is None


def test_zero_padding_between_members_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "padded.gz"
    path.write_bytes(gzip.compress(b"a\n") + b"\x00" * 512 + gzip.compress(b"b\n"))
    data, stream = read_all(path)
    assert data == b"a\nb\n" and stream.damage is None


def test_a_highly_compressed_member_is_decoded_in_bounded_steps(tmp_path: Path) -> None:
    # 8 MiB of zeros pack into a few KiB; each step hands out at most 1 MiB, and the end of the
    # member must still be recognised as sound.
    path = tmp_path / "zeros.gz"
    path.write_bytes(gzip.compress(bytes(8 << 20)))
    data, stream = read_all(path)
    assert data == bytes(8 << 20) and stream.damage is None


def test_a_truncated_stream_yields_what_was_decoded_then_notes_the_damage(tmp_path: Path) -> None:
    original = b"".join(f"line {i} {'x' * 50}\n".encode() for i in range(2000))
    packed = gzip.compress(original)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    data, stream = read_all(path)
    assert data and original.startswith(data)
    assert "ends before its end-of-stream marker" in stream.damage


def test_a_corrupt_member_keeps_the_members_before_it(tmp_path: Path) -> None:
    header = gzip.compress(b"", mtime=0)[:10]  # a gzip header, then deflate data that is garbage
    path = tmp_path / "corrupt.gz"
    path.write_bytes(gzip.compress(b"sound\n") + header + b"\xff" * 40)
    data, stream = read_all(path)
    assert data == b"sound\n"
    good = len(gzip.compress(b"sound\n"))
    assert "corrupt gzip data" in stream.damage and f"stored byte {good}" in stream.damage


def test_data_decoded_in_the_same_step_as_corruption_is_not_lost(tmp_path: Path) -> None:
    # One member fed to zlib in one step: the checksum fails at its end, and everything decoded
    # in that step still comes out (damage inside deflate data shows only at the checksum).
    lines = b"".join(f"{i:05d}\n".encode() for i in range(5000))
    packed = bytearray(gzip.compress(lines, compresslevel=0))  # stored blocks: bytes map 1:1
    packed[20_000:20_004] = b"\xff\xff\xff\xff"  # inside a stored block's data: not noticed
    packed[-8:] = b"\x00" * 8  # the checksum then fails at the end
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(packed))
    data, stream = read_all(path)
    assert len(data) == len(lines) and "corrupt gzip data" in stream.damage


def test_read_stored_head_is_bounded_and_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 10)
    assert read_stored_head(str(path), 10, 5) == bytes(range(10, 15))
    assert read_stored_head(str(tmp_path / "gone"), 0, 5) == b""


@pytest.mark.parametrize(
    ("path", "remote"),
    [("gs://bucket/x.warc.gz", True), ("s3://b/k", True), ("/data/x.jsonl", False), ("a:b", False)],
)
def test_is_remote(path: str, remote: bool) -> None:
    assert is_remote(path) is remote


def test_a_remote_path_is_opened_through_beam_filesystems(
    tmp_path: Path, remote_url: Callable[[Path], str]
) -> None:
    path = tmp_path / "r.gz"
    path.write_bytes(b"".join(gzip.compress(m) for m in MEMBERS))
    data, stream = read_all(remote_url(path))
    assert data == b"".join(MEMBERS) and stream.gzipped
    assert read_stored_head(remote_url(path), 0, 2) == b"\x1f\x8b"

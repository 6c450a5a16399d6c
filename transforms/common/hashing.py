"""sha256 of files and bytes: the one helper for evidence documents, output files and models."""

from __future__ import annotations

import hashlib
from pathlib import Path

from corpusgate.transforms.common.files import open_read

_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(location: str | Path) -> str:
    """Hex sha256 of a local or remote file, read in 1 MiB chunks (OSError if unreadable)."""
    digest = hashlib.sha256()
    with open_read(str(location)) as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()

"""A Beam file system for remote-path tests: `cgtest:///abs/path` serves the local file /abs/path.

No object store is reachable here; this plugs into Beam's real `FileSystems` dispatch the way
the GCS and S3 file systems do (by subclassing `FileSystem` with a scheme), so the readers' and
the registry's remote code paths run exactly as they would against gs:// or s3://.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from apache_beam.io.filesystem import FileMetadata
from apache_beam.io.localfilesystem import LocalFileSystem

SCHEME = "cgtest"
PREFIX = f"{SCHEME}://"


def _local(url: str) -> str:
    return url[len(PREFIX) :] if url.startswith(PREFIX) else url


class FolderBackedFileSystem(LocalFileSystem):
    @classmethod
    def scheme(cls) -> str:
        return SCHEME

    def _path_open(self, path, mode, *args, **kwargs):  # type: ignore[no-untyped-def]
        return super()._path_open(_local(path), mode, *args, **kwargs)

    def exists(self, path: str) -> bool:
        return os.path.exists(_local(path))

    def metadata(self, path: str) -> FileMetadata:
        local = _local(path)
        return FileMetadata(path, os.path.getsize(local), os.path.getmtime(local))

    def _list(self, dir_or_prefix: str):  # type: ignore[no-untyped-def]
        for folder, _, names in os.walk(_local(dir_or_prefix)):
            for name in names:
                yield self.metadata(PREFIX + os.path.join(folder, name))


@pytest.fixture
def remote_url() -> Callable[[Path | str], str]:
    """Turn a local path into a URL that only Beam's FileSystems can open."""
    return lambda path: PREFIX + str(Path(path).resolve())

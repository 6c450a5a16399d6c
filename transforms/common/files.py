"""Files wherever they are: a local path, or any location Beam's FileSystems reaches (gs://,
s3://, ...). Everything corpusgate reads or writes outside a reader goes through here, so a
command that works on a local output works on a bucket, and a worker only ever opens what the
pipeline names.

Local paths use the standard library (no Beam import: `corpusgate audit` starts fast); a
location with a scheme uses `apache_beam.io.filesystems.FileSystems`. Writes of small files
(`write_bytes`) are atomic on both: a temporary name then a rename locally; object stores
publish an object whole when its upload completes.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, ClassVar


def is_remote(location: str) -> bool:
    return "://" in location


def join(root: str, *parts: str) -> str:
    out = root.rstrip("/")
    for part in parts:
        if part:
            out = f"{out}/{part.strip('/')}"
    return out


def relative_to(location: str, root: str) -> str:
    root = root.rstrip("/") + "/"
    if not location.startswith(root):
        raise ValueError(f"{location} is not under {root}")
    return location[len(root) :]


class _SharedS3Session:
    """Stands in for `boto3.session.Session` inside Beam's S3 client module.

    Beam's S3 filesystem builds a new boto3 session and client for every file operation,
    and each reloads botocore's service models (about 50 ms of JSON parsing): thousands of
    small files took minutes. boto3 clients are thread-safe, so one per configuration serves
    the whole process."""

    _clients: ClassVar[dict[tuple[tuple[str, str], ...], Any]] = {}
    _lock = threading.Lock()

    def client(self, **kwargs: Any) -> Any:
        import boto3

        key = tuple(sorted((k, repr(v)) for k, v in kwargs.items()))
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = boto3.session.Session().client(**kwargs)
                self._clients[key] = found
        return found


@functools.cache
def _share_s3_clients() -> None:
    try:
        from apache_beam.io.aws.clients.s3 import boto3_client
    except ImportError:  # the s3 extra is not installed: nothing to share
        return
    if getattr(boto3_client, "boto3", None) is not None:
        boto3_client.boto3 = types.SimpleNamespace(
            session=types.SimpleNamespace(Session=_SharedS3Session)
        )


def _fs() -> Any:
    from apache_beam.io.filesystems import FileSystems

    _share_s3_clients()
    if FileSystems._pipeline_options is None:
        # Outside a pipeline (the launcher, `audit`, `forget`) object stores take their
        # endpoint and credentials from the environment (AWS_ENDPOINT_URL, AWS_*, GCP ADC).
        from apache_beam.options.pipeline_options import PipelineOptions

        FileSystems.set_options(PipelineOptions([]))
    return FileSystems


def _raw() -> Any:
    from apache_beam.io.filesystem import CompressionTypes

    return CompressionTypes.UNCOMPRESSED


@contextmanager
def open_read(location: str) -> Iterator[IO[bytes]]:
    """A seekable binary reader; never decompresses (callers own compression)."""
    if not is_remote(location):
        with open(location, "rb") as handle:
            yield handle
        return
    handle = _fs().open(location, compression_type=_raw())
    try:
        yield handle
    finally:
        handle.close()


def create(location: str) -> IO[bytes]:
    """A binary writer creating `location` (and local parent folders); the caller closes it."""
    if not is_remote(location):
        Path(location).parent.mkdir(parents=True, exist_ok=True)
        return open(location, "wb")
    return _fs().create(location, compression_type=_raw())


@contextmanager
def open_write(location: str) -> Iterator[IO[bytes]]:
    """`create` as a context manager."""
    handle = create(location)
    try:
        yield handle
    finally:
        handle.close()


def read_bytes(location: str) -> bytes:
    """A whole file; FileNotFoundError when nothing is there, local or remote alike."""
    try:
        with open_read(location) as handle:
            return handle.read()
    except Exception:
        # Each store says "missing" in its own words (S3's 404, GCS's NotFound), so ask only
        # when a read fails: an existence check before every read was one more request per
        # file, and a run reads back hundreds of small files. A local file raises its own.
        if is_remote(location) and not exists(location):
            raise FileNotFoundError(location) from None
        raise


def write_bytes(location: str, data: bytes) -> None:
    """Write a whole file atomically: readers see the old content or the new, never a part."""
    if is_remote(location):
        with open_write(location) as handle:
            handle.write(data)
        return
    target = Path(location)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def create_exclusive(location: str, data: bytes) -> bool:
    """Create `location` with `data` only if nothing is there; False when something is.

    Local: an atomic hard link of a complete temporary file (no reader sees a partial file,
    and of two writers exactly one wins). Object stores through FileSystems have no
    conditional create, so there this is check-then-write: the caller must not rely on it
    to arbitrate a race (the run lock says so in its message)."""
    if is_remote(location):
        if exists(location):
            return False
        write_bytes(location, data)
        return True
    target = Path(location)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    try:
        os.link(tmp, target)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def exists(location: str) -> bool:
    if not is_remote(location):
        return os.path.exists(location)
    return bool(_fs().exists(location))


def size(location: str) -> int:
    if not is_remote(location):
        return os.path.getsize(location)
    return int(_fs().match([location])[0].metadata_list[0].size_in_bytes)


def list_files(prefix: str) -> list[str]:
    """Every file under the folder `prefix` (recursively), sorted."""
    if not is_remote(prefix):
        root = Path(prefix)
        if not root.is_dir():
            return []
        return sorted(str(p) for p in root.rglob("*") if p.is_file())
    found = _fs().match([join(prefix, "**")])[0].metadata_list
    return sorted(m.path for m in found)


def list_dirs(prefix: str) -> list[str]:
    """Names of the folders directly under `prefix` (object stores: common prefixes)."""
    if not is_remote(prefix):
        root = Path(prefix)
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    root = prefix.rstrip("/")
    names = set()
    for path in list_files(prefix):
        rest = relative_to(path, root)
        if "/" in rest:
            names.add(rest.split("/", 1)[0])
    return sorted(names)


def delete_tree(prefix: str) -> None:
    """Remove a folder and everything under it; nothing there is fine."""
    if not is_remote(prefix):
        if os.path.isfile(prefix) or os.path.islink(prefix):
            os.unlink(prefix)  # what should have been a folder: gone all the same
        shutil.rmtree(prefix, ignore_errors=True)
        return
    found = list_files(prefix)
    if found:
        _fs().delete(found)


def delete(locations: list[str]) -> None:
    if not locations:
        return
    if not is_remote(locations[0]):
        for location in locations:
            Path(location).unlink(missing_ok=True)
        return
    present = [loc for loc in locations if exists(loc)]
    if present:
        _fs().delete(present)


def rename(source: str, target: str) -> None:
    """Move one file (local: atomic rename; object stores: copy then delete)."""
    if not is_remote(source):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        return
    _fs().rename([source], [target])

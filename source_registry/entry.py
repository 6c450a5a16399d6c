"""One registry entry: a YAML file describing a data source (DESIGN §3).

```yaml
source_id: demo-zh-wiki            # lowercase letters, digits, '-', '_', '.'
title: Chinese Wikipedia passages (CMRC 2018 slice)
kind: open_source                   # open_source | self_collected | commercial | user_input
modality: text
languages: [zh]
origin: foreign                     # domestic | foreign
location:
  paths: [data/zh_wiki.jsonl]       # relative to this file; globs allowed
  format: jsonl                     # optional: jsonl | csv | parquet | warc | wet | hf
fields:                             # where the reader finds each value in a raw record
  text: context_text                # required
  id: context_id                    # the native key; without it, file + locator is the key
  url: url
  collected_at: collected_at
  licence: licence                  # a per-record licence overrides the entry's
  user_id: user_id
licence: CC-BY-SA-4.0               # SPDX expression (open-source data)
evidence:                           # documents by path and sha256, checked by `registry validate`
  - {role: licence_text, path: licences/CC-BY-SA-4.0.txt, sha256: 3f1c…}
```
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corpusgate.schemas.sources import (
    EVIDENCE_ROLES,
    FIELD_NAMES,
    FORMATS,
    KINDS,
    MODALITIES,
    ORIGINS,
)
from corpusgate.transforms.spine.readers.stored import is_remote

_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SUFFIX_FORMATS = (
    (".jsonl.gz", "jsonl"),
    (".json.gz", "jsonl"),
    (".ndjson", "jsonl"),
    (".jsonl", "jsonl"),
    (".json", "jsonl"),
    (".csv.gz", "csv"),
    (".csv", "csv"),
    (".parquet", "parquet"),
    (".warc.wet.gz", "wet"),
    (".wet.gz", "wet"),
    (".wet", "wet"),
    (".warc.gz", "warc"),
    (".warc", "warc"),
    (".arc.gz", "warc"),  # the WARC reader reads ARC too
    (".arc", "warc"),
)


class RegistryError(ValueError):
    """A registry entry is malformed; the message names the file, the field and what is expected."""

    def __init__(self, path: Path | str, field_name: str, expected: str) -> None:
        where = field_name if field_name.startswith(("line ", "(")) else f"field '{field_name}'"
        super().__init__(f"{path}: {where}: {expected}")
        self.path = str(path)
        self.field = field_name
        self.expected = expected


@dataclass(frozen=True)
class Evidence:
    role: str
    path: str  # as written in the entry
    sha256: str
    resolved: Path  # absolute path on this machine


@dataclass(frozen=True)
class SourceEntry:
    source_id: str
    title: str
    kind: str
    modality: str
    languages: tuple[str, ...]
    origin: str
    paths: tuple[str, ...]
    format: str | None
    fields: dict[str, str]
    licence: str | None
    evidence: tuple[Evidence, ...]
    file: Path
    sha256: str  # of the entry file's bytes: the lineage's registry_entry_sha256
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific settings, e.g. user_agent

    @property
    def base_dir(self) -> Path:
        return self.file.parent

    def evidence_for(self, role: str) -> list[Evidence]:
        return [e for e in self.evidence if e.role == role]

    def input_files(self) -> list[str]:
        """Every input file the entry's paths name, each once; a path matching nothing is an error.

        A local path or glob is relative to the entry's folder; `**` follows links to folders but
        never enters one it has already entered for the same part of the pattern, so a folder
        linked into itself cannot be read over and over. Local files are kept once per real
        path (the first name in sorted order), across all patterns. A path with a scheme
        (gs://bucket/x/*.warc.gz) is matched through Beam's FileSystems and returned as it is;
        joining it onto the entry's folder would make it a local path that never exists.
        """
        files: list[str] = []
        seen: set[str] = set()
        for pattern in self.paths:
            if is_remote(pattern):
                matches = self._match_remote(pattern)
                where = pattern
            else:
                where = os.path.join(self.base_dir, pattern)
                matches = _glob_once(where) if glob.has_magic(where) else _existing(where)
            if not matches:
                raise RegistryError(
                    self.file, "location.paths", f"'{pattern}' matches no file (looked for {where})"
                )
            for match in matches:
                key = match if is_remote(match) else os.path.realpath(match)
                if key not in seen:
                    seen.add(key)
                    files.append(match)
        return files

    def _match_remote(self, pattern: str) -> list[str]:
        from apache_beam.io.filesystems import FileSystems

        try:
            (result,) = FileSystems.match([pattern])
        except Exception as err:  # Beam wraps every listing failure differently per file system
            raise RegistryError(
                self.file, "location.paths", f"'{pattern}' cannot be listed: {err}"
            ) from err
        return sorted(metadata.path for metadata in result.metadata_list)

    def format_of(self, path: str | Path) -> str:
        if self.format:
            return self.format
        text = str(path)
        name = text.rstrip("/").rsplit("/", 1)[-1].lower()
        for suffix, fmt in _SUFFIX_FORMATS:
            if name.endswith(suffix):
                return fmt
        if not is_remote(text) and os.path.isdir(text):
            return "hf"
        raise RegistryError(
            self.file,
            "location.format",
            f"cannot tell the format of '{name}' from its name; set one of {', '.join(FORMATS)}",
        )


def _glob_once(pattern: str) -> list[str]:
    """`glob.glob(pattern, recursive=True)`, sorted, without revisiting a folder through a link.

    The folder walk is glob's (names starting with '.' only match a part starting with '.'),
    except that a real folder already visited for the same part of the pattern is not entered
    again: what lies below it would match the same way.
    """
    head, parts = _split_literal(pattern)
    if not os.path.isdir(head):
        return []
    found: list[str] = []
    visited: set[tuple[str, int]] = set()

    def walk(folder: str, index: int, *, within: bool = False) -> None:
        state = (os.path.realpath(folder), index)
        if state in visited:
            return
        visited.add(state)
        part = parts[index]
        last = index == len(parts) - 1
        if part == "**":
            if not last:
                walk(folder, index + 1)  # '**' matching no folder at all
            elif not within:
                found.append(os.path.join(folder, ""))  # as glob names the folder '**' starts in
            for name, is_dir in _entries(folder, hidden=False):
                child = os.path.join(folder, name)
                if last:
                    found.append(child)
                if is_dir:
                    walk(child, index, within=True)
            return
        if glob.has_magic(part):
            entries = _entries(folder, hidden=part.startswith("."))
            names = [(name, is_dir) for name, is_dir in entries if fnmatch.fnmatch(name, part)]
        else:
            names = [(part, os.path.isdir(os.path.join(folder, part)))]
        for name, is_dir in names:
            child = os.path.join(folder, name)
            if last:
                if os.path.lexists(child):
                    found.append(child)
            elif is_dir:
                walk(child, index + 1)

    walk(head, 0)
    return sorted(found)


def _existing(path: str) -> list[str]:
    return [path] if os.path.exists(path) else []


def _split_literal(pattern: str) -> tuple[str, list[str]]:
    """(the leading folders without wildcards, the parts from the first wildcard on)."""
    parts = pattern.split(os.sep)
    first = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    return os.sep.join(parts[:first]) or os.sep, parts[first:]


def _entries(folder: str, *, hidden: bool) -> list[tuple[str, bool]]:
    try:
        with os.scandir(folder) as scan:
            return sorted(
                (entry.name, entry.is_dir())
                for entry in scan
                if hidden or not entry.name.startswith(".")
            )
    except OSError:
        return []


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _require(data: dict[str, Any], key: str, path: Path, expected: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise RegistryError(path, key, f"missing; expected {expected}")
    return data[key]


def _choice(data: dict[str, Any], key: str, options: tuple[str, ...], path: Path) -> str:
    value = _require(data, key, path, f"one of {', '.join(options)}")
    if value not in options:
        raise RegistryError(path, key, f"'{value}' is not one of {', '.join(options)}")
    return str(value)


def _string_list(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RegistryError(path, key, "expected a non-empty list of strings")
    return tuple(value)


def parse_entry(data: Any, path: Path, raw: bytes) -> SourceEntry:
    if not isinstance(data, dict):
        raise RegistryError(path, "(top level)", "expected a mapping of fields")
    source_id = str(_require(data, "source_id", path, "an identifier like 'web-news-2024'"))
    if not _SOURCE_ID.match(source_id):
        raise RegistryError(
            path, "source_id", f"'{source_id}' must be lowercase letters, digits, '-', '_' or '.'"
        )
    kind = _choice(data, "kind", KINDS, path)
    modality = _choice(data, "modality", MODALITIES, path) if "modality" in data else "text"
    origin = _choice(data, "origin", ORIGINS, path)
    languages = _string_list(
        _require(data, "languages", path, "a list like [zh, en]"), path, "languages"
    )

    location = _require(data, "location", path, "a mapping with 'paths' (and optional 'format')")
    if not isinstance(location, dict):
        raise RegistryError(path, "location", "expected a mapping with 'paths'")
    paths = _string_list(
        _require(location, "paths", path, "a list of file paths or globs"), path, "location.paths"
    )
    fmt = location.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise RegistryError(path, "location.format", f"'{fmt}' is not one of {', '.join(FORMATS)}")

    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise RegistryError(path, "fields", "expected a mapping like {text: body, id: doc_id}")
    unknown = sorted(set(fields) - set(FIELD_NAMES))
    if unknown:
        raise RegistryError(
            path, f"fields.{unknown[0]}", f"unknown; expected some of {FIELD_NAMES}"
        )
    fields = {str(k): str(v) for k, v in fields.items()}
    fields.setdefault("text", "text")

    licence = data.get("licence")
    if licence is not None and not isinstance(licence, str):
        raise RegistryError(path, "licence", "expected an SPDX expression string")

    evidence = []
    for i, item in enumerate(data.get("evidence") or []):
        where = f"evidence[{i}]"
        if not isinstance(item, dict):
            raise RegistryError(path, where, "expected a mapping with role, path and sha256")
        role = str(_require(item, "role", path, f"{where}.role"))
        allowed = EVIDENCE_ROLES[kind]
        if role not in allowed:
            raise RegistryError(
                path,
                f"{where}.role",
                f"'{role}' is not one of {', '.join(allowed)} "
                f"(the evidence roles of a {kind} source)",
            )
        ev_path = str(_require(item, "path", path, f"{where}.path"))
        sha = str(_require(item, "sha256", path, "the document's sha256 (64 hex digits)")).lower()
        if not _SHA256.match(sha):
            raise RegistryError(path, f"{where}.sha256", f"'{sha}' is not 64 hex digits")
        evidence.append(Evidence(role, ev_path, sha, (path.parent / ev_path).resolve()))

    known = {
        "source_id",
        "title",
        "kind",
        "modality",
        "languages",
        "origin",
        "location",
        "fields",
        "licence",
        "evidence",
    }
    return SourceEntry(
        source_id=source_id,
        title=str(data.get("title") or source_id),
        kind=kind,
        modality=modality,
        languages=languages,
        origin=origin,
        paths=paths,
        format=fmt,
        fields=fields,
        licence=licence,
        evidence=tuple(evidence),
        file=path.resolve(),
        sha256=hashlib.sha256(raw).hexdigest(),
        extra={k: v for k, v in data.items() if k not in known},
    )


def load_entry(path: Path) -> SourceEntry:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise RegistryError(path, "(file)", f"cannot be read: {err.strerror}") from err
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise RegistryError(
            path, where, f"is not valid YAML: {getattr(err, 'problem', err)}"
        ) from err
    return parse_entry(data, path, raw)

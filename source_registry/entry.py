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

from pydantic import Field, field_validator, model_validator

from corpusgate.schemas.sources import (
    EVIDENCE_ROLES,
    FORMATS,
    KINDS,
    MODALITIES,
    ORIGINS,
)
from corpusgate.transforms.common.files import is_remote
from corpusgate.transforms.common.settings import Settings, SettingsError, parse_settings
from corpusgate.transforms.common.yamlfile import Document, YamlError, parse_yaml

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
        if not field_name:  # `expected` already names the field(s): a settings error
            super().__init__(f"{path}: {expected}")
        else:
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


class _Location(Settings):
    paths: list[str]
    format: str | None = None

    @field_validator("paths", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not value:
            raise ValueError("expected a non-empty list of file paths or globs")
        return value

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is not None and value not in FORMATS:
            raise ValueError(f"'{value}' is not one of {', '.join(FORMATS)}")
        return value


class _Fields(Settings):
    text: str = "text"
    id: str | None = None
    url: str | None = None
    collected_at: str | None = None
    licence: str | None = None
    user_id: str | None = None


class _Evidence(Settings):
    role: str
    path: str
    sha256: str

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _SHA256.match(value.lower()):
            raise ValueError(f"'{value}' is not 64 hex digits")
        return value.lower()


class EntryFile(Settings):
    """What a registry entry may say; any other key is refused with a 'did you mean'."""

    source_id: str
    title: str | None = None
    kind: str
    modality: str = "text"
    languages: list[str]
    origin: str
    location: _Location
    fields: _Fields = Field(default_factory=_Fields)
    licence: str | None = None
    # What kind of text the source holds (encyclopedic, classical_poetry, web,
    # social_comments, ...): the harm gate corrects its sampled rate with the detector error
    # the harm policy measured on that kind of text (`gate.detector_error`).
    content_type: str | None = None
    evidence: list[_Evidence] = Field(default_factory=list)
    # Kind-specific facts (DESIGN §3): the agent a crawl fetched as; the contract's number.
    user_agent: str | None = None
    contract_id: str | None = None

    @field_validator("source_id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _SOURCE_ID.match(value):
            raise ValueError(f"'{value}' must be lowercase letters, digits, '-', '_' or '.'")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _one_of(value, KINDS)

    @field_validator("origin")
    @classmethod
    def _origin(cls, value: str) -> str:
        return _one_of(value, ORIGINS)

    @field_validator("modality")
    @classmethod
    def _modality(cls, value: str) -> str:
        return _one_of(value, MODALITIES)

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not value:
            raise ValueError("expected a non-empty list like [zh, en]")
        return value

    @model_validator(mode="after")
    def _kind_specific(self) -> EntryFile:
        allowed = EVIDENCE_ROLES[self.kind]
        for i, item in enumerate(self.evidence):
            if item.role not in allowed:
                raise ValueError(
                    f"evidence[{i}].role: '{item.role}' is not one of {', '.join(allowed)} "
                    f"(the evidence roles of a {self.kind} source)"
                )
        if self.user_agent is not None and self.kind != "self_collected":
            raise ValueError("user_agent: only a self_collected source has a crawler user agent")
        if self.contract_id is not None and self.kind != "commercial":
            raise ValueError("contract_id: only a commercial source has a contract")
        return self


def _one_of(value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"'{value}' is not one of {', '.join(options)}")
    return value


def parse_entry(data: Any, path: Path, raw: bytes, doc: Document | None = None) -> SourceEntry:
    if not isinstance(data, dict):
        raise RegistryError(path, "(top level)", "expected a mapping of fields")
    try:
        checked = parse_settings(EntryFile, data, doc=doc, noun="field")
    except SettingsError as err:
        first, *rest = str(err).replace(f"{doc.where if doc else path}: ", "").split("\n")
        raise RegistryError(path, "", "\n  ".join([first, *rest])) from None
    extra = {
        k: v
        for k, v in (
            ("user_agent", checked.user_agent),
            ("contract_id", checked.contract_id),
            ("content_type", checked.content_type),
        )
        if v is not None
    }
    return SourceEntry(
        source_id=checked.source_id,
        title=checked.title or checked.source_id,
        kind=checked.kind,
        modality=checked.modality,
        languages=tuple(checked.languages),
        origin=checked.origin,
        paths=tuple(checked.location.paths),
        format=checked.location.format,
        fields={k: v for k, v in checked.fields.model_dump().items() if v is not None},
        licence=checked.licence,
        evidence=tuple(
            Evidence(e.role, e.path, e.sha256, (path.parent / e.path).resolve())
            for e in checked.evidence
        ),
        file=path.resolve(),
        sha256=hashlib.sha256(raw).hexdigest(),
        extra=extra,
    )


def load_entry(path: Path) -> SourceEntry:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise RegistryError(path, "(file)", f"cannot be read: {err.strerror}") from err
    try:
        doc = parse_yaml(raw, str(path))
    except YamlError as err:
        message = str(err).removeprefix(f"{path}:").strip()
        raise RegistryError(
            path, message.split(":", 1)[0], message.split(":", 1)[1].strip()
        ) from None
    return parse_entry(doc.data, path, raw, doc)

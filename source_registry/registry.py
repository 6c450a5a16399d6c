"""The registry: a folder of entry files, one YAML per source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpusgate.schemas.sources import REQUIRED_EVIDENCE
from corpusgate.source_registry.entry import (
    RegistryError,
    SourceEntry,
    load_entry,
    sha256_file,
)


@dataclass(frozen=True)
class Finding:
    """A problem `registry validate` reports about one entry."""

    source_id: str
    file: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.source_id}: field '{self.field}': {self.problem}"


class Registry:
    def __init__(self, folder: Path, entries: dict[str, SourceEntry]) -> None:
        self.folder = folder
        self.entries = entries

    @classmethod
    def load(cls, folder: Path | str) -> Registry:
        folder = Path(folder)
        if not folder.is_dir():
            raise RegistryError(folder, "(registry)", "is not a folder of source entries (*.yaml)")
        entries: dict[str, SourceEntry] = {}
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            entry = load_entry(path)
            if entry.source_id in entries:
                raise RegistryError(
                    path,
                    "source_id",
                    f"'{entry.source_id}' is already defined in {entries[entry.source_id].file}",
                )
            entries[entry.source_id] = entry
        if not entries:
            raise RegistryError(folder, "(registry)", "holds no *.yaml source entries")
        return cls(folder, entries)

    def get(self, source_id: str) -> SourceEntry:
        try:
            return self.entries[source_id]
        except KeyError:
            known = ", ".join(sorted(self.entries))
            raise KeyError(f"no source '{source_id}' in {self.folder} (known: {known})") from None

    def __iter__(self):
        return iter(self.entries.values())


def evidence_findings(entry: SourceEntry) -> list[Finding]:
    """Missing, unreadable or hash-mismatched evidence, and evidence the kind requires but lacks."""
    findings = []
    for i, ev in enumerate(entry.evidence):
        field = f"evidence[{i}] ({ev.role})"
        if not ev.resolved.is_file():
            findings.append(
                Finding(
                    entry.source_id,
                    str(entry.file),
                    field,
                    f"file {ev.path} does not exist (looked at {ev.resolved})",
                )
            )
            continue
        try:
            actual = sha256_file(ev.resolved)
        except OSError as err:
            findings.append(
                Finding(
                    entry.source_id,
                    str(entry.file),
                    field,
                    f"file {ev.path} cannot be read: {err.strerror}",
                )
            )
            continue
        if actual != ev.sha256:
            findings.append(
                Finding(
                    entry.source_id,
                    str(entry.file),
                    field,
                    f"sha256 of {ev.path} is {actual}, the entry records {ev.sha256}",
                )
            )
        elif ev.role == "crawl_record":
            # The run refuses the whole source when a snapshot the record lists is missing or
            # changed; say so here, before any run.
            from corpusgate.transforms.provenance.crawl_record import load_crawl_record

            try:
                load_crawl_record(ev.resolved, ev.sha256)
            except ValueError as err:
                findings.append(Finding(entry.source_id, str(entry.file), field, str(err)))
    for role in REQUIRED_EVIDENCE[entry.kind]:
        if not entry.evidence_for(role):
            findings.append(
                Finding(
                    entry.source_id,
                    str(entry.file),
                    "evidence",
                    f"a {entry.kind} source must reference a '{role}' document",
                )
            )
    return findings


def input_findings(entry: SourceEntry) -> list[Finding]:
    try:
        files = entry.input_files()
        for path in files:
            entry.format_of(path)
    except RegistryError as err:
        return [Finding(entry.source_id, str(entry.file), err.field, err.expected)]
    return []


def validate(registry: Registry) -> list[Finding]:
    findings: list[Finding] = []
    for entry in registry:
        findings.extend(input_findings(entry))
        findings.extend(evidence_findings(entry))
    return findings

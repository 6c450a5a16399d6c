"""Evidence documents of a source (4.1.3, B.2.1.1.3): present, readable, and the bytes the
registry entry recorded. Read on the launcher only; workers receive the verdict."""

from __future__ import annotations

import os
from pathlib import Path

from corpusgate.transforms.common.hashing import sha256_file
from corpusgate.transforms.spine.checks import SourceFacts


def entry_relative(facts: SourceFacts, path: str) -> str:
    """A path as the entry writes it (relative to the entry file), so lineage and quarantine
    details never name the launcher's folders."""
    return os.path.relpath(path, Path(facts.entry_file).parent)


def document_problem(facts: SourceFacts, role: str, path: str, recorded: str) -> str:
    """'' when the document exists and matches its recorded sha256, else what is wrong."""
    shown = entry_relative(facts, path)
    if not Path(path).is_file():
        return f"{role} {shown} does not exist"
    try:
        actual = sha256_file(path)
    except OSError as err:
        return f"{role} {shown} cannot be read ({err.strerror})"
    if actual != recorded.lower():
        return f"{role} {shown} has sha256 {actual[:12]}…, the entry records {recorded[:12]}…"
    return ""


class Shortener:
    """Replaces the launcher's absolute paths in core messages by the entry-relative ones."""

    def __init__(self, pairs: tuple[tuple[str, str], ...] = ()) -> None:
        self.pairs = pairs

    def __call__(self, text: str) -> str:
        for full, shown in self.pairs:
            text = text.replace(full, shown)
        return text

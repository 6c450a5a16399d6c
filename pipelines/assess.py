"""`assess`: the pre-collection sampling assessment of one source (GB/T 45654-2025 4.1.1 a).

Composition only: the source's records are read exactly as `run` reads them (the same plan,
readers and record mapping), sampled and decided by the gate's pure core
(`corpusgate.transforms.harm.gate.assessment`), and recorded in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from corpusgate.transforms.language.identify import LanguageIdentifier
from corpusgate.transforms.spine.plan import plan_tasks
from corpusgate.transforms.spine.readers import Skipped, read_file
from corpusgate.transforms.spine.to_record import normalize


def read_source_records(entry: Any, batch: int = 256) -> Iterator[dict[str, Any]]:
    """Every record of a registry entry as `run` would read it (unparseable rows skipped),
    with the language the run's LanguageId stage gives it."""
    identifier = LanguageIdentifier()
    pending: list[dict[str, Any]] = []
    for record in _read(entry):
        pending.append(record)
        if len(pending) >= batch:
            yield from _with_languages(identifier, pending)
            pending = []
    yield from _with_languages(identifier, pending)


def _with_languages(
    identifier: LanguageIdentifier, records: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    results = identifier.identify_batch([r["text"] for r in records]) if records else []
    for record, result in zip(records, results, strict=True):
        yield {**record, "language": result.language}


def _read(entry: Any) -> Iterator[dict[str, Any]]:
    for task in plan_tasks([entry], "assess", ""):
        for item in read_file(task.path, task.format, task.uri):
            if isinstance(item, Skipped):
                continue  # not a document (a WARC request, metadata, …)
            ok, row = normalize(item, task.context)
            if ok:
                yield row  # type: ignore[misc]

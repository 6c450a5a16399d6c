"""Replace detected identifiers with a stable placeholder per entity type (Presidio anonymizer).

The placeholder is `<ENTITY_TYPE>` (`<CN_MOBILE>`, `<EMAIL_ADDRESS>`): the same for every value,
so redacted text carries no trace of the value, and a model trained on it learns the shape of a
sentence with a phone number in it, not the number.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from corpusgate.transforms.pii.entity import PiiEntity

__all__ = ["placeholder", "redact"]


def placeholder(entity_type: str) -> str:
    return f"<{entity_type}>"


@functools.lru_cache(maxsize=1)
def _engine() -> Any:
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


def redact(text: str, entities: Sequence[PiiEntity]) -> str:
    """`text` with every entity's span replaced by its placeholder. Spans must not overlap
    (`PiiDetector.detect` resolves overlaps)."""
    if not entities:
        return text
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    results = [RecognizerResult(e.entity_type, e.start, e.end, e.score) for e in entities]
    operators = {
        e.entity_type: OperatorConfig("replace", {"new_value": placeholder(e.entity_type)})
        for e in entities
    }
    return str(_engine().anonymize(text=text, analyzer_results=results, operators=operators).text)

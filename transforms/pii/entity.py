"""One detected personal identifier, as the detector hands it on (GB/T 45654-2025 4.2.3).

A typed value with no Presidio or Beam import, so the decision (`consent_lookup`) and the
redaction (`redact`) can take it without loading the detector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PiiEntity"]


@dataclass(frozen=True)
class PiiEntity:
    """One detected identifier. `normalized` is for keyed hashing only: it is kept out of
    `repr`, equality and `to_dict` so it does not leak into logs or reports by accident."""

    entity_type: str
    start: int
    end: int
    score: float
    pii_class: str
    normalized: str = field(repr=False, compare=False)
    recognizer: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "class": self.pii_class,
        }

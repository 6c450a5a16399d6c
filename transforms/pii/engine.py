"""The former home of the detector, kept as names only for `stage.py` until it imports the new
modules (`policy`, `detector`, `languages`); delete it then. Nothing is defined here.
"""

from __future__ import annotations

from typing import Any

from corpusgate.transforms.pii.languages import PROFILES as LANGUAGES
from corpusgate.transforms.pii.policy import ACTIONS, CLASSES, PERSONAL, SENSITIVE, PiiPolicy

__all__ = [
    "ACTIONS",
    "CLASSES",
    "LANGUAGES",
    "PERSONAL",
    "SENSITIVE",
    "PiiPolicy",
]


def __getattr__(name: str) -> Any:
    # PiiDetector and shared_detector, imported on first use: they pull in Presidio.
    if name in ("PiiDetector", "shared_detector"):
        from corpusgate.transforms.pii import detector

        return getattr(detector, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

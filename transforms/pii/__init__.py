"""Personal information (GB/T 45654-2025 4.2.3): detection with Presidio offline, the policy,
consent lookup and redaction.

Importing this package is cheap: Presidio is imported when a detector module is.
"""

from __future__ import annotations

import os
from typing import Any

# tldextract reads this when it is first imported (by Presidio's e-mail recognizer); an empty
# value means "use the bundled public-suffix snapshot, never fetch". Set here, before any
# module of this package can import Presidio.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

from corpusgate.transforms.pii.entity import PiiEntity
from corpusgate.transforms.pii.policy import PiiPolicy

__all__ = ["PiiDetector", "PiiEntity", "PiiPolicy", "seed_windows", "shared_detector"]

_LAZY = {
    "PiiDetector": "corpusgate.transforms.pii.detector",
    "shared_detector": "corpusgate.transforms.pii.detector",
    "seed_windows": "corpusgate.transforms.pii.windows",
}


def __getattr__(name: str) -> Any:
    # The detector pulls in Presidio (~1 s); only a caller that detects pays for it.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

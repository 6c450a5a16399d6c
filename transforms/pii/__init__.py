"""Personal-information detection (Presidio, offline, with Chinese recognizers).

Importing this package is cheap: Presidio is imported when a detector is built.
"""

from corpusgate.transforms.pii.engine import (
    PiiDetector,
    PiiEntity,
    PiiPolicy,
    seed_windows,
    shared_detector,
)

__all__ = ["PiiDetector", "PiiEntity", "PiiPolicy", "seed_windows", "shared_detector"]

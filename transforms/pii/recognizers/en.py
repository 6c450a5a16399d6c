"""Presidio's recognizers for structured identifiers, made safe offline and on web text, plus
the English context words of the Chinese identifier recognizers (GB/T 45654-2025 4.2.3).

Three of Presidio's recognizers are changed, each for a reason seen on real pages:
- `OfflineEmailRecognizer`: the domain check uses a tldextract instance with no suffix-list URL
  (its bundled snapshot), never the network.
- `CleanUrlRecognizer`: no ellipsis matches; Presidio's host part may start with a dot, so
  "...you" and "...it" are URLs to it (`.you` and `.it` are TLDs).
- `CardRecognizer`: the card ranges Presidio's pattern misses (19-digit Visa, Mastercard's
  2221-2720 range, Maestro, 15-digit JCB), minus counting lists ("1896 1897 1898 1899" passes
  Luhn one time in ten; web pages are full of lists of years). Luhn still decides.
- `NhsNumberRecognizer`: a valid check digit keeps the pattern's score instead of making the
  match certain. NHS numbers are ten digits written 3-3-4, the commonest phone layout, and the
  check digit agrees for one ten-digit number in eleven: "Phone: 333 123 4567" is a phone
  number. An NHS context word ("nhs", "health service") still makes it count.
"""

from __future__ import annotations

import re
from typing import Any

import tldextract
from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    NhsRecognizer,
    UrlRecognizer,
)

from corpusgate.transforms.pii.digit_shapes import is_counting_list

__all__ = [
    "EN_CONTEXT",
    "CardRecognizer",
    "CleanUrlRecognizer",
    "NhsNumberRecognizer",
    "OfflineEmailRecognizer",
]

# An empty suffix-list URL tuple means "use the bundled public-suffix snapshot, never fetch".
_OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class _PresidioName:
    """Reports under the name of the Presidio recognizer it adapts (lineage, and Presidio's own
    test rows in benchmarks/pii_presidio_tests.py, name recognizers)."""

    PRESIDIO_NAME = ""

    def __init__(self, *args: Any, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, name=name or self.PRESIDIO_NAME, **kwargs)  # type: ignore[call-arg]


class OfflineEmailRecognizer(_PresidioName, EmailRecognizer):
    """Presidio's e-mail recognizer with a domain check that never touches the network."""

    PRESIDIO_NAME = "EmailRecognizer"

    def validate_result(self, pattern_text: str) -> bool:
        return _OFFLINE_TLD(pattern_text).fqdn != ""


class CleanUrlRecognizer(_PresidioName, UrlRecognizer):
    """Presidio's URL recognizer minus its ellipsis matches."""

    PRESIDIO_NAME = "UrlRecognizer"

    def invalidate_result(self, pattern_text: str) -> bool:
        host = pattern_text.strip("\"'").split("://")[-1].split("/")[0]
        return host.startswith((".", "-")) or ".." in host


# Card numbers Presidio's pattern misses, written without separators. Luhn still decides.
_EXTRA_CARD_PATTERN = (
    r"\b(?:4\d{12}(?:\d{3}){0,2}"
    r"|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)\d{12}"
    r"|(?:5[06-8]|6\d)\d{10,17}"
    r"|(?:2131|1800)\d{11})\b"
)
_GROUPS = re.compile(r"\d+")


class CardRecognizer(_PresidioName, CreditCardRecognizer):
    """Presidio's card recognizer plus the PAN ranges it misses, minus counting lists."""

    PRESIDIO_NAME = "CreditCardRecognizer"
    PATTERNS = (
        *CreditCardRecognizer.PATTERNS,
        Pattern("Card numbers, other ranges (weak)", _EXTRA_CARD_PATTERN, 0.3),
    )

    def __init__(self, patterns: list[Pattern] | None = None, **kwargs: Any) -> None:
        # Fresh Pattern objects per instance: Presidio caches the compiled regex on them.
        fresh = [Pattern(p.name, p.regex, p.score) for p in (patterns or self.PATTERNS)]
        super().__init__(fresh, **kwargs)

    def invalidate_result(self, pattern_text: str) -> bool:
        return is_counting_list(_GROUPS.findall(pattern_text))


class NhsNumberRecognizer(_PresidioName, NhsRecognizer):
    """Presidio's NHS recognizer whose check digit only rules numbers out."""

    PRESIDIO_NAME = "NhsRecognizer"

    def validate_result(self, pattern_text: str) -> bool | None:
        # None keeps the pattern's score (0.5); False drops the match.
        return None if super().validate_result(pattern_text) else False


# English context words for the Chinese identifier recognizers when they run on English (or
# other Latin-script) text: a Chinese ID card, phone or passport number mentioned in an English
# record. The Chinese lists hold English words too; these add the phrasings English uses.
EN_CONTEXT: dict[str, list[str]] = {
    "CN_RESIDENT_ID": [
        "id card",
        "id number",
        "id no",
        "identity",
        "resident id",
        "national id",
        "citizen id",
        "shenfenzheng",
    ],
    "CN_MOBILE": ["mobile", "phone", "tel", "cell", "call", "contact", "sms", "wechat"],
    "CN_LANDLINE": ["tel", "phone", "telephone", "fax", "landline", "office", "call", "contact"],
    "CN_BANK_CARD": ["card", "bank", "account", "unionpay", "debit", "credit"],
    "CN_PASSPORT": ["passport", "travel document"],
    "CN_USCC": [
        "credit code",
        "uscc",
        "business licence",
        "business license",
        "registration number",
        "tax id",
        "taxpayer",
    ],
}

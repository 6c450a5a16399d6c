"""Phone numbers by their written layout, for numbers libphonenumber will not vouch for.

Presidio's `PhoneRecognizer` reports a number only when libphonenumber says it is *valid* for
one of eight regions: the number range must be assigned. A text detector also has to find
phone-shaped identifiers libphonenumber rejects: numbers of other countries ("699 956 915",
"9472 7916"), new or unassigned ranges, fictional-looking test data ("(555) 123-4567"), and
numbers written in a layout it does not parse. `PhoneLayoutRecognizer` finds them by layout:

- strong layouts, score 0.4 (the policy's PHONE_NUMBER threshold, the same score libphonenumber
  matches get): an international number written with "+" and its country code
  ("+44 20 7946 0958", "+46 (0)8 928 571 38", "+1-984-182-0190"), and the North American layout
  with the area code in parentheses or dash/dot separated ("(555) 123-4567", "212.555.0190",
  "1-800-555-0199"), the area code starting 2-9 as NANP area codes do (the exchange is left
  free: test data and fiction use "555 0100"-style and invalid exchanges, still phone numbers);
- a weak layout, score 0.3, that counts only with a context word in the 32 characters before
  it (raised to 0.65): 7-12 digits in groups of 2-6 separated by single spaces, dots or dashes,
  optionally after an area code in parentheses ("Phone: 467 3395", "Tel. 020 7393 1500",
  "mobile: 0688 843 79 56", "call me on 9472 7916"), or written bare ("Phone: 3660170548").

Shapes that are common on web pages and are not phone numbers are dropped whatever the layout:
dates ("2015-02-12", "12.10.2019"), lists of years ("1998 2001") or counting lists, dotted quads (IP addresses),
round amounts written with thousands separators ("12 500 000"), one repeated digit.

The context words are this recognizer's own, narrower than Presidio's phone list: "number"
precedes every kind of identifier ("ISBN number", "order number") and is left out.
"""

from __future__ import annotations

import itertools
import re

from presidio_analyzer import Pattern, PatternRecognizer

# An optional extension after the number ("x769", " ext. 12", " extension 5").
_EXT = r"(?:[ ]?(?:x|ext\.?|extension)[ .:]?\d{1,6})?"
# No letter, digit or number-joining punctuation on either side, so a layout never starts or
# ends inside a longer token ("ISBN 978-3-16-148410-0", "v2.10.15.3", "$1 250 000"); a "+"
# layout may follow a comma ("Tel: +32 2 790 75 75,+32 2 790 75 85").
_BEFORE = r"(?<![\w+\-.,/:$€£#@])"
_AFTER = r"(?!\w|[.,\-/:]?\d)"

INTERNATIONAL = Pattern(
    "Phone, international with + (medium)",
    r"(?<![\w+])\+[1-9](?:[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d){6,16}(?![ .\-]?\d)" + _EXT + _AFTER,
    0.4,
)
NORTH_AMERICAN = Pattern(
    "Phone, North American layout (medium)",
    _BEFORE + r"(?:(?:\+?1|001)[ .\-]?)?(?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}[.\-])"
    r"\d{3}[.\-]\d{4}" + _EXT + _AFTER,
    0.4,
)
GROUPED = Pattern(
    "Phone, grouped digits (weak)",
    _BEFORE + r"(?:\(\d{1,5}\)[ \-]?)?\d{2,11}(?:[ .\-]\d{2,6}){0,4}" + _EXT + _AFTER,
    0.3,
)

PHONE_CONTEXT = [
    "phone",
    "telephone",
    "tel.",
    "tel:",
    "tel ",
    "mobile",
    "mob.",
    "mob:",
    "cell",
    "cellphone",
    "fax",
    "call",
    "dial",
    "contact",
    "whatsapp",
    "sms",
    "hotline",
]

_EXT_SPLIT = re.compile(r"[ ]?(?:x|ext\.?|extension)[ .:]?\d{1,6}$", re.IGNORECASE)
_GROUP = re.compile(r"\d+")
_SEPARATOR = re.compile(r"[ .\-]")


def _is_date(groups: list[str]) -> bool:
    if len(groups) != 3:
        return False
    a, b, c = groups
    if len(a) == 4 and len(b) <= 2 and len(c) <= 2:  # 2015-02-12
        year, month, day = int(a), int(b), int(c)
    elif len(c) == 4 and len(a) <= 2 and len(b) <= 2:  # 12.10.2019, 10-12-2019
        year, month, day = int(c), min(int(a), int(b)), max(int(a), int(b))
    else:
        return False
    return 1800 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def not_a_phone(number: str) -> bool:
    """True for a layout match (extension stripped) that is a date, a list of years, a dotted
    quad, a round amount or one repeated digit, or has a digit count no phone number has."""
    number = _EXT_SPLIT.sub("", number)
    international = number.startswith("+")
    # A "(0)" after the country code is the trunk prefix, not part of the number.
    groups = _GROUP.findall(number.replace("(0)", "") if international else number)
    digits = "".join(groups)
    low, high = (8, 15) if international else (7, 12)
    if not low <= len(digits) <= high or len(set(digits)) == 1:
        return True
    if international:
        return False
    if _is_date(groups):
        return True
    if len(groups) >= 2 and all(len(g) == 4 and 1800 <= int(g) <= 2099 for g in groups):
        return True
    if number.count(".") == 3 and len(groups) == 4 and all(int(g) <= 255 for g in groups):
        return True
    values = [int(g) for g in groups]
    if len(values) >= 3 and all(b - a == 1 for a, b in itertools.pairwise(values)):
        return True  # "10 11 12 13 14": a counting list
    separators = set(_SEPARATOR.findall(number))
    return (
        len(groups) >= 3
        and len(separators) == 1
        and groups[-1] == "000"
        and all(len(g) == 3 for g in groups[1:])
    )


class PhoneLayoutRecognizer(PatternRecognizer):
    """Phone-shaped identifiers by layout; see the module docstring for the layouts."""

    PATTERNS = (INTERNATIONAL, NORTH_AMERICAN, GROUPED)
    CONTEXT = PHONE_CONTEXT

    def __init__(
        self,
        patterns: list[Pattern] | None = None,
        context: list[str] | None = None,
        supported_language: str = "en",
        supported_entity: str = "PHONE_NUMBER",
        name: str = "PhoneLayoutRecognizer",
    ) -> None:
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns
            if patterns is not None
            else [Pattern(p.name, p.regex, p.score) for p in self.PATTERNS],
            context=context if context is not None else list(self.CONTEXT),
            supported_language=supported_language,
            name=name,
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        return not_a_phone(pattern_text)

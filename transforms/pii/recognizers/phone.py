"""Phone numbers by their written layout, for numbers libphonenumber will not vouch for
(GB/T 45654-2025 4.2.3).

Presidio's `PhoneRecognizer` reports a number only when libphonenumber says it is *valid* for
one of eight regions: the number range must be assigned. A text detector also has to find
phone-shaped identifiers libphonenumber rejects: numbers of other countries ("699 956 915",
"9472 7916"), new or unassigned ranges, fictional-looking test data ("(555) 123-4567"), and
numbers written in a layout it does not parse ("001-420-335-7509x385"). `PhoneLayoutRecognizer`
finds them by layout:

- strong layouts, score 0.4 (the policy's PHONE_NUMBER threshold, the same score libphonenumber
  matches get):
  - an international number written with "+" and its country code ("+44 20 7946 0958",
    "+46 (0)8 928 571 38", "+1-984-182-0190");
  - the North American layout with the area code in parentheses or dash/dot separated
    ("(555) 123-4567", "212.555.0190", "1-800-555-0199", "001-212-555-0123"), the area code
    starting 2-9 as NANP area codes do (the exchange is left free: test data and fiction use
    "555 0100"-style and invalid exchanges, still phone numbers);
  - an area code of 1-4 digits in parentheses before a local number in two or more groups
    ("(37) 788-063", "(02) 9876 5432", "(1) 234 5678"), not a year in parentheses ("(2003)
    245-267" is a citation) nor after a number ("12 (3) 345-356" is volume, issue, pages);
- a weak layout, score 0.3, that counts only with a context word: 7-12 digits in groups of 2-8
  separated by single spaces, dots or dashes, optionally after an area code in parentheses
  ("Phone: 467 3395", "Tel. 020 7393 1500", "mobile: 0688 843 79 56", "call me on 9472 7916"),
  or written bare ("Phone: 3660170548"), never from the middle of spaced digits. The context
  word comes in the 32 characters before it (raised to 0.65), or is a label right after it, as
  signatures and contact lists write them ("781 1704 office", "(37) 788-063-Office",
  "3660170548-Fax"; `LABELS`).

Every layout takes an extension ("x769", " ext. 12"). Shapes that are common on web pages and
are not phone numbers are dropped whatever the layout (`digit_shapes.not_a_phone`): dates, lists
of years, counting lists, dotted quads, round amounts, one repeated digit.

The context words are this recognizer's own, narrower than Presidio's phone list: "number"
precedes every kind of identifier ("ISBN number", "order number") and is left out.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

from corpusgate.transforms.pii.digit_shapes import not_a_phone

__all__ = ["LABELS", "PHONE_CONTEXT", "PhoneLayoutRecognizer", "not_a_phone"]

# An optional extension after the number ("x769", " ext. 12", " extension 5").
_EXT = r"(?:[ ]?(?:x|ext\.?|extension)[ .:]?\d{1,6})?"
# No letter, digit or number-joining punctuation on either side, so a layout never starts or
# ends inside a longer token ("ISBN 978-3-16-148410-0", "v2.10.15.3", "$1 250 000"). A comma
# joins numbers only after a digit ("1,250,000"): a number may follow one in a list
# ("Tel: +32 2 790 75 75,+32 2 790 75 85", "office,3660170548").
_BEFORE = r"(?<![\w+\-./:$€£#@])(?<!\d,)"
_AFTER = r"(?!\w|[.,\-/:]?\d)"
# An area code in parentheses: 1-4 digits, not a four-digit year.
_PAREN_AREA = r"\((?:\d{1,3}|(?!1\d{3}|20\d\d)\d{4})\)"

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
AREA_IN_PARENTHESES = Pattern(
    "Phone, area code in parentheses (medium)",
    r"(?<!\d[ ])" + _BEFORE + _PAREN_AREA + r"[ ]?\d{2,4}(?:[ .\-]\d{2,4}){1,3}" + _EXT + _AFTER,
    0.4,
)
# Groups of 2-8 digits: the last group of a German or Dutch number is often 7 or 8 digits long
# ("030 12345678", "06 12345678"). Never from the middle of spaced digits ("030 |12345678"): a
# part of a number is not a number.
GROUPED = Pattern(
    "Phone, grouped digits (weak)",
    r"(?<!\d[ ])"
    + _BEFORE
    + r"(?:\(\d{1,5}\)[ \-]?)?\d{2,11}(?:[ .\-]\d{2,8}){0,4}"
    + _EXT
    + _AFTER,
    0.3,
)

# Words before a number that say it is a phone number. Matched at the start of a word, so
# "call" also finds "calling", "message" "messages", "answer" "answering"; labels with a colon
# are the one-letter and short ones of signatures ("T: 020 ...", "Desk: ...").
PHONE_CONTEXT = [
    "phone",
    "telephone",
    "tel.",
    "tel:",
    "tel ",
    "t:",
    "p:",
    "m:",
    "f:",
    "mobile",
    "mob.",
    "mob:",
    "cell",
    "cellphone",
    "fax",
    "call",
    "dial",
    "ring me",
    "contact",
    "reach",
    "answer",
    "message",
    "text me",
    "whatsapp",
    "sms",
    "voicemail",
    "hotline",
    "helpline",
    "landline",
    "desk:",
    "direct:",
    "office:",
    "home:",
    "work:",
]

# Labels written right after a number, with at most a space, dash, slash or opening bracket
# between ("781 1704 office", "(37) 788-063-Office", "555 1234 (mobile)"). Only what names a
# line: "467 3395 is my phone" is a sentence, not a label, and "2437 Main St" an address.
LABELS = [
    "office",
    "fax",
    "mobile",
    "cell",
    "home",
    "work",
    "direct",
    "desk",
    "landline",
    "tel",
    "phone",
    "switchboard",
    "whatsapp",
]


class PhoneLayoutRecognizer(PatternRecognizer):
    """Phone-shaped identifiers by layout; see the module docstring for the layouts."""

    PATTERNS = (INTERNATIONAL, NORTH_AMERICAN, AREA_IN_PARENTHESES, GROUPED)
    CONTEXT = PHONE_CONTEXT
    LABELS = LABELS

    def __init__(
        self,
        patterns: list[Pattern] | None = None,
        context: list[str] | None = None,
        supported_language: str = "en",
        supported_entity: str = "PHONE_NUMBER",
        name: str = "PhoneLayoutRecognizer",
        labels: list[str] | None = None,
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
        # Read by `context.TextContextEnhancer`: context words that may follow the match.
        self.labels = list(self.LABELS if labels is None else labels)

    def invalidate_result(self, pattern_text: str) -> bool:
        return not_a_phone(pattern_text)

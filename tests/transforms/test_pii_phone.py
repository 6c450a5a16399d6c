"""Phone numbers by layout: what counts alone, what needs a context word, what is never a phone."""

from __future__ import annotations

import pytest

from corpusgate.transforms.pii.detector import PiiDetector
from corpusgate.transforms.pii.digit_shapes import not_a_phone
from corpusgate.transforms.pii.recognizers.phone import PhoneLayoutRecognizer


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector()


@pytest.fixture(scope="module")
def recognizer() -> PhoneLayoutRecognizer:
    return PhoneLayoutRecognizer()


def phones(detector: PiiDetector, text: str) -> list[str]:
    return [
        text[e.start : e.end]
        for e in detector.detect(text, "en")
        if e.entity_type == "PHONE_NUMBER"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Strong layouts count without a context word, valid number range or not.
        ("reach them at +1-984-182-0190 today", ["+1-984-182-0190"]),
        ("office +44 20 7946 0958.", ["+44 20 7946 0958"]),
        ("Desk: +46 (0)179 459 33", ["+46 (0)179 459 33"]),
        ("see +1 (212) 555-0123 x42", ["+1 (212) 555-0123 x42"]),
        ("write to (555) 123-4567 soon", ["(555) 123-4567"]),
        ("or 1-800-555-0199 ext. 12", ["1-800-555-0199 ext. 12"]),
        ("Office\\,+447700 208 815-Fax", ["+447700 208 815"]),
        # Weak layouts only after a context word...
        ("Phone: 467 3395", ["467 3395"]),
        ("Mobile: 432 03 163", ["432 03 163"]),
        ("Can someone call me on 9472 7916?", ["9472 7916"]),
        ("Phone:\n3660170548", ["3660170548"]),
        ("tel: (37) 788-063", ["(37) 788-063"]),
        ("They're not answering at 699 956 915", ["699 956 915"]),
        ("send messages to 0688 872 49 99", ["0688 872 49 99"]),
        ("you can reach her at 78 651 450 after six", ["78 651 450"]),
        # A label right after the number counts too ("office", "fax", "mobile", ...).
        ("APO AA 61487\n416 60 039 office\n", ["416 60 039"]),
        ("Cyprus 61089\n28-64-66-98 office", ["28-64-66-98"]),
        ("085 175 7641-Office\\,3660170548-Fax", ["085 175 7641", "3660170548"]),
        ("Ana: 699 956 915 (mobile)", ["699 956 915"]),
        # ...and not without one.
        ("They met at 699 956 915", []),
        ("Hungary 34796\n788-063 and more", []),
        # A context word before the number or a label right after; "number" is neither.
        ("467 3395 is my phone", []),
        ("order number 467 3395", []),
        ("Billing address: Ana\n326 2437 Main St", []),
        ("the 467 3395 officers", []),
        # An area code in parentheses before a grouped local number is a phone number alone...
        ("Hungary 34796\n(37) 788-063-Office", ["(37) 788-063"]),
        ("Sydney (02) 9876 5432 weekdays", ["(02) 9876 5432"]),
        ("Budapest (1) 234 5678", ["(1) 234 5678"]),
        # ...but not a year in parentheses (a citation) nor after a number (volume, issue).
        ("Nature (2003) 245-267", []),
        ("Science 12 (3) 345-356", []),
        # 001 is an international prefix, not three digits of the number.
        ("Fax: 001-420-335-7509x38548", ["001-420-335-7509x38548"]),
        # Phone-free shapes, even after a context word.
        ("call on 2015-02-12 about it", []),
        ("phone us 12.10.2019", []),
        ("call 1998 2001 2005", []),
        ("phone 10 11 12 13 14", []),
        ("call the 192.168.100.200 host", ["192.168.100.200"]),  # an IP address, not a phone
        ("contact: a budget of 12 500 000", []),
        ("phone 0000000", []),
        ("phone 123-45", []),  # too few digits
        ("phone +1 2345", []),
        # Never inside a longer token.
        ("ISBN 978-3-16-148410-0 phone", []),
        ("call v2.10.15.33", []),
        ("phone: x+12345678 or 5+1234567", []),
    ],
)
def test_layouts(detector: PiiDetector, text: str, expected: list[str]) -> None:
    got = [text[e.start : e.end] for e in detector.detect(text, "en")]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("+1-984-182-0190", 0.4),
        ("(555) 123-4567", 0.4),
        ("467 3395", 0.3),
        ("0688 843 79 56", 0.3),
    ],
)
def test_raw_scores(recognizer: PhoneLayoutRecognizer, text: str, score: float) -> None:
    # A layout can match two patterns; the engine keeps the higher score.
    results = recognizer.analyze(text, ["PHONE_NUMBER"])
    best = max(results, key=lambda r: r.score)
    assert (best.start, best.end, best.score) == (0, len(text), pytest.approx(score))


def test_context_raises_weak_layout_over_threshold(detector: PiiDetector) -> None:
    (e,) = detector.detect("Phone: 467 3395", "en")
    assert e.score == pytest.approx(0.65)
    assert e.recognizer == "PhoneLayoutRecognizer"
    assert e.normalized == "4673395"


def test_libphonenumber_keeps_a_number_it_validates(detector: PiiDetector) -> None:
    # Both recognizers report the span with the same score; Presidio keeps the first one,
    # and libphonenumber is registered first. (No context word: "reach" lifts only the
    # layouts' score.)
    (e,) = detector.detect("it was 206-543-9196 today", "en")
    assert (e.score, e.recognizer) == (pytest.approx(0.4), "PhoneRecognizer")


@pytest.mark.parametrize(
    ("number", "rejected"),
    [
        ("2015-02-12", True),
        ("12.10.2019", True),
        ("10-12-2019", True),
        ("13-13-2019", False),  # no such month or day: a number
        ("1998 2001", True),
        ("10.20.30.40", True),
        ("10.20.30.400", False),
        ("12 500 000", True),
        ("12 500 001", False),
        ("1111111", True),
        ("+44 (0)20 7946 0958", False),
        ("+44 (0)1 2345", True),  # the trunk "(0)" is not counted
        ("+1234567890123456", True),  # over E.164's 15 digits
        ("467 3395 x12", False),
        ("123 4567 8901 23", True),  # 13 digits without a country code
        ("001-420-335-7509x38548", False),  # 00 + country code, like "+"
        ("0044 20 7946 0958", False),
        ("1682 -1745", True),  # a range of years
        ("1644 1718 1720", True),
    ],
)
def test_not_a_phone(number: str, rejected: bool) -> None:
    assert not_a_phone(number) is rejected


# Layouts as countries write them (national numbering plans, ITU-T E.123 style), written for
# this test, not taken from any evaluation set. Each is found whole, with a phone word before
# it or a label after it; the layouts marked bare need neither.
COUNTRY_LAYOUTS = [
    # (number, found bare)
    ("(212) 555-0123", True),  # US / Canada
    ("212.555.0123", True),
    ("1-800-555-0199", True),
    ("212-555-0123 ext. 45", True),
    ("(212)555-0123x123", True),
    ("001-212-555-0123", True),
    ("001-420-335-7509x38548", True),  # from abroad, an area code libphonenumber rejects
    ("+1-420-335-7509x385", True),
    ("555-0123", False),  # a local number alone
    ("020 7946 0958", True),  # United Kingdom
    ("+44 (0)20 7946 0958", True),
    ("01 23 45 67 89", True),  # France
    ("01.23.45.67.89", True),
    ("030 12345678", True),  # Germany
    ("(030) 1234 5678", True),
    ("0171 1234567", True),
    ("912 345 678", False),  # Spain: three groups of three are also amounts
    ("699 956 915", False),
    ("333 123 4567", False),  # Italy (mobile)
    ("06 1234 5678", True),
    ("06-12345678", True),  # Netherlands
    ("(02) 9876 5432", True),  # Australia
    ("0412 345 678", True),
    ("044 668 18 00", True),  # Switzerland
    ("+41 (0)44 668 18 00", True),
    ("02 123 45 67", True),  # Belgium
    ("08-123 456 78", True),  # Sweden
    ("070-123 45 67", False),
    ("22 12 34 56", False),  # Norway, Denmark
    ("03-1234-5678", True),  # Japan
    ("+91 98765 43210", True),  # India
    ("(11) 91234-5678", True),  # Brazil
    ("55 1234 5678", True),  # Mexico
    ("082 490 1693", True),  # South Africa
    ("021 123 4567", False),
    ("(1) 234 5678", True),  # Hungary
    ("(96) 627-277", True),  # a short local number after an area code
    ("(71) 4233-6306", True),
    ("415 60 039", False),
    ("99 668472", False),
    ("71-33-52-22", False),
    ("668 5702", False),
    ("3660170548", False),
]
BEFORE = ["Tel: {}", "WhatsApp {} after six", "Please ring me on {}.", "Direct: {}", "T: {}"]
AFTER = ["{} (mobile)", "{} - fax", "{} office", "{}/home"]


@pytest.mark.parametrize(("number", "bare"), COUNTRY_LAYOUTS)
def test_country_layouts(detector: PiiDetector, number: str, bare: bool) -> None:
    for template in BEFORE + AFTER:
        assert phones(detector, template.format(number)) == [number], template
    assert phones(detector, f"They wrote {number} yesterday.") == ([number] if bare else [])

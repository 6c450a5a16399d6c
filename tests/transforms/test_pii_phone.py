"""Phone numbers by layout: what counts alone, what needs a context word, what is never a phone."""

from __future__ import annotations

import pytest

from corpusgate.transforms.pii.engine import PiiDetector
from corpusgate.transforms.pii.recognizers.phone import PhoneLayoutRecognizer, not_a_phone


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector(languages=("en",))


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
        # ...and not without one.
        ("They're not answering at 699 956 915", []),
        ("Hungary 34796\n(37) 788-063-Office", []),
        # The context word must come before the number, and "number" is not one.
        ("467 3395 is my phone", []),
        ("order number 467 3395", []),
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
    # and libphonenumber is registered first.
    (e,) = detector.detect("reach us at 206-543-9196 today", "en")
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
    ],
)
def test_not_a_phone(number: str, rejected: bool) -> None:
    assert not_a_phone(number) is rejected

"""Digit shapes that are not identifiers, however they are laid out (GB/T 45654-2025 4.2.3:
a detector that redacts every date or list of years as a phone or card number damages the
corpus and teaches nothing about where personal information is).

Pure Python: the phone layout recognizer drops a match `not_a_phone` rejects, the card
recognizer a counting list, and the pre-filter does not seed a phone window on a run of years
(`windows`), so libphonenumber never reads them.
"""

from __future__ import annotations

import itertools
import re

__all__ = ["is_counting_list", "is_date", "is_year_list", "not_a_phone", "split_extension"]

# Years as pages write them: lists ("1998 2001 2005") and ranges ("1682 -1745") of four-digit
# numbers in this span are dates, not phone numbers.
_FIRST_YEAR, _LAST_YEAR = 1000, 2099

# An extension after the number ("x769", " ext. 12", " extension 5").
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|extension)[ .:]?\d{1,6}$", re.IGNORECASE)
_GROUP = re.compile(r"\d+")
_SEPARATOR = re.compile(r"[ .\-]")
# The international call prefix most of the world dials before a country code ("001-",
# "0044 ...") counts as much as a "+": it is not part of the number.
_INTERNATIONAL = re.compile(r"\+|00(?=[1-9])")
# National numbers have 7-12 digits (a 7-digit local number to a 12-digit number with trunk
# and area codes); E.164 numbers have at most 15 after the country code's "+".
_NATIONAL_DIGITS = (7, 12)
_INTERNATIONAL_DIGITS = (8, 15)


def split_extension(number: str) -> tuple[str, str]:
    """(the number, its extension or "")."""
    m = _EXTENSION.search(number)
    return (number[: m.start()], m.group()) if m else (number, "")


def is_year_list(groups: list[str]) -> bool:
    """Two or more four-digit groups that are all years ("1998 2001", "1682 -1745")."""
    return len(groups) >= 2 and all(
        len(g) == 4 and _FIRST_YEAR <= int(g) <= _LAST_YEAR for g in groups
    )


def is_counting_list(groups: list[str]) -> bool:
    """Three or more groups that count up by one ("10 11 12 13", "1896 1897 1898"): no phone or
    card number's groups do, and such a list passes Luhn one time in ten."""
    values = [int(g) for g in groups]
    return len(values) >= 3 and all(b - a == 1 for a, b in itertools.pairwise(values))


def is_date(groups: list[str]) -> bool:
    """Three groups that read as a date, year first or last ("2015-02-12", "12.10.2019")."""
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
    quad, a round amount, a counting list or one repeated digit, or has a digit count no phone
    number has."""
    number, _ = split_extension(number)
    prefix = _INTERNATIONAL.match(number)
    if prefix:
        # A "(0)" after the country code is the trunk prefix, not part of the number.
        number = number[prefix.end() :].replace("(0)", "")
    groups = _GROUP.findall(number)
    digits = "".join(groups)
    low, high = _INTERNATIONAL_DIGITS if prefix else _NATIONAL_DIGITS
    if not low <= len(digits) <= high or len(set(digits)) == 1:
        return True
    if prefix:
        return False
    if is_date(groups) or is_year_list(groups):
        return True
    if number.count(".") == 3 and len(groups) == 4 and all(int(g) <= 255 for g in groups):
        return True  # a dotted quad: an IP address
    if is_counting_list(groups):
        return True
    separators = set(_SEPARATOR.findall(number))
    return (  # "12 500 000": a round amount with thousands separators
        len(groups) >= 3
        and len(separators) == 1
        and groups[-1] == "000"
        and all(len(g) == 3 for g in groups[1:])
    )

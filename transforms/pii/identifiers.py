"""Checks and normalised forms of Chinese and generic identifiers (pure Python, no Presidio).

Each `check_*` returns `None` when the value is plausible and otherwise a short, stable reason
string, so a recognizer can reject a match and an evaluation can say *why* it was rejected.
`normalize_value` gives the canonical form a caller hashes (with a key) to look up consent:
two spellings of one identifier must normalise to the same string.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

# Reasons (strings shown to people and in evaluation tables; never persisted as quarantine codes).
BAD_LENGTH = "bad_length"
BAD_FORMAT = "bad_format"
UNKNOWN_REGION = "unknown_region"
BAD_BIRTH_DATE = "bad_birth_date"
FUTURE_BIRTH_DATE = "future_birth_date"
BAD_CHECKSUM = "bad_checksum"
UNKNOWN_PREFIX = "unknown_prefix"

# GB/T 2260 province-level codes, plus 71 (Taiwan), 81/82 (Hong Kong, Macao residence permits)
# and 83 (Taiwan residence permits), which GB 11643-format cards carry.
_PROVINCES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65"
)
PROVINCE_CODES = frozenset([*_PROVINCES.split(), "71", "81", "82", "83"])
_MAINLAND_PROVINCES = PROVINCE_CODES - {"71", "81", "82", "83"}

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_CHECK_CHARS = "10X98765432"  # index = weighted sum mod 11 (ISO 7064 MOD 11-2)


def resident_id_check_char(body17: str) -> str:
    """GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _valid_date(year: int, month: int, day: int) -> _dt.date | None:
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def check_resident_id(value: str, today: _dt.date | None = None) -> str | None:
    """Validate a resident identity number (GB 11643-1999, 18 digits; or the 15-digit first
    generation). Checks the region code at province level, the birth date and the check digit.

    The region is checked only at province level on purpose: county codes are renamed and
    retired over time, yet numbers issued under an old code stay valid for life, so a
    county-level table would reject real numbers (lower recall) for little precision gain.
    Codes starting with 9 are the 2023 foreigners' permanent-residence cards, whose next two
    digits are the issuing province.
    """
    today = today or _dt.date.today()
    v = value.strip().upper()
    if len(v) not in (15, 18):
        return BAD_LENGTH
    body = v[:17] if len(v) == 18 else v
    if not body.isdigit() or not body.isascii():
        return BAD_FORMAT
    if len(v) == 18 and not (v[17].isdigit() or v[17] == "X"):
        return BAD_FORMAT
    if v[0] == "9":
        if v[1:3] not in _MAINLAND_PROVINCES:
            return UNKNOWN_REGION
    elif v[:2] not in PROVINCE_CODES:
        return UNKNOWN_REGION
    if len(v) == 18:
        year, month, day = int(v[6:10]), int(v[10:12]), int(v[12:14])
    else:
        year, month, day = 1900 + int(v[6:8]), int(v[8:10]), int(v[10:12])
    born = _valid_date(year, month, day)
    if born is None or year < 1900:
        return BAD_BIRTH_DATE
    if born > today:
        return FUTURE_BIRTH_DATE
    if len(v) == 18 and resident_id_check_char(v[:17]) != v[17]:
        return BAD_CHECKSUM
    return None


def luhn_ok(digits: str) -> bool:
    """Luhn (ISO/IEC 7812-1) check over a string of ASCII digits."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def check_bank_card(value: str) -> str | None:
    """A payment card / bank account card number: 13-19 digits passing Luhn."""
    digits = re.sub(r"[\s-]", "", value)
    if not digits.isdigit() or not digits.isascii():
        return BAD_FORMAT
    if not 13 <= len(digits) <= 19:
        return BAD_LENGTH
    return None if luhn_ok(digits) else BAD_CHECKSUM


# GB 32100-2015 unified social credit code: 31 characters (no I, O, S, V, Z).
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
# First character: registration authority (1 organisation staffing, 5 civil affairs, 9 market
# regulation, A/N/Y others ...).
_USCC_AUTHORITIES = frozenset("123456789ANY")


def uscc_check_char(body17: str) -> str:
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def check_uscc(value: str) -> str | None:
    """Validate a unified social credit code (GB 32100-2015), check character included."""
    v = value.strip().upper()
    if len(v) != 18:
        return BAD_LENGTH
    if any(c not in _USCC_VALUE for c in v) or v[0] not in _USCC_AUTHORITIES:
        return BAD_FORMAT
    if not v[2:8].isdigit():
        return BAD_FORMAT
    if v[2:4] not in _MAINLAND_PROVINCES and v[2:4] != "10":  # 10xxxx: national-level bodies
        return UNKNOWN_REGION
    return None if uscc_check_char(v[:17]) == v[17] else BAD_CHECKSUM


# Mainland mobile number blocks in current use (MIIT allocations; 11 digits unless noted).
# Prefix -> operator. Longest prefix wins. Blocks not listed (154, 161, 164, 194, 1741x-1748x)
# are unallocated and rejected.
_MOBILE_BLOCKS: dict[str, str] = {}


def _add_blocks(operator: str, prefixes: str) -> None:
    for p in prefixes.split():
        _MOBILE_BLOCKS[p] = operator


_add_blocks(
    "china_mobile",
    "1340 1341 1342 1343 1344 1345 1346 1347 1348 135 136 137 138 139 "
    "147 150 151 152 157 158 159 172 178 182 183 184 187 188 195 197 198 "
    "165 1703 1705 1706",
)
_add_blocks(
    "china_unicom", "130 131 132 145 155 156 166 175 176 185 186 196 167 171 1704 1707 1708 1709"
)
_add_blocks(
    "china_telecom",
    "133 1349 149 153 173 177 180 181 189 190 191 193 199 "
    "162 1700 1701 1702 17400 17401 17402 17403 17404 17405",
)
_add_blocks("china_broadnet", "192")
_add_blocks("miit_emergency", "17406 17407 17408 17409 17410 17411 17412")
_add_blocks("inmarsat", "1749")
# 13-digit IoT numbers.
_IOT_BLOCKS = {
    "1440": "china_mobile",
    "148": "china_mobile",
    "146": "china_unicom",
    "1410": "china_telecom",
}


def mobile_operator(value: str) -> str | None:
    """Operator of a mainland mobile number (11 digits, or 13-digit IoT), None if unallocated.

    Accepts a +86 / 0086 / 86 prefix and spaces or hyphens.
    """
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) in (13, 15):
        digits = digits[2:]
    if not digits.isdigit() or not digits.isascii():
        return None
    blocks = _MOBILE_BLOCKS if len(digits) == 11 else _IOT_BLOCKS if len(digits) == 13 else {}
    for n in (5, 4, 3):
        op = blocks.get(digits[:n])
        if op:
            return op
    return None


def check_mobile(value: str) -> str | None:
    return None if mobile_operator(value) else UNKNOWN_PREFIX


# Trunk codes: 10 and 2x are two-digit areas (8-digit local numbers); others have three digits.
def check_landline(value: str) -> str | None:
    """A mainland fixed-line number written with its area code (0xx[x]-local[-ext])."""
    digits = re.sub(r"[\s()\-（）]", "", value.split("转")[0])
    m = re.fullmatch(r"(?:\+?86|0086)?(0?)(\d+)", digits)
    if not m:
        return BAD_FORMAT
    rest = m.group(2)
    if rest.startswith(("10", "2")):
        area, local = rest[:2], rest[2:]
    else:
        area, local = rest[:3], rest[3:]
    if not (area == "10" or area[0] == "2" or (len(area) == 3 and area[0] in "3456789")):
        return UNKNOWN_REGION
    if not 7 <= len(local) <= 8 or local[0] in "019":
        return BAD_FORMAT
    if len(area) == 2 and len(local) != 8:
        return BAD_LENGTH
    return None


def check_passport(value: str) -> str | None:
    """An ordinary PRC passport number: E/G + 8 digits, or E + letter (not I/O) + 7 digits."""
    v = value.strip().upper()
    if re.fullmatch(r"[EG]\d{8}|E[A-HJ-NP-Z]\d{7}", v):
        return None
    return BAD_FORMAT


_SEPARATORS = re.compile(r"[\s\-().（）]")


def normalize_value(entity_type: str, value: str) -> str:
    """Canonical form of a detected value, for keyed hashing (never log the result)."""
    v = value.strip()
    if entity_type in ("CN_RESIDENT_ID", "CN_PASSPORT", "CN_USCC", "IBAN_CODE"):
        return re.sub(r"[\s-]", "", v).upper()
    if entity_type in ("CN_BANK_CARD", "CREDIT_CARD", "US_SSN", "US_ITIN", "US_BANK_NUMBER"):
        return re.sub(r"\D", "", v)
    if entity_type == "CN_MOBILE":
        digits = re.sub(r"\D", "", v)
        for prefix in ("0086", "86"):
            if digits.startswith(prefix) and len(digits) - len(prefix) in (11, 13):
                digits = digits[len(prefix) :]
        return "+86" + digits
    if entity_type == "CN_LANDLINE":
        main = v.split("转")[0]
        digits = re.sub(r"\D", "", main)
        if digits.startswith("0086"):
            digits = digits[4:]
        elif digits.startswith("86"):
            digits = digits[2:]
        return "+86" + digits.lstrip("0")
    if entity_type == "PHONE_NUMBER":
        digits = re.sub(r"[^\d+]", "", v)
        return digits
    if entity_type == "EMAIL_ADDRESS":
        return v.lower()
    if entity_type == "IP_ADDRESS":
        try:
            return str(ipaddress.ip_interface(v.strip("[]")).ip)
        except ValueError:
            return v.lower()
    if entity_type == "URL":
        try:
            parts = urlsplit(v if "://" in v else "http://" + v)
            return urlunsplit(
                (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, "")
            )
        except ValueError:
            return v.lower()
    return _SEPARATORS.sub("", v)

"""Chinese identifier checks and recognizers: valid rows, bad checksums, bad dates, prefixes."""

from __future__ import annotations

import datetime as dt

import pytest

from corpusgate.transforms.pii import identifiers as n
from corpusgate.transforms.pii.recognizers import zh as zh

TODAY = dt.date(2025, 6, 1)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110102199101010078", None),
        ("44011320141005001x", None),  # lower-case check character
        ("44011320141005001X", None),
        ("610104620927690", None),  # 15-digit first generation
        ("810000199408230021", None),  # Hong Kong residence permit
        ("36042619910102009X", n.BAD_CHECKSUM),
        ("110102199101010079", n.BAD_CHECKSUM),
        ("360426199113010079", n.BAD_BIRTH_DATE),  # month 13
        ("440308199902301512", n.BAD_BIRTH_DATE),  # 30 February
        ("610104620932690", n.BAD_BIRTH_DATE),  # 15-digit, 32nd day
        ("110102189901010071", n.BAD_BIRTH_DATE),  # before 1900
        ("110102203001010074", n.FUTURE_BIRTH_DATE),
        ("990426199112010074", n.UNKNOWN_REGION),
        ("000426199101010071", n.UNKNOWN_REGION),
        ("T60426199101010078", n.BAD_FORMAT),
        ("44030819990110", n.BAD_LENGTH),
        ("", n.BAD_LENGTH),
        ("１１０１０２１９９１０１０１００７８", n.BAD_FORMAT),  # full-width digits
    ],
)
def test_gb11643_resident_id(value: str, reason: str | None) -> None:
    assert n.check_resident_id(value, TODAY) == reason


def test_gb11643_check_char_matches_known_number() -> None:
    assert n.resident_id_check_char("11010219910101007") == "8"


@pytest.mark.parametrize(
    ("number", "operator"),
    [
        ("13800138000", "china_mobile"),
        ("+86 138 0013 8000", "china_mobile"),
        ("008613800138000", "china_mobile"),
        ("13412345678", "china_mobile"),
        ("13491234567", "china_telecom"),  # 1349: satellite block
        ("13012345678", "china_unicom"),
        ("19212345678", "china_broadnet"),
        ("17001234567", "china_telecom"),  # MVNO 1700
        ("17412345678", "miit_emergency"),
        ("17498003379", "inmarsat"),
        ("1440892359525", "china_mobile"),  # 13-digit IoT
        ("15412345678", None),  # 154 unallocated
        ("16112345678", None),
        ("17413216001", None),  # 1741[3-9] unallocated
        ("1409810746776", None),
        ("12345678901", None),
        ("1380013800", None),  # 10 digits
    ],
)
def test_mobile_operator_prefixes(number: str, operator: str | None) -> None:
    assert n.mobile_operator(number) == operator


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("4111111111111111", True),
        ("6222021234567890128", True),
        ("6222021234567890127", False),
        ("79927398713", True),
        ("79927398710", False),
        ("0", True),
        ("", False),
        ("4111-1111", False),
    ],
)
def test_luhn(digits: str, ok: bool) -> None:
    assert n.luhn_ok(digits) is ok


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y43", None),
        ("91350100m000100y43", None),  # case-insensitive
        ("91350100M000100Y44", n.BAD_CHECKSUM),
        ("91350100M000100Y4", n.BAD_LENGTH),
        ("O1350100M000100Y43", n.BAD_FORMAT),  # O is not in the GB 32100 alphabet
        ("91990100M000100Y4X", n.UNKNOWN_REGION),
    ],
)
def test_gb32100_uscc(code: str, reason: str | None) -> None:
    assert n.check_uscc(code) == reason


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("010-62345678", None),
        ("(021)62345678", None),
        ("0755-2345678", None),
        ("+86 10 62345678", None),
        ("0123-4567890", n.UNKNOWN_REGION),
        ("021-6234567", n.BAD_LENGTH),
        ("0755-12345678", n.BAD_FORMAT),
    ],
)
def test_landline(number: str, reason: str | None) -> None:
    assert n.check_landline(number) == reason


def _find(recognizer, text: str) -> list[tuple[str, float]]:
    return [
        (text[r.start : r.end], r.score)
        for r in recognizer.analyze(text, recognizer.supported_entities)
    ]


@pytest.mark.parametrize(
    ("cls", "text", "expected"),
    [
        # Embedded in Chinese text without spaces (CJK characters are word characters).
        (
            zh.CnResidentIdRecognizer,
            "身份证号110102199101010078，谢谢",
            [("110102199101010078", 1.0)],
        ),
        (zh.CnResidentIdRecognizer, "号码44011320141005001x。", [("44011320141005001x", 1.0)]),
        (zh.CnResidentIdRecognizer, "旧证610104620927690有效", [("610104620927690", 0.5)]),
        (zh.CnResidentIdRecognizer, "错误110102199101010079", []),
        (zh.CnResidentIdRecognizer, "1101021991010100781", []),  # 19 digits: not an ID
        (zh.CnMobileRecognizer, "电话13800138000联系", [("13800138000", 0.6)]),
        (zh.CnMobileRecognizer, "手机+86 138-0013-8000。", [("+86 138-0013-8000", 0.6)]),
        (zh.CnMobileRecognizer, "编号15412345678", []),
        (zh.CnMobileRecognizer, "订单138001380001", []),  # 12 digits
        (zh.CnLandlineRecognizer, "座机010-62345678转123", [("010-62345678转123", 0.5)]),
        (zh.CnLandlineRecognizer, "电话（0755）2345678", [("（0755）2345678", 0.5)]),
        (zh.CnBankCardRecognizer, "卡号6222021234567890128。", [("6222021234567890128", 1.0)]),
        (
            zh.CnBankCardRecognizer,
            "卡号6222 0212 3456 7890 128",
            [("6222 0212 3456 7890 128", 1.0)],
        ),
        (zh.CnBankCardRecognizer, "卡号6222021234567890127", []),
        (zh.CnPassportRecognizer, "护照E12345678", [("E12345678", 0.3)]),
        (zh.CnPassportRecognizer, "型号XE12345678", []),
        (zh.CnUsccRecognizer, "代码91350100M000100Y43。", [("91350100M000100Y43", 1.0)]),
        (zh.CnUsccRecognizer, "代码91350100M000100Y44。", []),
        (zh.CnUsccRecognizer, "", []),
    ],
)
def test_recognizers_on_chinese_text(cls, text: str, expected: list) -> None:
    assert _find(cls(), text) == expected


def test_every_recognizer_has_context_and_chinese_language() -> None:
    for cls in zh.ZH_RECOGNIZER_CLASSES:
        rec = cls()
        assert rec.supported_language == "zh"
        assert rec.context and rec.global_regex_flags & 128

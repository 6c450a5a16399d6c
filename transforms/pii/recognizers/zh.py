"""Chinese identifier recognizers, written as Presidio pattern recognizers (GB/T 45654-2025
4.2.3, B.2.1.2.3), and the Chinese context words of the other identifier recognizers.

One small class per entity: `PATTERNS` find candidates cheaply, `validate_result` runs the
checksum / allocation check from `identifiers` (True lifts the score to 1.0, False drops the
match), `CONTEXT` lists words that raise a weak match's score. Patterns use digit look-arounds
rather than `\\b`: Chinese characters are word characters, so `\\b` never fires between
`身份证号` and the number that follows it.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

from corpusgate.transforms.pii import identifiers

# regex.ASCII keeps `\b` / `\w` in the borrowed English patterns (e-mail, IP, URL) from treating
# CJK characters as word characters; value 128, the `regex` module's flag, not `re.ASCII`.
ZH_REGEX_FLAGS = regex.DOTALL | regex.MULTILINE | regex.IGNORECASE | regex.ASCII

_NO_DIGIT_BEFORE = r"(?<![0-9])"
_NO_DIGIT_AFTER = r"(?![0-9])"


class _ZhPatternRecognizer(PatternRecognizer):
    """Shared constructor: Chinese language, ASCII regex semantics, class-level defaults."""

    PATTERNS: tuple[Pattern, ...] = ()
    CONTEXT: tuple[str, ...] = ()
    ENTITY = ""

    def __init__(
        self,
        patterns: list[Pattern] | None = None,
        context: list[str] | None = None,
        supported_language: str = "zh",
        supported_entity: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(
            supported_entity=supported_entity or self.ENTITY,
            name=name,
            supported_language=supported_language,
            # Fresh Pattern objects per instance: Presidio caches the compiled regex on them.
            patterns=patterns or [Pattern(p.name, p.regex, p.score) for p in self.PATTERNS],
            context=context or list(self.CONTEXT),
            global_regex_flags=ZH_REGEX_FLAGS,
        )


class CnResidentIdRecognizer(_ZhPatternRecognizer):
    """Resident identity number (GB 11643): 18 characters with an ISO 7064 check digit, or the
    15-digit first generation (no check digit: region and birth date only, so a weaker score)."""

    ENTITY = "CN_RESIDENT_ID"
    PATTERNS = (
        Pattern("cn_id_18", _NO_DIGIT_BEFORE + r"[1-9]\d{16}[0-9Xx]" + r"(?![0-9A-Za-z])", 0.5),
        Pattern("cn_id_15", _NO_DIGIT_BEFORE + r"[1-9]\d{14}" + _NO_DIGIT_AFTER, 0.5),
    )
    CONTEXT = (
        "身份证",
        "身份号码",
        "公民身份",
        "证件号",
        "居民身份",
        "身份證",
        "證件號",
        "id card",
        "identity",
    )

    def validate_result(self, pattern_text: str) -> bool | None:
        if identifiers.check_resident_id(pattern_text) is not None:
            return False
        # The 15-digit form has no checksum: plausible, not certain.
        return True if len(pattern_text) == 18 else None


class CnMobileRecognizer(_ZhPatternRecognizer):
    """Mainland mobile numbers in allocated operator blocks (optional +86, spaces or hyphens
    in the 3-4-4 grouping); 13-digit IoT numbers too."""

    ENTITY = "CN_MOBILE"
    PATTERNS = (
        Pattern(
            "cn_mobile_11",
            _NO_DIGIT_BEFORE
            + r"(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
            + _NO_DIGIT_AFTER,
            0.6,
        ),
        Pattern("cn_iot_13", _NO_DIGIT_BEFORE + r"14[0-8]\d{10}" + _NO_DIGIT_AFTER, 0.4),
    )
    CONTEXT = (
        "手机",
        "电话",
        "联系方式",
        "致电",
        "拨打",
        "短信",
        "微信",
        "手機",
        "電話",
        "mobile",
        "phone",
        "tel",
    )

    def validate_result(self, pattern_text: str) -> bool | None:
        # A valid block keeps the pattern score: an 11-digit number can still be an order number.
        return None if identifiers.check_mobile(pattern_text) is None else False


class CnLandlineRecognizer(_ZhPatternRecognizer):
    """Fixed-line numbers with their area code: (010) 6xxxxxxx, 0755-2xxxxxx, ext. with 转."""

    ENTITY = "CN_LANDLINE"
    _AREA = r"0(?:10|2\d|[3-9]\d{2})"
    _LOCAL = r"[2-8]\d{6,7}"
    PATTERNS = (
        Pattern(
            "cn_landline_separated",
            _NO_DIGIT_BEFORE
            + r"(?:(?:\+86|0086)[ -]?)?(?:[(（]"
            + _AREA
            + r"[)）] ?|"
            + _AREA
            + r"[ -])"
            + _LOCAL
            + r"(?:(?:-|转)\d{1,5})?"
            + _NO_DIGIT_AFTER,
            0.5,
        ),
        Pattern("cn_landline_plain", _NO_DIGIT_BEFORE + _AREA + _LOCAL + _NO_DIGIT_AFTER, 0.3),
    )
    CONTEXT = (
        "电话",
        "座机",
        "固话",
        "传真",
        "联系方式",
        "致电",
        "拨打",
        "電話",
        "傳真",
        "tel",
        "fax",
        "phone",
    )

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if identifiers.check_landline(pattern_text) is None else False


class CnBankCardRecognizer(_ZhPatternRecognizer):
    """Bank card numbers: 16-19 digits (UnionPay 62xxxx and international schemes), optionally
    grouped by four, passing Luhn."""

    ENTITY = "CN_BANK_CARD"
    PATTERNS = (
        Pattern(
            "cn_bank_card",
            _NO_DIGIT_BEFORE + r"[3-6]\d{3}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?" + _NO_DIGIT_AFTER,
            0.3,
        ),
    )
    CONTEXT = ("银行卡", "卡号", "账号", "帐号", "储蓄卡", "信用卡", "借记卡", "开户", "银行账户")

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = pattern_text.replace(" ", "").replace("-", "")
        if not 16 <= len(digits) <= 19:
            return False
        return identifiers.check_bank_card(digits) is None


class CnPassportRecognizer(_ZhPatternRecognizer):
    """Ordinary PRC passport numbers (E/G + 8 digits, E + letter + 7 digits). No check digit:
    the weak pattern score needs a context word such as 护照 to pass the threshold."""

    ENTITY = "CN_PASSPORT"
    PATTERNS = (
        Pattern(
            "cn_passport",
            r"(?<![0-9A-Za-z])(?:[EeGg]\d{8}|[Ee][A-HJ-NP-Za-hj-np-z]\d{7})(?![0-9A-Za-z])",
            0.3,
        ),
    )
    CONTEXT = ("护照", "護照", "passport", "出入境", "签证")


class CnUsccRecognizer(_ZhPatternRecognizer):
    """Unified social credit code (GB 32100-2015): 18 characters with a mod-31 check character."""

    ENTITY = "CN_USCC"
    PATTERNS = (
        Pattern(
            "cn_uscc",
            r"(?<![0-9A-Za-z])[1-9ANYany][0-9A-Za-z]\d{6}[0-9A-Za-z]{10}(?![0-9A-Za-z])",
            0.3,
        ),
    )
    CONTEXT = ("统一社会信用代码", "信用代码", "营业执照", "纳税人识别号", "税号")

    def validate_result(self, pattern_text: str) -> bool | None:
        return identifiers.check_uscc(pattern_text) is None


ZH_RECOGNIZER_CLASSES: tuple[type[_ZhPatternRecognizer], ...] = (
    CnResidentIdRecognizer,
    CnMobileRecognizer,
    CnLandlineRecognizer,
    CnBankCardRecognizer,
    CnPassportRecognizer,
    CnUsccRecognizer,
)

# Chinese context words for the other identifier recognizers when they run on Chinese (or other
# CJK-script) text. A recognizer not listed keeps its own (English) words, which Chinese pages
# use too ("Tel", "IBAN").
ZH_CONTEXT: dict[str, list[str]] = {
    "EMAIL_ADDRESS": ["邮箱", "电子邮件", "邮件", "郵箱", "電子郵件", "email", "e-mail", "mail"],
    "IP_ADDRESS": ["ip", "地址", "服务器", "主机"],
    "URL": ["网址", "链接", "网站", "官网", "url", "link"],
    "PHONE_NUMBER": [
        "电话",
        "手机",
        "座机",
        "传真",
        "联系方式",
        "致电",
        "拨打",
        "热线",
        "電話",
        "手機",
        "傳真",
        "phone",
        "tel",
        "fax",
        "mobile",
    ],
    "CREDIT_CARD": ["信用卡", "银行卡", "卡号", "借记卡", "信用卡號", "card"],
    "IBAN_CODE": ["iban", "账号", "账户", "帐号", "银行"],
    "US_PASSPORT": ["护照", "護照", "passport"],
}

"""Structured identifiers whatever the record's language; context words by language
(GB/T 45654-2025 4.2.3)."""

from __future__ import annotations

import pytest

from corpusgate.transforms.pii.analyzer import build_analyzer, identifier_recognizers
from corpusgate.transforms.pii.detector import PiiDetector
from corpusgate.transforms.pii.entity import PiiEntity
from corpusgate.transforms.pii.languages import profile_for

ID = "110101199003074514"  # valid GB 11643 number: region, birth date, check digit


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector()


def found(detector: PiiDetector, text: str, language: str | None) -> list[tuple[str, str]]:
    return [(e.entity_type, text[e.start : e.end]) for e in detector.detect(text, language)]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # Chinese identifiers in an English record: the case, and its neighbours.
        ("en", f"My ID number is {ID}.", [("CN_RESIDENT_ID", ID)]),
        ("en", f"id:{ID}", [("CN_RESIDENT_ID", ID)]),
        ("en", "Passport: E12345678, issued 2019", [("CN_PASSPORT", "E12345678")]),
        ("en", "Beijing office 010-62345678", [("CN_LANDLINE", "010-62345678")]),
        ("en", "credit code 91350100M000100Y43", [("CN_USCC", "91350100M000100Y43")]),
        ("en", "Li Wei 13800138000 (Shanghai)", [("CN_MOBILE", "13800138000")]),
        # ... in records of languages without context words of their own.
        ("fr", f"Numéro d'identité {ID}", [("CN_RESIDENT_ID", ID)]),
        ("de", "Reisepass (passport) E12345678", [("CN_PASSPORT", "E12345678")]),
        ("ja", f"身分証番号{ID}です", [("CN_RESIDENT_ID", ID)]),
        ("ja", "電話：13912340001まで", [("CN_MOBILE", "13912340001")]),
        ("zh-Hant", "護照號碼E12345678", [("CN_PASSPORT", "E12345678")]),
        (
            None,
            f"身份证{ID}，电话010-62345678",
            [("CN_RESIDENT_ID", ID), ("CN_LANDLINE", "010-62345678")],
        ),
        (None, f"ID {ID}", [("CN_RESIDENT_ID", ID)]),
        # Foreign identifiers in a Chinese record: phones by layout, cards, IBANs.
        ("zh", "伦敦办公室电话+44 20 7946 0958。", [("PHONE_NUMBER", "+44 20 7946 0958")]),
        ("zh", "编号（2382 0881）", []),  # a weak layout needs a context word...
        ("zh", "预防自杀热线（2382 0881）", [("PHONE_NUMBER", "2382 0881")]),  # ...热线 is one
        ("zh", "账号GB82 WEST 1234 5698 7654 32", [("IBAN_CODE", "GB82 WEST 1234 5698 7654 32")]),
        ("zh", "美国运通卡378282246310005", [("CREDIT_CARD", "378282246310005")]),
        # A passport number still needs a context word, in the record's language, before it.
        ("en", "Model E12345678 in stock", []),
        ("en", "E12345678 passport", []),
        ("zh", "型号E12345678", []),
    ],
)
def test_structured_identifiers_whatever_the_language(
    detector: PiiDetector, language: str | None, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(detector, text, language) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # One card, two names: the record's language chooses.
        ("en", "card 6222021234567890128", [("CREDIT_CARD", "6222021234567890128")]),
        ("zh", "卡号6222021234567890128", [("CN_BANK_CARD", "6222021234567890128")]),
        # One phone number, two names: in English text libphonenumber's PHONE_NUMBER...
        ("en", "call +86 139 1234 0001 today", [("PHONE_NUMBER", "+86 139 1234 0001")]),
        # ...and an Italian number is not a Chinese landline because it fits the pattern.
        ("en", "Mobile: 0341 8387176", [("PHONE_NUMBER", "0341 8387176")]),
        # A Chinese number the English recognizers also find, with a phone word before it, is
        # a PHONE_NUMBER in English text; alone, the Chinese recognizers name it.
        ("en", "Beijing office tel. 010-62345678", [("PHONE_NUMBER", "010-62345678")]),
        ("en", "reach Li Wei on 13912340001", [("PHONE_NUMBER", "13912340001")]),
        ("zh", "手机+86 139 1234 0001", [("CN_MOBILE", "+86 139 1234 0001")]),
    ],
)
def test_the_language_names_an_identifier_with_two_names(
    detector: PiiDetector, language: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(detector, text, language) == expected


@pytest.mark.parametrize(
    "text",
    [
        # English-only recognizers read nothing in Chinese text: ISBNs are not SSNs or NHS
        # numbers, year ranges and head counts are not phone numbers.
        "三联书店（香港）有限公司，2005年，ISBN 962-04-2376-3",
        "the Blood War, ISBN 0786904070）一书中",
        "斯蒂芬．瑞士（Stephen Switzer 1682 -1745)、威廉",
        "估计牠们在印度的数量有3000-4000头。",
    ],
)
def test_language_bound_recognizers_stay_out_of_chinese_text(
    detector: PiiDetector, text: str
) -> None:
    assert detector.detect(text, "zh") == []


@pytest.mark.parametrize(
    ("language", "text", "profile"),
    [
        ("en", "你好世界", "en"),  # a declared language wins over the script
        ("zh", "hello", "zh"),
        ("zh-Hant", "", "zh"),
        ("zh_TW", "", "zh"),
        ("ZH", "", "zh"),
        ("en-GB", "", "en"),
        ("ja", "", "zh"),
        ("ko", "", "zh"),
        ("fr", "bonjour", "en"),
        ("ru", "привет 13912340001", "en"),
        ("und", "这是中文，有一些 English words", "zh"),
        (None, "这是中文", "zh"),
        (None, "hello world 你", "en"),  # under a tenth CJK
        (None, "", "en"),
    ],
)
def test_profile_for(language: str | None, text: str, profile: str) -> None:
    assert profile_for(language, text) == profile


def test_detect_batch_takes_one_language_per_text(detector: PiiDetector) -> None:
    texts = ["型号E12345678，护照", "护照E12345678", f"ID {ID}"]
    got = detector.detect_batch(texts, ["zh", "zh", None])
    assert [[e.entity_type for e in ents] for ents in got] == [
        [],
        ["CN_PASSPORT"],
        ["CN_RESIDENT_ID"],
    ]
    assert detector.detect_batch(texts, "en") == [detector.detect(t, "en") for t in texts]
    with pytest.raises(ValueError, match="3 texts but 2 languages"):
        detector.detect_batch(texts, ["zh", "en"])


MIXED = [
    f"Dear Li, your ID {ID} and passport E12345678 are on file; tel. 010-62345678.",
    f"身份证{ID}，伦敦电话+44 20 7946 0958，卡号4111 1111 1111 1111，邮箱a@example.cn",
    "Contact: 13912340001 / +86 10 6234 5678 / (010) 62345678 / 0755-2345678",
    "账号GB82 WEST 1234 5698 7654 32 and BG80 BNBG 9661 1020 3456 78",
]


@pytest.mark.parametrize("text", MIXED)
@pytest.mark.parametrize("language", ["en", "zh", "ja", None])
def test_windowed_equals_whole_text_in_every_profile(
    detector: PiiDetector, text: str, language: str | None
) -> None:
    analyzer = build_analyzer()
    profile = profile_for(language, text)
    whole: list[PiiEntity] = detector.to_entities(
        analyzer.analyze(text=text, language=profile, score_threshold=0.0), text, profile
    )
    got = detector.detect(text, language)
    assert got == whole
    assert [(e.score, e.recognizer) for e in got] == [(e.score, e.recognizer) for e in whole]


def test_every_profile_runs_the_structured_identifiers() -> None:
    names = {p: {r.name for r in identifier_recognizers(p)} for p in ("en", "zh")}
    language_bound = {
        "PhoneRecognizer",
        "UsSsnRecognizer",
        "UsItinRecognizer",
        "UsPassportRecognizer",
        "UsBankRecognizer",
        "NhsRecognizer",
    }
    assert names["en"] - names["zh"] == language_bound
    assert names["zh"] <= names["en"]
    with pytest.raises(ValueError, match="unknown language profile 'fr'"):
        identifier_recognizers("fr")

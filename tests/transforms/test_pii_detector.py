"""The offline detector: policy loading, context words, overlaps, the pre-filter, and the
windowed detector against Presidio's AnalyzerEngine on whole texts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from corpusgate.transforms.pii.analyzer import build_analyzer
from corpusgate.transforms.pii.detector import PiiDetector
from corpusgate.transforms.pii.entity import PiiEntity
from corpusgate.transforms.pii.languages import profile_for
from corpusgate.transforms.pii.policy import PiiPolicy
from corpusgate.transforms.pii.windows import JoinedWindows, find_seeds, seed_windows

Detect = Callable[[str, str], list[PiiEntity]]


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector()


@pytest.fixture(scope="module")
def whole(detector: PiiDetector) -> Detect:
    """The reference: Presidio's own AnalyzerEngine on the whole text, with the same
    recognizers, judged by the detector's policy and overlap rules."""
    analyzer = build_analyzer()

    def detect(text: str, language: str) -> list[PiiEntity]:
        profile = profile_for(language, text)
        results = analyzer.analyze(text=text, language=profile, score_threshold=0.0)
        return detector.to_entities(results, text, profile)

    return detect


ZH = (
    "我的身份证号是110102199101010078，电话13800138000，邮箱zhang@example.cn谢谢。"
    "座机010-62345678，卡号6222021234567890128，护照E12345678，"
    "统一社会信用代码91350100M000100Y43，服务器192.168.1.1"
)
EN = (
    "Call me at (212) 555-1234 or email john.doe@gmail.com. Card 4111 1111 1111 1111, "
    "site www.example.com, ip 10.0.0.1"
)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            ZH,
            "zh",
            [
                ("CN_RESIDENT_ID", "sensitive"),
                ("CN_MOBILE", "personal"),
                ("EMAIL_ADDRESS", "personal"),
                ("CN_LANDLINE", "personal"),
                ("CN_BANK_CARD", "sensitive"),
                ("CN_PASSPORT", "sensitive"),
                ("CN_USCC", "personal"),
                ("IP_ADDRESS", "personal"),
            ],
        ),
        (
            EN,
            "en",
            [
                ("PHONE_NUMBER", "personal"),
                ("EMAIL_ADDRESS", "personal"),
                ("CREDIT_CARD", "sensitive"),
                ("URL", "personal"),
                ("IP_ADDRESS", "personal"),
            ],
        ),
        ("", "zh", []),
        ("没有任何个人信息的一段话。", "zh", []),
        ("型号E12345678", "zh", []),  # passport needs a context word
        ("型号E12345678，护照", "zh", []),  # context must come before the value
    ],
)
def test_detect(detector: PiiDetector, text: str, language: str, expected: list) -> None:
    got = detector.detect(text, language)
    assert [(e.entity_type, e.pii_class) for e in got] == expected


def test_context_word_raises_score(detector: PiiDetector) -> None:
    bare = detector.detect("号码13800138000", "zh")[0]
    ctx = detector.detect("手机号码13800138000", "zh")[0]
    assert bare.score == pytest.approx(0.6)
    assert ctx.score == pytest.approx(0.95)


def test_normalized_value_is_not_in_repr_or_dict(detector: PiiDetector) -> None:
    (e,) = detector.detect("手机+86 138-0013-8000", "zh")
    assert e.normalized == "+8613800138000"
    assert "13800138000" not in repr(e)
    assert "13800138000" not in str(e.to_dict())


def test_overlap_prefers_identity_number(detector: PiiDetector) -> None:
    # 110102199101010078 is not Luhn-valid; this ID is both a valid ID and Luhn-valid.
    text = "身份证362324198001010014"
    types = [e.entity_type for e in detector.detect(text, "zh")]
    assert types == ["CN_RESIDENT_ID"]


@pytest.mark.parametrize(
    "text",
    [
        ZH,
        EN,
        "x" * 3000 + " 13800138000 " + "y" * 3000,
        "(212) 555-1234",
        "网址 https://example.com/路径说明 结束",
        "见...you and e.g. text.it",
    ],
)
def test_windowed_equals_whole_text(detector: PiiDetector, whole: Detect, text: str) -> None:
    for lang in ("zh", "en"):
        assert detector.detect(text, lang) == whole(text, lang)


@pytest.mark.parametrize(
    ("text", "n_windows"),
    [
        ("", 0),
        ("plain words only, no numbers at all.", 0),
        ("year 2014 and 1999", 0),
        ("mail a@b", 1),
        ("a 12345 b" + " " * 500 + "c 67890 d", 2),
    ],
)
def test_seed_windows(text: str, n_windows: int) -> None:
    assert len(seed_windows(text, "en")) == n_windows


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        ({"version": ""}, "version"),
        ({"classes": {"personal": {"action": "redact"}}}, "classes"),
        ({"classes": {"personal": {"action": "shred"}, "sensitive": {"action": "drop"}}}, "shred"),
        ({"thresholds": {"default": 1.5}}, "1.5"),
        ({"thresholds": {"NOT_AN_ENTITY": 0.5}}, "NOT_AN_ENTITY"),
        ({"entities": {"CN_MOBILE": {"class": "secret"}}}, "secret"),
        ({"entities": {"CN_MOBILE": {"clas": "personal"}}}, "unknown key.*did you mean 'class'"),
        ({"treshold": {"default": 0.5}}, "unknown key 'treshold'.*did you mean 'thresholds'"),
    ],
)
def test_bad_policy_is_rejected_naming_the_value(mutation: dict, message: str) -> None:
    base = {
        "version": "t1",
        "classes": {"personal": {"action": "keep_with_consent"}, "sensitive": {"action": "drop"}},
        "thresholds": {"default": 0.5},
        "entities": {"CN_MOBILE": {"class": "personal"}},
    }
    base.update(mutation)
    with pytest.raises(ValueError, match=message):
        PiiPolicy.from_mapping(base, "test.yaml")


def test_policy_missing_an_entity_fails_at_build_time() -> None:
    policy = PiiPolicy.from_mapping(
        {
            "version": "t1",
            "classes": {"personal": {"action": "redact"}, "sensitive": {"action": "drop"}},
            "entities": {"CN_MOBILE": {"class": "personal"}},
        },
        "small.yaml",
    )
    with pytest.raises(ValueError, match=r"small\.yaml: no class for entity types"):
        PiiDetector(policy=policy)


def test_packaged_policy_classes_and_actions() -> None:
    policy = PiiPolicy.load()
    assert policy.pii_class("CN_RESIDENT_ID") == "sensitive"
    assert policy.action("CN_BANK_CARD") == "redact"
    assert policy.action("CN_MOBILE") == "keep_with_consent"
    assert policy.threshold("PHONE_NUMBER") == 0.4
    assert policy.threshold("CN_MOBILE") == 0.5


@pytest.mark.parametrize(
    ("text", "cards"),
    [
        # Lists of years pass Luhn one time in ten; web pages are full of them.
        ("Date range Year: 1896 1897 1898 1899 1900 1901 1902 1903", []),
        ("1988 1989 1990 1991 1992 1993 1994 1995 1996 1997 1998 1999", []),
        # A list of card numbers is still cards.
        ("4012888888881881 4012-8888-8888-1881", ["4012888888881881", "4012-8888-8888-1881"]),
        # Ranges Presidio's own pattern misses: 19-digit Visa, Mastercard 2-series, Maestro.
        ("card 4131034282458809939 on file", ["4131034282458809939"]),
        ("card 2720418695252980 on file", ["2720418695252980"]),
        ("card 630427373398 on file", ["630427373398"]),
        ("card 630427373397 on file", []),  # Luhn fails
    ],
)
def test_credit_cards(detector: PiiDetector, text: str, cards: list[str]) -> None:
    got = [
        text[e.start : e.end] for e in detector.detect(text, "en") if e.entity_type == "CREDIT_CARD"
    ]
    assert got == cards


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("", set()),
        ("on 11/03/2006 we met", {"digits", "seven_digits", "long_digits"}),  # no phone seed
        ("call (212) 555-1234", {"digits", "seven_digits", "long_digits", "phone"}),
        (
            "years " + " ".join(str(y) for y in range(1896, 1930)),
            {"digits", "seven_digits", "long_digits"},
        ),  # a list, no phone
        ("lived 1682 -1745 in", {"digits", "seven_digits", "long_digits"}),  # years, no phone
        ("ip 1.2.3.4 here", {"ip"}),
        ("ip 192.168.10.1 here", {"digits", "seven_digits", "long_digits", "phone", "ip"}),
        ("zip 90210-1234", {"digits", "seven_digits", "long_digits", "phone"}),
        ("page 12-345", {"digits"}),  # 5 digits: IBAN / credit code only
        ("passport EA1234567", {"digits", "seven_digits", "phone"}),  # 7 digits: no card
        ("v6 fe80::1 and 2001:db8:0:0:1:0:0:1", {"ip"}),
        ("mail a@b", {"email"}),
        ("see example.com", {"url"}),
        ("btc 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ", {"crypto"}),
        ("btc 1234567Yeky6GMjeNkAiNcBY7ZhrLoMSgg1", {"digits", "seven_digits", "phone", "crypto"}),
        (
            "n 31234567890123456789012345678",
            {"digits", "seven_digits", "long_digits", "phone", "crypto"},
        ),
    ],
)
def test_seed_kinds(text: str, kinds: set[str]) -> None:
    assert set(find_seeds(text)) == kinds


@pytest.mark.parametrize(
    "text",
    [
        "Year: " + " ".join(str(y) for y in range(1896, 2024)) + "\nTel. 020 7393 1500\n",
        "Tel: +32 (0)2 790 75 75 Fax: +32 (0)2 790 75 85 on 11/03/2006",
        "wallet 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ, ssn 078-05-1120, ip ::ffff:192.0.2.1",
    ],
)
def test_kind_windows_equal_whole_text(detector: PiiDetector, whole: Detect, text: str) -> None:
    assert detector.detect(text, "en") == whole(text, "en")


@pytest.mark.parametrize(
    "text",
    [
        # The context word is far from the number: windows no longer hold the look-back, the
        # context pass reads the whole text.
        "Tel." + " " * 28 + "020 7393 1500",
        "Phone:\n467 3395\n\nE-mail: a@b.example",
        "AISBL Rue de Treves 61 B-1040 Brussels Tel: +32 (0)2 790 75 75 Fax: +32 (0)2 790 75 85",
        "ssn 078-05-1120 and card 4111-1111-1111-1111 then GB82 WEST 1234 5698 7654 32",
        "Main Tel: (206) 543-1695 / Zoom: 5348583561 / 206-543-9196 x12",
        "no context at all here 467 3395 and " + "filler words " * 40 + "phone 467 3395",
    ],
)
def test_direct_recognizer_calls_equal_the_engine(
    detector: PiiDetector, whole: Detect, text: str
) -> None:
    # `whole` goes through Presidio's AnalyzerEngine; `detector` calls recognizers itself.
    got = detector.detect(text, "en")
    assert got == whole(text, "en")
    assert [(e.score, e.recognizer) for e in got] == [
        (e.score, e.recognizer) for e in whole(text, "en")
    ]


def test_context_look_back_is_32_characters(detector: PiiDetector) -> None:
    # libphonenumber rejects "467 3395"; only the layout recognizer, with context, finds it.
    near = detector.detect("Tel." + " " * 28 + "467 3395", "en")
    far = detector.detect("Tel." + " " * 29 + "467 3395", "en")
    assert [e.score for e in near] == [pytest.approx(0.65)]
    assert far == []


def test_long_digit_recognizers_skip_short_runs(detector: PiiDetector) -> None:
    # A 5-7 digit run can hold an IBAN but no card, SSN or bank number.
    detector.stats.__init__()
    detector.detect("page 12-345 of the report", "en")
    assert detector.stats.windows == 1  # the IBAN window only


# Several windows of one kind in one text: each recognizer is called once on the windows joined
# with a separator, and the results must equal whole-text Presidio's — matches at a window's
# first and last character, next to the separator, a URL path running to the window's end.
_FAR = " filler" * 30 + " "
_JOINED_CASES = [
    "4111111111111111" + _FAR + "4012-8888-8888-1881",
    "a@b.example" + _FAR + "c.d@e.example" + _FAR + "x@y.example.",
    "see https://example.com/a/b" + _FAR + "www.example.org/path?q=1" + _FAR + "end.it",
    "GB82 WEST 1234 5698 7654 32" + _FAR + "DE89 3704 0044 0532 0130 00",
    "078-05-1120" + _FAR + "078 05 1120" + _FAR + "Phone: 467 3395",
    "Tel. 020 7393 1500" + _FAR + "+1-984-182-0190" + _FAR + "(555) 123-4567",
    "10.0.0.1" + _FAR + "::ffff:192.0.2.1" + _FAR + "2001:db8::1",
    "1234\n5678 9012" + _FAR + "123456789\n" + _FAR + "\n987654321",
]


@pytest.mark.parametrize("text", _JOINED_CASES)
def test_joined_windows_equal_whole_text(detector: PiiDetector, whole: Detect, text: str) -> None:
    got = detector.detect(text, "en")
    assert got == whole(text, "en")
    assert [(e.score, e.recognizer) for e in got] == [
        (e.score, e.recognizer) for e in whole(text, "en")
    ]


def test_joined_windows_call_each_recognizer_once() -> None:
    from presidio_analyzer import Pattern, PatternRecognizer

    class Counting(PatternRecognizer):
        calls = 0

        def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # type: ignore[no-untyped-def]
            Counting.calls += 1
            return super().analyze(text, entities, nlp_artifacts, regex_flags)

    rec = Counting(supported_entity="X", patterns=[Pattern("d", r"\b\d{3}\b", 0.5)])
    text = "111 a" + " " * 50 + "b 222" + " " * 50 + "333"
    spans = [(0, 5), (55, 60), (110, 113)]
    found = JoinedWindows(text, spans).analyze(rec, ["X"], None)
    assert Counting.calls == 1
    assert sorted(text[r.start : r.end] for r in found) == ["111", "222", "333"]


def test_result_across_the_separator_falls_back_to_one_call_per_window() -> None:
    import regex
    from presidio_analyzer import Pattern, PatternRecognizer

    # A pattern that can run over line breaks and NULs: joined, it would match from the end of
    # one window into the next.
    rec = PatternRecognizer(
        supported_entity="X",
        name="Greedy",
        patterns=[Pattern("any", r"A.*Z", 0.5)],
        global_regex_flags=regex.DOTALL,
    )
    text = "xx A1 yy" + " " * 100 + "zz 2Z ww"
    spans = [(0, 8), (108, 116)]
    found = JoinedWindows(text, spans).analyze(rec, ["X"], None)
    assert found == []  # neither window holds both A and Z
    found = JoinedWindows(text, [(0, 8), (108, 116)]).analyze(
        PatternRecognizer(supported_entity="X", name="Plain", patterns=[Pattern("z", r"\dZ", 0.5)]),
        ["X"],
        None,
    )
    assert [(r.start, r.end, text[r.start : r.end]) for r in found] == [(111, 113, "2Z")]


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("paid to GB82 WEST 1234 5698 7654 32 today", 1.0),
        ("paid to gb82 west 1234 5698 7654 32 today", 0.5),  # valid in capitals: less certain
        ("paid to gb82west12345698765432", 0.5),
        ("iban gb82west12345698765432", 0.85),  # a context word counts as for any match
        ("paid to GB82 WEST 1234 5698 7654 33 today", None),  # bad check digits
    ],
)
def test_iban_in_any_case(detector: PiiDetector, text: str, score: float | None) -> None:
    got = [e.score for e in detector.detect(text, "en") if e.entity_type == "IBAN_CODE"]
    assert got == ([] if score is None else [pytest.approx(score)])

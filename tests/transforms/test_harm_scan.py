"""`corpusgate harm scan`: the decision, codes and signals for text on stdin (a user checks a
sentence against the policy), and `detect_batch` agreeing with `detect`."""

from __future__ import annotations

import io
import json

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.transforms.harm.detect import HarmDetector, HarmPolicy

SPAM = "澳门娱乐城真人娱乐，新人注册送彩金"
CLEAN = "春眠不觉晓，处处闻啼鸟"


@pytest.fixture(scope="module")
def detector() -> HarmDetector:
    return HarmDetector.load(HarmPolicy.load())


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["harm", "scan", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_jsonl_prints_one_object_per_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"text": SPAM},
        {"text": CLEAN, "language": "zh"},
        {"text": "you are a f*ggot", "language": "en"},
    ]
    stdin = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    code, out, _ = _run(monkeypatch, capsys, stdin, "--jsonl")
    docs = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # something was flagged
    assert [d["line"] for d in docs] == [1, 2, 3]
    assert [d["flagged"] for d in docs] == [True, False, True]
    assert docs[0]["codes"] == ["A.1.h"]
    terms = {s["name"]: s for s in docs[0]["signals"] if s["kind"] == "term"}
    assert terms["澳门娱乐城"]["tier"] == "expression" and terms["澳门娱乐城"]["codes"] == ["A.1.h"]
    assert {s["view"] for s in docs[2]["signals"] if s["kind"] == "term"} == {"variant"}
    assert "A.2.i" in docs[2]["codes"]


def test_json_is_one_document_and_clean_text_exits_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(monkeypatch, capsys, CLEAN + "\n", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["lines"] == 1 and doc["flagged"] == 0
    assert doc["results"][0]["codes"] == [] and doc["policy"] == "harm_policy_v4"


def test_plain_output_names_terms_and_models(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(monkeypatch, capsys, SPAM + "\n")
    assert code == 1 and "FLAGGED A.1.h" in out and "澳门娱乐城" in out and "expression" in out


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("not json\n", "line 1: not valid JSON"),
        ('{"body": "x"}\n', "string `text`"),
        ("\n", "empty line"),
        ('{"text": "x", "language": 3}\n', "`language`"),
    ],
)
def test_bad_jsonl_is_a_usage_error_naming_the_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, message: str
) -> None:
    code, out, err = _run(monkeypatch, capsys, stdin, "--jsonl")
    assert code == 2 and out == "" and message in err


def test_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["harm", "scan", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "Exit codes" in text


TEXTS = [
    SPAM,
    CLEAN,
    "",
    "you stupid bitch",
    "I am a gay Muslim woman",
    "河南人都是骗子，离他们远点",
    "網上賭場開戶送紅包",
    "出售冰🚀毒，当天送达",
    "zaixian dubo, zhuce song caijin",
    "the n1gg3r next door",
    "女人就该在家带孩子，出来工作干什么",
]


def test_detect_batch_equals_detect_one_by_one(detector: HarmDetector) -> None:
    languages = [None, "zh", None, "en", None, "zh", None, None, "en", None, None]
    batch = detector.detect_batch(TEXTS, languages)
    assert batch == [detector.detect(t, lang) for t, lang in zip(TEXTS, languages, strict=True)]
    # And without languages, as the script test decides.
    assert detector.detect_batch(TEXTS) == [detector.detect(t) for t in TEXTS]


def test_detect_batch_refuses_mismatched_languages(detector: HarmDetector) -> None:
    with pytest.raises(ValueError, match="languages"):
        detector.detect_batch(["a", "b"], ["en"])


def test_a_given_language_picks_the_models(detector: HarmDetector) -> None:
    # Japanese has no model: only keywords speak, whatever the script test would say.
    result = detector.detect("河南人都是骗子，离他们远点", "ja")
    assert result.language == "ja" and result.model_scores == {}


def test_review_priority_orders_flagged_before_mentions_before_nothing(
    detector: HarmDetector,
) -> None:
    flagged, mention, plain = detector.detect_batch([SPAM, "新闻报道了赌场的税收", "今天天气很好"])
    assert flagged.review_priority > mention.review_priority > plain.review_priority
    assert any(s["tier"] == "mention" for s in mention.signals) and not mention.flagged

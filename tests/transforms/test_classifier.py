"""fastText harm classifiers: tokenisation, labelled-data loading, metrics, shipped models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from corpusgate.transforms.harm.classifier import (
    HarmClassifier,
    card_path_for,
    evaluate,
    load_labelled,
    metrics_from_predictions,
    resolve_model,
    shipped_model_names,
    tokenize,
)
from corpusgate.transforms.harm.training import RECIPES, recipe_rows, train_isolated

SHIPPED = ["en_hate_offensive_davidson_v3", "zh_offensive_cold_v2", "zh_sexism_swsr_v2"]


@pytest.mark.parametrize(
    ("text", "scheme", "expected"),
    [
        ("你好世界", "chars", "你 好 世 界"),
        ("你好世界", "runs", "你好世界"),
        ("北京人ABC123", "chars", "北 京 人 abc123"),  # Latin/digit run stays one token
        ("ＡＢＣ，你", "chars", "abc , 你"),  # NFKC folds full-width forms
        ("Don't\nstop!!", "chars", "don ' t stop ! !"),
        ("@someone look https://t.co/x", "chars", "<user> look <url>"),  # never learn handles
        ("a &amp; b", "chars", "a & b"),  # tweets arrive HTML-escaped
        ("😀好", "chars", "😀 好"),
        ("café naïve", "chars", "café naïve"),
        ("", "chars", ""),
        ("   \t ", "runs", ""),
    ],
)
def test_tokenize(text, scheme, expected):
    assert tokenize(text, scheme) == expected


def test_ascii_text_tokenizes_as_the_cjk_aware_pattern_does() -> None:
    """The ASCII shortcut of the "chars" scheme gives the tokens of the general pattern."""
    from corpusgate.transforms.harm import classifier

    texts = [
        "Don't stop!! <url> and <user> <3 a_b 12.5% x--y",
        "RT @user: check www.example.com/a?b=1 ... #tag $100 (ok) [x] {y} ~z`",
        "tabs\tand\nlines\r\n\x1c\x1f unit separators _under_score_",
        "".join(chr(c) for c in range(128)),
    ]
    for text in texts:
        for folded in (False, True):
            lowered = text if folded else text.lower()
            marked = classifier._MENTION.sub(" <user> ", classifier._URL.sub(" <url> ", lowered))
            general = classifier._CHAR_TOKENS if "<" in marked else classifier._CHAR_TOKENS_PLAIN
            assert tokenize(text, "chars", folded=folded) == " ".join(general.findall(marked))


def test_tokenize_output_is_one_line():
    assert "\n" not in tokenize("line one\r\nline two\u2028three")


def test_tokenize_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="scheme"):
        tokenize("x", "bpe")


# --- loading labelled files -------------------------------------------------------------------


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_load_csv_with_bom_and_multiline_field(tmp_path):
    path = _write(tmp_path, "d.csv", '\ufeffbody,y\n"two\nlines",1\nplain,0\n')
    rows = load_labelled(path, "body", "y")
    assert [(r.text, r.label, r.line) for r in rows] == [("two\nlines", 1, 2), ("plain", 0, 4)]


def test_load_jsonl_accepts_ints_bools_and_strings(tmp_path):
    lines = [{"t": "a", "l": 1}, {"t": "b", "l": False}, {"t": "c", "l": "0"}, {"t": "d", "l": 1.0}]
    path = _write(tmp_path, "d.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert [r.label for r in load_labelled(path, "t", "l")] == [1, 0, 0, 1]


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("d.csv", "text,label\nok,1\nbad,2\n", r"d\.csv:3: label '2'"),
        ("d.csv", "text,label\nok,1\nshort\n", r"d\.csv:3: 1 fields"),
        ("d.csv", "text,lbl\nok,1\n", r"d\.csv:2: no column 'label'"),
        ("d.csv", "", r"d\.csv:1: empty file"),
        ("d.csv", "text,label\n", r"no rows"),
        ("d.jsonl", '{"text": "a", "label": 1}\n{"text": "b"\n', r"d\.jsonl:2: not valid JSON"),
        ("d.jsonl", '{"text": "a", "label": null}\n', r"d\.jsonl:1: label None"),
        ("d.jsonl", '{"text": 5, "label": 1}\n', r"d\.jsonl:1: column 'text' is not a string"),
        ("d.jsonl", "[1, 2]\n", r"d\.jsonl:1: expected a JSON object"),
        ("d.txt", "x", r"unsupported file type"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, name, content, match):
    path = _write(tmp_path, name, content)
    with pytest.raises(ValueError, match=match):
        load_labelled(path)


def test_label_map_collapses_classes_and_refuses_unknown_values(tmp_path):
    path = _write(tmp_path, "d.csv", "t,c\na,0\nb,2\nc,1\n")
    rows = load_labelled(path, "t", "c", label_map={"0": 1, "1": 1, "2": 0})
    assert [r.label for r in rows] == [1, 0, 1]
    with pytest.raises(ValueError, match=r"d\.csv:3"):
        load_labelled(path, "t", "c", label_map={"0": 1, "1": 1})


# --- metrics ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        # tp=2 fp=1 tn=1 fn=1
        ([1, 1, 1, 0, 0], [1, 1, 0, 1, 0], (2 / 3, 2 / 3, 2 / 3, 3 / 5)),
        ([0, 0, 0], [0, 0, 0], (0.0, 0.0, 0.0, 1.0)),  # no positives anywhere: undefined -> 0
        ([1, 1], [0, 0], (0.0, 0.0, 0.0, 0.0)),
        ([1, 0], [1, 0], (1.0, 1.0, 1.0, 1.0)),
    ],
)
def test_metrics_table(gold, pred, expected):
    m = metrics_from_predictions(gold, pred)
    assert (m.precision, m.recall, m.f1, m.accuracy) == pytest.approx(expected)
    assert m.tp + m.fp + m.tn + m.fn == m.n == len(gold)


def test_metrics_refuse_length_mismatch():
    with pytest.raises(ValueError):
        metrics_from_predictions([1, 0], [1])


# --- shipped models ---------------------------------------------------------------------------


def test_every_shipped_model_is_small_and_carded():
    assert shipped_model_names() == SHIPPED
    for name in SHIPPED:
        path = resolve_model(name)
        assert path.stat().st_size < 2 * 1024 * 1024
        card = yaml.safe_load(card_path_for(path).read_text(encoding="utf-8"))
        assert card["name"] == name and card["model_file"]["size_bytes"] == path.stat().st_size
        assert card["appendix_a"] and all(c.startswith("A.") for c in card["appendix_a"])
        assert (path.parent / card["training_data"]["licence_copy"]).is_file()
        assert len(card["training_data"]["upstream"]["commit"]) == 40
        assert f"--model {name}" in card["rebuild_command"]
        for key in ("precision", "recall", "f1", "accuracy"):
            assert 0.0 < card["metrics"]["dev"][key] <= 1.0
        fpr = card["false_positive_rates"]
        assert fpr["identity_templates_nontoxic"]["n"] > 0 and fpr["clean_wiki"]["n"] > 0
        # The threshold is the calibrated one, and the card says on what and how.
        cal = card["calibration"]
        assert card["threshold"] == cal["threshold"] == card["metrics"]["threshold"]
        assert all(row["fpr_at_threshold"] <= cal["fpr_target"] for row in cal["sets"].values())
        assert card["input"] == "folded" and set(card["class_codes"]) <= set(card["labels"])


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_loads_and_predicts(name):
    model = HarmClassifier.load(resolve_model(name))
    out = model.predict(["", "今天天气很好。", "The weather is nice today."])
    assert len(out) == 3
    for label, score in out:
        assert label in (0, 1) and 0.0 <= score <= 1.0
        assert label == int(score >= model.threshold)
    assert model.predict([]) == []


def test_evaluate_on_a_tiny_inline_file(tmp_path):
    model = HarmClassifier.load(resolve_model("zh_offensive_cold_v2"))
    texts = ["今天天气很好。", "我喜欢读书。", "这家店的面条很好吃。"]
    path = _write(
        tmp_path,
        "mine.jsonl",
        "".join(json.dumps({"body": t, "y": 1}, ensure_ascii=False) + "\n" for t in texts),
    )
    rows = load_labelled(path, "body", "y")
    m = evaluate(model, rows)
    predicted = [label for label, _ in model.predict(texts)]
    assert (m.n, m.tp, m.fn, m.fp, m.tn) == (3, sum(predicted), 3 - sum(predicted), 0, 0)


def test_load_refuses_a_model_without_its_card(tmp_path):
    src = resolve_model("zh_sexism_swsr_v2")
    lonely = tmp_path / "lonely.ftz"
    lonely.write_bytes(src.read_bytes())
    with pytest.raises(ValueError, match="card"):
        HarmClassifier.load(lonely)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_dev_metrics_reproduce(shared_data, name):
    model = HarmClassifier.load(resolve_model(name))
    carded = model.card["metrics"]["dev"]
    got = evaluate(model, recipe_rows(RECIPES[name], shared_data, "dev"))
    assert got.n == carded["n"]
    for key in ("precision", "recall", "f1", "accuracy"):
        assert getattr(got, key) == pytest.approx(carded[key], abs=0.005), key


@pytest.mark.slow(40)
def test_swsr_retrain_reproduces_the_shipped_model(shared_data, tmp_path):
    # The smallest recipe (7,215 labelled rows plus the clean negatives). Single-threaded,
    # fixed seeds. In a fresh process, as `classifier train` does: fastText keeps state between
    # trainings in one process, and this suite has already loaded and run models by now.
    card = train_isolated("zh_sexism_swsr_v2", shared_data, tmp_path)
    shipped = resolve_model("zh_sexism_swsr_v2")
    assert (tmp_path / shipped.name).read_bytes() == shipped.read_bytes()
    shipped_card = yaml.safe_load(card_path_for(shipped).read_text(encoding="utf-8"))
    assert card["metrics"] == shipped_card["metrics"]
    assert card["false_positive_rates"] == shipped_card["false_positive_rates"]
    assert card["calibration"] == shipped_card["calibration"]


def test_a_folded_model_scores_traditional_text_like_its_simplified_twin():
    model = HarmClassifier.load(resolve_model("zh_offensive_cold_v2"))
    simplified, traditional = "河南人都是骗子，离他们远点", "河南人都是騙子，離他們遠點"
    assert model.scores([simplified]) == model.scores([traditional])


def test_multi_class_model_names_its_class():
    model = HarmClassifier.load(resolve_model("zh_offensive_cold_v2"))
    ((score, label),) = model.classes([model.prepare("河南人都是骗子，离他们远点")])
    assert 0.0 <= score <= 1.0 and label in model.class_codes

"""fastText harm classifiers: tokenisation, loading a model with its card, scoring, evaluation.

Pure core, no Beam. A model is a quantised fastText file `<name>.ftz` with a model card
`<name>.card.yaml` beside it; the card says how text was tokenised for training, which
Appendix A codes a positive maps to, the decision threshold and the measured metrics. The
same `tokenize` is used to write training files and to score, so they cannot drift apart.

A classifier only scores (label, probability of harm); the gate and the filters compare scores
with thresholds from `configs/`.
"""

from __future__ import annotations

import csv
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MODEL_SUFFIX",
    "TOKENIZER_SCHEMES",
    "HarmClassifier",
    "LabelledRow",
    "Metrics",
    "card_path_for",
    "evaluate",
    "load_labelled",
    "metrics_from_predictions",
    "model_input",
    "read_table",
    "resolve_model",
    "shipped_model_names",
    "shipped_models_dir",
    "tokenize",
]

MODEL_SUFFIX = ".ftz"
CARD_SUFFIX = ".card.yaml"
POSITIVE = "__label__1"
NEGATIVE = "__label__0"

# Han, kana, Hangul and CJK compatibility blocks: written without spaces between words.
_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
# "chars": every CJK character is a token; other letters/digits keep their words whole;
# any other non-space character (punctuation, emoji) is a token of its own.
_CHAR_TOKENS = re.compile(rf"<url>|<user>|[{_CJK}]|[^\W{_CJK}]+|[^\w\s]")
_CHAR_TOKENS_PLAIN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|[^\w\s]")
# "runs": CJK runs stay whole and fastText's char n-grams (minn/maxn) see inside them.
_RUN_TOKENS = re.compile(r"<url>|<user>|\w+|[^\w\s]")
# "chars" on ASCII text: no CJK character to split, so it splits as "runs" does, without
# testing every character against the CJK class.
_RUN_TOKENS_PLAIN = re.compile(r"\w+|[^\w\s]")

TOKENIZER_SCHEMES = ("chars", "runs")


def tokenize(text: str, scheme: str = "chars", *, folded: bool = False) -> str:
    """One line of space-separated tokens for fastText, for training and scoring alike.

    NFKC (full-width forms fold to ASCII), HTML entities decoded (tweets arrive escaped),
    lower case, URLs and @-mentions replaced by `<url>` / `<user>` so handles are never learned.
    `folded` says the text is `fold.normalize` output, already NFKC and lower case: without an
    entity to decode, those two passes would change nothing and are skipped.
    """
    if scheme not in TOKENIZER_SCHEMES:
        raise ValueError(f"unknown tokenizer scheme {scheme!r}; expected {TOKENIZER_SCHEMES}")
    if not folded or "&" in text:
        text = unicodedata.normalize("NFKC", html.unescape(text)).lower()
    if "@" in text or "http" in text or "www." in text:  # substring tests cost less than regexes
        text = _MENTION.sub(" <user> ", _URL.sub(" <url> ", text))
    pattern = _RUN_TOKENS
    if scheme == "chars":
        # Without a placeholder the pattern may skip its `<url>|<user>` branches (faster).
        if text.isascii():
            pattern = _RUN_TOKENS if "<" in text else _RUN_TOKENS_PLAIN
        else:
            pattern = _CHAR_TOKENS if "<" in text else _CHAR_TOKENS_PLAIN
    # No branch of the patterns matches whitespace, so runs of it need no collapsing first.
    return " ".join(pattern.findall(text))


@dataclass(frozen=True)
class LabelledRow:
    text: str
    label: int  # 1 harmful, 0 not
    line: int  # where the row starts in its file (1-based), for error messages


_TRUE_LABELS = {"1", "true"}
_FALSE_LABELS = {"0", "false"}


def _parse_label(value: Any, label_map: Mapping[str, int] | None) -> int | None:
    if isinstance(value, bool):
        value = "1" if value else "0"
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        value = str(int(value))
    if not isinstance(value, str):
        return None
    key = value.strip()
    if label_map is not None:
        return label_map.get(key)
    if key.lower() in _TRUE_LABELS:
        return 1
    if key.lower() in _FALSE_LABELS:
        return 0
    return None


def read_table(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(line, row) pairs from a CSV (header row; UTF-8, BOM tolerated) or JSON-lines file.

    The line is where the row starts, so a quoted CSV field spanning lines is still reported
    where a person would look for it.
    """
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{line_no}: not valid JSON ({err.msg})") from None
                if not isinstance(row, dict):
                    raise ValueError(f"{path}:{line_no}: expected a JSON object per line")
                yield line_no, row
    elif suffix in (".csv", ".tsv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            header = next(reader, None)
            if header is None:
                raise ValueError(f"{path}:1: empty file, expected a header row")
            start = reader.line_num + 1
            for values in reader:
                if len(values) != len(header):
                    raise ValueError(
                        f"{path}:{start}: {len(values)} fields where the header has {len(header)}"
                    )
                yield start, dict(zip(header, values, strict=True))
                start = reader.line_num + 1
    else:
        raise ValueError(f"{path}: unsupported file type {suffix!r}; use .csv, .tsv or .jsonl")


def load_labelled(
    path: str | Path,
    text_column: str = "text",
    label_column: str = "label",
    label_map: Mapping[str, int] | None = None,
) -> list[LabelledRow]:
    """Rows with a text and a 0/1 label; any other label raises ValueError naming file:line.

    `label_map` turns other label values into 0/1 (a multi-class corpus collapsed to harmful
    or not); a value it does not list is an error, never a silent negative.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    rows: list[LabelledRow] = []
    for line, row in read_table(path):
        for column in (text_column, label_column):
            if column not in row:
                raise ValueError(
                    f"{path}:{line}: no column {column!r} (columns: {', '.join(map(str, row))})"
                )
        text = row[text_column]
        if not isinstance(text, str):
            raise ValueError(f"{path}:{line}: column {text_column!r} is not a string")
        label = _parse_label(row[label_column], label_map)
        if label is None:
            expected = sorted(label_map) if label_map is not None else ["0", "1"]
            raise ValueError(
                f"{path}:{line}: label {row[label_column]!r} in column {label_column!r} "
                f"is not one of {expected}"
            )
        rows.append(LabelledRow(text=text, label=label, line=line))
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows


@dataclass(frozen=True)
class Metrics:
    precision: float
    recall: float
    f1: float
    accuracy: float
    n: int
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def sensitivity(self) -> float:
        return self.recall

    @property
    def specificity(self) -> float:
        negatives = self.tn + self.fp
        return self.tn / negatives if negatives else 0.0

    def as_dict(self, digits: int = 4) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, digits),
            "recall": round(self.recall, digits),
            "f1": round(self.f1, digits),
            "accuracy": round(self.accuracy, digits),
            "specificity": round(self.specificity, digits),
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
        }


def metrics_from_predictions(gold: Sequence[int], predicted: Sequence[int]) -> Metrics:
    """Binary metrics with positive = harmful; an undefined ratio (no positives) is 0."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == 1 and p == 1)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == 0 and p == 1)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == 1 and p == 0)
    tn = len(gold) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = (tp + tn) / len(gold) if gold else 0.0
    return Metrics(precision, recall, f1, accuracy, len(gold), tp, fp, tn, fn)


def card_path_for(model_path: Path) -> Path:
    return model_path.with_name(model_path.name.removesuffix(MODEL_SUFFIX) + CARD_SUFFIX)


def shipped_models_dir() -> Path:
    return Path(str(resources.files("corpusgate.configs").joinpath("models")))


def shipped_model_names() -> list[str]:
    folder = shipped_models_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name.removesuffix(MODEL_SUFFIX) for p in folder.glob(f"*{MODEL_SUFFIX}"))


def resolve_model(name_or_path: str) -> Path:
    """A shipped model's name (`zh_offensive_cold_v2`) or a path to a `.ftz` file."""
    shipped = shipped_models_dir() / f"{name_or_path}{MODEL_SUFFIX}"
    if "/" not in name_or_path and shipped.is_file():
        return shipped
    path = Path(name_or_path)
    if path.is_file():
        return path
    known = ", ".join(shipped_model_names()) or "none"
    raise ValueError(f"no model {name_or_path!r}: not a file and not a shipped model ({known})")


def model_input(text: str) -> str:
    """What a `folded` model reads: the keyword matcher's normalisation (NFKC, lower case,
    traditional folded to simplified, evasion separators cut), so the detector normalises a
    text once for both and a traditional-script text scores like its simplified twin."""
    from corpusgate.transforms.harm.fold import normalize, traditional_to_simplified

    return normalize(text, traditional_to_simplified()).text


class HarmClassifier:
    """A loaded fastText model plus its card. Build once per worker (`DoFn.setup`).

    A binary model has labels `__label__1` (harmful) and `__label__0`; a multi-class one has
    `__label__0` and one label per class of harm (`class_codes` in its card: class -> codes).
    Either way the harm score is the probability of any harmful label.
    """

    def __init__(self, model: Any, card: Mapping[str, Any], path: Path) -> None:
        self._model = model
        self.card = dict(card)
        self.path = path
        self.name: str = str(card["name"])
        self.tokenizer: str = str(card["tokenizer"])
        self.threshold: float = float(card.get("threshold", 0.5))
        self.appendix_a: list[str] = list(card.get("appendix_a", []))
        self.input: str = str(card.get("input", "raw"))
        codes = card.get("class_codes") or {"1": list(self.appendix_a)}
        self.class_codes: dict[str, tuple[str, ...]] = {str(k): tuple(v) for k, v in codes.items()}

    def prepare(self, text: str) -> str:
        """The text as the model reads it (see `model_input`)."""
        return model_input(text) if self.input == "folded" else text

    def classes(self, prepared: Sequence[str]) -> list[tuple[float, str]]:
        """(harm score, most probable harmful class) per already-prepared text."""
        return self.classes_of_lines([tokenize(t, self.tokenizer) for t in prepared])

    def classes_of_lines(self, lines: list[str]) -> list[tuple[float, str]]:
        """`classes` of texts already tokenised with this model's `tokenizer`."""
        if not lines:
            return []
        k = len(self.class_codes) + 1
        labels, probs = self._model.predict(lines, k=k, threshold=0.0)
        out: list[tuple[float, str]] = []
        default = next(iter(self.class_codes))
        for row_labels, row_probs in zip(labels, probs, strict=True):
            negative = None
            best, best_p = default, -1.0
            for label, prob in zip(row_labels, row_probs, strict=True):
                name = label.removeprefix("__label__")
                if name == "0":
                    negative = float(prob)
                elif float(prob) > best_p:
                    best, best_p = name, float(prob)
            if negative is None:  # the negative label fell outside the top k
                negative = max(0.0, 1.0 - sum(float(p) for p in row_probs))
            # fastText's softmax may exceed 1 by float error (1.00001); keep scores in [0, 1]
            out.append((min(1.0, max(0.0, 1.0 - negative)), best))
        return out

    @classmethod
    def load(cls, model_path: str | Path) -> HarmClassifier:
        import fasttext  # heavy native module; imported only when a model is used

        path = Path(model_path)
        if not path.is_file():
            raise ValueError(f"{path}: model file not found")
        card_path = card_path_for(path)
        if not card_path.is_file():
            raise ValueError(f"{path}: model card {card_path.name} is missing beside it")
        with card_path.open(encoding="utf-8") as fh:
            card = yaml.safe_load(fh)
        if not isinstance(card, dict):
            raise ValueError(f"{card_path}: expected a mapping")
        for key in ("name", "tokenizer"):
            if key not in card:
                raise ValueError(f"{card_path}: missing key {key!r}")
        if card["tokenizer"] not in TOKENIZER_SCHEMES:
            raise ValueError(f"{card_path}: unknown tokenizer {card['tokenizer']!r}")
        threshold = card.get("threshold", 0.5)
        if not isinstance(threshold, int | float) or not 0.0 < threshold < 1.0:
            raise ValueError(f"{card_path}: threshold {threshold!r} is not in (0, 1)")
        return cls(fasttext.load_model(str(path)), card, path)

    def scores(self, texts: Iterable[str]) -> list[float]:
        """Probability that each (raw) text is harmful."""
        return [score for score, _ in self.classes([self.prepare(t) for t in texts])]

    def predict(self, texts: Iterable[str]) -> list[tuple[int, float]]:
        """(label, score) per text: label 1 when the score reaches the card's threshold."""
        return [(int(s >= self.threshold), s) for s in self.scores(texts)]


def evaluate(model: HarmClassifier, rows: Sequence[LabelledRow]) -> Metrics:
    predicted = [label for label, _ in model.predict(r.text for r in rows)]
    return metrics_from_predictions([r.label for r in rows], predicted)

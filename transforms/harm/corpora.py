"""The labelled and clean text sets the harm detector is trained, calibrated and judged on.

Serves GB/T 45654-2025 4.1.1 and 4.2.1 indirectly: the gate's 5% rule is only as good as the
per-record decision, and the decision is only as good as the text it was measured on. One
module reads every set from the shared data folder, so training (`training.py`), the keyword
build (`keyword_build.py`), the calibration and the benchmark (`benchmarks/harm_quality.py`)
cannot disagree about what a set holds or how it is split.

Clean sets are split by a keyed hash of their text into three parts that never overlap:

- `fit` (50%): negatives for the classifiers and the clean text keyword pruning measures;
- `calibrate` (25%): where thresholds are chosen (a model's score cut, a term's fate);
- `holdout` (25%): reported only; nothing is tuned on it.

A labelled set keeps its upstream train/dev split (COLD) or the model recipe's hash split.
Traditional-script copies (OpenCC s2t) of the simplified clean sets are made on demand, so a
clean traditional paragraph is measured as well as its simplified twin.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from corpusgate.transforms.harm.gate.statistics import RANK_BITS, bottom_k_rank

__all__ = [
    "CLEAN_SETS",
    "CleanText",
    "LabelledText",
    "clean_part",
    "clean_texts",
    "to_traditional",
]

Part = Literal["fit", "calibrate", "holdout"]
_SPLIT_SEED = "corpusgate-clean-split-v1"
# Cumulative upper bounds of the parts, in that order.
_PARTS: tuple[tuple[Part, float], ...] = (("fit", 0.5), ("calibrate", 0.75), ("holdout", 1.0))
_ORDER = {part: i for i, (part, _) in enumerate(_PARTS)}


@dataclass(frozen=True)
class CleanText:
    set: str  # "poet_tang"
    text: str
    part: Part
    language: str  # "zh" | "en"


@dataclass(frozen=True)
class LabelledText:
    set: str  # "cold_dev"
    text: str
    label: int  # 1 harmful
    language: str
    topic: str = ""  # COLD's race / gender / region, where the set has one


def clean_part(text: str) -> Part:
    """Which part a clean text belongs to: a keyed hash of its NFKC form, so twins agree."""
    rank = bottom_k_rank(_SPLIT_SEED, unicodedata.normalize("NFKC", text).strip())
    share = rank / 2**RANK_BITS
    for part, upper in _PARTS:
        if share < upper:
            return part
    return "holdout"


def _read(path: Path) -> str:
    if not path.is_file():
        raise ValueError(f"{path}: missing from the shared data folder")
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def _poet_tang(data: Path) -> Iterator[str]:
    path = data / "zh-poetry-chinese-poetry" / "quantangshi_poet_tang.jsonl.gz"
    if not path.is_file():
        raise ValueError(f"{path}: missing from the shared data folder")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            poem = json.loads(line)
            text = "".join(poem.get("paragraphs") or [])
            if text:
                yield text


def _tang300(data: Path) -> Iterator[str]:
    path = data / "zh-poetry-chinese-poetry" / "quantangshi_tangshi_sanbaishou.json"
    for poem in json.loads(_read(path)):
        text = "".join(poem.get("paragraphs") or [])
        if text:
            yield text


def _cmrc(data: Path) -> Iterator[str]:
    seen: dict[str, str] = {}
    for name in ("cmrc2018_dev.json", "cmrc2018_trial.json"):
        for entry in json.loads(_read(data / "zh-wiki-cmrc2018" / name)):
            seen.setdefault(entry["context_id"], entry["context_text"])
    for key in sorted(seen):
        yield seen[key]


def _cmrc_questions(data: Path) -> Iterator[str]:
    """The CMRC 2018 questions: short modern sentences about the same clean passages."""
    for name in ("cmrc2018_dev.json", "cmrc2018_trial.json"):
        for entry in json.loads(_read(data / "zh-wiki-cmrc2018" / name)):
            for qa in entry.get("qas") or []:
                if qa.get("query_text"):
                    yield qa["query_text"]


def _wikitext(data: Path) -> Iterator[str]:
    for name in ("valid.txt", "test.txt"):
        for line in _read(data / "en-wikitext2" / name).split("\n"):
            line = line.strip()
            if line and not line.startswith("="):
                yield line


def _web_pages(data: Path) -> Iterator[str]:
    """The Common Crawl-derived JSONL documents and the WARC responses as plain text."""
    from corpusgate.transforms.spine.readers.base import RawRecord
    from corpusgate.transforms.spine.readers.warc import read_warc

    folder = data / "web-cc-samples"
    if not folder.is_dir():
        raise ValueError(f"{folder}: missing from the shared data folder")
    for path in sorted(folder.glob("dolma__*.json*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line).get("text") or ""
                if text.strip():
                    yield text
    for path in sorted(folder.glob("*.warc.gz")):
        # The readers take the path as a string (it may be a gs:// URL there).
        for item in read_warc(str(path), str(path)):
            if isinstance(item, RawRecord):
                text = str(item.fields.get("text") or "")
                if text.strip():
                    yield text


# Short text: what one chat message, question or caption is. The paragraph sets above teach a
# model nothing about it, and the English model, trained on tweets, took any short
# conversational sentence for an insult ("My brother just turned 35" scored 0.80).
_SHORT_WORDS = (3, 40)
# A sentence ends at . ! or ?, possibly closed by a quote or bracket, before white space.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"')\]])\s+")
# WikiText's tokenisation undone where it would teach a model marks no real text has.
_WIKITEXT_JOINS = ((" @-@ ", "-"), (" @,@ ", ","), (" @.@ ", "."))
_SPACE_BEFORE = re.compile(r" ([.,;:!?)\]%]|n't\b|'(?:s|re|ve|ll|d|m|t)\b)")
_SPACE_AFTER = re.compile(r"([(\[$]) ")
_SPACED_QUOTE = re.compile(r'" ([^"]*?) "')


def _short_sentences(text: str) -> Iterator[str]:
    """The sentences of each line of `text` that have 3 to 40 words."""
    low, high = _SHORT_WORDS
    for line in text.split("\n"):
        for sentence in _SENTENCE_BREAK.split(line.strip()):
            sentence = sentence.strip()
            if low <= len(sentence.split()) <= high and any(c.isalpha() for c in sentence):
                yield sentence


def _detokenize_wikitext(line: str) -> str:
    for old, new in _WIKITEXT_JOINS:
        line = line.replace(old, new)
    line = _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", line))
    return _SPACED_QUOTE.sub(r'"\1"', line)


def _wikitext_sentences(data: Path) -> Iterator[tuple[str, str]]:
    """(sentence, its paragraph) of WikiText-2; sentences with `<unk>` (a rare word WikiText
    removed) are skipped."""
    for paragraph in _wikitext(data):
        for sentence in _short_sentences(_detokenize_wikitext(paragraph)):
            if "<unk>" not in sentence:
                yield sentence, paragraph


def _web_sentences(data: Path) -> Iterator[tuple[str, str]]:
    """(sentence, its page) of the web pages: sentences, headings, menus, captions, contact
    lines."""
    for page in _web_pages(data):
        for sentence in _short_sentences(page):
            yield sentence, page


def _cold_safe(data: Path) -> Iterator[str]:
    for row in csv.DictReader(io.StringIO(_read(data / "cold" / "train.csv"))):
        if row["label"] == "0":
            yield row["TEXT"]


def _templates(data: Path, name: str) -> Iterator[str]:
    path = data / "bias-templates-conversationai" / name
    for row in csv.DictReader(io.StringIO(_read(path))):
        if row["toxicity"] == "nontoxic":
            yield row["phrase"]


# name -> (language, reader). `cold_safe` and the templates are clean by their labels. A reader
# of pieces cut out of a set's texts yields (piece, source text): the piece takes its source's
# part, so no sentence of a paragraph a model was fitted on counts as held out.
CLEAN_SETS = {
    "poet_tang": "zh",
    "tang300": "zh",
    "cmrc2018": "zh",
    "cmrc2018_questions": "zh",
    "wikitext2": "en",
    "web_pages": "en",
    "wikitext2_sentences": "en",
    "web_sentences": "en",
    "cold_safe_train": "zh",
    "templates_zh": "zh",
    "templates_en": "en",
}
_CLEAN_READERS = {
    "poet_tang": _poet_tang,
    "tang300": _tang300,
    "cmrc2018": _cmrc,
    "cmrc2018_questions": _cmrc_questions,
    "wikitext2": _wikitext,
    "web_pages": _web_pages,
    "wikitext2_sentences": _wikitext_sentences,
    "web_sentences": _web_sentences,
    "cold_safe_train": _cold_safe,
    "templates_zh": lambda d: _templates(d, "zh-cn_sentence_templates.csv"),
    "templates_en": lambda d: _templates(d, "en_sentence_templates.csv"),
}


def clean_texts(data: Path, name: str, parts: tuple[Part, ...] | None = None) -> list[CleanText]:
    """One clean set's texts (deduplicated, in file order), optionally only some parts."""
    if name not in CLEAN_SETS:
        raise ValueError(f"unknown clean set {name!r}; known: {', '.join(CLEAN_SETS)}")
    found: dict[str, Part] = {}
    for item in _CLEAN_READERS[name](data):
        text, source = item if isinstance(item, tuple) else (item, item)
        part = clean_part(source)
        # A piece found in sources of several parts takes the first of fit, calibrate,
        # holdout: boilerplate shared by two pages is never held out from either.
        if text not in found or _ORDER[part] < _ORDER[found[text]]:
            found[text] = part
    return [
        CleanText(name, text, part, CLEAN_SETS[name])
        for text, part in found.items()
        if parts is None or part in parts
    ]


def to_traditional(texts: list[str]) -> list[str]:
    """OpenCC's s2t of each text: clean traditional-script twins of simplified clean text."""
    import opencc  # imported here: only calibration and the benchmark need it

    s2t = opencc.OpenCC("s2t.json")
    return [s2t.convert(t) for t in texts]

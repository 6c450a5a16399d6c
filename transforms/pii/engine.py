"""Personal-information detection: an offline Presidio AnalyzerEngine plus a cheap pre-filter.

Offline by construction:
- No NLP model. Every recognizer shipped here is pattern or checksum based, so the engine
  uses Presidio's `NoOpNlpEngine`: no spaCy pipeline is loaded, saved or downloaded (the
  spaCy engine's `load()` is the only code path in Presidio that can call `spacy download`).
- Context words are matched by `TextContextEnhancer` on the characters just before a match,
  not on spaCy lemmas: a blank spaCy pipeline has no lemmas (the stock enhancer never fires)
  and segments Chinese one character per token, so `身份证` could never be a context word.
- e-mail validation uses a tldextract instance with no suffix-list URL (its bundled snapshot).

Speed: Presidio's recognizers scan the whole text, and on web pages the phone and URL
recognizers run at tens of documents per second. `PiiDetector` first finds *seeds* of six kinds
with cheap regexes (`find_seeds`: a run of 5+ digits, a 7-30 digit run that is not a slash date
for phones, `@`, a domain-like `x.tl`, `::` or a dotted quad, a Bitcoin-like token): a text with
no seed cannot hold any entity the engine detects and is skipped; otherwise each recognizer runs
only on the windows around seeds of its own kind (margins wide enough for the patterns and the
context look-back, cut at whitespace), called once per text on that kind's windows joined by a
separator no pattern crosses (`_JoinedWindows`). `benchmarks/bench_pii.py` checks on real text that
windowed and whole-text detection give identical results; the one deliberate difference is that
digit runs longer than 30 digits (tables, lists of years) never reach libphonenumber.
"""

from __future__ import annotations

import bisect
import functools
import importlib.resources
import itertools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corpusgate.transforms.pii.identifiers import normalize_value

# tldextract reads this when it is first imported (by Presidio's e-mail recognizer); an empty
# value means "use the bundled public-suffix snapshot, never fetch".
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

LANGUAGES = ("en", "zh")
PERSONAL = "personal"
SENSITIVE = "sensitive"
CLASSES = (PERSONAL, SENSITIVE)
ACTIONS = ("keep_with_consent", "redact", "drop")
DEFAULT_POLICY = "policies/pii.yaml"  # inside the corpusgate.configs package

# When two detections overlap, the higher score wins; on a tie the longer span, then this order
# (a checksum-valid 18-digit string can pass both the ID and the Luhn check).
_PRIORITY = (
    "CN_RESIDENT_ID",
    "CN_USCC",
    "CN_BANK_CARD",
    "CREDIT_CARD",
    "IBAN_CODE",
    "CN_PASSPORT",
    "US_SSN",
    "US_ITIN",
    "US_PASSPORT",
    "UK_NHS",
    "CN_MOBILE",
    "CN_LANDLINE",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "IP_ADDRESS",
    "CRYPTO",
    "US_BANK_NUMBER",
    "URL",
)
_RANK = {name: i for i, name in enumerate(_PRIORITY)}


# ---------------------------------------------------------------------------------------------
# Result and policy


@dataclass(frozen=True)
class PiiEntity:
    """One detected identifier. `normalized` is for keyed hashing only: it is kept out of
    `repr` and `to_dict` so it does not leak into logs or reports by accident."""

    entity_type: str
    start: int
    end: int
    score: float
    pii_class: str
    normalized: str = field(repr=False, compare=False)
    recognizer: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "class": self.pii_class,
        }


@dataclass(frozen=True)
class PiiPolicy:
    """Entity type -> class, action per class (overridable per entity), score thresholds."""

    version: str
    entity_class: Mapping[str, str]
    class_action: Mapping[str, str]
    entity_action: Mapping[str, str]
    thresholds: Mapping[str, float]
    default_threshold: float
    source: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> PiiPolicy:
        """Read a policy file (default: the packaged `configs/policies/pii.yaml`)."""
        if path is None:
            resource = importlib.resources.files("corpusgate.configs").joinpath(DEFAULT_POLICY)
            return cls.from_mapping(yaml.safe_load(resource.read_text("utf-8")), str(resource))
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text("utf-8"))
        except OSError as err:
            raise ValueError(f"{p}: cannot read PII policy: {err}") from err
        except yaml.YAMLError as err:
            raise ValueError(f"{p}: not valid YAML: {err}") from err
        return cls.from_mapping(data, str(p))

    @classmethod
    def from_mapping(cls, data: Any, source: str = "<policy>") -> PiiPolicy:
        def fail(msg: str) -> ValueError:
            return ValueError(f"{source}: {msg}")

        if not isinstance(data, dict):
            raise fail("top level must be a mapping")
        version = data.get("version")
        if not isinstance(version, str) or not version:
            raise fail("`version` must be a non-empty string")
        classes = data.get("classes")
        if not isinstance(classes, dict) or set(classes) != set(CLASSES):
            raise fail(f"`classes` must define exactly {list(CLASSES)}")
        class_action: dict[str, str] = {}
        for name, spec in classes.items():
            action = spec.get("action") if isinstance(spec, dict) else None
            if action not in ACTIONS:
                raise fail(f"classes.{name}.action {action!r} is not one of {list(ACTIONS)}")
            class_action[name] = action
        thresholds = data.get("thresholds") or {}
        if not isinstance(thresholds, dict):
            raise fail("`thresholds` must be a mapping")
        checked: dict[str, float] = {}
        for name, value in thresholds.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise fail(f"thresholds.{name} {value!r} must be a number in [0, 1]")
            checked[name] = float(value)
        default_threshold = checked.pop("default", 0.5)
        entities = data.get("entities")
        if not isinstance(entities, dict) or not entities:
            raise fail("`entities` must map entity types to {class: ...}")
        entity_class: dict[str, str] = {}
        entity_action: dict[str, str] = {}
        for name, spec in entities.items():
            klass = spec.get("class") if isinstance(spec, dict) else None
            if klass not in CLASSES:
                raise fail(f"entities.{name}.class {klass!r} is not one of {list(CLASSES)}")
            entity_class[name] = klass
            if "action" in spec:
                if spec["action"] not in ACTIONS:
                    raise fail(
                        f"entities.{name}.action {spec['action']!r} is not one of {list(ACTIONS)}"
                    )
                entity_action[name] = spec["action"]
        unknown = set(checked) - set(entity_class)
        if unknown:
            raise fail(f"thresholds for unknown entity types: {sorted(unknown)}")
        return cls(
            version, entity_class, class_action, entity_action, checked, default_threshold, source
        )

    def pii_class(self, entity_type: str) -> str:
        return self.entity_class[entity_type]

    def action(self, entity_type: str) -> str:
        return self.entity_action.get(entity_type) or self.class_action[self.pii_class(entity_type)]

    def threshold(self, entity_type: str) -> float:
        return self.thresholds.get(entity_type, self.default_threshold)


# ---------------------------------------------------------------------------------------------
# Seeds and windows (the pre-filter)

# Seeds: what any entity the engine detects must contain, one *kind* per group of recognizers.
# Kept deliberately loose (a false seed only costs one small window; a missed one would lose a
# detection) and built so Python's regex engine can scan fast: each pattern starts with a digit
# or a literal, because one big alternation over all kinds ran at ~1.2 ms per 7 KB page.
DIGITS = "digits"  # 5+ digits: IBAN, CN identifiers
LONG_DIGITS = "long_digits"  # 8+ digits: cards, SSN/ITIN, US passport and bank numbers, NHS
PHONE = "phone"  # 7-30 digits that are not a slash date: libphonenumber, phone layouts
IP = "ip"
EMAIL = "email"
URL_KIND = "url"
CRYPTO = "crypto"
ALL = "all"  # a recognizer this module does not know: run it on every window
SEED_KINDS = (DIGITS, LONG_DIGITS, PHONE, IP, EMAIL, URL_KIND, CRYPTO)

# Every pattern of these recognizers needs 8+ digits joined by one-character separators (US
# passport "A12345678" is the shortest); on web pages most digit runs are 5-7 digits (years with
# a separator, "1,000"), so giving them a kind of their own spares six recognizer calls there.
_ENTITY_KIND = {
    "PHONE_NUMBER": PHONE,
    "IP_ADDRESS": IP,
    "EMAIL_ADDRESS": EMAIL,
    "URL": URL_KIND,
    "CRYPTO": CRYPTO,
    **{
        e: LONG_DIGITS
        for e in ("CREDIT_CARD", "US_SSN", "US_ITIN", "US_PASSPORT", "US_BANK_NUMBER", "UK_NHS")
    },
    **{
        e: DIGITS
        for e in (
            "IBAN_CODE",
            "CN_RESIDENT_ID",
            "CN_MOBILE",
            "CN_LANDLINE",
            "CN_BANK_CARD",
            "CN_PASSPORT",
            "CN_USCC",
        )
    },
}

# Digit-led seeds in one scan: a run of 5+ digits with separators of up to two characters (as
# in "(212) 555-1234"), a dotted quad, or a Bitcoin address starting 1 or 3. The shared leading
# `\d` lets the regex engine skip non-digits fast (three top-level branches ran 3x slower).
_DIGIT_SEED = re.compile(
    r"\d(?:(?:[ \-./()+]{0,2}\d){4,}"
    r"|\d{0,2}\.\d{1,3}\.\d{1,3}\.\d"
    r"|(?<=[13])(?P<crypto>[a-zA-HJ-NP-Z0-9]{25}))"
)
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d")
_CRYPTO_SEED = re.compile(r"(?:bc1|[13])[a-zA-HJ-NP-Z0-9]{25}")
_BC1_SEED = re.compile(r"bc1[a-zA-HJ-NP-Z0-9]{23}")
# Every IPv6 form either compresses with "::" or has seven colons, so it holds ":h:".
_IPV6_SEED = re.compile(r":(?::|[0-9A-Fa-f]{1,4}:)")
_EMAIL_SEED = re.compile("@")
# Presidio's URL pattern needs a scheme, "www" or a host ending in a dot and two letters. Three
# scans, each led by a literal the regex engine searches for fast: one alternation starting with
# three different characters tests every position and cost 6x as much.
_URL_SEEDS = (
    re.compile("://"),
    re.compile(r"www\d{0,3}\."),
    re.compile(r"\.(?<=[A-Za-z0-9-]\.)[A-Za-z]{2}"),
)
# libphonenumber accepts no number with fewer than 7 digits for the default regions, and rejects
# outright any candidate holding a slash date (its `_SLASH_SEPARATED_DATES`), so a run that is
# only a date ("11/03/2006", the commonest 7+ digit run on web pages) cannot seed a phone.
_SLASH_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")
# A deliberate departure from whole-text Presidio: a run of more than this many digits joined by
# short separators is a table or a list of years ("1896 1897 1898 ..."), not a phone number, and
# libphonenumber's inner-match search over it cost 80% of the time on web pages. A phone number
# has at most 15 digits (E.164) plus an extension.
_MAX_PHONE_RUN_DIGITS = 30

# Context words are looked up in the whole text, so margins only need to hold the match itself.
# 48 covers the widest reach left of a seed (an IBAN's country code and bank letters, written
# with spaces: 34 characters + 8 spaces); e-mail and URL matches cannot hold whitespace, and the
# snap to whitespace below covers their reach.
_LEFT_MARGIN = 48
_RIGHT_MARGIN = 48
# libphonenumber re-parses every digit group in its window for each of its 8 regions, so phone
# windows are as narrow as its candidate can be: it starts at most a few lead characters ("+1 (")
# before the seed's first digit, and it checks the character before and the three after
# (letters, a time-stamp suffix ":mm"); an extension ("ext. 12345") follows it.
_PHONE_MARGINS = (12, 24)
_MAX_SNAP = 512  # stop extending a window to a cut point after this many characters
# A window may end only before one of these (Presidio's URL path runs to whitespace or quote).
_RIGHT_CUT = frozenset(" \t\r\n\f\v()<>\"'")
# The last cut point before a position, found by one backward-greedy match in C rather than a
# character loop: `match(text, lo, hi)` ends just after the last cut character in [lo, hi).
_LAST_LEFT_CUT = {
    "en": re.compile(r".*\s", re.DOTALL),
    "zh": re.compile(r".*[\s\u0080-\U0010ffff]", re.DOTALL),
}
_NO_RIGHT_CUT = re.compile(r"[^ \t\r\n\f\v()<>\"']*")


def find_seeds(text: str) -> dict[str, list[tuple[int, int]]]:
    """Seed spans by kind, each list in text order; kinds without a seed are absent."""
    digits_: list[tuple[int, int]] = []
    long_: list[tuple[int, int]] = []
    phone: list[tuple[int, int]] = []
    ip: list[tuple[int, int]] = []
    crypto: list[tuple[int, int]] = []
    n = len(text)
    isdigit = str.isdigit
    for m in _DIGIT_SEED.finditer(text):
        start, end = span = m.span()
        run = m.group()
        if m.group("crypto"):
            crypto.append(span)
            continue
        # A separator-free run (most of them) needs no count. Only a dotted quad can hold
        # fewer than 5 digits.
        digits = end - start if run.isdigit() else sum(map(isdigit, run))
        if digits >= 5:
            digits_.append(span)
        if digits >= 7:
            if digits >= 8:
                long_.append(span)
            if digits <= _MAX_PHONE_RUN_DIGITS and not _SLASH_DATE.fullmatch(run):
                phone.append(span)
        if "." in run and _IPV4.search(run):
            ip.append(span)
        # An address may start inside a digit run the scan has consumed: it is 26 characters
        # without a separator, so it either fills the run or goes on past its end.
        if (end < n and text[end].isalnum()) or end - start >= 26:
            c = _CRYPTO_SEED.search(text, start, end + 26)
            if c:
                crypto.append(c.span())
    crypto += [m.span() for m in _BC1_SEED.finditer(text)]
    ip += [m.span() for m in _IPV6_SEED.finditer(text)]
    url = [m.span() for rx in _URL_SEEDS for m in rx.finditer(text)]
    email = [m.span() for m in _EMAIL_SEED.finditer(text)] if "@" in text else []
    found = (
        (DIGITS, digits_),
        (LONG_DIGITS, long_),
        (PHONE, phone),
        (IP, ip),
        (EMAIL, email),
        (URL_KIND, url),
        (CRYPTO, crypto),
    )
    return {kind: spans for kind, spans in found if spans}


def _merge_windows(
    spans: Iterable[tuple[int, int]],
    text: str,
    language: str,
    margins: tuple[int, int] = (_LEFT_MARGIN, _RIGHT_MARGIN),
) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    n = len(text)
    left, right = margins
    last_left_cut = _LAST_LEFT_CUT[language].match
    right_cut = _NO_RIGHT_CUT.match
    last_end = -1
    for s, e in sorted(spans):
        start = max(0, s - left)
        # Seeds cluster (a list of numbers, a URL's dots): one whose reach starts inside the
        # open window extends it and needs no left cut point.
        if start > last_end and start:
            lo = max(0, start - _MAX_SNAP)
            cut = last_left_cut(text, lo, start)
            start = cut.end() if cut else lo
        end = min(n, e + right)
        end = right_cut(text, end, min(n, end + _MAX_SNAP)).end()
        if windows and start <= last_end:
            if end > last_end:
                windows[-1] = (windows[-1][0], end)
                last_end = end
        else:
            windows.append((start, end))
            last_end = end
    return windows


def _windows_by_kind(
    text: str, language: str, kinds: Iterable[str]
) -> dict[str, list[tuple[int, int]]]:
    seeds = find_seeds(text)
    if not seeds:
        return {}
    out = {}
    for kind in kinds:
        if kind == ALL:
            out[ALL] = _merge_windows(
                [s for spans in seeds.values() for s in spans], text, language
            )
        elif kind in seeds:
            out[kind] = _merge_windows(
                seeds[kind], text, language, *((_PHONE_MARGINS,) if kind == PHONE else ())
            )
    return out


def kind_windows(text: str, language: str) -> dict[str, list[tuple[int, int]]]:
    """Merged [start, end) windows per seed kind (plus `all`, their union); empty when no
    entity can occur."""
    return _windows_by_kind(text, language, (*SEED_KINDS, ALL))


def seed_windows(text: str, language: str) -> list[tuple[int, int]]:
    """Merged [start, end) windows around every seed; empty when no entity can occur."""
    return kind_windows(text, language).get(ALL, [])


# ---------------------------------------------------------------------------------------------
# Presidio set-up


def _context_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    parts = []
    for w in words:
        w = w.lower()
        # ASCII words must start a word ("call" not in "recall"); Chinese words are substrings.
        parts.append(("(?<![a-z])" if w[:1].isascii() and w[:1].isalpha() else "") + re.escape(w))
    return re.compile("|".join(parts)) if parts else None


def _make_context_enhancer(prefix_chars: int, factor: float, min_score: float) -> Any:
    from presidio_analyzer import RecognizerResult
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class TextContextEnhancer(ContextAwareEnhancer):
        """Raise a result's score when one of its recognizer's context words appears in the
        `prefix_chars` characters before it (or in the caller's explicit context list)."""

        def __init__(self) -> None:
            super().__init__(factor, min_score, prefix_chars, 0)
            self._compiled: dict[str, re.Pattern[str] | None] = {}

        def _regex_for(self, recognizer: Any) -> re.Pattern[str] | None:
            if recognizer.id not in self._compiled:
                self._compiled[recognizer.id] = _context_regex(recognizer.context or [])
            return self._compiled[recognizer.id]

        def enhance_using_context(
            self, text, raw_results, nlp_artifacts, recognizers, context=None
        ):  # type: ignore[no-untyped-def]
            by_id = {r.id: r for r in recognizers}
            extra = " ".join(context or []).lower()
            for result in raw_results:
                meta = result.recognition_metadata or {}
                if meta.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                    continue
                recognizer = by_id.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
                rx = self._regex_for(recognizer) if recognizer is not None else None
                if rx is None:
                    continue
                before = text[max(0, result.start - self.context_prefix_count) : result.start]
                found = rx.search(before.lower()) or (rx.search(extra) if extra else None)
                if found:
                    result.score = min(
                        self.MAX_SCORE,
                        max(
                            result.score + self.context_similarity_factor,
                            self.min_score_with_context_similarity,
                        ),
                    )
                    meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
                    if result.analysis_explanation is not None:
                        result.analysis_explanation.set_supportive_context_word(found.group(0))
                        result.analysis_explanation.set_improved_score(result.score)
            return raw_results

    return TextContextEnhancer()


def _offline_email_recognizer(language: str, context: list[str] | None) -> Any:
    import tldextract
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):
        """Presidio's e-mail recognizer with a domain check that never touches the network."""

        def validate_result(self, pattern_text: str) -> bool:
            return extractor(pattern_text).fqdn != ""

    return OfflineEmailRecognizer(
        supported_language=language, context=context, name="EmailRecognizer"
    )


def _url_recognizer(language: str, context: list[str] | None) -> Any:
    from presidio_analyzer.predefined_recognizers import UrlRecognizer

    class CleanUrlRecognizer(UrlRecognizer):
        """Presidio's URL recognizer minus its ellipsis matches: its host part may start with a
        dot, so "...you" and "...it" are URLs to it (`.you` and `.it` are TLDs)."""

        def invalidate_result(self, pattern_text: str) -> bool:
            host = pattern_text.strip("\"'").split("://")[-1].split("/")[0]
            return host.startswith((".", "-")) or ".." in host

    return CleanUrlRecognizer(supported_language=language, context=context, name="UrlRecognizer")


# Card numbers Presidio's pattern misses, written without separators: 19-digit Visa, Mastercard's
# 2221-2720 range (since 2017), Maestro's 12-19 digits, 15-digit JCB. Luhn still decides.
_EXTRA_CARD_PATTERN = (
    r"\b(?:4\d{12}(?:\d{3}){0,2}"
    r"|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)\d{12}"
    r"|(?:5[06-8]|6\d)\d{10,17}"
    r"|(?:2131|1800)\d{11})\b"
)


def _is_counting_run(groups: list[str]) -> bool:
    # "1896 1897 1898 1899" passes Luhn by chance (one list in ten does); a card number's
    # groups never count up by one.
    values = [int(g) for g in groups]
    return len(values) >= 3 and all(b - a == 1 for a, b in itertools.pairwise(values))


def _card_recognizer() -> Any:
    from presidio_analyzer import Pattern
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    class CardRecognizer(CreditCardRecognizer):
        """Presidio's card recognizer plus the PAN ranges it misses, minus counting lists."""

        def invalidate_result(self, pattern_text: str) -> bool:
            return _is_counting_run(re.findall(r"\d+", pattern_text))

    patterns = [
        *CreditCardRecognizer.PATTERNS,
        Pattern("Card numbers, other ranges (weak)", _EXTRA_CARD_PATTERN, 0.3),
    ]
    return CardRecognizer(
        patterns=[Pattern(p.name, p.regex, p.score) for p in patterns], name="CreditCardRecognizer"
    )


def english_recognizers() -> list[Any]:
    """Presidio's pattern recognizers for structured English identifiers (no NER ones), plus
    phone numbers by layout (`phone.PhoneLayoutRecognizer`)."""
    from presidio_analyzer import predefined_recognizers as p

    from corpusgate.transforms.pii.recognizers.phone import PhoneLayoutRecognizer

    return [
        _card_recognizer(),
        p.CryptoRecognizer(),
        _offline_email_recognizer("en", None),
        p.IbanRecognizer(),
        p.IpRecognizer(),
        # libphonenumber first: on a span both report with the same score, Presidio keeps the
        # first recognizer's result.
        p.PhoneRecognizer(),
        PhoneLayoutRecognizer(),
        _url_recognizer("en", None),
        p.UsSsnRecognizer(),
        p.UsItinRecognizer(),
        p.UsPassportRecognizer(),
        p.UsBankRecognizer(),
        p.NhsRecognizer(),
    ]


def chinese_recognizers() -> list[Any]:
    """The Chinese identifier recognizers plus Presidio's e-mail, IP and URL ones with ASCII
    regex semantics and Chinese context words."""
    from presidio_analyzer import predefined_recognizers as p

    from corpusgate.transforms.pii.recognizers import zh as zh

    generic = [
        _offline_email_recognizer("zh", zh.ZH_GENERIC_CONTEXT["EMAIL_ADDRESS"]),
        p.IpRecognizer(supported_language="zh", context=zh.ZH_GENERIC_CONTEXT["IP_ADDRESS"]),
        _url_recognizer("zh", zh.ZH_GENERIC_CONTEXT["URL"]),
    ]
    for rec in generic:
        rec.global_regex_flags = zh.ZH_REGEX_FLAGS
    return [cls() for cls in zh.ZH_RECOGNIZER_CLASSES] + generic


def build_analyzer(languages: Sequence[str] = LANGUAGES) -> Any:
    """An AnalyzerEngine that loads no model and makes no network call."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    langs = list(dict.fromkeys(languages))
    bad = [lang for lang in langs if lang not in LANGUAGES]
    if bad or not langs:
        raise ValueError(f"unsupported language(s) {bad or langs}; choose from {list(LANGUAGES)}")
    recognizers: list[Any] = []
    if "en" in langs:
        recognizers += english_recognizers()
    if "zh" in langs:
        recognizers += chinese_recognizers()
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=langs)
    nlp_engine = NoOpNlpEngine(models=[{"lang_code": lang, "model_name": "none"} for lang in langs])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=langs,
        context_aware_enhancer=_make_context_enhancer(prefix_chars=32, factor=0.35, min_score=0.4),
    )


# ---------------------------------------------------------------------------------------------
# One recognizer call per seed kind and text

# Between two windows joined into one text. No pattern of the shipped recognizers consumes a
# line break (their separators are spaces, dots, dashes; a URL path stops at whitespace) or
# looks more than one character past its match, and every character a window borders in its text
# is whitespace or a cut character, so each window matches in the joined text exactly as on its
# own. The NUL keeps a future pattern that crosses one line break from joining two windows;
# a result that still spans a separator sends that recognizer back to one call per window.
_WINDOW_SEPARATOR = "\n\x00\n"


class _JoinedWindows:
    """The windows of one seed kind joined into a single text, so each recognizer is called
    once per text rather than once per window (Presidio's per-call overhead — a timestamp and a
    debug log per pattern, a duplicate pass — cost more than the matching on small windows)."""

    __slots__ = ("joined", "spans", "starts", "text")

    def __init__(self, text: str, spans: list[tuple[int, int]]) -> None:
        self.text = text
        self.spans = spans
        if len(spans) == 1:
            start, end = spans[0]
            self.joined = text[start:end]
            self.starts = [0]
            return
        pieces = [text[start:end] for start, end in spans]
        self.joined = _WINDOW_SEPARATOR.join(pieces)
        self.starts = list(
            itertools.accumulate((len(p) + len(_WINDOW_SEPARATOR) for p in pieces[:-1]), initial=0)
        )

    def analyze(self, recognizer: Any, entities: list[str], artifacts: Any) -> list[Any]:
        """The recognizer's results on every window, at text offsets."""
        found = (
            recognizer.analyze(text=self.joined, entities=entities, nlp_artifacts=artifacts) or []
        )
        if len(self.spans) == 1:
            offset = self.spans[0][0]
            for r in found:
                r.start += offset
                r.end += offset
            return found
        starts, spans = self.starts, self.spans
        for r in found:
            i = bisect.bisect_right(starts, r.start) - 1
            if r.end > starts[i] + spans[i][1] - spans[i][0]:
                return self._one_call_per_window(recognizer, entities, artifacts)
            offset = spans[i][0] - starts[i]
            r.start += offset
            r.end += offset
        return found

    def _one_call_per_window(
        self, recognizer: Any, entities: list[str], artifacts: Any
    ) -> list[Any]:
        out: list[Any] = []
        for start, end in self.spans:
            for r in (
                recognizer.analyze(
                    text=self.text[start:end], entities=entities, nlp_artifacts=artifacts
                )
                or ()
            ):
                r.start += start
                r.end += start
                out.append(r)
        return out


# ---------------------------------------------------------------------------------------------
# The detector


@dataclass
class DetectorStats:
    texts: int = 0
    skipped: int = 0  # no seed: Presidio not called
    windows: int = 0
    chars_scanned: int = 0


class PiiDetector:
    """Build once per process (or per Beam worker, in `DoFn.setup`), then call `detect`.

    `windowed=False` runs Presidio on whole texts; it exists to check the pre-filter.
    """

    def __init__(
        self,
        policy: PiiPolicy | None = None,
        languages: Sequence[str] = LANGUAGES,
        windowed: bool = True,
    ) -> None:
        self.policy = policy or PiiPolicy.load()
        self.languages = tuple(dict.fromkeys(languages))
        self.windowed = windowed
        self.analyzer = build_analyzer(self.languages)
        self.stats = DetectorStats()
        from presidio_analyzer import EntityRecognizer

        for lang in self.languages:
            missing = set(self.analyzer.get_supported_entities(lang)) - set(
                self.policy.entity_class
            )
            if missing:
                raise ValueError(
                    f"{self.policy.source}: no class for entity types "
                    f"{sorted(missing)} (add them under `entities`)"
                )
        # Each recognizer runs only on the windows of its seed kind (the phone recognizers,
        # the slowest, only near 7+ digit runs that are not dates), called directly rather
        # than through `AnalyzerEngine.analyze`: per window the engine rebuilds its recognizer
        # list, NLP artifacts and context pass, ~0.1 ms each, a third of the windowed cost.
        self._groups: dict[str, list[tuple[str, list[Any], list[str]]]] = {}
        self._all_recognizers: dict[str, list[Any]] = {}
        self._artifacts: dict[str, Any] = {}
        self._order: dict[str, dict[str, int]] = {}
        self._kinds: dict[str, tuple[str, ...]] = {}
        self._own_context: dict[str, list[Any]] = {}
        for lang in self.languages:
            recognizers = self.analyzer.registry.get_recognizers(language=lang, all_fields=True)
            by_kind: dict[str, tuple[list[Any], list[str]]] = {}
            for rec in recognizers:
                if not rec.is_loaded:
                    rec.load()
                    rec.is_loaded = True
                kinds = {_ENTITY_KIND.get(e, ALL) for e in rec.supported_entities}
                kind = kinds.pop() if len(kinds) == 1 else ALL
                recs, entities = by_kind.setdefault(kind, ([], []))
                recs.append(rec)
                entities += [e for e in rec.supported_entities if e not in entities]
            self._groups[lang] = [(k, recs, ents) for k, (recs, ents) in by_kind.items()]
            self._all_recognizers[lang] = recognizers
            self._order[lang] = {rec.id: i for i, rec in enumerate(recognizers)}
            self._kinds[lang] = tuple(by_kind)
            self._own_context[lang] = [
                rec
                for rec in recognizers
                if type(rec).enhance_using_context is not EntityRecognizer.enhance_using_context
            ]
            # The no-op NLP engine's artifacts are empty and the same for every text.
            self._artifacts[lang] = self.analyzer.nlp_engine.process_text("", lang)

    def supported_entities(self, language: str) -> list[str]:
        return sorted(self.analyzer.get_supported_entities(language))

    def _to_entities(self, results: Iterable[Any], text: str, offset: int = 0) -> list[PiiEntity]:
        out = []
        for r in results:
            if r.score < self.policy.threshold(r.entity_type):
                continue
            meta = r.recognition_metadata or {}
            start, end = r.start + offset, r.end + offset
            out.append(
                PiiEntity(
                    entity_type=r.entity_type,
                    start=start,
                    end=end,
                    score=float(r.score),
                    pii_class=self.policy.pii_class(r.entity_type),
                    normalized=normalize_value(r.entity_type, text[start:end]),
                    recognizer=str(meta.get("recognizer_name", "")),
                )
            )
        return out

    def _analyze_windows(
        self, text: str, language: str, windows: Mapping[str, list[tuple[int, int]]]
    ) -> list[Any]:
        """What `AnalyzerEngine.analyze(score_threshold=0.0)` returns for the whole text,
        computed on windows: recognizers on their kind's windows, results moved to text
        offsets, then the engine's own steps in its order — per-recognizer and text context
        enhancement (over the whole text, so the look-back is never cut by a window),
        duplicate removal. Windows of one kind are disjoint, so removing duplicates once per
        text equals the engine's per-call removal."""
        from presidio_analyzer import EntityRecognizer, RecognizerResult

        artifacts = self._artifacts[language]
        id_key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
        results: list[Any] = []
        for kind, recognizers, entities in self._groups[language]:
            spans = windows.get(kind)
            if not spans:
                continue
            self.stats.windows += len(spans)
            self.stats.chars_scanned += sum(end - start for start, end in spans)
            joined = _JoinedWindows(text, spans)
            for rec in recognizers:
                found = joined.analyze(rec, entities, artifacts)
                for r in found:
                    if not r.recognition_metadata:
                        r.recognition_metadata = {}
                    r.recognition_metadata.setdefault(id_key, rec.id)
                results += found
        if not results:
            return results
        recognizers = self._all_recognizers[language]
        # The engine hands results on grouped in registry order; `remove_duplicates` keeps the
        # first of two equal results (same span, type and score), so the order decides which
        # recognizer's name survives.
        order = self._order[language]
        results.sort(key=lambda r: order[r.recognition_metadata[id_key]])
        for rec in self._own_context[language]:
            own = [r for r in results if r.recognition_metadata[id_key] == rec.id]
            others = [r for r in results if r not in own]
            results = others + rec.enhance_using_context(
                text=text,
                raw_recognizer_results=own,
                other_raw_recognizer_results=others,
                nlp_artifacts=artifacts,
                context=None,
            )
        results = self.analyzer.context_aware_enhancer.enhance_using_context(
            text=text, raw_results=results, nlp_artifacts=artifacts, recognizers=recognizers
        )
        return EntityRecognizer.remove_duplicates(results)

    def detect(self, text: str, language: str) -> list[PiiEntity]:
        """Entities in `text`, sorted by position, overlaps resolved (best score wins)."""
        if language not in self.languages:
            raise ValueError(
                f"language {language!r} not loaded; this detector has {list(self.languages)}"
            )
        self.stats.texts += 1
        if not text:
            self.stats.skipped += 1
            return []
        if not self.windowed:
            self.stats.windows += 1
            self.stats.chars_scanned += len(text)
            results = self.analyzer.analyze(text=text, language=language, score_threshold=0.0)
            return _resolve_overlaps(self._to_entities(results, text))
        windows = _windows_by_kind(text, language, self._kinds[language])
        if not windows:
            self.stats.skipped += 1
            return []
        return _resolve_overlaps(
            self._to_entities(self._analyze_windows(text, language, windows), text)
        )

    def detect_batch(self, texts: Iterable[str], language: str) -> list[list[PiiEntity]]:
        """`detect` over many texts with one engine (Beam: call it on a `BatchElements` batch)."""
        return [self.detect(t, language) for t in texts]


def _resolve_overlaps(entities: list[PiiEntity]) -> list[PiiEntity]:
    ranked = sorted(
        entities,
        key=lambda e: (-e.score, -(e.end - e.start), _RANK.get(e.entity_type, len(_RANK)), e.start),
    )
    kept: list[PiiEntity] = []
    for e in ranked:
        if all(e.end <= k.start or e.start >= k.end for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: (e.start, e.end, e.entity_type))


@functools.lru_cache(maxsize=4)
def shared_detector(
    policy_path: str | None = None, languages: tuple[str, ...] = LANGUAGES
) -> PiiDetector:
    """One detector per process and configuration (Beam `DoFn.setup` and the CLI use this)."""
    policy = PiiPolicy.load(policy_path) if policy_path else None
    return PiiDetector(policy=policy, languages=languages)

"""The personal-information detector: every identifier recognizer on the windows of its seeds,
context words by the record's language, overlaps resolved (GB/T 45654-2025 4.2.3,
B.2.1.2.3).

`PiiDetector.detect(text, language)` is what a Beam worker calls (built once per worker, in
`DoFn.setup`, through `shared_detector`). It gives what Presidio's `AnalyzerEngine.analyze` on
the whole text would give, filtered by the policy's thresholds, for a fraction of the cost:
`windows` finds seeds and windows; each recognizer is called directly on its kind's windows
(per window the engine rebuilds its recognizer list, NLP artifacts and context pass, ~0.1 ms
each, a third of the windowed cost), then the engine's own steps run once over the whole text.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import regex
from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerResult

from corpusgate.transforms.pii.analyzer import identifier_recognizers, offline_nlp_engine
from corpusgate.transforms.pii.context import TextContextEnhancer
from corpusgate.transforms.pii.entity import PiiEntity
from corpusgate.transforms.pii.identifiers import normalize_value
from corpusgate.transforms.pii.languages import EN, PROFILES, ZH, profile_for
from corpusgate.transforms.pii.policy import PiiPolicy
from corpusgate.transforms.pii.windows import JoinedWindows, kind_of, windows_by_kind

__all__ = [
    "DETECTOR_VERSION",
    "DetectorStats",
    "PiiDetector",
    "resolve_overlaps",
    "shared_detector",
]

# What decided, for lineage beside the policy's version: bump it whenever a recognizer, a context
# word or a rule here changes what is found. v2: identifiers in every language, phone layouts
# with labels and the 001 prefix, NHS check digit no longer certain.
DETECTOR_VERSION = "pii_detector_v2"

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

# Entity types that name one kind of identifier twice: a card is a card, a phone number a phone
# number. Where a profile's own name and another overlap, the profile's own wins whatever the
# scores: "0341 8387176" in English text is a phone number (Italian, say), not a Chinese
# landline; "+86 139 1234 0001" in Chinese text is a CN_MOBILE. The other name still finds what
# the profile's own recognizers miss (a Beijing landline in an English letter).
_SAME_IDENTIFIER = {
    "CREDIT_CARD": "card",
    "CN_BANK_CARD": "card",
    "PHONE_NUMBER": "phone",
    "CN_MOBILE": "phone",
    "CN_LANDLINE": "phone",
}
NATIVE = {
    EN: frozenset({"CREDIT_CARD", "PHONE_NUMBER"}),
    ZH: frozenset({"CN_BANK_CARD", "CN_MOBILE", "CN_LANDLINE"}),
}


def _widest(entities: list[PiiEntity]) -> list[PiiEntity]:
    """Of two results of one type where one holds the other, the wider one, with the better
    score of the two: a context word that lifts part of a number ("12345678" in "reach them at
    030 12345678") speaks for the whole number, and redacting the part would leave "030"."""
    ordered = sorted(entities, key=lambda e: (e.entity_type, e.start, -e.end))
    out: list[PiiEntity] = []
    for e in ordered:
        holder = out[-1] if out else None
        if holder is not None and holder.entity_type == e.entity_type and e.end <= holder.end:
            if e.score > holder.score:
                out[-1] = dataclasses.replace(holder, score=e.score)
            continue
        out.append(e)
    return out


def resolve_overlaps(entities: list[PiiEntity], profile: str) -> list[PiiEntity]:
    """Non-overlapping entities in text order: the wider of two results of one type, the
    profile's own name for an identifier with two names, then the best score, the longer span,
    the more specific type."""
    entities = _widest(entities)
    native = NATIVE[profile]
    own = [e for e in entities if e.entity_type in native]
    if own:
        entities = [
            e
            for e in entities
            if e.entity_type in native
            or e.entity_type not in _SAME_IDENTIFIER
            or not any(
                _SAME_IDENTIFIER[o.entity_type] == _SAME_IDENTIFIER[e.entity_type]
                and o.start < e.end
                and e.start < o.end
                for o in own
            )
        ]
    ranked = sorted(
        entities,
        key=lambda e: (-e.score, -(e.end - e.start), _RANK.get(e.entity_type, len(_RANK)), e.start),
    )
    kept: list[PiiEntity] = []
    for e in ranked:
        if all(e.end <= k.start or e.start >= k.end for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: (e.start, e.end, e.entity_type))


@dataclass
class DetectorStats:
    texts: int = 0
    skipped: int = 0  # no seed: no recognizer called
    windows: int = 0
    chars_scanned: int = 0


@dataclass(frozen=True)
class _RecognizerGroup:
    """The recognizers that read one seed kind's windows, and the entity types they report."""

    kind: str
    recognizers: tuple[Any, ...]
    entities: list[str]
    # Per recognizer, its patterns compiled as it compiles them, or None (not pattern-based).
    gates: tuple[tuple[Any, ...] | None, ...]


def _gate(rec: Any) -> tuple[Any, ...] | None:
    """A pattern recognizer's results all come from its patterns (a deny list is one more
    pattern), so where none of them matches it would return nothing: searching them first
    spares Presidio's per-call bookkeeping (~20 us a call, ~10 us a pattern), which is most of
    the cost on windows that hold no identifier."""
    if not isinstance(rec, PatternRecognizer) or not rec.patterns:
        return None
    return tuple(regex.compile(p.regex, flags=rec.global_regex_flags) for p in rec.patterns)


class _Profile:
    """One language profile's recognizers, set up once: grouped by seed kind, in registry
    order, with the few that enhance their own results by context."""

    def __init__(self, name: str, artifacts: Any) -> None:
        self.name = name
        self.artifacts = artifacts
        self.recognizers = identifier_recognizers(name)
        by_kind: dict[str, tuple[list[Any], list[str]]] = {}
        for rec in self.recognizers:
            if not rec.is_loaded:
                rec.load()
                rec.is_loaded = True
            recs, entities = by_kind.setdefault(kind_of(rec.supported_entities), ([], []))
            recs.append(rec)
            entities += [e for e in rec.supported_entities if e not in entities]
        self.groups = [
            _RecognizerGroup(k, tuple(r), e, tuple(_gate(rec) for rec in r))
            for k, (r, e) in by_kind.items()
        ]
        self.kinds = tuple(by_kind)
        self.order = {rec.id: i for i, rec in enumerate(self.recognizers)}
        self.own_context = [
            rec
            for rec in self.recognizers
            if type(rec).enhance_using_context is not EntityRecognizer.enhance_using_context
        ]
        self.entities = frozenset(e for rec in self.recognizers for e in rec.supported_entities)


class PiiDetector:
    """Build once per process (or per Beam worker, in `DoFn.setup`), then call `detect`."""

    version = DETECTOR_VERSION

    def __init__(self, policy: PiiPolicy | None = None) -> None:
        self.policy = policy or PiiPolicy.load()
        self.stats = DetectorStats()
        self._enhancer = TextContextEnhancer()
        nlp = offline_nlp_engine(PROFILES)
        self._profiles = {p: _Profile(p, nlp.process_text("", p)) for p in PROFILES}
        missing = set().union(*(p.entities for p in self._profiles.values())) - set(
            self.policy.entity_class
        )
        if missing:
            raise ValueError(
                f"{self.policy.source}: no class for entity types "
                f"{sorted(missing)} (add them under `entities`)"
            )

    def supported_entities(self) -> list[str]:
        """Every entity type the detector reports (the same in every language)."""
        return sorted(set().union(*(p.entities for p in self._profiles.values())))

    def detect(self, text: str, language: str | None) -> list[PiiEntity]:
        """Entities in `text`, sorted by position, overlaps resolved. `language` is the record's
        ISO 639-1 code, or None when unknown (`languages.profile_for` picks the context words)."""
        self.stats.texts += 1
        if not text:
            self.stats.skipped += 1
            return []
        profile = self._profiles[profile_for(language, text)]
        windows = windows_by_kind(text, profile.name, profile.kinds)
        if not windows:
            self.stats.skipped += 1
            return []
        return self.to_entities(self._analyze_windows(text, profile, windows), text, profile.name)

    def detect_batch(
        self, texts: Sequence[str], languages: Sequence[str | None] | str | None
    ) -> list[list[PiiEntity]]:
        """`detect` over many texts with one set of recognizers (Beam: a `BatchElements` batch).
        `languages` is one code per text, or one code (or None) for all of them."""
        if languages is None or isinstance(languages, str):
            return [self.detect(t, languages) for t in texts]
        if len(languages) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
        return [self.detect(t, lang) for t, lang in zip(texts, languages, strict=True)]

    def to_entities(self, results: Iterable[Any], text: str, profile: str) -> list[PiiEntity]:
        """Presidio results -> the policy's entities: under-threshold results dropped, values
        normalised for keyed hashing, overlaps resolved. Public so a whole-text
        `AnalyzerEngine` reference is judged by the same rules."""
        out = []
        for r in results:
            if r.score < self.policy.threshold(r.entity_type):
                continue
            meta = r.recognition_metadata or {}
            out.append(
                PiiEntity(
                    entity_type=r.entity_type,
                    start=r.start,
                    end=r.end,
                    score=float(r.score),
                    pii_class=self.policy.pii_class(r.entity_type),
                    normalized=normalize_value(r.entity_type, text[r.start : r.end]),
                    recognizer=str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, "")),
                )
            )
        return resolve_overlaps(out, profile)

    def _analyze_windows(
        self, text: str, profile: _Profile, windows: Mapping[str, list[tuple[int, int]]]
    ) -> list[Any]:
        """What `AnalyzerEngine.analyze(score_threshold=0.0)` returns for the whole text,
        computed on windows: recognizers on their kind's windows, results moved to text
        offsets, then the engine's own steps in its order — per-recognizer and text context
        enhancement (over the whole text, so the look-back is never cut by a window),
        duplicate removal. Windows of one kind are disjoint, so removing duplicates once per
        text equals the engine's per-call removal."""
        artifacts = profile.artifacts
        id_key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
        results: list[Any] = []
        for group in profile.groups:
            spans = windows.get(group.kind)
            if not spans:
                continue
            self.stats.windows += len(spans)
            self.stats.chars_scanned += sum(end - start for start, end in spans)
            joined = JoinedWindows(text, spans)
            for rec, gate in zip(group.recognizers, group.gates, strict=True):
                if gate is not None and not any(g.search(joined.joined) for g in gate):
                    continue
                found = joined.analyze(rec, group.entities, artifacts)
                for r in found:
                    if not r.recognition_metadata:
                        r.recognition_metadata = {}
                    r.recognition_metadata.setdefault(id_key, rec.id)
                results += found
        if not results:
            return results
        # The engine hands results on grouped in registry order; `remove_duplicates` keeps the
        # first of two equal results (same span, type and score), so the order decides which
        # recognizer's name survives.
        order = profile.order
        results.sort(key=lambda r: order[r.recognition_metadata[id_key]])
        for rec in profile.own_context:
            own = [r for r in results if r.recognition_metadata[id_key] == rec.id]
            others = [r for r in results if r not in own]
            results = others + rec.enhance_using_context(
                text=text,
                raw_recognizer_results=own,
                other_raw_recognizer_results=others,
                nlp_artifacts=artifacts,
                context=None,
            )
        results = self._enhancer.enhance_using_context(
            text=text, raw_results=results, nlp_artifacts=artifacts, recognizers=profile.recognizers
        )
        return EntityRecognizer.remove_duplicates(results)


@functools.lru_cache(maxsize=4)
def shared_detector(policy_path: str | None = None) -> PiiDetector:
    """One detector per process and policy file (Beam `DoFn.setup` and the CLI use this)."""
    return PiiDetector(PiiPolicy.load(policy_path) if policy_path else None)

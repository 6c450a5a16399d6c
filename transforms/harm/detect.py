"""One record → its harm signals → its flags, under the harm policy (GB/T 45654-2025 4.2.1, and
through the gate 4.1.1; Appendix A codes).

Pure core, no Beam. `HarmPolicy` is `configs/policies/harm.yaml` checked once; `HarmDetector`
holds the keyword automata and the classifiers (build it once per worker). Signals first, then
a decision, in one place (`HarmDetector.detect_batch`):

- signals: every term that fired (its code, tier, weight, the view it was seen in: the text,
  an inflection or mask, leetspeak, pinyin, a homophone) and every model's score and class;
- keywords decide through *expressions* only: a code is flagged when its distinct expression
  terms weigh at least `keywords.threshold` together. A *mention* (a person, event,
  institution, substance, identity) never flags alone; it raises the review priority and
  counts as agreement for a model that may not decide alone;
- a classifier runs on text of its card's language (the caller's language code, else a script
  test); at or above its card's calibrated threshold it flags the codes of its most probable
  class when the policy lets it decide alone (at or above the policy's `alone_threshold` for
  it, when one is set), else only where a keyword (an expression or a mention) of its codes
  agrees.

Only the policy's groups count (A.1-A.4, 4.1.1 note 1). A flag is {code, detector, score,
tier}: the detector is the versioned list (`keywords_a1h_v2`) or model name, the tier
`expression`, `mention` or `model`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from corpusgate.transforms.harm.classifier import HarmClassifier, resolve_model, tokenize
from corpusgate.transforms.harm.fold import normalize_term
from corpusgate.transforms.harm.keywords import (
    EXPRESSION,
    MENTION,
    KeywordHit,
    KeywordLibrary,
    KeywordMatcher,
)
from corpusgate.transforms.harm.library import MANIFEST, default_library_dir
from corpusgate.transforms.harm.taxonomy import GROUPS, get_code

__all__ = [
    "DetectResult",
    "HarmDetector",
    "HarmPolicy",
    "default_policy_path",
    "script_language",
]

SETTINGS_KEYS = frozenset({"enabled", "policy", "sample_size", "seed", "gate_threshold"})


def default_policy_path() -> Path:
    return Path(str(resources.files("corpusgate.configs") / "policies" / "harm.yaml"))


@dataclass(frozen=True)
class HarmPolicy:
    version: str = "harm_policy_v1"
    keyword_threshold: float = 1.0
    ignore_terms: frozenset[str] = frozenset()
    models: tuple[str, ...] = ()
    decide_alone: frozenset[str] = frozenset()
    gate_threshold: float = 0.05
    alpha: float = 0.05
    sample_size: int = 4000
    seed: str = "corpusgate-gate-v1"
    groups: tuple[str, ...] = ("A.1", "A.2", "A.3", "A.4")
    cjk_share: float = 0.3
    path: str = ""
    # Two-character CJK terms that match without a word-boundary check (reviewed as safe).
    boundary_safe: frozenset[str] = frozenset()
    # Each source type's measured error of the whole decision, for the gate's correction:
    # type -> {"fpr": (flagged, n) on clean text, "tpr": (flagged, n) on harmful text}.
    detector_error: Mapping[str, Mapping[str, tuple[int, int]]] = field(default_factory=dict)
    # Decide the gate on the error-corrected prevalence (when detector_error has the type).
    corrected_gate: bool = True
    # Per model deciding alone: the score it needs to flag without a keyword (at least its
    # card's calibrated threshold); between the two it needs a keyword of its codes.
    alone_threshold: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> HarmPolicy:
        """Read and check a policy file (the shipped one by default); ValueError names the key."""
        where = Path(path) if path is not None else default_policy_path()
        try:
            doc = yaml.safe_load(where.read_text(encoding="utf-8"))
        except OSError as err:
            raise ValueError(f"{where}: cannot read the harm policy ({err.strerror})") from None
        except yaml.YAMLError as err:
            raise ValueError(f"{where}: not valid YAML ({err})") from None
        if not isinstance(doc, dict):
            raise ValueError(f"{where}: expected a mapping")
        kw = _section(doc, "keywords", where)
        clf = _section(doc, "classifiers", where)
        gate = _section(doc, "gate", where)
        lang = _section(doc, "language", where)
        models = tuple(str(m) for m in _list(clf, "models", where))
        alone = frozenset(str(m) for m in _list(clf, "decide_alone", where))
        if alone - set(models):
            raise ValueError(
                f"{where}: classifiers.decide_alone names {sorted(alone - set(models))}, "
                "which classifiers.models does not load"
            )
        alone_at = clf.get("alone_threshold") or {}
        if not isinstance(alone_at, dict) or not all(
            isinstance(v, int | float) and 0.0 < v <= 1.0 for v in alone_at.values()
        ):
            raise ValueError(f"{where}: classifiers.alone_threshold must map models to (0, 1]")
        if set(alone_at) - alone:
            raise ValueError(
                f"{where}: classifiers.alone_threshold names {sorted(set(alone_at) - alone)}, "
                "which classifiers.decide_alone does not list"
            )
        policy = cls(
            version=str(doc.get("version") or "harm_policy_v1"),
            keyword_threshold=float(kw.get("threshold", 1.0)),
            ignore_terms=frozenset(
                normalize_term(str(t)) for t in _list(kw, "ignore_terms", where)
            ),
            models=models,
            decide_alone=alone,
            gate_threshold=float(gate.get("threshold", 0.05)),
            alpha=float(gate.get("alpha", 0.05)),
            sample_size=gate.get("sample_size", 4000),
            seed=str(gate.get("seed", "corpusgate-gate-v1")),
            groups=tuple(
                str(g) for g in _list(gate, "groups", where) or ("A.1", "A.2", "A.3", "A.4")
            ),
            cjk_share=float(lang.get("cjk_share", 0.3)),
            path=str(where),
            boundary_safe=frozenset(str(t) for t in _list(kw, "boundary_safe", where)),
            detector_error=_detector_error(gate.get("detector_error") or {}, where),
            corrected_gate=bool(gate.get("corrected", True)),
            alone_threshold={str(k): float(v) for k, v in alone_at.items()},
        )
        policy.check(str(where))
        return policy

    def with_settings(self, settings: Mapping[str, Any], where: str = "harm") -> HarmPolicy:
        """This policy with a run config's overrides (sample_size, seed, gate_threshold)."""
        unknown = set(settings) - SETTINGS_KEYS
        if unknown:
            raise ValueError(
                f"{where}: unknown setting(s) {sorted(unknown)}; expected some of "
                f"{sorted(SETTINGS_KEYS)}"
            )
        changes: dict[str, Any] = {}
        if "sample_size" in settings:
            changes["sample_size"] = settings["sample_size"]
        if "seed" in settings:
            changes["seed"] = str(settings["seed"])
        if "gate_threshold" in settings:
            changes["gate_threshold"] = settings["gate_threshold"]
        policy = replace(self, **changes)
        policy.check(where)
        return policy

    def check(self, where: str) -> None:
        size = self.sample_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"{where}: sample_size {size!r} must be a positive integer")
        if not 0.0 < self.gate_threshold < 1.0:
            raise ValueError(f"{where}: gate threshold {self.gate_threshold!r} not in (0, 1)")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"{where}: gate alpha {self.alpha!r} not in (0, 1)")
        if self.keyword_threshold <= 0:
            raise ValueError(f"{where}: keywords.threshold {self.keyword_threshold!r} must be > 0")
        if not self.seed or len(self.seed.encode("utf-8")) > 64:
            raise ValueError(f"{where}: seed {self.seed!r} must be 1-64 bytes")
        for group in self.groups:
            if group not in GROUPS:
                raise ValueError(f"{where}: gate group {group!r} is not an Appendix A group")
        if not 0.0 < self.cjk_share <= 1.0:
            raise ValueError(f"{where}: language.cjk_share {self.cjk_share!r} not in (0, 1]")

    def counts(self, code: str) -> bool:
        return get_code(code).group in self.groups


def _section(doc: Mapping[str, Any], key: str, where: Path) -> Mapping[str, Any]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: '{key}' must be a mapping")
    return value


def _list(section: Mapping[str, Any], key: str, where: Path) -> list[Any]:
    value = section.get(key) or []
    if not isinstance(value, list):
        raise ValueError(f"{where}: '{key}' must be a list")
    return value


def _detector_error(value: Any, where: Path) -> dict[str, dict[str, tuple[int, int]]]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: gate.detector_error must be a mapping of source types")
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for source_type, rates in value.items():
        if not isinstance(rates, dict) or not {"fpr", "tpr"} <= set(rates):
            raise ValueError(
                f"{where}: gate.detector_error.{source_type} needs fpr and tpr as [flagged, n]"
            )
        entry: dict[str, tuple[int, int]] = {}
        for key in ("fpr", "tpr"):
            pair = rates[key]
            ok = (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in pair)
                and 0 <= pair[0] <= pair[1]
                and pair[1] > 0
            )
            if not ok:
                raise ValueError(
                    f"{where}: gate.detector_error.{source_type}.{key} {pair!r} must be "
                    "[flagged, n] with 0 <= flagged <= n and n > 0"
                )
            entry[key] = (pair[0], pair[1])
        out[str(source_type)] = entry
    return out


_CJK_CHAR = re.compile("[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff]")


def script_language(text: str, cjk_share: float = 0.3) -> str:
    """'zh' when CJK characters are at least `cjk_share` of the letters, else 'en'.

    A per-record test, not the source's declared languages: a bilingual source (chat logs,
    code snippets) mixes both, and a model scored on the other script returns noise. Two
    C-level scans (CJK characters, letters of any script).
    """
    if text.isascii():  # one C-level test settles most English text
        return "en"
    rest = _CJK_CHAR.sub("", text)  # a bare class: a C-level scan
    cjk = len(text) - len(rest)
    if cjk == 0:
        return "en"
    # What is left of Chinese text is short (punctuation, digits, a few Latin words).
    letters = cjk + sum(map(str.isalpha, rest))
    return "zh" if cjk / letters >= cjk_share else "en"


@dataclass(frozen=True)
class DetectResult:
    flags: list[dict[str, Any]]  # [{code, detector, score, tier}], what the lineage keeps
    language: str
    model_hits: tuple[str, ...] = ()  # models whose score reached their threshold
    model_scores: dict[str, float] = field(default_factory=dict)
    # An ordering key for spot checks (higher first): see `HarmDetector.detect_batch`.
    review_priority: float = 0.0
    # What `signals` is built from, only when asked (most records are never shown to anyone).
    hits: tuple[KeywordHit, ...] = ()
    model_signals: tuple[tuple[str, tuple[str, ...], float, str, float], ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def codes(self) -> list[str]:
        return sorted({f["code"] for f in self.flags})

    @cached_property
    def signals(self) -> list[dict[str, Any]]:
        """Every term and model that fired, flagging or not: {kind, name, codes, tier, score}
        (terms add detector, view, start, end; models class and threshold)."""
        return _term_signals(list(self.hits)) + [
            {
                "kind": "model",
                "name": name,
                "codes": list(codes),
                "tier": "model",
                "score": round(score, 6),
                "class": label,
                "threshold": threshold,
            }
            for name, codes, score, label, threshold in self.model_signals
        ]


_SHARED: dict[tuple[Any, ...], HarmDetector] = {}
_SHARED_LOCK = threading.Lock()  # multi-threaded bundles set up their DoFns at once


def _file_key(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)  # `load` names the missing file
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


# Davidson's 'hate' class names no target; an identity mention in the same text does.
_HATE_TARGETS = frozenset({"A.1.e", "A.2.a", "A.2.b", "A.2.c", "A.2.d", "A.2.e", "A.2.h", "A.2.i"})


class HarmDetector:
    """Keyword matcher + language-matched classifiers + the policy's decision rule."""

    def __init__(
        self,
        policy: HarmPolicy,
        matcher: KeywordMatcher,
        classifiers: Mapping[str, HarmClassifier] | None = None,
    ) -> None:
        self.policy = policy
        self.matcher = matcher
        self.classifiers = dict(classifiers or {})
        self._by_language: dict[str, list[HarmClassifier]] = {}
        for model in self.classifiers.values():
            language = str(model.card.get("language", ""))
            self._by_language.setdefault(language, []).append(model)

    @classmethod
    def load(cls, policy: HarmPolicy, library_dir: str | Path | None = None) -> HarmDetector:
        matcher = KeywordMatcher(
            KeywordLibrary.load(library_dir), boundary_safe=policy.boundary_safe
        )
        models = {name: HarmClassifier.load(resolve_model(name)) for name in policy.models}
        return cls(policy, matcher, models)

    @classmethod
    def shared(cls, policy: HarmPolicy, library_dir: str | Path | None = None) -> HarmDetector:
        """`load`, once per process for the same policy, library and model files.

        A local run's launcher, gate and filter (and a worker's stages) then share one set of
        automata and models instead of building them three times (measured: ~0.5 s and
        ~25 MB each after the first). The detector is read-only once built. A rebuilt library
        or retrained model changes its files, and so the key."""
        root = Path(library_dir) if library_dir is not None else default_library_dir()
        files = [root / MANIFEST, *(resolve_model(name) for name in policy.models)]
        key = (repr(policy), *(_file_key(path) for path in files))
        with _SHARED_LOCK:
            detector = _SHARED.get(key)
            if detector is None:
                if len(_SHARED) >= 4:  # a long-lived process trying policies: keep it small
                    _SHARED.clear()
                detector = _SHARED[key] = cls.load(policy, library_dir)
        return detector

    @property
    def methods(self) -> list[str]:
        """What a gate record lists under `methods`: the library and each model's role."""
        lib = self.matcher.library
        out = [
            f"keywords_v{lib.version} ({lib.build_date.isoformat()}, expressions decide at "
            f"{self.policy.keyword_threshold:g}, mentions never alone)"
        ]
        for name in sorted(self.classifiers):
            model = self.classifiers[name]
            role = "decides alone" if name in self.policy.decide_alone else "with keywords"
            out.append(f"{name} ({role}, threshold {model.threshold:g})")
        return out

    def detect(self, text: str, language: str | None = None) -> DetectResult:
        return self.detect_batch([text], [language])[0]

    def detect_batch(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[DetectResult]:
        """Detect on many texts with one model call per model: the same results as `detect`
        one by one. `languages` (ISO 639-1, None when unknown) picks the models; unknown
        falls back to the script test.

        The review priority is an ordering key, not a probability: 1 when flagged, plus the
        highest model score, half the expression weight found (when below the threshold), and
        0.1 per distinct mention (at most 0.5).
        """
        if languages is not None and len(languages) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
        policy = self.policy
        norms = [self.matcher.normalize(t) if t else None for t in texts]
        hits = [self.matcher.match_normalized(n) if n is not None else [] for n in norms]
        langs = [
            (languages[i] if languages is not None and languages[i] else None)
            or script_language(text, policy.cjk_share)
            for i, text in enumerate(texts)
        ]
        # One call per model over the texts in its language; a model that may not decide
        # alone is scored only where a keyword of one of its codes agrees (it could not flag
        # elsewhere), and texts are tokenised once per scheme for all models.
        model_out: list[dict[str, tuple[float, str]]] = [{} for _ in texts]
        for language, models in self._by_language.items():
            idx = [i for i, lang in enumerate(langs) if lang == language and texts[i]]
            if not idx:
                continue
            lines: dict[tuple[str, str], list[str]] = {}
            for model in models:
                use = idx
                if model.name not in policy.decide_alone:
                    codes = frozenset(model.appendix_a)
                    use = [
                        i for i in idx if hits[i] and not codes.isdisjoint(h.code for h in hits[i])
                    ]
                if not use:
                    continue
                key = (model.input, model.tokenizer)
                if key in lines and len(use) == len(idx):
                    tokens = lines[key]
                else:
                    tokens = [
                        tokenize(norms[i].text, model.tokenizer, folded=True)  # type: ignore[union-attr]
                        if model.input == "folded"
                        else tokenize(texts[i], model.tokenizer)
                        for i in use
                    ]
                    if len(use) == len(idx):
                        lines[key] = tokens
                for i, result in zip(use, model.classes_of_lines(tokens), strict=True):
                    model_out[i][model.name] = result
        return [self._decide(hits[i], langs[i], model_out[i]) for i in range(len(texts))]

    def _decide(
        self, hits: list[KeywordHit], language: str, models: Mapping[str, tuple[float, str]]
    ) -> DetectResult:
        policy = self.policy
        if hits:
            hits = [h for h in hits if h.term not in policy.ignore_terms and policy.counts(h.code)]
        # Most texts hit nothing: skip the summaries.
        expressions = KeywordMatcher.summarize(hits, EXPRESSION) if hits else {}
        agreeing = KeywordMatcher.summarize(hits) if hits else {}
        flags: dict[tuple[str, str], dict[str, Any]] = {}
        for code, s in expressions.items():
            if s.score >= policy.keyword_threshold:
                flags[(code, s.list_version)] = {
                    "code": code,
                    "detector": s.list_version,
                    "score": float(s.score),
                    "tier": EXPRESSION,
                }
        mention_codes = {h.code for h in hits if h.tier == MENTION}
        reached: list[str] = []
        scores: dict[str, float] = {}
        model_signals = []
        for name in sorted(models):
            model = self.classifiers[name]
            score, label = models[name]
            scores[name] = score
            codes = self._model_codes(model, label, mention_codes)
            model_signals.append((name, codes, score, label, model.threshold))
            if score < model.threshold:
                continue
            reached.append(name)
            alone = name in policy.decide_alone and score >= max(
                model.threshold, policy.alone_threshold.get(name, 0.0)
            )
            if alone:
                chosen = list(codes)
            else:
                # With agreement: the model's class codes a keyword agrees with, else the
                # agreeing codes among all it covers.
                agree = [c for c in model.appendix_a if c in agreeing]
                chosen = [c for c in codes if c in agreeing] or agree
            for code in chosen:
                if not policy.counts(code):
                    continue
                flags[(code, name)] = {
                    "code": code,
                    "detector": name,
                    "score": round(score, 6),
                    "tier": "model",
                }
                if not alone:
                    # The agreeing keyword evidence, so the lineage shows why.
                    kw = agreeing[code]
                    tier = EXPRESSION if code in expressions else MENTION
                    flags.setdefault(
                        (code, kw.list_version),
                        {
                            "code": code,
                            "detector": kw.list_version,
                            "score": float(kw.score),
                            "tier": tier,
                        },
                    )
        ordered = [flags[key] for key in sorted(flags)] if flags else []
        expression_weight = max((s.score for s in expressions.values()), default=0.0)
        mentions = len({h.term for h in hits if h.tier == MENTION}) if hits else 0
        priority = (
            (1.0 if ordered else 0.0)
            + max(scores.values(), default=0.0)
            + (0.5 * min(1.0, expression_weight) if not ordered else 0.0)
            + 0.1 * min(5, mentions)
        )
        return DetectResult(
            ordered,
            language,
            tuple(reached),
            scores,
            round(priority, 6),
            tuple(hits),
            tuple(model_signals),
        )

    @staticmethod
    def _model_codes(model: HarmClassifier, label: str, mention_codes: set[str]) -> tuple[str, ...]:
        codes = model.class_codes.get(label) or tuple(model.appendix_a)
        if codes == ("A.2.i",):
            # A hate class without a target: the identity the text mentions names the code.
            targets = sorted(mention_codes & _HATE_TARGETS)
            if targets:
                return tuple(targets)
        return codes


def _term_signals(hits: list[KeywordHit]) -> list[dict[str, Any]]:
    """One signal per term occurrence (span and view), with every code it carries."""
    grouped: dict[tuple[int, int, str, str], dict[str, Any]] = {}
    for h in hits:
        key = (h.start, h.end, h.term, h.view)
        sig = grouped.get(key)
        if sig is None:
            grouped[key] = {
                "kind": "term",
                "name": h.term,
                "codes": [h.code],
                "tier": h.tier,
                "score": h.weight,
                "detector": h.list_version,
                "view": h.view,
                "start": h.start,
                "end": h.end,
            }
        elif h.code not in sig["codes"]:
            sig["codes"].append(h.code)
            # A term that is an expression under any of its codes shows as one.
            if h.tier == EXPRESSION:
                sig["tier"] = EXPRESSION
    return list(grouped.values())

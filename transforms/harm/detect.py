"""One record → its harm flags: the keyword library and classifiers under the harm policy.

Pure core, no Beam. `HarmPolicy` is `configs/policies/harm.yaml` checked once; `HarmDetector`
holds the keyword automaton and the classifiers (build it once per worker) and applies the
decision rule in one place, `HarmDetector.detect`:

- keywords: a code is flagged when its list's distinct terms found in the text weigh at least
  `keywords.threshold` together (reviewed `ignore_terms` do not count);
- a classifier (only on text in its card's language) flags every code its card maps to when
  its score reaches the card's threshold and the policy lets it decide alone; otherwise it
  flags only the codes where a keyword of any weight agrees with it.

Only the A.1-A.4 codes count (4.1.1 note 1). A flag is {code, detector, score}: the detector is
the versioned list (`keywords_a1h_v1`) or model name (`zh_discrimination_cold_v1`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from corpusgate.transforms.harm.classifier import HarmClassifier, resolve_model
from corpusgate.transforms.harm.fold import normalize_term
from corpusgate.transforms.harm.keywords import KeywordLibrary, KeywordMatcher
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


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3040" <= ch <= "\u30ff"


def script_language(text: str, cjk_share: float = 0.3) -> str:
    """'zh' when CJK characters are at least `cjk_share` of the letters, else 'en'.

    A per-record test, not the source's declared languages: a bilingual source (chat logs,
    code snippets) mixes both, and a model scored on the other script returns noise (the
    SWSR model scores most English Wikipedia paragraphs above its threshold).
    """
    cjk = letters = 0
    for ch in text:
        if _is_cjk(ch):
            cjk += 1
            letters += 1
        elif ch.isalpha():
            letters += 1
    if letters == 0:
        return "en"
    return "zh" if cjk / letters >= cjk_share else "en"


@dataclass(frozen=True)
class DetectResult:
    flags: list[dict[str, Any]]  # [{code, detector, score}], what the lineage keeps
    language: str
    model_hits: tuple[str, ...] = ()  # models whose score reached their threshold
    model_scores: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def codes(self) -> list[str]:
        return sorted({f["code"] for f in self.flags})


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
        matcher = KeywordMatcher(KeywordLibrary.load(library_dir))
        models = {name: HarmClassifier.load(resolve_model(name)) for name in policy.models}
        return cls(policy, matcher, models)

    @property
    def methods(self) -> list[str]:
        """What a gate record lists under `methods`: the library and each model's role."""
        lib = self.matcher.library
        out = [
            f"keywords_v{lib.version} ({lib.build_date.isoformat()}, "
            f"threshold {self.policy.keyword_threshold:g})"
        ]
        for name in sorted(self.classifiers):
            role = "decides alone" if name in self.policy.decide_alone else "with keywords"
            out.append(f"{name} ({role})")
        return out

    def detect(self, text: str) -> DetectResult:
        policy = self.policy
        language = script_language(text, policy.cjk_share)
        hits = [h for h in self.matcher.match(text) if h.term not in policy.ignore_terms]
        summary = {
            code: s for code, s in KeywordMatcher.summarize(hits).items() if policy.counts(code)
        }
        flags: dict[tuple[str, str], dict[str, Any]] = {}
        for code, s in summary.items():
            if s.score >= policy.keyword_threshold:
                flags[(code, s.list_version)] = {
                    "code": code,
                    "detector": s.list_version,
                    "score": float(s.score),
                }
        models = self._by_language.get(language, [])
        scores: dict[str, float] = {}
        reached: list[str] = []
        for model in models:
            score = model.scores([text])[0]
            scores[model.name] = score
            if score < model.threshold:
                continue
            reached.append(model.name)
            alone = model.name in policy.decide_alone
            for code in model.appendix_a:
                if not policy.counts(code):
                    continue
                if alone or code in summary:
                    flags[(code, model.name)] = {
                        "code": code,
                        "detector": model.name,
                        "score": round(score, 6),
                    }
                    if not alone:
                        # The agreeing keyword evidence, so the lineage shows why.
                        kw = summary[code]
                        flags.setdefault(
                            (code, kw.list_version),
                            {"code": code, "detector": kw.list_version, "score": float(kw.score)},
                        )
        ordered = [flags[key] for key in sorted(flags)]
        return DetectResult(ordered, language, tuple(sorted(reached)), scores)

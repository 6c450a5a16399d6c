"""Licence policy engine for open-source sources (GB/T 45654-2025 4.1.3 a).

A source's registry entry (or a record's own licence field, which then decides for that record)
states an SPDX expression. `check_licence` parses it with `license-expression`, maps names seen
in the wild ("CC BY-NC 4.0", "MIT License") to SPDX ids through the generated alias table, and
classes every licence key with the policy in `configs/policies/licences.yaml`:

    A OR B      the best class of the alternatives (the provider may choose one)
    A AND B     the worst class; obligations are unioned
    X WITH E    X's class, unless the policy lists the exception E

Classes rank allowed < allowed_with_obligations < unknown < not_allowed. `unknown` sits below
`not_allowed` so that `CC-BY-NC-4.0 OR LicenseRef-x` stays unknown (x might allow it) while
`CC-BY-NC-4.0 AND LicenseRef-x` is plainly not allowed.

Pure Python: no Beam import. Results are cached per (expression, policy) because this runs per
record and most records of a source share one expression.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

from corpusgate.schemas.reasons import LICENCE_NOT_ALLOWED, LICENCE_UNKNOWN

__all__ = [
    "ALLOWED",
    "ALLOWED_WITH_OBLIGATIONS",
    "CLASSES",
    "NOT_ALLOWED",
    "UNKNOWN",
    "LicencePolicy",
    "LicenceResult",
    "alias_key",
    "check_licence",
    "choose_licence",
]

ALLOWED = "allowed"
ALLOWED_WITH_OBLIGATIONS = "allowed_with_obligations"
UNKNOWN = "unknown"
NOT_ALLOWED = "not_allowed"
CLASSES = (ALLOWED, ALLOWED_WITH_OBLIGATIONS, UNKNOWN, NOT_ALLOWED)  # best to worst
_RANK = {name: i for i, name in enumerate(CLASSES)}

# Uses a licence may permit, narrowest first. A licence that permits `research` only does not
# cover a `commercial` provider.
USES = ("research", "non_commercial", "commercial")
_USE_RANK = {name: i for i, name in enumerate(USES)}

# SPDX's own words for "no licence stated": handled like an absent licence.
_NO_LICENCE_KEYS = frozenset({"noassertion", "none"})

_DEFAULT_POLICY = "licences.yaml"
_DEFAULT_ALIASES = "licence_aliases.yaml"


# --------------------------------------------------------------------------- alias keys

# Spelled-out Creative Commons terms become their short codes, so "Creative Commons
# Attribution-NonCommercial 4.0 International" and "CC-BY-NC-4.0" meet at one key.
_PHRASES = (
    (re.compile(r"creative\s*commons"), " cc "),
    (re.compile(r"\battribution\b"), " by "),
    (re.compile(r"non[\s-]*commercial"), " nc "),
    (re.compile(r"share[\s-]*alike"), " sa "),
    (re.compile(r"no[\s-]*deriv(?:ative)?s?"), " nd "),
)
# Words that vary between spellings of one licence without changing which licence it is.
_FILLER = frozenset(
    {
        "the",
        "a",
        "license",
        "licence",
        "licensed",
        "version",
        "v",
        "international",
        "unported",
        "generic",
    }
)
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*|\+")


def alias_key(name: str) -> str:
    """Lookup key for a licence name: case-, punctuation- and spelling-insensitive.

    "Apache License, Version 2.0", "apache-2.0" and "Apache 2" all give "apache 2". The build
    script uses this same function, so the alias table and the lookups cannot drift apart.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    for pattern, short in _PHRASES:
        text = pattern.sub(short, text)
    text = re.sub(r"([a-z])v(\d)", r"\1 \2", text)  # GPLv3 -> gpl 3
    text = re.sub(r"(?<=[a-z])(?=\d)", " ", text)  # cc0 -> cc 0
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if token[0].isdigit():
            token = re.sub(r"(?:\.0)+$", "", token)  # 4.0 == 4, 1.0.0 == 1
        if token not in _FILLER:
            tokens.append(token)
    return " ".join(tokens).replace(" +", "+")


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class _Group:
    name: str
    licence_class: str
    obligations: tuple[str, ...] = ()
    permits: str = "commercial"


@dataclass(frozen=True, eq=False)
class LicencePolicy:
    """A loaded policy. Hashes by identity so verdicts can be cached per policy object."""

    source: str
    provider_use: str
    on_unknown: str
    groups: Mapping[str, _Group]
    licences: Mapping[str, str]  # casefolded SPDX id -> group
    patterns: tuple[tuple[str, str], ...]  # (casefolded glob, group), first match wins
    exceptions: Mapping[str, str]  # casefolded exception id -> group
    scancode_categories: Mapping[str, str]  # ScanCode category -> group
    dpi_use: Mapping[str, str]  # DPI use class ("All", "NC", ...) -> permitted use
    aliases: Mapping[str, str] = field(repr=False)  # alias_key -> SPDX id / LicenseRef
    canonical_ids: Mapping[str, str] = field(repr=False)  # casefolded id -> spelled id
    categories: Mapping[str, str] = field(repr=False)  # SPDX id -> ScanCode category
    dpi_classes: Mapping[str, tuple[str, str, str]] = field(repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> LicencePolicy:
        """Load a policy file; None loads the shipped default. Bad content raises ValueError."""
        if path is None:
            text = _shipped(_DEFAULT_POLICY)
            source = f"corpusgate.configs/policies/{_DEFAULT_POLICY}"
        else:
            source = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"{source}: cannot read licence policy ({exc})") from exc
        doc = _yaml_mapping(text, source)
        aliases_ref = doc.get("aliases")
        if aliases_ref is None or (path is None and aliases_ref == _DEFAULT_ALIASES):
            alias_doc = _yaml_mapping(_shipped(_DEFAULT_ALIASES), _DEFAULT_ALIASES)
        else:
            alias_path = Path(source).parent / str(aliases_ref)
            try:
                alias_doc = _yaml_mapping(alias_path.read_text(encoding="utf-8"), str(alias_path))
            except OSError as exc:
                raise ValueError(f"{source}: aliases file {alias_path} unreadable ({exc})") from exc
        return _build_policy(doc, alias_doc, source)

    def classify_key(self, key: str) -> tuple[_Group | None, str]:
        """The group deciding one licence id, and which rule chose it (for the detail)."""
        folded = key.casefold()
        if folded in self.licences:
            return self.groups[self.licences[folded]], "policy id"
        for pattern, group in self.patterns:
            if fnmatch.fnmatchcase(folded, pattern):
                return self.groups[group], f"policy pattern {pattern!r}"
        dpi = self.dpi_classes.get(key)
        if dpi is not None:
            return _dpi_group(dpi, self.dpi_use), f"DPI class {'/'.join(dpi)}"
        category = self.categories.get(key)
        if category is not None and category in self.scancode_categories:
            return self.groups[self.scancode_categories[category]], f"ScanCode {category!r}"
        return None, "not in policy"

    def permitted(self, group: _Group) -> bool:
        return _USE_RANK[self.provider_use] <= _USE_RANK[group.permits]


def _shipped(name: str) -> str:
    return (resources.files("corpusgate.configs") / "policies" / name).read_text(encoding="utf-8")


def _yaml_mapping(text: str, source: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"{source}: expected a YAML mapping at the top level")
    return doc


_POLICY_KEYS = {
    "version",
    "provider_use",
    "on_unknown",
    "aliases",
    "groups",
    "licences",
    "patterns",
    "exceptions",
    "scancode_categories",
    "dpi_use",
}
_GROUP_KEYS = {"class", "obligations", "permits", "note"}


def _build_policy(doc: dict[str, Any], alias_doc: dict[str, Any], source: str) -> LicencePolicy:
    unknown_keys = set(doc) - _POLICY_KEYS
    if unknown_keys:
        raise ValueError(f"{source}: unknown top-level key(s) {sorted(unknown_keys)}")
    provider_use = doc.get("provider_use")
    if provider_use not in _USE_RANK:
        raise ValueError(f"{source}: provider_use {provider_use!r} is not one of {list(USES)}")
    on_unknown = doc.get("on_unknown", "quarantine")
    if on_unknown not in ("quarantine", "not_allowed"):
        raise ValueError(f"{source}: on_unknown {on_unknown!r} is not quarantine | not_allowed")

    groups: dict[str, _Group] = {}
    for name, spec in _mapping(doc, "groups", source).items():
        if not isinstance(spec, dict) or set(spec) - _GROUP_KEYS:
            raise ValueError(f"{source}: group {name!r} must be a mapping with keys {_GROUP_KEYS}")
        licence_class = spec.get("class")
        if licence_class not in _RANK:
            raise ValueError(f"{source}: group {name!r} class {licence_class!r} not in {CLASSES}")
        permits = spec.get("permits", "commercial")
        if permits not in _USE_RANK:
            raise ValueError(f"{source}: group {name!r} permits {permits!r}, not in {list(USES)}")
        obligations = spec.get("obligations") or []
        if not isinstance(obligations, list) or not all(isinstance(o, str) for o in obligations):
            raise ValueError(f"{source}: group {name!r} obligations must be a list of names")
        groups[str(name)] = _Group(str(name), licence_class, tuple(sorted(obligations)), permits)

    def group_ref(value: Any, where: str) -> str:
        if value not in groups:
            raise ValueError(f"{source}: {where} names unknown group {value!r}")
        return str(value)

    licences = {
        str(k).casefold(): group_ref(v, f"licences.{k}")
        for k, v in _mapping(doc, "licences", source).items()
    }
    patterns: list[tuple[str, str]] = []
    for i, item in enumerate(doc.get("patterns") or []):
        if not (isinstance(item, dict) and set(item) == {"match", "group"}):
            raise ValueError(f"{source}: patterns[{i}] must be {{match: GLOB, group: NAME}}")
        patterns.append((str(item["match"]).casefold(), group_ref(item["group"], f"patterns[{i}]")))
    exceptions = {
        str(k).casefold(): group_ref(v, f"exceptions.{k}")
        for k, v in _mapping(doc, "exceptions", source).items()
    }
    scancode = {
        str(k): group_ref(v, f"scancode_categories.{k!r}")
        for k, v in _mapping(doc, "scancode_categories", source).items()
    }
    dpi_use = {str(k): str(v) for k, v in _mapping(doc, "dpi_use", source).items()}
    for k, v in dpi_use.items():
        if v not in _USE_RANK:
            raise ValueError(f"{source}: dpi_use.{k} = {v!r} is not one of {list(USES)}")

    aliases = {str(k): str(v) for k, v in (alias_doc.get("aliases") or {}).items()}
    categories = {str(k): str(v) for k, v in (alias_doc.get("categories") or {}).items()}
    dpi_classes: dict[str, tuple[str, str, str]] = {}
    for k, v in (alias_doc.get("dpi_classes") or {}).items():
        if not (isinstance(v, list) and len(v) == 3):
            raise ValueError(f"aliases: dpi_classes.{k} must be [use, attribution, share_alike]")
        dpi_classes[str(k)] = (str(v[0]), str(v[1]), str(v[2]))
    canonical = {v.casefold(): v for v in aliases.values()}
    canonical.update({k.casefold(): k for k in categories})
    return LicencePolicy(
        source=source,
        provider_use=provider_use,
        on_unknown=on_unknown,
        groups=groups,
        licences=licences,
        patterns=tuple(patterns),
        exceptions=exceptions,
        scancode_categories=scancode,
        dpi_use=dpi_use,
        aliases=aliases,
        canonical_ids=canonical,
        categories=categories,
        dpi_classes=dpi_classes,
    )


def _mapping(doc: dict[str, Any], key: str, source: str) -> dict[Any, Any]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{source}: {key} must be a mapping")
    return value


def _dpi_group(dpi: tuple[str, str, str], dpi_use: Mapping[str, str]) -> _Group:
    use, attribution, share_alike = dpi
    if use not in dpi_use:
        return _Group(f"dpi:{use}", UNKNOWN)
    # "?" means DPI could not tell: carry the obligation rather than drop it.
    obligations = tuple(
        name
        for name, flag in (("attribution", attribution), ("share_alike", share_alike))
        if flag != "0"
    )
    licence_class = ALLOWED_WITH_OBLIGATIONS if obligations else ALLOWED
    return _Group(f"dpi:{use}", licence_class, obligations, dpi_use[use])


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class LicenceResult:
    ok: bool
    reason: str = ""  # LICENCE_NOT_ALLOWED / LICENCE_UNKNOWN / ""
    licence_class: str = UNKNOWN
    obligations: tuple[str, ...] = ()
    spdx: str = ""  # normalized SPDX expression ("" when none was stated)
    detail: str = ""


@dataclass(frozen=True)
class _Eval:
    licence_class: str
    obligations: frozenset[str]
    deciding: tuple[str, ...]  # "KEY: why" for the keys that set the class


def choose_licence(record_licence: str | None, entry_licence: str | None) -> tuple[str | None, str]:
    """A record's own licence field decides for that record; otherwise the entry's licence.

    Returns the expression and where it came from ("record" | "entry" | "none") for the lineage.
    """
    if record_licence is not None and record_licence.strip():
        return record_licence, "record"
    if entry_licence is not None and entry_licence.strip():
        return entry_licence, "entry"
    return None, "none"


def check_licence(
    expression: str | None, policy: LicencePolicy, *, has_authorization: bool
) -> LicenceResult:
    """Decide whether text under `expression` may be used for training under `policy`.

    `has_authorization`: the registry entry references an authorization document (path + sha256)
    from the rights holder. It lets a source with no licence, or one nobody can read, be used;
    it does not override a licence the policy does not allow.
    """
    verdict = _evaluate(expression.strip() if expression else "", policy)
    if verdict.ok or not has_authorization or verdict.licence_class != UNKNOWN:
        return verdict
    if not verdict.spdx:
        detail = "no licence; authorization document"
    else:
        detail = f"{verdict.detail}; used under authorization document"
    return LicenceResult(True, "", verdict.licence_class, verdict.obligations, verdict.spdx, detail)


@lru_cache(maxsize=8192)
def _evaluate(expression: str, policy: LicencePolicy) -> LicenceResult:
    if not expression or expression.casefold() in _NO_LICENCE_KEYS:
        return _unknown_verdict(policy, "", "no licence stated")
    parsed, notes = _parse(expression, policy)
    if parsed is None:
        return _unknown_verdict(policy, expression, f"unparseable expression {expression!r}")
    spdx = _render(parsed, policy)
    if spdx.casefold() in _NO_LICENCE_KEYS:
        return _unknown_verdict(policy, "", f"no licence stated ({'; '.join(notes)})")
    result = _eval(parsed, policy)
    detail = "; ".join([*notes, *result.deciding])
    obligations = tuple(sorted(result.obligations))
    licence_class = result.licence_class
    if licence_class == UNKNOWN:
        return _unknown_verdict(policy, spdx, detail, obligations)
    if licence_class == NOT_ALLOWED:
        return LicenceResult(False, LICENCE_NOT_ALLOWED, licence_class, obligations, spdx, detail)
    return LicenceResult(True, "", licence_class, obligations, spdx, detail)


def _unknown_verdict(
    policy: LicencePolicy, spdx: str, detail: str, obligations: tuple[str, ...] = ()
) -> LicenceResult:
    if policy.on_unknown == "not_allowed":
        detail = f"{detail}; policy treats unknown as not allowed"
        return LicenceResult(False, LICENCE_NOT_ALLOWED, UNKNOWN, obligations, spdx, detail)
    return LicenceResult(False, LICENCE_UNKNOWN, UNKNOWN, obligations, spdx, detail)


@lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()


_SPLIT = re.compile(r"(\(|\)|\s+(?:AND|OR|WITH)\s+)", re.IGNORECASE)


def _parse(expression: str, policy: LicencePolicy) -> tuple[Any, list[str]]:
    """Parse, reading names in the wild through the alias table. None when it cannot parse."""
    notes: list[str] = []
    whole = policy.aliases.get(alias_key(expression))
    if whole is not None:
        if whole.casefold() != expression.casefold():
            notes.append(f"{expression!r} read as {whole} (alias)")
        expression = whole
    try:
        return _licensing().parse(expression, validate=False), notes
    except ExpressionError:
        pass
    # "MIT License OR Apache License 2.0": alias each operand, then parse again.
    parts = []
    for part in _SPLIT.split(expression):
        stripped = part.strip()
        if not stripped or stripped in "()" or stripped.upper() in ("AND", "OR", "WITH"):
            parts.append(part)
            continue
        alias = policy.aliases.get(alias_key(stripped))
        if alias is not None and alias.casefold() != stripped.casefold():
            notes.append(f"{stripped!r} read as {alias} (alias)")
        parts.append(alias if alias is not None else part)
    try:
        return _licensing().parse("".join(parts), validate=False), notes
    except ExpressionError:
        return None, notes


def _key(symbol: LicenseSymbol, policy: LicencePolicy) -> str:
    """The canonical id of a parsed symbol; names the parser did not know go through aliases."""
    key = str(symbol.key)
    if key in _licensing().known_symbols:
        return key
    folded = key.casefold()
    if folded in policy.canonical_ids:
        return policy.canonical_ids[folded]
    return policy.aliases.get(alias_key(key), key)


def _render(node: Any, policy: LicencePolicy, parent: type | None = None) -> str:
    if isinstance(node, LicenseWithExceptionSymbol):
        return f"{_key(node.license_symbol, policy)} WITH {_key(node.exception_symbol, policy)}"
    if isinstance(node, LicenseSymbol):
        return _key(node, policy)
    op = " AND " if isinstance(node, AND) else " OR "
    text = op.join(_render(arg, policy, type(node)) for arg in node.args)
    return f"({text})" if parent is not None else text


def _eval(node: Any, policy: LicencePolicy) -> _Eval:
    if isinstance(node, LicenseWithExceptionSymbol):
        exception = _key(node.exception_symbol, policy)
        group = policy.exceptions.get(exception.casefold())
        if group is None:
            # SPDX exceptions only add permissions, so X's class stands; an unrecognised one is
            # named so a reviewer sees it.
            known = exception in _licensing().known_symbols
            suffix = f" WITH {exception}" + ("" if known else " (exception not recognised)")
            return _eval_key(_key(node.license_symbol, policy), policy, suffix)
        return _from_group(
            f"{_key(node.license_symbol, policy)} WITH {exception}",
            policy.groups[group],
            "policy exception",
            policy,
        )
    if isinstance(node, LicenseSymbol):
        return _eval_key(_key(node, policy), policy, "")
    children = [_eval(arg, policy) for arg in node.args]
    if isinstance(node, OR):
        # The provider may pick any alternative: the best class, then the fewest obligations.
        return min(children, key=lambda c: (_RANK[c.licence_class], len(c.obligations)))
    if not isinstance(node, AND):
        raise TypeError(f"unexpected licence expression node {node!r}")
    worst = max(_RANK[c.licence_class] for c in children)
    return _Eval(
        CLASSES[worst],
        frozenset().union(*(c.obligations for c in children)),
        tuple(d for c in children if _RANK[c.licence_class] == worst for d in c.deciding),
    )


def _eval_key(key: str, policy: LicencePolicy, suffix: str) -> _Eval:
    if key.casefold() in _NO_LICENCE_KEYS:
        return _Eval(UNKNOWN, frozenset(), (f"{key}: no licence stated",))
    group, rule = policy.classify_key(key)
    if group is None:
        return _Eval(UNKNOWN, frozenset(), (f"{key}{suffix}: unknown ({rule})",))
    return _from_group(key + suffix, group, rule, policy)


def _from_group(label: str, group: _Group, rule: str, policy: LicencePolicy) -> _Eval:
    obligations = frozenset(group.obligations)
    if not policy.permitted(group):
        why = f"{label}: not_allowed (group {group.name} via {rule}; permits {group.permits} use, "
        why += f"provider use is {policy.provider_use})"
        return _Eval(NOT_ALLOWED, obligations, (why,))
    why = f"{label}: {group.licence_class} (group {group.name} via {rule})"
    return _Eval(group.licence_class, obligations, (why,))

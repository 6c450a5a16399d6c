"""The keyword library of GB/T 45654-2025 B.1.1: versioned files of reviewed terms.

B.1.1 a-c ask for a library that covers the A.1 and A.2 risks (>= 10,000 terms, >= 200 per A.1
code, >= 100 per A.2 code) and is updated at least weekly. Here it is a folder:

- one file per Appendix A code and version, `A.2.e.v2.txt` (list version `keywords_a2e_v2`), a
  line per term: `term<TAB>tier<TAB>weight<TAB>sources<TAB>reviewer<TAB>reviewed`;
- `manifest.yaml` (version, build date, each file's count and sha256) and, for every earlier
  version, `manifest.vN.yaml` beside its files, so `keywords diff V1 V2` can say what changed.

Every term carries its own tier (an `expression` is harmful wording; a `mention` names a
person, event, institution, substance or identity and never flags alone), weight and review
(who, when). A term in several codes appears in each code's file. Lines of the first format
(`term<TAB>weight<TAB>sources`) still load, as unreviewed expressions.

Only reviewed terms count towards the B.1.1 quotas (`stats`): a term nobody looked at is not a
keyword the provider can defend.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from corpusgate.transforms.harm.taxonomy import (
    ALL_CODES,
    CODES,
    KEYWORD_QUOTA_PER_GROUP,
    KEYWORD_QUOTA_TOTAL,
    get_code,
    keyword_quota,
)

__all__ = [
    "EXPRESSION",
    "MANIFEST",
    "MENTION",
    "TIERS",
    "UPDATE_INTERVAL",
    "CodeList",
    "KeywordLibrary",
    "LibraryStats",
    "Term",
    "default_library_dir",
    "diff_libraries",
    "list_filename",
    "list_version",
    "parse_list",
    "write_library",
]

MANIFEST = "manifest.yaml"
# B.1.1 c: the library is updated at least once a week.
UPDATE_INTERVAL = dt.timedelta(days=7)
EXPRESSION = "expression"
MENTION = "mention"
TIERS = (EXPRESSION, MENTION)


def list_version(code: str, version: int) -> str:
    """The versioned name lineage records for one code's list: `keywords_a2e_v1`."""
    get_code(code)
    return f"keywords_{code.replace('.', '').lower()}_v{version}"


def list_filename(code: str, version: int) -> str:
    return f"{code}.v{version}.txt"


def default_library_dir() -> Path:
    return Path(str(importlib.resources.files("corpusgate.configs") / "keywords"))


@dataclass(frozen=True)
class Term:
    """One reviewed (or not yet reviewed) entry: a term under one code."""

    term: str
    code: str
    tier: str = EXPRESSION
    weight: float = 1.0
    sources: str = ""
    reviewer: str = ""
    reviewed: dt.date | None = None

    def check(self, where: str) -> None:
        get_code(self.code)
        if not self.term or self.term != self.term.strip() or "\t" in self.term:
            raise ValueError(f"{where}: empty, padded or tabbed term {self.term!r}")
        if self.tier not in TIERS:
            raise ValueError(f"{where}: tier {self.tier!r} is not one of {TIERS}")
        _check_weight(self.weight, where)
        if bool(self.reviewer) != (self.reviewed is not None):
            raise ValueError(f"{where}: a review needs both a reviewer and a date")


@dataclass(frozen=True)
class CodeList:
    code: str
    version: str  # keywords_a2e_v1
    terms: Mapping[str, float]  # term -> weight in (0, 1]
    tiers: Mapping[str, str] = field(default_factory=dict)  # term -> tier (default expression)
    entries: Mapping[str, Term] = field(default_factory=dict)

    def tier(self, term: str) -> str:
        return self.tiers.get(term, EXPRESSION)


def _check_weight(weight: float, where: str) -> None:
    if not 0.0 < weight <= 1.0:
        raise ValueError(f"{where}: weight {weight!r} outside (0, 1]")


def _as_date(value: object, where: Path | str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not an ISO date") from None


def _weight(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_terms(text: str, code: str, where: Path | str) -> list[Term]:
    """Parse one list file of `code`; ValueError names the file and line of a bad entry."""
    terms: list[Term] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        term = parts[0]
        here = f"{where}:{lineno}"
        if len(parts) > 1 and parts[1] in TIERS:
            tier = parts[1]
            weight = _weight(parts[2]) if len(parts) > 2 and parts[2] else 1.0
            sources = parts[3] if len(parts) > 3 else ""
            reviewer = parts[4] if len(parts) > 4 else ""
            date_text = parts[5] if len(parts) > 5 else ""
        else:  # the first format: term, weight, sources
            tier = EXPRESSION
            weight = _weight(parts[1]) if len(parts) > 1 and parts[1] else 1.0
            sources = parts[2] if len(parts) > 2 else ""
            reviewer, date_text = "", ""
        if weight is None:
            raise ValueError(f"{here}: bad weight in {line!r} (not a number)")
        try:
            reviewed = _as_date(date_text, here) if date_text and date_text != "-" else None
            entry = Term(
                term,
                code,
                tier,
                weight,
                sources,
                "" if reviewer == "-" else reviewer,
                reviewed,
            )
            entry.check(here)
        except ValueError as err:
            message = str(err)
            if "weight" in message and "bad weight" not in message:
                message = f"{here}: bad weight in {line!r} ({err})"
            raise ValueError(message) from None
        if term in seen:
            raise ValueError(f"{here}: duplicate term {term!r}")
        seen.add(term)
        terms.append(entry)
    return terms


def parse_list(text: str, where: Path | str, code: str = "A.1.h") -> dict[str, float]:
    """Term -> weight of one list file (either format)."""
    return {t.term: t.weight for t in parse_terms(text, code, where)}


def _code_list(code: str, version: str, entries: Iterable[Term]) -> CodeList:
    entries = list(entries)
    return CodeList(
        code,
        version,
        {t.term: t.weight for t in entries},
        {t.term: t.tier for t in entries},
        {t.term: t for t in entries},
    )


@dataclass(frozen=True)
class KeywordLibrary:
    version: int
    build_date: dt.date
    lists: Mapping[str, CodeList]
    sources_date: dt.date | None = None  # newest upstream snapshot the build read
    path: Path | None = None

    @classmethod
    def from_terms(
        cls,
        terms: Mapping[str, Mapping[str, float] | Iterable[str] | Iterable[Term]],
        *,
        version: int = 1,
        build_date: dt.date = dt.date(2000, 1, 1),
        tiers: Mapping[str, str] | None = None,
    ) -> KeywordLibrary:
        """An in-memory library: code -> terms (weight 1.0), term -> weight, or `Term`s.

        `tiers` (term -> tier) marks mentions; every other term is an expression.
        """
        lists = {}
        tiers = tiers or {}
        for code, given in terms.items():
            entries: list[Term] = []
            if isinstance(given, Mapping):
                items: Iterable[tuple[str, float]] = given.items()
            else:
                items = []
                for item in given:
                    if isinstance(item, Term):
                        entries.append(item)
                    else:
                        items.append((item, 1.0))  # type: ignore[union-attr]
            for term, weight in items:
                entries.append(Term(term, code, tiers.get(term, EXPRESSION), weight))
            for entry in entries:
                entry.check(f"{code} term {entry.term!r}")
            lists[code] = _code_list(code, list_version(code, version), entries)
        return cls(version, build_date, lists)

    @classmethod
    def load(
        cls, directory: Path | str | None = None, version: int | None = None
    ) -> KeywordLibrary:
        """Read and verify a library folder (the shipped one by default), its current version
        or an earlier one kept beside it."""
        root = Path(directory) if directory is not None else default_library_dir()
        manifest_path = root / MANIFEST
        if version is not None:
            current = _read_manifest(manifest_path) if manifest_path.is_file() else {}
            if str(current.get("version")) != str(version):
                manifest_path = root / f"manifest.v{version}.yaml"
        if not manifest_path.is_file():
            raise ValueError(f"{manifest_path}: keyword library manifest not found")
        manifest = _read_manifest(manifest_path)
        try:
            lib_version = int(manifest["version"])
            build_date = _as_date(manifest["build_date"], manifest_path)
            files = manifest["files"]
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{manifest_path}: bad or missing field ({err})") from None
        sources_date = manifest.get("sources_date")
        lists: dict[str, CodeList] = {}
        for entry in files:
            code = str(entry.get("code"))
            get_code(code)
            path = root / str(entry.get("file"))
            if not path.is_file():
                raise ValueError(f"{manifest_path}: listed file {path.name} is missing")
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
                raise ValueError(f"{path}: sha256 differs from {manifest_path.name}; rebuild it")
            terms = parse_terms(data.decode("utf-8"), code, path)
            if len(terms) != entry.get("count"):
                raise ValueError(
                    f"{path}: {len(terms)} terms but {manifest_path.name} says {entry.get('count')}"
                )
            lists[code] = _code_list(code, str(entry.get("list_version")), terms)
        return cls(
            lib_version,
            build_date,
            lists,
            _as_date(sources_date, manifest_path) if sources_date else None,
            root,
        )

    def terms(self) -> Iterator[Term]:
        """Every entry, by code then term."""
        for code in sorted(self.lists):
            cl = self.lists[code]
            for term in sorted(cl.terms):
                yield cl.entries.get(term) or Term(term, code, cl.tier(term), cl.terms[term])

    def is_stale(self, today: dt.date) -> bool:
        """True when the library is older than B.1.1 c's weekly update."""
        return today - self.build_date > UPDATE_INTERVAL

    def stats(self, today: dt.date) -> LibraryStats:
        reviewed: dict[str, int] = dict.fromkeys(ALL_CODES, 0)
        unreviewed: dict[str, int] = dict.fromkeys(ALL_CODES, 0)
        tiers: dict[str, dict[str, int]] = {code: dict.fromkeys(TIERS, 0) for code in ALL_CODES}
        unique: set[str] = set()
        for t in self.terms():
            if t.reviewer:
                reviewed[t.code] += 1
                unique.add(t.term)
            else:
                unreviewed[t.code] += 1
            tiers[t.code][t.tier] += 1
        short = [code for code in ALL_CODES if reviewed[code] < keyword_quota(code)]
        return LibraryStats(
            version=self.version,
            build_date=self.build_date,
            sources_date=self.sources_date,
            age_days=(today - self.build_date).days,
            stale=self.is_stale(today),
            total_unique=len(unique),
            per_code=reviewed,
            shortfalls=short,
            unreviewed=unreviewed,
            tiers=tiers,
        )


def _read_manifest(path: Path) -> dict[str, object]:
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: not a mapping")
    return manifest


@dataclass(frozen=True)
class LibraryStats:
    version: int
    build_date: dt.date
    sources_date: dt.date | None
    age_days: int
    stale: bool
    total_unique: int  # distinct reviewed terms
    per_code: dict[str, int]  # reviewed terms per code: what B.1.1 b counts
    shortfalls: list[str]  # codes below their B.1.1 b quota
    unreviewed: dict[str, int] = field(default_factory=dict)
    tiers: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def meets_total(self) -> bool:
        return self.total_unique >= KEYWORD_QUOTA_TOTAL

    @property
    def meets_quotas(self) -> bool:
        return self.meets_total and not self.shortfalls

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "build_date": self.build_date.isoformat(),
            "sources_date": self.sources_date.isoformat() if self.sources_date else None,
            "age_days": self.age_days,
            "stale": self.stale,
            "update_interval_days": UPDATE_INTERVAL.days,
            "total_unique": self.total_unique,
            "total_quota": KEYWORD_QUOTA_TOTAL,
            "total_shortfall": max(0, KEYWORD_QUOTA_TOTAL - self.total_unique),
            "meets_total": self.meets_total,
            "counted": "reviewed terms only",
            "per_code": {
                code: {
                    "count": n,
                    "quota": keyword_quota(code),
                    "shortfall": max(0, keyword_quota(code) - n),
                    "unreviewed": self.unreviewed.get(code, 0),
                    "tiers": self.tiers.get(code, {}),
                }
                for code, n in self.per_code.items()
            },
            "quota_per_group": KEYWORD_QUOTA_PER_GROUP,
            "shortfalls": self.shortfalls,
            "meets_quotas": self.meets_quotas,
        }


def _format_weight(weight: float) -> str:
    return "1" if weight == 1.0 else f"{weight:g}"


def format_line(t: Term) -> str:
    reviewed = t.reviewed.isoformat() if t.reviewed else "-"
    return "\t".join(
        (t.term, t.tier, _format_weight(t.weight), t.sources or "-", t.reviewer or "-", reviewed)
    )


def write_library(
    out_dir: Path,
    terms: Iterable[Term],
    *,
    version: int,
    build_date: dt.date,
    sources_date: dt.date | None = None,
    note: str = "",
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Write `terms` as library version `version` into `out_dir`; return the manifest.

    The current manifest, if it is another version, is kept as `manifest.vN.yaml` with its
    list files, so earlier versions stay loadable (`KeywordLibrary.load(dir, version=N)`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    current = out_dir / MANIFEST
    if current.is_file():
        old = _read_manifest(current)
        old_version = old.get("version")
        if str(old_version) != str(version):
            (out_dir / f"manifest.v{old_version}.yaml").write_bytes(current.read_bytes())
    by_code: dict[str, dict[str, Term]] = {}
    for t in terms:
        t.check(f"{t.code} term {t.term!r}")
        per = by_code.setdefault(t.code, {})
        if t.term in per:
            raise ValueError(f"{t.code}: term {t.term!r} given twice")
        per[t.term] = t
    files = []
    for code in (c for c in ALL_CODES if CODES[c].group != "A.5"):
        entries = by_code.get(code, {})
        name = list_filename(code, version)
        info = CODES[code]
        lines = [
            f"# {list_version(code, version)}: GB/T 45654-2025 {code} {info.title_zh} "
            f"({info.title_en})",
            "# Edited with `corpusgate keywords add|import|review import`; see README.",
            "# term<TAB>tier<TAB>weight<TAB>sources<TAB>reviewer<TAB>reviewed",
        ]
        lines += [format_line(entries[t]) for t in sorted(entries)]
        payload = ("\n".join(lines) + "\n").encode("utf-8")
        (out_dir / name).write_bytes(payload)
        files.append(
            {
                "code": code,
                "file": name,
                "list_version": list_version(code, version),
                "count": len(entries),
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        )
    manifest: dict[str, object] = {
        "library": "corpusgate-keywords",
        "version": version,
        "build_date": build_date.isoformat(),
        "standard": "GB/T 45654-2025 B.1.1",
        "format": "term<TAB>tier<TAB>weight<TAB>sources<TAB>reviewer<TAB>reviewed",
        "note": note or "A.5 (service fitness) has no keyword list: keywords cannot judge it.",
    }
    if sources_date:
        manifest["sources_date"] = sources_date.isoformat()
    manifest.update(extra or {})
    manifest["files"] = files
    current.write_text(
        yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )
    return manifest


@dataclass(frozen=True)
class LibraryDiff:
    old_version: int
    new_version: int
    added: list[Term]
    removed: list[Term]
    changed: list[tuple[Term, Term]]  # (old, new): tier, weight or review differ

    def to_json(self) -> dict[str, object]:
        def row(t: Term) -> dict[str, object]:
            return {
                "term": t.term,
                "code": t.code,
                "tier": t.tier,
                "weight": t.weight,
                "reviewer": t.reviewer or None,
                "reviewed": t.reviewed.isoformat() if t.reviewed else None,
            }

        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "added": [row(t) for t in self.added],
            "removed": [row(t) for t in self.removed],
            "changed": [{"old": row(a), "new": row(b)} for a, b in self.changed],
        }


def diff_libraries(old: KeywordLibrary, new: KeywordLibrary) -> LibraryDiff:
    """Per (code, term): what `new` added, removed or changed against `old`."""
    a = {(t.code, t.term): t for t in old.terms()}
    b = {(t.code, t.term): t for t in new.terms()}
    return LibraryDiff(
        old.version,
        new.version,
        [b[k] for k in sorted(b.keys() - a.keys())],
        [a[k] for k in sorted(a.keys() - b.keys())],
        [
            (a[k], b[k])
            for k in sorted(a.keys() & b.keys())
            if (a[k].tier, a[k].weight, a[k].reviewer, a[k].reviewed)
            != (b[k].tier, b[k].weight, b[k].reviewer, b[k].reviewed)
        ],
    )

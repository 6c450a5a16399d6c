"""The keyword library (GB/T 45654-2025 B.1.1) and its multi-pattern matcher.

The library ships in `configs/keywords/`: one file per Appendix A code with a versioned name
(`A.2.e.v1.txt`, list version `keywords_a2e_v1`), and `manifest.yaml` giving the library
version, build date, and each file's count and sha256. A file's line is
`term<TAB>weight<TAB>sources`; `#` lines are comments.

The matcher only tags: it returns every hit (code, term, list version, original offsets) and a
per-code summary; thresholds and decisions belong to the gate. Text and terms are normalised
alike (`normalize.py`), traditional Chinese folded to simplified by default, so `賭博` in a
text fires the term `赌博` and the hit's offsets point into the original traditional text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick_rs
import yaml

from corpusgate.transforms.harm.fold import (
    Converter,
    normalize,
    normalize_term,
    traditional_to_simplified,
)
from corpusgate.transforms.harm.taxonomy import (
    ALL_CODES,
    KEYWORD_QUOTA_PER_GROUP,
    KEYWORD_QUOTA_TOTAL,
    get_code,
    keyword_quota,
)

DETECTOR = "keywords"
MANIFEST = "manifest.yaml"
# B.1.1 c: the library is updated at least once a week.
UPDATE_INTERVAL = dt.timedelta(days=7)


def list_version(code: str, version: int) -> str:
    """The versioned name lineage records for one code's list: `keywords_a2e_v1`."""
    get_code(code)
    return f"keywords_{code.replace('.', '').lower()}_v{version}"


def list_filename(code: str, version: int) -> str:
    return f"{code}.v{version}.txt"


def default_library_dir() -> Path:
    return Path(str(importlib.resources.files("corpusgate.configs") / "keywords"))


@dataclass(frozen=True)
class CodeList:
    code: str
    version: str  # keywords_a2e_v1
    terms: Mapping[str, float]  # term -> weight in (0, 1]


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
        terms: Mapping[str, Mapping[str, float] | Iterable[str]],
        *,
        version: int = 1,
        build_date: dt.date = dt.date(2000, 1, 1),
    ) -> KeywordLibrary:
        """An in-memory library: code -> terms (weight 1.0) or term -> weight."""
        lists = {}
        for code, entries in terms.items():
            weights = dict(entries) if isinstance(entries, Mapping) else dict.fromkeys(entries, 1.0)
            for term, weight in weights.items():
                _check_weight(weight, f"{code} term {term!r}")
            lists[code] = CodeList(code, list_version(code, version), weights)
        return cls(version, build_date, lists)

    @classmethod
    def load(cls, directory: Path | str | None = None) -> KeywordLibrary:
        """Read and verify a library folder (the shipped one by default)."""
        root = Path(directory) if directory is not None else default_library_dir()
        manifest_path = root / MANIFEST
        if not manifest_path.is_file():
            raise ValueError(f"{manifest_path}: keyword library manifest not found")
        manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError(f"{manifest_path}: not a mapping")
        try:
            version = int(manifest["version"])
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
            data = path.read_bytes() if path.is_file() else None
            if data is None:
                raise ValueError(f"{manifest_path}: listed file {path.name} is missing")
            if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
                raise ValueError(f"{path}: sha256 differs from {MANIFEST}; rebuild the library")
            terms = parse_list(data.decode("utf-8"), path)
            if len(terms) != entry.get("count"):
                raise ValueError(
                    f"{path}: {len(terms)} terms but {MANIFEST} says {entry.get('count')}"
                )
            lists[code] = CodeList(code, str(entry.get("list_version")), terms)
        return cls(
            version,
            build_date,
            lists,
            _as_date(sources_date, manifest_path) if sources_date else None,
            root,
        )

    def is_stale(self, today: dt.date) -> bool:
        """True when the library is older than B.1.1 c's weekly update."""
        return today - self.build_date > UPDATE_INTERVAL

    def stats(self, today: dt.date) -> LibraryStats:
        per_code = {
            code: len(self.lists[code].terms) if code in self.lists else 0 for code in ALL_CODES
        }
        unique = {t for cl in self.lists.values() for t in cl.terms}
        short = [code for code in ALL_CODES if per_code[code] < keyword_quota(code)]
        return LibraryStats(
            version=self.version,
            build_date=self.build_date,
            sources_date=self.sources_date,
            age_days=(today - self.build_date).days,
            stale=self.is_stale(today),
            total_unique=len(unique),
            per_code=per_code,
            shortfalls=short,
        )


@dataclass(frozen=True)
class LibraryStats:
    version: int
    build_date: dt.date
    sources_date: dt.date | None
    age_days: int
    stale: bool
    total_unique: int
    per_code: dict[str, int]
    shortfalls: list[str]  # codes below their B.1.1 b quota

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
            "meets_total": self.meets_total,
            "per_code": {
                code: {"count": n, "quota": keyword_quota(code)}
                for code, n in self.per_code.items()
            },
            "quota_per_group": KEYWORD_QUOTA_PER_GROUP,
            "shortfalls": self.shortfalls,
            "meets_quotas": self.meets_quotas,
        }


def _as_date(value: object, where: Path) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not an ISO date") from None


def _check_weight(weight: float, where: str) -> None:
    if not 0.0 < weight <= 1.0:
        raise ValueError(f"{where}: weight {weight!r} outside (0, 1]")


def parse_list(text: str, where: Path | str) -> dict[str, float]:
    """Parse one list file; ValueError names the file and line of a bad entry."""
    terms: dict[str, float] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        term = parts[0]
        try:
            weight = float(parts[1]) if len(parts) > 1 and parts[1] else 1.0
            _check_weight(weight, f"{where}:{lineno}")
        except ValueError as err:
            raise ValueError(f"{where}:{lineno}: bad weight in {line!r} ({err})") from None
        if not term or term != term.strip():
            raise ValueError(f"{where}:{lineno}: empty or padded term {term!r}")
        if term in terms:
            raise ValueError(f"{where}:{lineno}: duplicate term {term!r}")
        terms[term] = weight
    return terms


@dataclass(frozen=True)
class KeywordHit:
    code: str
    term: str  # normalised form that matched (after traditional → simplified folding)
    list_version: str
    start: int  # offsets in the original text
    end: int
    weight: float = 1.0
    detector: str = DETECTOR


@dataclass(frozen=True)
class CodeSummary:
    hits: int
    terms: int  # distinct terms
    # Sum of the distinct terms' weights: a repeated term does not grow it.
    score: float
    list_version: str = ""
    detector: str = field(default=DETECTOR)


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


_Entry = tuple[str, str, float]  # code, list version, weight
_UNITS = "utf-16-le"  # what the automaton reads; see KeywordMatcher


class KeywordMatcher:
    """Aho-Corasick over normalised text; build once per worker (it holds the automaton).

    The automaton is `ahocorasick_rs` (Rust, dense transitions): on Chinese text it runs several
    times faster than pyahocorasick, whose nodes search their children linearly. It runs over
    the UTF-16-LE bytes of the normalised text (`BytesAhoCorasick`): two bytes per Chinese
    character instead of UTF-8's three, so on Chinese it is about a third faster than over
    UTF-8, which is itself faster than the `str` interface. A match must start on a code-unit
    boundary (an even offset; odd ones straddle two characters and are dropped), and offsets
    become character offsets by halving, or, in a text holding astral characters (two units
    each), by a walk done only for texts with a hit. Lone surrogates cannot be encoded and raise
    `UnicodeEncodeError`, as they did through UTF-8. Build time for the shipped library is well
    under a second.

    `fold_traditional` (on by default) adds OpenCC's character-level traditional → simplified
    table (`traditional_to_simplified`) to both the terms and the text, after `converter` if one
    is given. Two rules keep the folding from adding noise:

    - a term that library entries share after folding (`迷藥` and `迷药` in one code) fires once
      per code, with the smaller weight: the library build down-weights a term that fires on
      clean text, and folded, both spellings fire on the same text;
    - a term the library spells with characters the converter changes (`代開`) fires only on a
      span the text itself wrote with such characters. The build vetted it against clean
      simplified text in that spelling only; folded, it would fire on `1980年代开始`, where its
      simplified twin was dropped as noise. A term whose spelling folding leaves alone (`赌博`)
      fires on both scripts (`賭博` too), which is what folding is for.
    """

    def __init__(
        self,
        library: KeywordLibrary,
        converter: Converter | None = None,
        *,
        fold_traditional: bool = True,
    ) -> None:
        self.library = library
        self._args = (converter, fold_traditional)
        self._converter = _chain(
            converter, traditional_to_simplified() if fold_traditional else None
        )
        # key -> code -> (list version, weight, fires only on a span written in the other script)
        payload: dict[str, dict[str, tuple[str, float, bool]]] = {}
        for code_list in library.lists.values():
            for term, weight in code_list.terms.items():
                key = normalize_term(term, self._converter)
                if len(key) < 2:
                    continue  # a single character would fire everywhere
                converted_only = (
                    self._converter is not None and normalize_term(term, converter) != key
                )
                per_code = payload.setdefault(key, {})
                seen = per_code.get(code_list.code)
                entry = (code_list.version, weight, converted_only)
                # An entry spelled as the key beats a converted spelling; else the lower weight.
                if seen is None or (seen[2], weight) > (converted_only, seen[1]):
                    per_code[code_list.code] = entry
        keys = sorted(payload)
        # Latin ends must sit on word boundaries ("ass" is not in "class").
        self._patterns: list[tuple[str, bool, bool, tuple[_Entry, ...], tuple[_Entry, ...]]] = []
        for key in keys:
            entries = payload[key].items()
            self._patterns.append(
                (
                    key,
                    _is_word_char(key[0]),
                    _is_word_char(key[-1]),
                    tuple((code, v, w) for code, (v, w, only) in entries if not only),
                    tuple((code, v, w) for code, (v, w, only) in entries if only),
                )
            )
        self.pattern_count = len(keys)
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                [key.encode(_UNITS, "surrogatepass") for key in keys],
                matchkind=ahocorasick_rs.MatchKind.Standard,
            )
            if keys
            else None
        )

    def __reduce__(
        self,
    ) -> tuple[Callable[..., KeywordMatcher], tuple[KeywordLibrary, Converter | None, bool]]:
        # The Rust automaton does not pickle; rebuilding it from the library takes < 1 s.
        return (_rebuild, (self.library, *self._args))

    def normalize_term(self, term: str) -> str:
        """`term` as this matcher looks for it (and reports it in `KeywordHit.term`)."""
        return normalize_term(term, self._converter)

    def match(self, text: str) -> list[KeywordHit]:
        """Every (possibly overlapping) hit, ordered by original start, then code."""
        if self._automaton is None or not text:
            return []
        norm = normalize(text, self._converter)
        folded = norm.text
        data = folded.encode(_UNITS)
        found = self._automaton.find_matches_as_indexes(data, overlapping=True)
        if not found:
            return []
        if len(data) == 2 * len(folded):  # one code unit per character
            found = [(index, start >> 1, end >> 1) for index, start, end in found if not start & 1]
        else:
            found = _char_offsets(data, found)
        size = len(folded)
        patterns = self._patterns
        hits: list[KeywordHit] = []
        unconverted = norm.unconverted
        for index, start, end in found:
            key, left_word, right_word, entries, converted_only = patterns[index]
            if left_word and start > 0 and _is_word_char(folded[start - 1]):
                continue
            if right_word and end < size and _is_word_char(folded[end]):
                continue
            if converted_only and unconverted is not None and unconverted[start:end] != key:
                entries = entries + converted_only
            if not entries:
                continue
            ostart, oend = norm.original_span(start, end)
            for code, version, weight in entries:
                hits.append(KeywordHit(code, key, version, ostart, oend, weight))
        hits.sort(key=lambda h: (h.start, h.end, h.code, h.term))
        return hits

    @staticmethod
    def summarize(hits: Iterable[KeywordHit]) -> dict[str, CodeSummary]:
        counts: dict[str, int] = {}
        terms: dict[str, dict[str, float]] = {}
        versions: dict[str, str] = {}
        for hit in hits:
            counts[hit.code] = counts.get(hit.code, 0) + 1
            terms.setdefault(hit.code, {})[hit.term] = hit.weight
            versions[hit.code] = hit.list_version
        return {
            code: CodeSummary(
                counts[code],
                len(terms[code]),
                round(sum(terms[code].values()), 6),
                versions[code],
            )
            for code in sorted(counts)
        }

    def summary(self, text: str) -> dict[str, CodeSummary]:
        """Per code: hit count, distinct terms and score for one text."""
        return self.summarize(self.match(text))


def _char_offsets(data: bytes, found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Hits at UTF-16-LE byte offsets as hits at character offsets, in one walk of `data`.

    Hits off a character boundary are dropped: an odd offset, or one at the second unit of a
    surrogate pair (a term with a lone surrogate, which no character-level match could give).
    """
    size = len(data)

    def on_boundary(pos: int) -> bool:
        return not pos & 1 and (pos == size or not 0xDC <= data[pos + 1] <= 0xDF)

    kept = [hit for hit in found if on_boundary(hit[1]) and on_boundary(hit[2])]
    chars: dict[int, int] = {}
    byte_pos = char_pos = 0
    for offset in sorted({pos for _, start, end in kept for pos in (start, end)}):
        char_pos += len(data[byte_pos:offset].decode(_UNITS))
        byte_pos = offset
        chars[offset] = char_pos
    return [(index, chars[start], chars[end]) for index, start, end in kept]


def _rebuild(
    library: KeywordLibrary, converter: Converter | None, fold_traditional: bool
) -> KeywordMatcher:
    return KeywordMatcher(library, converter, fold_traditional=fold_traditional)


def _chain(first: Converter | None, second: Converter | None) -> Converter | None:
    if first is None:
        return second
    if second is None:
        return first
    return lambda text: second(first(text))

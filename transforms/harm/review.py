"""The term-by-term review of the keyword library (GB/T 45654-2025 B.1.1): export, import.

`keywords review export` writes one TSV row per term: its codes, tier, weight, sources and
last review, plus a `decision` column the reviewer fills (`keep` or `drop`); candidate terms
(from `keywords build` or `keywords suggest`) come with a blank decision and their evidence.
`keywords review import` reads the file back: `keep` rows replace the term's entries with the
row's codes, tier and weight under the reviewer's name and date, `drop` rows remove the term,
rows left blank change nothing and are counted, so an unfinished review is visible, never lost.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpusgate.transforms.harm.library import EXPRESSION, TIERS, KeywordLibrary, Term
from corpusgate.transforms.harm.taxonomy import get_code

__all__ = ["COLUMNS", "Candidate", "ReviewOutcome", "apply_review", "export_rows", "read_review"]

COLUMNS = (
    "term",
    "codes",
    "tier",
    "weight",
    "decision",
    "reviewer",
    "reviewed",
    "sources",
    "evidence",
    "note",
)
DECISIONS = ("keep", "drop", "")


@dataclass(frozen=True)
class Candidate:
    """A term proposed for review, with why it was proposed."""

    term: str
    codes: tuple[str, ...]
    tier: str = EXPRESSION
    weight: float = 1.0
    sources: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class ReviewRow:
    line: int
    term: str
    codes: tuple[str, ...]
    tier: str
    weight: float
    decision: str
    reviewer: str
    reviewed: dt.date | None
    sources: str
    note: str


def export_rows(library: KeywordLibrary, candidates: Iterable[Candidate] = ()) -> str:
    """The review sheet: the library's terms, then candidates it does not hold yet."""
    by_term: dict[str, list[Term]] = {}
    for t in library.terms():
        by_term.setdefault(t.term, []).append(t)
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for term in sorted(by_term):
        entries = by_term[term]
        first = entries[0]
        writer.writerow(
            [
                term,
                ",".join(t.code for t in entries),
                first.tier,
                f"{first.weight:g}",
                "keep",
                first.reviewer,
                first.reviewed.isoformat() if first.reviewed else "",
                first.sources,
                "",
                "",
            ]
        )
    for cand in candidates:
        if cand.term in by_term:
            continue
        writer.writerow(
            [
                cand.term,
                ",".join(cand.codes),
                cand.tier,
                f"{cand.weight:g}",
                "",
                "",
                "",
                cand.sources,
                cand.evidence,
                "",
            ]
        )
    return out.getvalue()


def _date(value: str, where: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}: reviewed {value!r} is not a date (YYYY-MM-DD)") from None


def read_review(path: Path) -> list[ReviewRow]:
    """Rows of a review sheet; ValueError names the file and line of a bad row."""
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    header = next(reader, None)
    if header is None or "term" not in header or "codes" not in header:
        raise ValueError(f"{path}:1: expected a header with at least 'term' and 'codes'")
    rows: list[ReviewRow] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise ValueError(f"{path}:{line}: {len(values)} fields, header has {len(header)}")
        row = dict(zip(header, values + [""] * (len(header) - len(values)), strict=True))
        where = f"{path}:{line}"
        term = row["term"].strip()
        codes = tuple(c.strip() for c in row["codes"].split(",") if c.strip())
        decision = row.get("decision", "").strip().lower()
        if decision not in DECISIONS:
            raise ValueError(f"{where}: decision {decision!r} must be keep, drop or empty")
        tier = row.get("tier", "").strip() or EXPRESSION
        if tier not in TIERS:
            raise ValueError(f"{where}: tier {tier!r} must be one of {TIERS}")
        try:
            weight = float(row.get("weight") or 1.0)
        except ValueError:
            raise ValueError(f"{where}: weight {row.get('weight')!r} is not a number") from None
        if not term:
            raise ValueError(f"{where}: empty term")
        if decision == "keep" and not codes:
            raise ValueError(f"{where}: a kept term needs at least one code")
        for code in codes:
            try:
                get_code(code)
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
        rows.append(
            ReviewRow(
                line,
                term,
                codes,
                tier,
                weight,
                decision,
                row.get("reviewer", "").strip(),
                _date(row.get("reviewed", "").strip(), where),
                row.get("sources", "").strip(),
                row.get("note", "").strip(),
            )
        )
    return rows


@dataclass(frozen=True)
class ReviewOutcome:
    terms: list[Term]
    kept: int
    dropped: int
    undecided: int
    added: int


def apply_review(
    library: KeywordLibrary,
    rows: Sequence[ReviewRow],
    *,
    reviewer: str | None,
    today: dt.date,
) -> ReviewOutcome:
    """The library's terms after the review's decisions (a kept row takes the reviewer and
    date of the row, else `reviewer` and `today`; a kept row with neither is an error)."""
    current: dict[str, list[Term]] = {}
    for t in library.terms():
        current.setdefault(t.term, []).append(t)
    kept = dropped = undecided = added = 0
    seen: set[str] = set()
    for row in rows:
        if row.term in seen:
            raise ValueError(f"line {row.line}: term {row.term!r} appears twice in the review")
        seen.add(row.term)
        if row.decision == "":
            undecided += 1
            continue
        if row.decision == "drop":
            dropped += row.term in current
            current.pop(row.term, None)
            continue
        who = row.reviewer or reviewer or ""
        if not who:
            raise ValueError(
                f"line {row.line}: kept term {row.term!r} has no reviewer; fill the column or "
                "pass --reviewer"
            )
        when = row.reviewed or today
        added += row.term not in current
        entries = [
            Term(row.term, code, row.tier, row.weight, row.sources, who, when) for code in row.codes
        ]
        for entry in entries:
            entry.check(f"line {row.line}")
        current[row.term] = entries
        kept += 1
    terms = [t for term in sorted(current) for t in current[term]]
    return ReviewOutcome(terms, kept, dropped, undecided, added)

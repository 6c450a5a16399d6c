"""Manual and technical spot checks of curated output (GB/T 45654-2025 B.2.1.2.1).

Pure core, no Beam. A manual spot check samples >= 4,000 items per modality for reviewers and
judges their qualified rate against 96%; a technical spot check runs the detectors on >= 10% of
the output and judges against 98%. Samples are bottom-k samples on a keyed hash of
(seed, record_id), like the source gate, so the same seed re-derives the same sheet.

A reviewer's sheet (CSV or JSON lines) has one row per item: sample_rank, record_id,
source_id, seed, text, and the columns they fill: verdict (qualified / unqualified; also
accepted: 1/0, yes/no, true/false, 合格/不合格), codes (Appendix A codes, optional), note.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from corpusgate.transforms.common import files
from corpusgate.transforms.common.tables import read_table
from corpusgate.transforms.harm.gate.statistics import BottomK, clopper_pearson
from corpusgate.transforms.harm.taxonomy import get_code
from corpusgate.transforms.output.published import Published

__all__ = [
    "MANUAL_MIN_ITEMS",
    "MANUAL_TARGET",
    "TECHNICAL_MIN_FRACTION",
    "TECHNICAL_TARGET",
    "SheetRow",
    "judge",
    "output_population",
    "parse_verdict",
    "read_output_records",
    "read_sheet",
    "sample_output",
    "write_sheet",
]

MANUAL_MIN_ITEMS = 4000  # B.2.1.2.1.1 a, per modality
MANUAL_TARGET = 0.96  # B.2.1.2.1.2 a
TECHNICAL_MIN_FRACTION = 0.10  # B.2.1.2.1.1 b
TECHNICAL_TARGET = 0.98  # B.2.1.2.1.2 b
COLUMNS = ("sample_rank", "record_id", "source_id", "seed", "text", "verdict", "codes", "note")

_QUALIFIED = {"qualified", "1", "yes", "y", "true", "pass", "ok", "合格"}
_UNQUALIFIED = {"unqualified", "0", "no", "n", "false", "fail", "不合格"}


def parse_verdict(value: Any) -> bool | None:
    """True qualified, False unqualified, None when the value is not a verdict."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if not isinstance(value, str):
        return None
    key = value.strip().lower()
    if key in _QUALIFIED:
        return True
    if key in _UNQUALIFIED:
        return False
    return None


def _shards(published: Published) -> list[str]:
    listed = published.listed("shards")
    if not listed:
        raise ValueError(f"{published.run_dir}: the run published no shards")
    return [published.path(f.path) for f in sorted(listed, key=lambda f: f.path)]


def read_output_records(published: Published) -> Iterator[dict[str, str]]:
    """(record_id, source_id, text) of every published record, shard by shard."""
    for location in _shards(published):
        with files.open_read(location) as handle:
            parquet = pq.ParquetFile(handle)
            for batch in parquet.iter_batches(columns=["record_id", "source_id", "text"]):
                yield from batch.to_pylist()


def output_population(published: Published) -> int:
    """Published record count, from the file list (no shard read)."""
    return sum(f.rows for f in published.listed("shards"))


def sample_output(
    records: Iterable[dict[str, str]], size: int, seed: str
) -> tuple[list[dict[str, Any]], int]:
    """The bottom-k sample of `records` as sheet rows (verdict empty), and the population."""
    sample = BottomK(size, seed)
    population = 0
    for record in records:
        population += 1
        sample.add(record["record_id"], (record["source_id"], record["text"]))
    rows = []
    for rank, (_, record_id, (source_id, text)) in enumerate(sample.items(), 1):
        rows.append(
            {
                "sample_rank": rank,
                "record_id": record_id,
                "source_id": source_id,
                "seed": seed,
                "text": text,
                "verdict": "",
                "codes": "",
                "note": "",
            }
        )
    return rows, population


def sample_digest(record_ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(record_ids)).encode("utf-8")).hexdigest()


def technical_size(population: int, fraction: float) -> int:
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction {fraction!r} must be in (0, 1]")
    return max(1, math.ceil(population * fraction))


def write_sheet(rows: list[dict[str, Any]], path: str | Path) -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        # utf-8-sig: spreadsheet programs then open Chinese text correctly.
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    elif suffix in (".jsonl", ".ndjson"):
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        raise ValueError(f"{path}: unsupported sheet type {suffix!r}; use .csv or .jsonl")


@dataclass(frozen=True)
class SheetRow:
    line: int
    record_id: str
    qualified: bool
    codes: tuple[str, ...]
    seed: str


def read_sheet(path: str | Path, known_ids: set[str], max_problems: int = 20) -> list[SheetRow]:
    """A filled sheet's verdicts; ValueError listing every problem (file:line and record id)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    problems: list[str] = []
    rows: list[SheetRow] = []
    seen: dict[str, int] = {}
    for line, row in read_table(path):
        record_id = str(row.get("record_id") or "").strip()
        where = f"{path}:{line}"
        if not record_id:
            problems.append(f"{where}: no record_id")
            continue
        if record_id not in known_ids:
            problems.append(f"{where}: record {record_id} is not in this output's shards")
        if record_id in seen:
            problems.append(f"{where}: record {record_id} repeats line {seen[record_id]}")
        seen.setdefault(record_id, line)
        raw = row.get("verdict")
        verdict = parse_verdict(raw)
        if verdict is None:
            shown = "missing" if raw in (None, "") else f"{raw!r} is not a verdict"
            problems.append(
                f"{where}: record {record_id}: verdict {shown} (qualified / unqualified)"
            )
        codes = tuple(
            c.strip() for c in str(row.get("codes") or "").replace(";", ",").split(",") if c.strip()
        )
        for code in codes:
            try:
                get_code(code)
            except ValueError:
                problems.append(f"{where}: record {record_id}: unknown Appendix A code {code!r}")
        if verdict is not None:
            rows.append(SheetRow(line, record_id, verdict, codes, str(row.get("seed") or "")))
    if not seen and not problems:
        problems.append(f"{path}: no rows")
    if problems:
        more = len(problems) - max_problems
        shown = problems[:max_problems] + ([f"... and {more} more"] if more > 0 else [])
        raise ValueError(f"{len(problems)} problem(s) in the sheet:\n  " + "\n  ".join(shown))
    return rows


def manual_report(rows: list[SheetRow], population: int) -> dict[str, Any]:
    """B.2.1.2.1 a: the qualified rate of a reviewed sample, judged against 96%."""
    seeds = sorted({r.seed for r in rows if r.seed})
    if len(seeds) > 1:
        raise ValueError(f"the sheet's rows come from {len(seeds)} samples (seeds {seeds})")
    report = judge(sum(r.qualified for r in rows), len(rows), MANUAL_TARGET)
    codes: dict[str, int] = {}
    for r in rows:
        for code in r.codes:
            codes[code] = codes.get(code, 0) + 1
    report.update(
        seed=seeds[0] if seeds else None,
        population=population,
        meets_b21211a=len(rows) >= min(MANUAL_MIN_ITEMS, population),
        unqualified_codes=dict(sorted(codes.items())),
        unqualified_ids=sorted(r.record_id for r in rows if not r.qualified),
    )
    return report


def technical_report(
    rows: list[dict[str, Any]], flagged: list[dict[str, Any]], population: int, fraction: float
) -> dict[str, Any]:
    """B.2.1.2.1 b: the share of a >= 10% sample the detectors pass, judged against 98%."""
    report = judge(len(rows) - len(flagged), len(rows), TECHNICAL_TARGET)
    report.update(
        fraction=fraction,
        population=population,
        meets_b21211b=fraction >= TECHNICAL_MIN_FRACTION,
        flagged=flagged,
    )
    return report


def judge(qualified: int, n: int, target: float, alpha: float = 0.05) -> dict[str, Any]:
    """Qualified rate, its exact interval and the judgment against `target` (>= passes)."""
    lo, hi = clopper_pearson(qualified, n, alpha)
    rate = qualified / n
    return {
        "items": n,
        "qualified": qualified,
        "unqualified": n - qualified,
        "qualified_rate": rate,
        "ci_low": lo,
        "ci_high": hi,
        "confidence": 1 - alpha,
        "target": target,
        "judgment": "pass" if rate >= target else "fail",
        # The interval straddles the target: this sample cannot support the judgment.
        "inconclusive": lo < target <= hi,
    }

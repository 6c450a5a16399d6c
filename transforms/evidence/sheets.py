"""The evidence pack as files an assessor opens (GB/T 45654-2025 B.2.1): JSON, CSV, HTML, and
the review sheet whose verdicts come back.

- `evidence.json`: the whole pack (clauses, methods, every item with its checks and evidence);
- `summary.csv`: one row per method; `items.csv`: one row per sampled item;
- `review.csv` (or `.jsonl`): the items a person must judge, in the spot-check sheet's columns
  (`spotcheck` reads the same shape) plus `method`; fill `verdict` (qualified / unqualified)
  and give the sheet back with `corpusgate evidence --verdicts SHEET`;
- `evidence.html`: the summary and every item, self-contained.

No file holds a record's text: the review sheet's `text` column states the question and the
evidence references to read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corpusgate.transforms.common import files
from corpusgate.transforms.common.tables import read_table
from corpusgate.transforms.evidence.pack import BY_KEY, EvidencePack
from corpusgate.transforms.evidence.page import pack_html
from corpusgate.transforms.harm.gate.spotcheck import COLUMNS, parse_verdict

__all__ = ["REVIEW_COLUMNS", "pack_files", "read_verdicts", "review_rows", "write_pack"]

REVIEW_COLUMNS = ("method", *COLUMNS)
SUMMARY_COLUMNS = (
    "clause",
    "method",
    "title",
    "population",
    "rule",
    "prescribed",
    "sample_size",
    "whole_population",
    "passed",
    "failed",
    "needs_review",
    "result",
    "reason",
    "seed",
)
ITEM_COLUMNS = ("clause", "method", "rank", "item_id", "source_id", "status", "checks", "evidence")


def _csv(columns: tuple[str, ...], rows: list[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    # utf-8-sig: spreadsheet programs then open Chinese text correctly (as spot-check sheets).
    return out.getvalue().encode("utf-8-sig")


def review_rows(pack: EvidencePack) -> list[dict[str, Any]]:
    """Items needing a person, as spot-check sheet rows (no record text, ever)."""
    rows = []
    for method in pack.methods:
        if method.method.key == "manual-content":
            continue  # reviewed on their texts through `spotcheck export --seed`
        for item in method.items:
            if item.status != "review":
                continue
            asks = "; ".join(f"{c.name}: {c.detail}" for c in item.checks if c.outcome == "review")
            refs = "; ".join(e.as_text() for e in item.evidence)
            rows.append(
                {
                    "method": method.method.key,
                    "sample_rank": item.rank,
                    "record_id": item.item_id,
                    "source_id": item.source_id,
                    "seed": method.seed,
                    "text": f"{method.method.clause} ({method.method.expected}): {asks}"
                    + (f" | evidence: {refs}" if refs else ""),
                    "verdict": "",
                    "codes": "",
                    "note": "",
                }
            )
    return rows


def pack_files(pack: EvidencePack, review_format: str = "csv") -> dict[str, bytes]:
    if review_format not in ("csv", "jsonl"):
        raise ValueError(f"review sheet format {review_format!r}: use csv or jsonl")
    document = pack.as_dict()
    items = [
        {
            "clause": m["clause"],
            "method": m["method"],
            "rank": i["rank"],
            "item_id": i["item_id"],
            "source_id": i["source_id"],
            "status": i["status"],
            "checks": "; ".join(f"{c['name']}: {c['outcome']}" for c in i["checks"]),
            "evidence": "; ".join(
                f"{e['role']}: {e['path']}" + (f" sha256:{e['sha256']}" if e["sha256"] else "")
                for e in i["evidence"]
            ),
        }
        for m in document["methods"]
        for i in m["items"]
    ]
    review = review_rows(pack)
    if review_format == "csv":
        sheet = _csv(REVIEW_COLUMNS, review)
    else:
        sheet = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in review).encode("utf-8")
    return {
        "evidence.json": json.dumps(document, ensure_ascii=False, indent=2, default=str).encode(),
        "summary.csv": _csv(SUMMARY_COLUMNS, [m.summary() for m in pack.methods]),
        "items.csv": _csv(ITEM_COLUMNS, items),
        f"review.{review_format}": sheet,
        "evidence.html": pack_html(pack).encode("utf-8"),
    }


def write_pack(folder: str, written: Mapping[str, bytes]) -> list[str]:
    """Write the pack's files into `folder` (local or bucket); their locations."""
    locations = []
    for name, data in written.items():
        location = files.join(folder, name)
        files.write_bytes(location, data)
        locations.append(location)
    return locations


def read_verdicts(path: str | Path) -> dict[tuple[str, str], tuple[bool, str]]:
    """(method, item id) -> (qualified, note) from a filled review sheet; rows with an empty
    verdict are skipped (still to do). ValueError naming every bad line."""
    problems = []
    verdicts: dict[tuple[str, str], tuple[bool, str]] = {}
    for line, row in read_table(path, required=("method", "record_id", "verdict")):
        where = f"{path}:{line}"
        method = str(row.get("method") or "").strip()
        item_id = str(row.get("record_id") or "").strip()
        raw = row.get("verdict")
        if method not in BY_KEY:
            problems.append(f"{where}: unknown method {method!r}")
            continue
        if raw in (None, ""):
            continue
        verdict = parse_verdict(raw)
        if verdict is None:
            problems.append(f"{where}: {raw!r} is not a verdict (qualified / unqualified)")
            continue
        verdicts[(method, item_id)] = (verdict, str(row.get("note") or "").strip())
    if problems:
        raise ValueError(f"{len(problems)} problem(s) in the sheet:\n  " + "\n  ".join(problems))
    return verdicts

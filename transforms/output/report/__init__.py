"""The run report an officer hands over (GB/T 45654-2025 4.1.1, 4.1.2, B.2.1): text, JSON, HTML.

Everything comes from files of the run (its manifest, `reports/spotchecks/*.json`, the
evidence pack's `reports/evidence/evidence.json`) and, when given, the usage counted from its
shards, so `corpusgate report` can rebuild it at any time and an assessor can re-derive it.
`run` writes it when it publishes (from the manifest alone); `corpusgate report` and
`corpusgate evidence` rewrite it with the exact usage and the evidence summary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from corpusgate.schemas.reasons import EXACT_DUPLICATE, NEAR_DUPLICATE
from corpusgate.transforms.common import files
from corpusgate.transforms.evidence.diversity import (
    DiversitySettings,
    judge_diversity,
    usage_from_manifest,
)
from corpusgate.transforms.evidence.usage import source_facts
from corpusgate.transforms.output.manifest import format_table

__all__ = [
    "EVIDENCE_SUMMARY",
    "build_report",
    "format_html",
    "format_report",
    "load_evidence",
    "load_spotchecks",
    "report_files",
]

SAMPLE_NOTE = (
    "Gate samples are bottom-k samples on a keyed hash of (seed, record_id), up to the configured "
    "size (default 4,000: the standard's manual spot-check size, B.2.1.2.1 a; 4.1.1 names none); "
    "a smaller source is sampled whole. Intervals are exact (Clopper-Pearson, 95%)."
)
EVIDENCE_SUMMARY = "reports/evidence/evidence.json"  # where `corpusgate evidence` writes by default
META_KEYS = (
    "run_id",
    "started_at",
    "finished_at",
    "config_sha256",
    "pipeline_version",
    "schema_version",
    "runner",
)


def load_spotchecks(run_dir: str) -> list[dict[str, Any]]:
    """The spot checks recorded on a run (`RUN_DIR/reports/spotchecks/*.json`)."""
    folder = files.join(run_dir, "reports", "spotchecks")
    return [
        json.loads(files.read_bytes(location).decode("utf-8"))
        for location in files.list_files(folder)
        if location.endswith(".json")
    ]


def load_evidence(run_dir: str) -> dict[str, Any] | None:
    """The evidence pack's summary when `corpusgate evidence` wrote one into the run."""
    location = files.join(run_dir, EVIDENCE_SUMMARY)
    if not files.exists(location):
        return None
    pack = json.loads(files.read_bytes(location).decode("utf-8"))
    return {
        "run_id": pack.get("run_id"),
        "seed": pack.get("seed"),
        "clauses": pack.get("clauses") or [],
        "methods": [{k: v for k, v in m.items() if k != "items"} for m in pack["methods"]],
        "location": EVIDENCE_SUMMARY,
    }


def gate_rows(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for source_id, gate in (manifest.get("checks") or {}).get("gate", []):
        rows.append(
            {
                "source_id": source_id,
                **{
                    k: gate.get(k)
                    for k in (
                        "sample_size",
                        "population",
                        "flagged",
                        "rate",
                        "ci_low",
                        "ci_high",
                        "decision",
                        "inconclusive",
                        "settling_sample_size",
                        "seed",
                        "assessment_id",
                        "sampled_whole_source",
                    )
                },
            }
        )
    return sorted(rows, key=lambda r: r["source_id"])


def build_report(
    manifest: dict[str, Any],
    spotchecks: list[dict[str, Any]],
    *,
    usage: Mapping[tuple[str, str], int] | None = None,
    evidence: dict[str, Any] | None = None,
    diversity_settings: DiversitySettings | None = None,
) -> dict[str, Any]:
    """The report's content. `usage`: records used per (source, language) counted from the
    shards; without it the diversity section counts what the manifest saw when reading."""
    if usage is None:
        basis, counted = "records read, of sources that wrote records (manifest)", None
    else:
        basis, counted = "records written (shards)", dict(usage)
    diversity = judge_diversity(
        source_facts(manifest),
        counted if counted is not None else usage_from_manifest(manifest),
        diversity_settings,
        basis=basis,
    )
    return {
        "run_id": manifest["run_id"],
        "meta": {k: manifest.get(k) for k in META_KEYS},
        "sources": manifest["sources"],
        "totals": manifest["totals"],
        "balanced": bool(manifest.get("balanced")),
        "gate": gate_rows(manifest),
        "gate_note": SAMPLE_NOTE,
        "not_collected": manifest.get("not_collected") or {},
        "languages": manifest.get("languages") or {},
        "diversity": diversity.as_dict(),
        "spotchecks": [s for s in spotchecks if s.get("kind") != "manual_export"],
        "evidence": evidence,
        "dedup": dedup_rows(manifest),
    }


def dedup_rows(manifest: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Per source: duplicates removed, and the source whose copy was kept instead (4.2.1).
    None when the run did not deduplicate."""
    dedup = manifest.get("dedup")
    if not dedup:
        return None
    rows = []
    for source_id, counts in sorted(manifest["sources"].items()):
        by_reason = counts.get("quarantined_by_reason") or {}
        lost = (dedup.get("lost_to") or {}).get(source_id, {})
        rows.append(
            {
                "source_id": source_id,
                "exact_duplicate": by_reason.get(EXACT_DUPLICATE, 0),
                "near_duplicate": by_reason.get(NEAR_DUPLICATE, 0),
                "lost_to": dict(sorted(lost.items(), key=lambda kv: (-kv[1], kv[0]))),
            }
        )
    return rows


def _dedup_lines(rows: list[dict[str, Any]], manifest: dict[str, Any]) -> list[str]:
    settings = (manifest.get("dedup") or {}).get("settings") or {}
    lines = [
        f"duplicates removed (GB/T 45654 4.2.1), threshold {settings.get('threshold')} "
        f"({settings.get('method')}); kept copy's source:"
    ]
    for row in rows:
        if not (row["exact_duplicate"] or row["near_duplicate"]):
            continue
        lost = ", ".join(f"{source} {n}" for source, n in row["lost_to"].items())
        lines.append(
            f"  {row['source_id']:<28} exact {row['exact_duplicate']:>5}  "
            f"near {row['near_duplicate']:>5}  kept in: {lost or '-'}"
        )
    if len(lines) == 1:
        lines.append("  none")
    return lines


def _gate_line(row: dict[str, Any]) -> str:
    decision = row["decision"] or "?"
    if row.get("inconclusive"):
        decision += f" (inconclusive: {row['settling_sample_size']} items would settle it)"
    if row.get("sampled_whole_source"):
        spread = "whole source: exact rate"
    else:
        spread = f"95% CI [{row['ci_low']:.2%}, {row['ci_high']:.2%}]"
    return (
        f"{row['source_id']:<28} {row['flagged']:>4}/{row['sample_size']:<5} "
        f"rate {row['rate']:6.2%}  {spread}  {decision}"
    )


def _spotcheck_line(check: dict[str, Any]) -> str:
    result = check.get("result") or check
    if "qualified_rate" not in result:
        return f"{check.get('kind')}: {json.dumps(check, ensure_ascii=False)[:120]}"
    verdict = result["judgment"] + (" (inconclusive)" if result.get("inconclusive") else "")
    return (
        f"{check.get('kind')}: {result['qualified']}/{result['items']} qualified "
        f"({result['qualified_rate']:.2%}, 95% CI [{result['ci_low']:.2%}, {result['ci_high']:.2%}]) "
        f"against {result['target']:.0%}: {verdict}"
    )


def _diversity_lines(diversity: dict[str, Any]) -> list[str]:
    lines = [
        f"diversity of sources (GB/T 45654 4.1.2, B.2.1.1.2): {diversity['result']} "
        f"(counted: {diversity['basis']})",
        f"  run: {diversity['records']} records, {diversity['domestic_share']:.1%} domestic",
    ]
    for cell in diversity["cells"]:
        lines.append(
            f"  {cell['modality']}/{cell['language']:<4} {len(cell['sources'])} sources  "
            f"{cell['records']:>6} records  {cell['domestic_share']:.1%} domestic"
            + ("  (not judged)" if cell["incidental"] else "")
        )
    lines += [f"  {j['clause']}: {j['result']}: {j['reason']}" for j in diversity["judgments"]]
    return lines


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    lines = [f"evidence pack (B.2.1), seed {evidence['seed']!r}: {evidence['location']}"]
    for m in evidence["methods"]:
        lines.append(
            f"  {m['clause']:<12} {m['title'][:48]:<48} {m['sample_size']:>5}/{m['population']:<6}"
            f" pass {m['passed']:>4} fail {m['failed']:>4} review {m['needs_review']:>4}  "
            f"{m['result']}"
        )
    return lines


def format_report(report: dict[str, Any], manifest: dict[str, Any]) -> str:
    lines = [format_table(manifest)]
    if report["gate"]:
        lines += ["", "5% gate, post-collection verification (GB/T 45654 4.1.1 b):"]
        lines += [f"  {_gate_line(row)}" for row in report["gate"]]
        lines.append(f"  {report['gate_note']}")
    if report.get("diversity"):
        lines += ["", *_diversity_lines(report["diversity"])]
    if report.get("dedup") is not None:
        lines += ["", *_dedup_lines(report["dedup"], manifest)]
    if report["spotchecks"]:
        lines += ["", "spot checks (B.2.1.2.1):"]
        lines += [f"  {_spotcheck_line(check)}" for check in report["spotchecks"]]
    if report.get("evidence"):
        lines += ["", *_evidence_lines(report["evidence"])]
    return "\n".join(lines)


def format_html(report: dict[str, Any], manifest: dict[str, Any]) -> str:
    from corpusgate.transforms.output.report.page import report_html

    return report_html(report, manifest)


def report_files(
    manifest: dict[str, Any],
    spotchecks: list[dict[str, Any]],
    *,
    usage: Mapping[tuple[str, str], int] | None = None,
    evidence: dict[str, Any] | None = None,
) -> dict[str, str | dict[str, Any]]:
    """What goes into OUTPUT/reports/: sources.json, sources.txt, sources.html."""
    report = build_report(manifest, spotchecks, usage=usage, evidence=evidence)
    return {
        "sources.json": report,
        "sources.txt": format_report(report, manifest) + "\n",
        "sources.html": format_html(report, manifest),
    }

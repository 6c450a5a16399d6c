"""The per-source accept/reject report: text, JSON and HTML from the manifest and spot checks.

Everything comes from files of the run (its manifest, `reports/spotchecks/*.json`),
so `corpusgate report` can rebuild it at any time and an assessor can re-derive it.
"""

from __future__ import annotations

import html
import json
from typing import Any

from corpusgate.transforms.common import files
from corpusgate.transforms.output.manifest import format_table

SAMPLE_NOTE = (
    "Gate samples are bottom-k samples on a keyed hash of (seed, record_id), up to the configured "
    "size (default 4,000: the standard's manual spot-check size, B.2.1.2.1 a; 4.1.1 names none); "
    "a smaller source is sampled whole. Intervals are exact (Clopper-Pearson, 95%)."
)


def load_spotchecks(run_dir: str) -> list[dict[str, Any]]:
    """The spot checks recorded on a run (`RUN_DIR/reports/spotchecks/*.json`)."""
    folder = files.join(run_dir, "reports", "spotchecks")
    return [
        json.loads(files.read_bytes(location).decode("utf-8"))
        for location in files.list_files(folder)
        if location.endswith(".json")
    ]


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


def build_report(manifest: dict[str, Any], spotchecks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "run_id": manifest["run_id"],
        "sources": manifest["sources"],
        "totals": manifest["totals"],
        "gate": gate_rows(manifest),
        "gate_note": SAMPLE_NOTE,
        "not_collected": manifest.get("not_collected") or {},
        "spotchecks": [s for s in spotchecks if s.get("kind") != "manual_export"],
    }


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


def format_report(report: dict[str, Any], manifest: dict[str, Any]) -> str:
    lines = [format_table(manifest)]
    if report["gate"]:
        lines += ["", "5% gate, post-collection verification (GB/T 45654 4.1.1 b):"]
        lines += [f"  {_gate_line(row)}" for row in report["gate"]]
        lines.append(f"  {report['gate_note']}")
    if report["spotchecks"]:
        lines += ["", "spot checks (B.2.1.2.1):"]
        lines += [f"  {_spotcheck_line(check)}" for check in report["spotchecks"]]
    return "\n".join(lines)


def format_html(report: dict[str, Any], manifest: dict[str, Any]) -> str:
    e = html.escape
    head = (
        "<tr><th>source</th><th>kind</th><th>read</th><th>written</th><th>quarantined</th>"
        "<th>by reason</th></tr>"
    )
    body = []
    for source_id, row in report["sources"].items():
        kind = (row.get("registry_entry") or {}).get("kind", "")
        reasons = ", ".join(f"{e(r)} {n}" for r, n in row["quarantined_by_reason"].items()) or "-"
        body.append(
            f"<tr><td>{e(source_id)}</td><td>{e(kind)}</td><td>{row['read']}</td>"
            f"<td>{row['written']}</td><td>{row['quarantined']}</td><td>{reasons}</td></tr>"
        )
    gate = "".join(f"<li>{e(_gate_line(r))}</li>" for r in report["gate"])
    spot = "".join(f"<li>{e(_spotcheck_line(c))}</li>" for c in report["spotchecks"])
    skipped = "".join(
        f"<li>{e(sid)}: {e(why['reason'])}</li>" for sid, why in report["not_collected"].items()
    )
    verdict = "balanced" if manifest.get("balanced") else "NOT BALANCED"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>corpusgate report {e(report['run_id'])}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left}"
        "table{border-collapse:collapse}tr:nth-child(even){background:#f3f3f3}</style></head><body>"
        f"<h1>Run {e(report['run_id'])}</h1><p>read = written + quarantined: <b>{verdict}</b></p>"
        f"<table>{head}{''.join(body)}</table>"
        + (f"<h2>Not collected</h2><ul>{skipped}</ul>" if skipped else "")
        + (
            f"<h2>5% gate (4.1.1 b)</h2><ul>{gate}</ul><p>{e(report['gate_note'])}</p>"
            if gate
            else ""
        )
        + (f"<h2>Spot checks (B.2.1.2.1)</h2><ul>{spot}</ul>" if spot else "")
        + "</body></html>\n"
    )


def report_files(
    manifest: dict[str, Any], spotchecks: list[dict[str, Any]]
) -> dict[str, str | dict[str, Any]]:
    """What goes into OUTPUT/reports/: sources.json, sources.txt, sources.html."""
    report = build_report(manifest, spotchecks)
    return {
        "sources.json": report,
        "sources.txt": format_report(report, manifest) + "\n",
        "sources.html": format_html(report, manifest),
    }

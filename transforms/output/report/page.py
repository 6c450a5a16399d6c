"""The run report as one self-contained HTML page (GB/T 45654-2025 4.1.1, 4.1.2, B.2.1).

Sections: run metadata, totals, per-source accept/reject (table with a totals row and a bar
chart by reason), the 5% gate's rates with their intervals against the 5% line, the language
and origin mix with the 4.1.2 judgment, spot checks, and the evidence pack's summary when one
was written. Plots come from `plots` (matplotlib SVG, inlined).
"""

from __future__ import annotations

from typing import Any

from corpusgate.transforms.output.report.html import badge, definition_list, esc, page, table
from corpusgate.transforms.output.report.plots import gate_plot, mix_plot, outcome_plot

__all__ = ["evidence_section", "report_html"]


def _pct(value: Any) -> str:
    return "" if value is None else f"{float(value):.2%}"


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def _meta(report: dict[str, Any]) -> str:
    meta = report["meta"]
    return definition_list(
        [
            ("run id", meta.get("run_id")),
            ("started", meta.get("started_at")),
            ("finished", meta.get("finished_at")),
            ("config sha256", meta.get("config_sha256")),
            ("pipeline version", meta.get("pipeline_version")),
            ("schema version", meta.get("schema_version")),
            ("runner", meta.get("runner")),
            (
                "balance",
                "read = written + quarantined for every source"
                if report["balanced"]
                else "NOT BALANCED",
            ),
        ]
    )


def _sources(report: dict[str, Any]) -> str:
    counts = ["read", "written", "quarantined"]
    if report["totals"].get("withdrawn"):
        counts.append("withdrawn")
    rows = []
    for source_id, row in report["sources"].items():
        entry = row.get("registry_entry") or {}
        reasons = ", ".join(f"{r} {n}" for r, n in row["quarantined_by_reason"].items()) or "-"
        rows.append(
            [
                source_id,
                str(entry.get("kind") or ""),
                str(entry.get("origin") or ""),
                *(f"{row.get(c, 0):,}" for c in counts),
                reasons,
            ]
        )
    totals = report["totals"]
    total = [
        "TOTAL",
        "",
        "",
        *(f"{totals.get(c, 0):,}" for c in counts),
        ", ".join(f"{r} {n}" for r, n in totals["quarantined_by_reason"].items()) or "-",
    ]
    numeric = range(3, 3 + len(counts))
    body = table(
        ["source", "kind", "origin", *counts, "quarantined by reason"],
        rows,
        numeric=numeric,
        total=total,
    )
    skipped = "".join(
        f"<li>{esc(sid)}: {esc(why['reason'])}</li>" for sid, why in report["not_collected"].items()
    )
    plot = _figure(
        outcome_plot(report["sources"]),
        "Records per source: written (green) and quarantined, stacked by reason.",
    )
    return (
        "<h2>Sources: accepted and rejected</h2>"
        + body
        + plot
        + (f"<h3>Not collected</h3><ul>{skipped}</ul>" if skipped else "")
    )


def _dedup(report: dict[str, Any]) -> str:
    rows = report.get("dedup")
    if rows is None:
        return ""
    shown = [r for r in rows if r["exact_duplicate"] or r["near_duplicate"]]
    body = (
        table(
            ["source", "exact duplicates", "near duplicates", "kept copy from"],
            [
                [
                    r["source_id"],
                    f"{r['exact_duplicate']:,}",
                    f"{r['near_duplicate']:,}",
                    ", ".join(f"{s} {n}" for s, n in r["lost_to"].items()) or "-",
                ]
                for r in shown
            ],
            numeric=range(1, 3),
        )
        if shown
        else "<p>No duplicates were found.</p>"
    )
    return (
        "<h2>Duplicates removed (4.2.1)</h2><p class='note'>Each removed record yields to one "
        "kept copy; `corpusgate audit` on it names that copy and the estimated similarity.</p>"
        + body
    )


def _gate(report: dict[str, Any]) -> str:
    if not report["gate"]:
        return ""
    rows = [
        [
            r["source_id"],
            f"{r['flagged']}/{r['sample_size']}",
            str(r.get("population") or ""),
            _pct(r["rate"]),
            "whole source"
            if r.get("sampled_whole_source")
            else f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]",
            badge(r["decision"] or "?")
            + (
                f" inconclusive: {r['settling_sample_size']} items would settle it"
                if r.get("inconclusive")
                else ""
            ),
        ]
        for r in report["gate"]
    ]
    escaped = [[esc(v) for v in row[:-1]] + [row[-1]] for row in rows]
    return (
        "<h2>The 5% gate: post-collection verification (4.1.1 b)</h2>"
        + table(
            ["source", "flagged / sample", "population", "rate", "95% interval", "decision"],
            escaped,
            numeric=(1, 2, 3),
            raw=True,
        )
        + _figure(
            gate_plot(report["gate"]),
            "Sampled rate per source with its 95% exact "
            "interval; the dashed line is the 5% rule (reject above it).",
        )
        + f"<p class='note'>{esc(report['gate_note'])}</p>"
    )


def _diversity(report: dict[str, Any]) -> str:
    d = report["diversity"]
    rows = [
        [
            esc(f"{c['modality']}/{c['language']}"),
            esc(len(c["sources"])),
            esc(", ".join(c["sources"])),
            esc(f"{c['records']:,}"),
            esc(f"{c['domestic_records']:,}"),
            esc(f"{c['foreign_records']:,}"),
            esc(f"{c['domestic_share']:.1%}"),
            "not judged (incidental)" if c["incidental"] else "judged",
        ]
        for c in d["cells"]
    ]
    total = [
        "TOTAL",
        "",
        "",
        f"{d['records']:,}",
        f"{d['domestic_records']:,}",
        f"{d['foreign_records']:,}",
        f"{d['domestic_share']:.1%}",
        "",
    ]
    judgments = "".join(
        f"<li>{badge(j['result'])} <b>{esc(j['clause'])}</b> {esc(j['expectation'])}: "
        f"{esc(j['reason'])}</li>"
        for j in d["judgments"]
    )
    plot = (
        _figure(mix_plot(d["cells"]), "Records per modality and language: domestic and foreign.")
        if d["cells"]
        else ""
    )
    return (
        f"<h2>Language and origin mix: diversity of sources (4.1.2, B.2.1.1.2) "
        f"{badge(d['result'])}</h2>"
        + table(
            [
                "modality/language",
                "sources",
                "which",
                "records",
                "domestic",
                "foreign",
                "domestic share",
                "",
            ],
            rows,
            numeric=(1, 3, 4, 5, 6),
            total=[esc(v) for v in total],
            raw=True,
        )
        + plot
        + f"<ul>{judgments}</ul>"
        + f"<p class='note'>Counted: {esc(d['basis'])}. {esc(d['not_judged'])}.</p>"
    )


def _spotchecks(report: dict[str, Any]) -> str:
    checks = report["spotchecks"]
    if not checks:
        return (
            "<h2>Spot checks (B.2.1.2.1)</h2><p class='note'>None recorded on this run yet "
            "(corpusgate spotcheck export / import / technical).</p>"
        )
    rows = []
    for check in checks:
        result = check.get("result") or check
        if "qualified_rate" not in result:
            continue
        rows.append(
            [
                esc(check.get("kind")),
                esc(f"{result['qualified']}/{result['items']}"),
                esc(_pct(result["qualified_rate"])),
                esc(f"[{_pct(result['ci_low'])}, {_pct(result['ci_high'])}]"),
                esc(f">= {result['target']:.0%}"),
                badge(result["judgment"]) + (" inconclusive" if result.get("inconclusive") else ""),
            ]
        )
    return "<h2>Spot checks (B.2.1.2.1)</h2>" + table(
        ["kind", "qualified", "rate", "95% interval", "target", "judgment"],
        rows,
        numeric=(1, 2),
        raw=True,
    )


def evidence_section(evidence: dict[str, Any] | None, *, heading: str = "h2") -> str:
    """The evidence pack's summary: one row per clause, then one per method."""
    if not evidence:
        return (
            f"<{heading}>Evidence pack (B.2.1)</{heading}><p class='note'>Not drawn yet: "
            "corpusgate evidence --output OUTPUT writes it and this summary.</p>"
        )
    clauses = [
        [
            esc(c["clause"]),
            esc(", ".join(c["methods"])),
            esc(c["sample_size"]),
            esc(c["passed"]),
            esc(c["failed"]),
            esc(c["needs_review"]),
            badge(c["result"]),
        ]
        for c in evidence["clauses"]
    ]
    methods = [
        [
            esc(m["clause"]),
            esc(m["title"]),
            esc(m["rule"]),
            esc(f"{m['population']:,}"),
            esc(f"{m['sample_size']:,}" + (" (whole)" if m["whole_population"] else "")),
            esc(m["passed"]),
            esc(m["failed"]),
            esc(m["needs_review"]),
            badge(m["result"]) + f" <span class='note'>{esc(m['reason'])}</span>",
        ]
        for m in evidence["methods"]
    ]
    return (
        f"<{heading}>Evidence pack (B.2.1): seed {esc(evidence['seed'])}</{heading}>"
        + table(
            ["clause", "methods", "sample", "passed", "failed", "needs review", "result"],
            clauses,
            numeric=(2, 3, 4, 5),
            raw=True,
        )
        + "<h3>Per method</h3>"
        + table(
            [
                "method",
                "what",
                "prescribed",
                "population",
                "sample",
                "passed",
                "failed",
                "review",
                "result",
            ],
            methods,
            numeric=(3, 4, 5, 6, 7),
            raw=True,
        )
    )


def report_html(report: dict[str, Any], manifest: dict[str, Any]) -> str:
    del manifest  # everything shown is in the report; the argument keeps the old signature
    body = (
        f"<h1>corpusgate run report</h1><p class='note'>GB/T 45654-2025 training data: "
        f"run {esc(report['run_id'])}</p>"
        + "<h2>Run</h2>"
        + _meta(report)
        + _sources(report)
        + _gate(report)
        + _dedup(report)
        + _diversity(report)
        + _spotchecks(report)
        + evidence_section(report.get("evidence"))
    )
    return page(f"corpusgate report {report['run_id']}", body)

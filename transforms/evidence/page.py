"""The evidence pack as one self-contained HTML page (GB/T 45654-2025 B.2.1).

The clause and method summary (shared with the run report), then every method's items: id,
source, status, each check with its outcome and detail, and the evidence references. No text
of a record appears; identifiers of people only as keyed subject hashes.
"""

from __future__ import annotations

from corpusgate.transforms.evidence.pack import DOCUMENT_REVIEWS, EvidencePack
from corpusgate.transforms.output.report.html import badge, esc, page, table
from corpusgate.transforms.output.report.page import evidence_section

__all__ = ["pack_html"]


def pack_html(pack: EvidencePack) -> str:
    summary = {**pack.summary(), "location": "evidence.json"}
    parts = [
        f"<h1>Evidence pack, GB/T 45654-2025 B.2.1</h1><p class='note'>run "
        f"{esc(pack.run_id)}; samples re-derive from the seed {esc(pack.seed)} "
        "(each method's seed is SEED/METHOD).</p>",
        evidence_section(summary),
    ]
    if pack.diversity is not None:
        judged = "".join(
            f"<li>{badge(j.result)} <b>{esc(j.clause)}</b> {esc(j.reason)}</li>"
            for j in pack.diversity.judgments
        )
        parts.append(f"<h2>B.2.1.1.2 diversity of sources</h2><ul>{judged}</ul>")
    docs = "".join(f"<li>{esc(c)}: {esc(d)}</li>" for c, d in DOCUMENT_REVIEWS)
    parts.append(f"<h2>Documents the assessor reads (not sampled)</h2><ul>{docs}</ul>")
    for method in pack.methods:
        m = method.method
        rows = [
            [
                esc(item.rank),
                esc(item.item_id),
                esc(item.source_id),
                badge(item.status),
                "<br>".join(
                    f"{badge(c.outcome)} {esc(c.name)}: {esc(c.detail)}" for c in item.checks
                ),
                "<br>".join(esc(e.as_text()) for e in item.evidence)
                + "".join(f"<br>{esc(k)}: {esc(v)}" for k, v in item.facts),
            ]
            for item in method.items
        ]
        parts.append(
            f"<h2 id='{esc(m.key)}'>{esc(m.clause)} {esc(m.title)} {badge(method.result)}</h2>"
            f"<p>Expected: {esc(m.expected)}. Population: {esc(m.population)}, "
            f"{method.population:,}. Sample: {esc(method.note)}; seed {esc(method.seed)}. "
            f"{esc(method.reason)}.</p>"
            + (
                table(["#", "item", "source", "status", "checks", "evidence"], rows, raw=True)
                if rows
                else ""
            )
        )
    return page(f"corpusgate evidence {pack.run_id}", "".join(parts))

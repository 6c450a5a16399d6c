"""HTML building blocks of the reports an assessor hands over (GB/T 45654-2025 B.2.1).

One stylesheet and a few helpers, so the run report and the evidence pack look alike. Pages
are self-contained: inline CSS, inline SVG, no script and nothing fetched, so a page opens
offline and prints the same everywhere. Tables sit in a scrolling box and long tokens (hashes,
ids) wrap, so a narrow window never pushes the page sideways.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = ["CSS", "badge", "definition_list", "esc", "page", "table"]

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",sans-serif;
 margin:0;color:#1d2327;background:#fff;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .5em;
 border-bottom:1px solid #d0d7de;padding-bottom:.2em}h3{font-size:1.05em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{padding:4px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #e5e7eb;
 overflow-wrap:break-word}
th{background:#f6f8fa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;
 white-space:nowrap}
tr.total td{font-weight:600;border-top:2px solid #1d2327;background:#f6f8fa}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
figure{margin:12px 0}figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:.85em;color:#57606a}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.85em;font-weight:600}
.compliant,.pass,.accept{background:#dafbe1;color:#116329}
.non_compliant,.fail,.reject{background:#ffebe9;color:#a40e26}
.pending,.review{background:#fff8c5;color:#7d4e00}
.not_applicable{background:#eaeef2;color:#57606a}
.note{color:#57606a;font-size:.9em}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def badge(value: str) -> str:
    return f"<span class='badge {esc(value)}'>{esc(value.replace('_', ' '))}</span>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Iterable[int] = (),
    total: Sequence[str] | None = None,
    raw: bool = False,
) -> str:
    """A table in a scrolling box. Cells are escaped unless `raw` (callers then escape)."""
    right = set(numeric)

    def cell(tag: str, i: int, value: str) -> str:
        cls = " class='n'" if i in right else ""
        return f"<{tag}{cls}>{value if raw else esc(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    if total is not None:
        body += (
            "<tr class='total'>" + "".join(cell("td", i, v) for i, v in enumerate(total)) + "</tr>"
        )
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def definition_list(pairs: Iterable[tuple[str, object]]) -> str:
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs) + "</dl>"


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )

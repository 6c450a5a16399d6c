"""The report's plots (GB/T 45654-2025 4.1.1, 4.1.2, B.2.1): static SVG drawn by matplotlib.

Figures are built on matplotlib's object API with the Agg canvas (no pyplot, no global
backend switch, so a notebook's own plotting is untouched) and saved as SVG with text kept as
text (`svg.fonttype: none`): the numbers on a plot can be searched and read by a test. Each
SVG is inlined in the HTML; a page needs no script and fetches nothing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["gate_plot", "mix_plot", "outcome_plot"]

WRITTEN_COLOUR = "#2da44e"
DOMESTIC_COLOUR = "#0969da"
FOREIGN_COLOUR = "#bf8700"
REJECT_COLOUR = "#cf222e"
ACCEPT_COLOUR = "#1f6feb"
# Quarantine reasons in a fixed order of colours, so one reason keeps its colour across plots.
REASON_COLOURS = (
    "#cf222e",
    "#fb8f44",
    "#8250df",
    "#bf3989",
    "#9a6700",
    "#57606a",
    "#e16f24",
    "#a475f9",
    "#d4a72c",
    "#6e7781",
    "#ff8182",
    "#c297ff",
    "#f6c343",
    "#4d2d00",
    "#0550ae",
    "#8c959f",
)
_XML_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)  # RDF creator notes: not shown


def _svg(figure: Figure, name: str) -> str:
    FigureCanvasAgg(figure)
    out = io.StringIO()
    # The salt makes element ids stable (and distinct between the page's plots); no date, so
    # the same run draws the same bytes.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = _METADATA.sub("", _XML_PROLOGUE.sub("", out.getvalue(), count=1), count=1)
    return svg.replace("<svg ", f"<svg role='img' aria-label='{name}' data-plot='{name}' ", 1)


def _height(rows: int) -> float:
    return max(2.2, 0.42 * rows + 1.3)


def outcome_plot(sources: Mapping[str, Mapping[str, Any]]) -> str:
    """Per source: records written, and quarantined stacked by reason."""
    names = list(sources)[::-1]  # matplotlib draws the first bar at the bottom
    reasons = sorted({r for row in sources.values() for r in row["quarantined_by_reason"]})
    figure = Figure(figsize=(9, _height(len(names))))
    axes = figure.add_subplot()
    left = [float(sources[n]["written"]) for n in names]
    axes.barh(names, left, color=WRITTEN_COLOUR, label="written")
    for i, reason in enumerate(reasons):
        counts = [float(sources[n]["quarantined_by_reason"].get(reason, 0)) for n in names]
        axes.barh(
            names, counts, left=left, label=reason, color=REASON_COLOURS[i % len(REASON_COLOURS)]
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    for y, n in enumerate(names):
        axes.text(left[y], y, f" {sources[n]['read']:,} read", va="center", fontsize=8)
    axes.set_xlabel("records")
    axes.set_xlim(0, max([*left, 1.0]) * 1.18)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, "outcomes")


def gate_plot(rows: Sequence[Mapping[str, Any]], threshold: float = 0.05) -> str:
    """Per source: the gate's sampled rate with its exact interval, against the 5% line."""
    rows = list(rows)[::-1]
    figure = Figure(figsize=(9, _height(len(rows))))
    axes = figure.add_subplot()
    for y, row in enumerate(rows):
        rate = float(row["rate"] or 0.0)
        low = float(row["ci_low"] if row["ci_low"] is not None else rate)
        high = float(row["ci_high"] if row["ci_high"] is not None else rate)
        colour = REJECT_COLOUR if row["decision"] == "reject" else ACCEPT_COLOUR
        axes.errorbar(
            [rate * 100],
            [y],
            xerr=[[max(0.0, rate - low) * 100], [max(0.0, high - rate) * 100]],
            fmt="o",
            color=colour,
            capsize=4,
        )
        label = f"  {rate:.1%} ({row['flagged']}/{row['sample_size']}) {row['decision']}"
        axes.text(high * 100, y, label, va="center", fontsize=8)
    axes.axvline(threshold * 100, color=REJECT_COLOUR, linestyle="--", linewidth=1)
    axes.text(
        threshold * 100, len(rows) - 0.4, f" {threshold:.0%} line", color=REJECT_COLOUR, fontsize=8
    )
    axes.set_yticks(range(len(rows)), [str(r["source_id"]) for r in rows])
    top = max([float(r["ci_high"] or r["rate"] or 0.0) for r in rows] + [threshold]) * 100
    axes.set_xlim(0, top * 1.45 + 1)
    axes.set_ylim(-0.6, len(rows) - 0.2)
    axes.set_xlabel("flagged share of the sample, % (95% exact interval)")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, "gate")


def mix_plot(cells: Sequence[Mapping[str, Any]]) -> str:
    """Per modality and language: domestic and foreign records, with the number of sources."""
    cells = list(cells)[::-1]
    labels = [f"{c['modality']}/{c['language']}" for c in cells]
    figure = Figure(figsize=(9, _height(len(cells))))
    axes = figure.add_subplot()
    domestic = [float(c["domestic_records"]) for c in cells]
    foreign = [float(c["foreign_records"]) for c in cells]
    axes.barh(labels, domestic, color=DOMESTIC_COLOUR, label="domestic")
    axes.barh(labels, foreign, left=domestic, color=FOREIGN_COLOUR, label="foreign")
    for y, c in enumerate(cells):
        n = len(c["sources"])
        axes.text(
            domestic[y] + foreign[y],
            y,
            f" {c['records']:,} records, {n} source{'s' if n != 1 else ''}",
            va="center",
            fontsize=8,
        )
    axes.set_xlim(0, max([d + f for d, f in zip(domestic, foreign, strict=True)] + [1.0]) * 1.35)
    axes.set_xlabel("records")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, "mix")

"""Scores with their confidence intervals as inline SVG: one small panel per metric and pair.

Drawn here rather than in the browser so the chart needs no JavaScript, carries no library, and is
as deterministic as the tables. Colours come from the page's CSS classes. Baselines are not points
among the systems but dashed reference lines across the panel, labelled above it.
"""

from __future__ import annotations

import math

from bench.board import fmt
from bench.board.collect import PairBoard
from bench.board.markup import Markup, el

WIDTH = 520
LABEL = 170  # room for "rank  system" left of the plot
RIGHT = 14
ROW = 26
TOP = 6
AXIS = 26
NAME_CHARS = 22
BASELINE = 16  # height of one baseline's label row above the plot


def ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering ``[low, high]``."""
    raw = (high - low) / count
    unit = 10 ** math.floor(math.log10(raw))
    step = next(m * unit for m in (1, 2, 2.5, 5, 10) if m * unit >= raw)
    first = math.ceil(low / step)
    return [round(k * step, 10) for k in range(first, math.floor(high / step) + 1)]


def domain(values: list[float]) -> tuple[float, float]:
    """The plotted range: the values plus a margin, which never reaches below 0 for scores that don't."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or max(abs(high) * 0.05, 0.01)
    return (low - pad if low - pad >= 0 or low < 0 else 0.0), high + pad


def short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1] + "…"


def panel(board: PairBoard, metric: str) -> Markup:
    entries = [e for e in board.entries if metric in e.scores]
    scores = [e.scores[metric] for e in entries]
    lines = [(e.system, e.scores[metric].score) for e in board.baselines if metric in e.scores]
    optimum = board.directions[metric].optimum
    values = [v for s in scores for v in (s.score, s.ci_low, s.ci_high) if v is not None]
    low, high = domain(values + [v for _, v in lines] + ([optimum] if optimum is not None else []))
    places = fmt.column_digits(board, metric)
    top = TOP + BASELINE * len(lines)
    height = top + ROW * len(entries) + AXIS
    bottom = top + ROW * len(entries)

    def x(value: float) -> str:
        return f"{LABEL + (value - low) / (high - low) * (WIDTH - LABEL - RIGHT):.1f}"

    shapes = [el("rect", x=0, y=top + ROW * i, width=WIDTH, height=ROW, class_=f"band band-{band}")
              for i, band in enumerate(fmt.cluster_bands(entries))]
    for tick in ticks(low, high):
        shapes.append(el("line", x1=x(tick), x2=x(tick), y1=top, y2=bottom, class_="grid"))
        shapes.append(el("text", f"{tick:g}", x=x(tick), y=bottom + 16, class_="tick"))
    if optimum is not None:
        shapes.append(el("line", el("title", f"best: {optimum:g}"), x1=x(optimum), x2=x(optimum), y1=top,
                         y2=bottom, class_="optimum"))
    for i, (name, value) in enumerate(lines):
        label = f"{name} (baseline): {fmt.number(value, places)}"
        shapes.append(el("g", el("title", label),
                         el("line", x1=x(value), x2=x(value), y1=TOP + BASELINE * i + 12, y2=bottom,
                            class_="baseline"),
                         el("text", label, x=x(value), y=TOP + BASELINE * i + 10,
                            text_anchor="end" if float(x(value)) > WIDTH / 2 else "start",
                            class_="baseline-label"),
                         class_="reference-line"))
    for i, (entry, score) in enumerate(zip(entries, scores)):
        y = top + ROW * i + ROW / 2
        label = f"{entry.system}: {fmt.with_ci(score, places)}"
        row = [el("title", label),
               el("text", fmt.rank(entry), x=12, y=y + 4, class_="rank-label"),
               el("text", short(entry.system), x=LABEL - 10, y=y + 4, class_="name")]
        if score.ci_low is not None and score.ci_high is not None:
            row += [el("line", x1=x(score.ci_low), x2=x(score.ci_high), y1=y, y2=y, class_="ci"),
                    *(el("line", x1=x(v), x2=x(v), y1=y - 5, y2=y + 5, class_="ci")
                      for v in (score.ci_low, score.ci_high))]
        row.append(el("circle", cx=x(score.score), cy=y, r=4.5, class_="dot"))
        shapes.append(el("g", row, class_="point"))
    caption = el("figcaption", el("strong", metric), f" ({board.directions[metric].describe()})")
    svg = el("svg", shapes, xmlns="http://www.w3.org/2000/svg", viewBox=f"0 0 {WIDTH} {height}",
             width=WIDTH, height=height, role="img",
             aria_label=f"{metric} on {board.pair}, each system's score with its confidence interval")
    return el("figure", caption, svg, class_="chart")


def charts(board: PairBoard) -> Markup:
    return el("div", [panel(board, metric) for metric in board.metrics
                      if any(metric in e.scores for e in board.entries)], class_="charts")

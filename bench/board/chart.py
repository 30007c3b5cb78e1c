"""Scores with their confidence intervals as inline SVG: one small panel per metric and pair.

Drawn here rather than in the browser so the chart needs no JavaScript, carries no library, and is
as deterministic as the tables. Colours come from the page's CSS classes. Baselines are not points
among the systems but dashed reference lines across the panel, labelled above it.

A panel is drawn at the width of a phone's column (340 px): each system's row holds its rank, name
and score on one line and its interval under them, across the whole width, so the panel is shown at
its own size on a 390-pixel screen (labels stay 11.5-12.5 px, where a wider panel scaled down to fit
drew them at 6-8 px) and panels sit three or four to a row on a desktop screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bench.board import fmt
from bench.board.collect import PairBoard
from bench.board.markup import Markup, el
from bench.core.score import Score

WIDTH = 340
LEFT = 10  # the plot's margins, within which every value is drawn
RIGHT = 14
ROW = 36  # one system: the label line, then its interval
LINE = 14  # baseline of the label line within a row
BAR = 27  # the interval's height within a row
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
        return f"{LEFT + (value - low) / (high - low) * (WIDTH - LEFT - RIGHT):.1f}"

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
        row, y = top + ROW * i, top + ROW * i + BAR
        shapes.append(el("g", el("text", fmt.rank(entry), x=LEFT, y=row + LINE, class_="rank-label"),
                         el("text", short(entry.system), x=LEFT + 22, y=row + LINE, class_="name"),
                         el("text", fmt.with_ci(score, places), x=WIDTH - RIGHT, y=row + LINE,
                            class_="value"),
                         whisker(score, y, x),
                         el("circle", cx=x(score.score), cy=y, r=4.5, class_="dot"), class_="point"))
    caption = el("figcaption", el("strong", metric), f" ({board.directions[metric].describe()})")
    svg = el("svg", shapes, xmlns="http://www.w3.org/2000/svg", viewBox=f"0 0 {WIDTH} {height}",
             width=WIDTH, height=height, role="img",
             aria_label=f"{metric} on {board.pair}, each system's score with its confidence interval")
    return el("figure", caption, svg, class_="chart")


def whisker(score: Score, y: float, x: Callable[[float], str]) -> Markup | None:
    """The interval as one path: a line with a cap at each end; nothing when no interval was stored."""
    if score.ci_low is None or score.ci_high is None:
        return None
    low, high = x(score.ci_low), x(score.ci_high)
    return el("path", d=f"M{low} {y - 5}v10M{low} {y}H{high}M{high} {y - 5}v10", class_="ci")


def charts(board: PairBoard) -> Markup:
    return el("div", [panel(board, metric) for metric in board.metrics
                      if any(metric in e.scores for e in board.entries)], class_="charts")

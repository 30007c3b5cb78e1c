"""How numbers and settings read on the board; shared by the Markdown and HTML pages so both say the
same thing the same way. (The CSV keeps full precision and formats nothing.)"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bench.board.collect import Entry, PairBoard, Significance
from bench.metrics.base import Score

METHODS = {"bootstrap": "paired bootstrap resampling", "ar": "approximate randomization"}


def digits(values: Iterable[float | None]) -> int:
    """Three decimals for small numbers (COMET on 0–1, a length ratio near 1), one for 0–100 scales."""
    magnitudes = [abs(v) for v in values if v is not None]
    return 3 if magnitudes and max(magnitudes) < 2.0 else 1


def column_digits(board: PairBoard, metric: str) -> int:
    """One precision per column, so the numbers of a column line up."""
    scores = [e.scores[metric] for e in (*board.entries, *board.stale) if metric in e.scores]
    return digits(v for s in scores for v in (s.score, s.ci_low, s.ci_high))


def number(value: float, places: int) -> str:
    return f"{value:.{places}f}"


def interval(score: Score, places: int) -> str:
    """``[21.0–25.9]``, or nothing when no interval was stored."""
    if score.ci_low is None or score.ci_high is None:
        return ""
    return f"[{number(score.ci_low, places)}–{number(score.ci_high, places)}]"


def with_ci(score: Score | None, places: int) -> str:
    """``23.4 [21.0–25.9]``; the bare score when no interval was stored; an en dash when absent."""
    if score is None:
        return "–"
    return f"{number(score.score, places)} {interval(score, places)}".rstrip()


def share(score: Score | None) -> str:
    """The off-target rate, stored in percent."""
    return "–" if score is None else f"{score.score:.1f}%"


def day(entry: Entry) -> str:
    """The run's date (UTC) from its ISO ``created`` stamp."""
    return entry.created[:10] or "–"


def rank(entry: Entry) -> str:
    return "–" if entry.rank is None else str(entry.rank)


def versions(found: dict[str, str]) -> str:
    return ", ".join(f"{name} {version}" for name, version in sorted(found.items())) or "none recorded"


def bootstrap(settings: list[dict[str, Any]]) -> str:
    """``95% percentile bootstrap, 1000 resamples (seed 12345)``, one clause per distinct setting."""
    if not settings:
        return "no confidence intervals recorded"
    return "; ".join(f"{100 * float(s['confidence']):g}% {s['method']} bootstrap, "
                     f"{s['samples']} resamples (seed {s['seed']})" for s in settings)


def ranking(board: PairBoard, significance: Significance) -> str:
    """The sentence that says what a rank on this table means (the rule of ``rank_clusters``)."""
    if board.rank_metric is None:
        return "Not ranked."
    method = METHODS.get(significance.method, significance.method)
    return (f"Ranked by {board.rank_metric}. A system shares the rank of the best system of its cluster "
            f"unless it is significantly worse than that system ({method}, p < {significance.alpha:g}); "
            "a rank counts the systems above it.")


def cluster_bands(entries: list[Entry]) -> list[int]:
    """0/1 per entry, flipping where the rank changes: shades each significance cluster as one block."""
    bands, band = [], 0
    for i, entry in enumerate(entries):
        if i and entry.rank != entries[i - 1].rank:
            band = 1 - band
        bands.append(band)
    return bands

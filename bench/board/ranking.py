"""Significance clusters with a correction for multiple comparisons, and what a test set can resolve.

:func:`bench.metrics.significance.rank_clusters` tests each system against the head of its cluster at
level ``alpha`` and corrects for nothing: with 50 systems, some neighbours are "significantly"
apart by chance. ``correction: holm`` (the default) tests the head against *every* system below it
and applies Holm's step-down correction to that family: the cluster runs from the head to the first
system that is still significantly worse after the correction, which then heads the next cluster.

Tests are :mod:`bench.metrics.significance`'s own, with its defaults (1000 resamples or 10000
trials, seed 12345); for the bootstrap each system is resampled once and reused by every test it
takes part in, so testing the head against every system costs a subtraction per test.

The *resolution* of a pair is the smallest difference its segments can tell apart: the half-width
of the ``1 - alpha`` interval of the bootstrap differences between neighbouring systems, the median
over the neighbours. A difference below it is within the noise of this test set.
"""

from __future__ import annotations

import numpy as np

from bench.metrics.base import Metric
from bench.metrics.significance import SAMPLES, SEED, comparer, rank_clusters, resampled

CORRECTIONS = ("holm", "none")


def holm_rejects(p_values: list[float], alpha: float) -> list[bool]:
    """Holm's step-down: the k-th smallest p-value (from 0) is rejected at ``alpha / (m - k)`` while
    every smaller one was; the first one kept keeps all larger ones. Controls the family-wise error."""
    order = sorted(range(len(p_values)), key=lambda i: (p_values[i], i))
    rejected = [False] * len(p_values)
    for k, i in enumerate(order):
        if not p_values[i] < alpha / (len(p_values) - k):
            break
        rejected[i] = True
    return rejected


def best_first(systems: dict[str, np.ndarray], metric: Metric) -> list[str]:
    score = {name: float(metric.goodness(metric.aggregate(rows))) for name, rows in systems.items()}
    return sorted(systems, key=lambda name: (-score[name], name))


def clusters(systems: dict[str, np.ndarray], metric: Metric, alpha: float = 0.05, method: str = "bootstrap",
             correction: str = "holm") -> dict[str, int]:
    """``{system: rank}``; systems not significantly apart share one (competition ranking, 1, 1, 3)."""
    stats = {name: np.asarray(rows, dtype=np.float64) for name, rows in systems.items()}
    if correction == "none":
        return rank_clusters(stats, metric, alpha=alpha, method=method)
    p = comparer(method, metric, stats)
    order = best_first(stats, metric)
    ranks: dict[str, int] = {}
    start = 0
    while start < len(order):
        head, rest = order[start], order[start + 1:]
        rejected = holm_rejects([p(head, other) for other in rest], alpha)
        size = next((i for i, r in enumerate(rejected) if r), len(rest))
        for name in (head, *rest[:size]):
            ranks[name] = start + 1
        start += 1 + size
    return ranks


def resolution(systems: dict[str, np.ndarray], metric: Metric, alpha: float = 0.05) -> float | None:
    """The smallest score difference these segments resolve (module docstring), in the metric's units;
    None with fewer than two systems."""
    stats = {name: np.asarray(rows, dtype=np.float64) for name, rows in systems.items()}
    order = best_first(stats, metric)
    if len(order) < 2:
        return None
    good = {name: resampled(metric, rows, SAMPLES, SEED) for name, rows in stats.items()}
    return float(np.median([half_width(good[a] - good[b], alpha) for a, b in zip(order, order[1:])]))


def half_width(differences: np.ndarray, alpha: float) -> float:
    """Half the width of the ``1 - alpha`` percentile interval of resampled differences."""
    low, high = np.quantile(differences, [alpha / 2, 1 - alpha / 2])
    return float(high - low) / 2

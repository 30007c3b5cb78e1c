"""How far a metric agrees with human judgments: pure functions of score matrices, no files.

Everything here works on two views of the same ``S`` systems and ``N`` segments (items):

* **system level** — a *system-scores function* maps bootstrap draw counts ``(K, N)`` to system scores
  ``(K, S)``; the counts of the full test set are one row of ones. Human scores are means of segment
  scores (:func:`mean_scores`); a corpus metric (BLEU, chrF) re-aggregates its per-segment statistics,
  so the statistic of a resample is the statistic of the systems *as scored on that resample*;
* **segment level** — ``(S, N)`` matrices of metric and human segment scores, compared within each
  item (the systems' translations of one source), the WMT23 "group by item" convention.

Every statistic comes with a percentile bootstrap interval over segments: the same draws (seeded
``numpy.random.default_rng``, :func:`bench.metrics.bootstrap.resample_counts`) for every statistic, so
a run is deterministic and two metrics are judged on the same resamples. Metric scores must be in
"larger is better" form (:meth:`bench.metrics.base.Metric.goodness`), so agreement is positive for
every metric. Formulas are in ``docs/human-evaluation.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from bench.core.score import Bootstrap
from bench.metrics.bootstrap import resample_counts

#: draw counts ``(K, N)`` -> system scores ``(K, S)``
SystemScores = Callable[[np.ndarray], np.ndarray]

SYSTEM_STATISTICS = ("pearson", "kendall", "pairwise_accuracy")
SEGMENT_STATISTICS = ("acc_eq", "tau_eq")
#: 1000 resamples, seed 12345, 95%: the board's own bootstrap settings
DEFAULT_BOOTSTRAP = Bootstrap()


@dataclass(frozen=True)
class Estimate:
    """One agreement statistic: its value on all segments and its bootstrap interval."""

    statistic: str
    level: str  # "system" or "segment"
    value: float
    ci_low: float
    ci_high: float
    #: segments (items) the statistic was computed on
    n: int
    #: systems compared
    systems: int


def mean_scores(segments: np.ndarray) -> SystemScores:
    """System scores as the mean of segment scores ``(S, N)`` (human scores, COMET-like metrics)."""
    segments = np.asarray(segments, dtype=np.float64)

    def scores(counts: np.ndarray) -> np.ndarray:
        return (counts @ segments.T) / counts.sum(axis=1, keepdims=True)

    return scores


# --- system level, vectorised over rows (resamples) -------------------------------------------------

def pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r of each row of ``x`` with the same row of ``y`` (``(K, S)`` each); NaN where a row
    is constant."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dx = x - x.mean(axis=-1, keepdims=True)
    dy = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (dx * dy).sum(-1) / np.sqrt((dx * dx).sum(-1) * (dy * dy).sum(-1))


def _pair_signs(x: np.ndarray, epsilon: float = 0.0) -> np.ndarray:
    """``sign(x_i - x_j)`` for every pair ``i < j`` of the last axis; ``|difference| <= epsilon`` is a
    tie."""
    x = np.asarray(x, dtype=np.float64)
    i, j = np.triu_indices(x.shape[-1], k=1)
    diff = x[..., i] - x[..., j]
    return np.where(np.abs(diff) <= epsilon, 0.0, np.sign(diff))


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b per row: ``(C - D) / sqrt((P - T_x)(P - T_y))`` (ties in either are counted
    apart, as :func:`scipy.stats.kendalltau` does by default)."""
    sx, sy = _pair_signs(x), _pair_signs(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sx * sy).sum(-1) / np.sqrt((sx * sx).sum(-1) * (sy * sy).sum(-1))


def pairwise_accuracy(metric: np.ndarray, human: np.ndarray) -> np.ndarray:
    """Share of system pairs the metric orders as the humans do (Kocmi et al. 2021); a pair tied by
    both counts as agreement, a pair tied by one only as disagreement."""
    return (_pair_signs(metric) == _pair_signs(human)).mean(axis=-1)


SYSTEM_FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "pearson": pearson, "kendall": kendall_tau_b, "pairwise_accuracy": pairwise_accuracy}


# --- segment level: per item, then the mean over items ---------------------------------------------

def item_agreement(metric: np.ndarray, human: np.ndarray, epsilon: float = 0.0) -> dict[str, np.ndarray]:
    """``acc_eq`` and ``tau_eq`` of every item (column) of two ``(S, N)`` matrices.

    Over the system pairs of one item: C concordant, D discordant, T_h tied by humans only, T_m by the
    metric only, T_hm by both (the metric ties within ``epsilon``). ``acc_eq = (C + T_hm) / P`` and
    ``tau_eq = (C + T_hm - D - T_h - T_m) / P`` with ``P`` all pairs (Deutsch et al. 2023, WMT23).
    """
    sm = _pair_signs(np.asarray(metric, dtype=np.float64).T, epsilon)  # (N, P)
    sh = _pair_signs(np.asarray(human, dtype=np.float64).T)
    agree = (sm == sh).mean(axis=1)  # C + T_hm
    return {"acc_eq": agree, "tau_eq": 2 * agree - 1}


def bootstrap_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of resampled values; resamples where the statistic is undefined are left
    out (a resample of identical segments), NaN if all are."""
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def system_agreement(metric: SystemScores, human: SystemScores, n: int, systems: int,
                     bootstrap: Bootstrap = DEFAULT_BOOTSTRAP) -> list[Estimate]:
    """Pearson, Kendall tau-b and pairwise accuracy of the metric's system scores with the humans',
    over ``n`` segments, each with its bootstrap interval."""
    whole = np.ones((1, n))
    draws = list(resample_counts(n, bootstrap.samples, bootstrap.seed))
    metric_rows = [metric(c) for c in draws]
    human_rows = [human(c) for c in draws]
    out = []
    for name in SYSTEM_STATISTICS:
        fn = SYSTEM_FUNCTIONS[name]
        value = float(fn(metric(whole), human(whole))[0])
        resampled = np.concatenate([fn(m, h) for m, h in zip(metric_rows, human_rows)])
        out.append(Estimate(name, "system", value, *bootstrap_interval(resampled, bootstrap.confidence),
                            n=n, systems=systems))
    return out


def segment_agreement(metric: np.ndarray, human: np.ndarray, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
                      epsilon: float = 0.0) -> list[Estimate]:
    """``acc_eq`` and ``tau_eq`` grouped by item (the mean of the items' values) over the columns of two
    ``(S, N)`` matrices, each with its bootstrap interval over items."""
    systems, n = np.shape(human)
    per_item = item_agreement(metric, human, epsilon)
    out = []
    for name in SEGMENT_STATISTICS:
        values = per_item[name]
        resampled = np.concatenate([(c @ values) / c.sum(axis=1)
                                    for c in resample_counts(n, bootstrap.samples, bootstrap.seed)])
        out.append(Estimate(name, "segment", float(values.mean()),
                            *bootstrap_interval(resampled, bootstrap.confidence), n=n, systems=systems))
    return out


def contradicted(ranks: Mapping[str, int], human: Mapping[str, float]) -> tuple[list[tuple[str, str]], int]:
    """The metric's significant orderings the humans reverse, and how many orderings there are.

    An ordering is a pair of systems in different significance clusters (``ranks``, 1 = best): the
    metric claims the better-ranked one is better. The humans contradict it when they score the other
    one strictly higher. Only systems with both a rank and a human score count.
    """
    names = sorted(set(ranks) & set(human))
    claims = [(a, b) for a in names for b in names if ranks[a] < ranks[b]]
    return [(a, b) for a, b in claims if human[b] > human[a]], len(claims)

"""Paired significance tests between two systems on the same segments, and rank clusters.

Both tests work on stored per-segment statistics, through :meth:`Metric.aggregate_weighted`, so they
never re-tokenize or re-run a model, and they are vectorised for additive metrics. They follow
:mod:`sacrebleu.significance` (same random draws for the same seed, same statistic), which a test
checks on BLEU:

- paired bootstrap resampling (Koehn 2004, as in Moses and sacrebleu): draw the same segment indices
  for both systems, centre the resampled absolute differences and count how often they exceed the
  observed difference;
- paired approximate randomization (Riezler and Maxwell 2005): swap each segment's outputs between
  the systems with probability 1/2 and count how often the shuffled difference exceeds the observed.

Both return ``(c + 1) / (trials + 1)``, a two-sided p-value that is never 0 (see :func:`_p_value`
for the one deliberate difference from sacrebleu: ties count, so identical systems get p = 1).
Differences are taken on :meth:`Metric.goodness`, so lower-is-better metrics and the length ratio
(distance to 1) work as is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from bench.metrics.base import Metric
from bench.metrics.bootstrap import CHUNK_ELEMENTS, bootstrap_scores

METHODS = ("bootstrap", "ar")
#: the defaults of both tests, which :func:`rank_clusters` uses (the seed is sacrebleu's)
SAMPLES, TRIALS, SEED = 1000, 10000, 12345


def _pair(stats_a: np.ndarray, stats_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(stats_a, dtype=np.float64), np.asarray(stats_b, dtype=np.float64)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"paired test needs the same segments: {a.shape[0]} vs {b.shape[0]} rows")
    return a, b


def _p_value(differences: np.ndarray, observed: float) -> float:
    """``(c + 1) / (trials + 1)`` with ``c`` the trials at least as extreme as the observed difference.

    "At least" (``>=``) as Riezler and Maxwell define it; sacrebleu counts strictly greater ones,
    which makes two identical systems "significantly different" (p = 1 / (trials + 1)). The two
    agree whenever no trial ties the observed difference exactly, which is the case for systems
    that differ on more than a handful of segments.
    """
    return float((np.sum(differences >= observed) + 1) / (len(differences) + 1))


def _observed(metric: Metric, a: np.ndarray, b: np.ndarray) -> float:
    return float(abs(metric.goodness(metric.aggregate(a)) - metric.goodness(metric.aggregate(b))))


def resampled(metric: Metric, stats: np.ndarray, samples: int, seed: int) -> np.ndarray:
    return metric.goodness(bootstrap_scores(metric, stats, samples, seed))


def _bootstrap_p(resampled_a: np.ndarray, resampled_b: np.ndarray, observed: float) -> float:
    diffs = np.abs(resampled_a - resampled_b)
    return _p_value(diffs - diffs.mean(), observed)


def paired_bootstrap(metric: Metric, stats_a: np.ndarray, stats_b: np.ndarray, samples: int = SAMPLES,
                     seed: int = SEED) -> float:
    """p-value of the paired bootstrap test that systems A and B differ on ``metric``."""
    a, b = _pair(stats_a, stats_b)
    return _bootstrap_p(resampled(metric, a, samples, seed), resampled(metric, b, samples, seed),
                        _observed(metric, a, b))


def approximate_randomization(metric: Metric, stats_a: np.ndarray, stats_b: np.ndarray,
                              trials: int = TRIALS, seed: int = SEED) -> float:
    """p-value of the paired approximate randomization test that A and B differ on ``metric``."""
    a, b = _pair(stats_a, stats_b)
    n = len(a)
    keep = np.random.default_rng(seed).integers(2, size=(trials, n), dtype=bool)
    stacked = np.vstack([a, b])  # a pseudo-system takes row i from A (first half) or B (second half)
    step = max(1, CHUNK_ELEMENTS // max(2 * n, 1))
    diffs = []
    for start in range(0, trials, step):
        chunk = keep[start:start + step]
        as_a = np.hstack([chunk, ~chunk]).astype(np.float64)
        as_b = np.hstack([~chunk, chunk]).astype(np.float64)
        diffs.append(np.abs(metric.goodness(metric.aggregate_weighted(stacked, as_a))
                            - metric.goodness(metric.aggregate_weighted(stacked, as_b))))
    return _p_value(np.concatenate(diffs), _observed(metric, a, b))


def comparer(method: str, metric: Metric, stats: dict[str, np.ndarray]) -> Callable[[str, str], float]:
    """``(a, b) -> p`` for two systems of ``stats`` by ``method``, with the tests' defaults.

    For the bootstrap, each system's resampled scores are computed once and kept: a head is tested
    against every system that joins its cluster, and a system that opens a cluster was resampled as
    the one tested. The draws are the same for all systems, so the p-values are exactly those of
    :func:`paired_bootstrap`, for half the work (one resampling per system instead of two per test).
    """
    if method == "ar":
        return lambda a, b: approximate_randomization(metric, stats[a], stats[b])
    if method != "bootstrap":
        raise ValueError(f"method={method!r}: choose one of {', '.join(METHODS)}")
    of = functools.cache(lambda name: resampled(metric, stats[name], SAMPLES, SEED))

    def compare(a: str, b: str) -> float:
        return _bootstrap_p(of(a), of(b), _observed(metric, *_pair(stats[a], stats[b])))

    return compare


def rank_clusters(systems: dict[str, np.ndarray], metric: Metric, alpha: float = 0.05,
                  method: str = "bootstrap") -> dict[str, int]:
    """Rank systems on one pair so that systems not significantly apart share a rank.

    Clustering, precisely: sort systems best first by corpus score (``goodness``; ties by name). The
    best system opens cluster 1 and is its *head*. Each next system is tested (``method``, default
    seeds and sample counts) against the head of the current cluster: if it is significantly worse
    (p < ``alpha``) it opens a new cluster and becomes its head, otherwise it joins the current one.
    A cluster's rank is 1 + the number of systems sorted above its head (competition ranking:
    1, 1, 3, ...). Comparing with the head, not the previous system, keeps a long chain of small
    steps from merging systems that are clearly apart. No multiple-comparison correction is made.
    """
    stats = {name: np.asarray(rows, dtype=np.float64) for name, rows in systems.items()}
    compare = comparer(method, metric, stats)
    score = {name: float(metric.goodness(metric.aggregate(rows))) for name, rows in stats.items()}
    order = sorted(stats, key=lambda name: (-score[name], name))
    ranks: dict[str, int] = {}
    head, rank = None, 1
    for position, name in enumerate(order, start=1):
        if head is None or compare(head, name) < alpha:
            head, rank = name, position
        ranks[name] = rank
    return ranks

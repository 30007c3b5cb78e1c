"""Bootstrap confidence intervals: one resampling scheme for every metric.

A resample draws segment indices with replacement from ``numpy.random.default_rng(seed)`` (the same
draw :mod:`sacrebleu.significance` makes, so results line up with it), turns them into per-segment draw
counts and hands those to :meth:`Metric.aggregate_weighted`. Only stored per-segment statistics are
resampled: nothing is re-tokenized and no model runs again, which is why 1000 resamples of BLEU cost
less than scoring once. The interval is the percentile interval of the resampled corpus scores.

The draws depend only on the segment count, the number of resamples and the seed, never on the
system or the metric; counting them (a ``bincount`` over samples x segments) costs ten times the
resampling itself. So the count matrices are made once per process and shared by every system,
pair and metric of that size: a ``score`` batch of 50 systems, and the leaderboard, which re-derives
every interval and runs a paired bootstrap per ranked system, count once per test-set size.

What is written must be what :mod:`bench.store.runs` believes when it reads ``scores.json`` back: at most
:data:`~bench.core.score.MAX_BOOTSTRAP_SAMPLES` resamples (refused in preflight beyond that) and at most
:data:`~bench.core.score.MAX_RESAMPLED_ROWS` resampled rows in all. A pair too long for the chosen
resamples gets fewer (:meth:`Bootstrap.for_rows`), and the number used is what its score records.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator

import numpy as np

from bench.core.score import Bootstrap, Score
from bench.metrics.base import Metric

#: cap on the elements of one weight matrix, so a long test set does not need gigabytes at once
CHUNK_ELEMENTS = 4_000_000


def bootstrap_indices(n: int, samples: int, seed: int) -> np.ndarray:
    """``(samples, n)`` segment indices drawn with replacement, exactly as sacrebleu draws them."""
    return np.random.default_rng(seed).choice(n, size=(samples, n), replace=True)


def index_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """Per-row draw counts ``(k, n)`` of an index matrix ``(k, m)``, by one flat ``bincount``."""
    k = idx.shape[0]
    flat = (idx + np.arange(k)[:, None] * n).ravel()
    return np.bincount(flat, minlength=k * n).reshape(k, n).astype(np.float64)


def resample_counts(n: int, samples: int, seed: int) -> Iterator[np.ndarray]:
    """The draw counts of the bootstrap of ``n`` segments, ``(k, n)`` chunks of at most
    :data:`CHUNK_ELEMENTS` elements; row ``i`` says how often each segment is in resample ``i``.

    When all resamples fit in one chunk (1000 of up to 4,000 segments), the matrix is shared; a
    longer test set gets its chunks made afresh each time, so memory stays bounded. The indices are
    drawn chunk by chunk from one generator, which gives the same draws as one ``(samples, n)`` call.
    """
    step = max(1, CHUNK_ELEMENTS // max(n, 1))
    if samples <= step:
        yield _shared_counts(n, samples, seed)
        return
    rng = np.random.default_rng(seed)
    for start in range(0, samples, step):
        yield index_counts(rng.choice(n, size=(min(step, samples - start), n), replace=True), n)


@functools.lru_cache(maxsize=4)
def _shared_counts(n: int, samples: int, seed: int) -> np.ndarray:
    """One test-set size's count matrix (at most 32 MB), read-only because every caller shares it;
    four sizes cover the pairs of one test set and a second bootstrap setting."""
    counts = index_counts(bootstrap_indices(n, samples, seed), n)
    counts.flags.writeable = False
    return counts


def bootstrap_scores(metric: Metric, stats: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Corpus score of each of ``samples`` resamples of ``stats`` drawn with ``seed``."""
    stats = np.asarray(stats, dtype=np.float64)
    parts = [metric.aggregate_weighted(stats, counts)
             for counts in resample_counts(len(stats), samples, seed)]
    return np.concatenate(parts) if parts else np.empty(0)


def confidence_interval(metric: Metric, stats: np.ndarray, bootstrap: Bootstrap) -> tuple[float, float]:
    """Percentile bootstrap interval of the corpus score at ``bootstrap.confidence``."""
    scores = bootstrap_scores(metric, stats, bootstrap.samples, bootstrap.seed)
    tail = (1.0 - bootstrap.confidence) / 2.0
    low, high = np.quantile(scores, [tail, 1.0 - tail])
    return float(low), float(high)


def with_confidence_interval(score: Score, metric: Metric, bootstrap: Bootstrap) -> Score:
    """``score`` with ``ci_low``/``ci_high`` from its stored stats and the bootstrap settings recorded."""
    if not score.stats:
        return score
    bootstrap = bootstrap.for_rows(len(score.stats))
    low, high = confidence_interval(metric, np.asarray(score.stats, dtype=np.float64), bootstrap)
    return dataclasses.replace(score, ci_low=low, ci_high=high,
                               extra={**score.extra, "bootstrap": bootstrap.record()})

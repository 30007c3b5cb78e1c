"""Bootstrap confidence intervals: one resampling scheme for every metric.

A resample draws segment indices with replacement from ``numpy.random.default_rng(seed)`` (the same
draw :mod:`sacrebleu.significance` makes, so results line up with it), turns them into per-segment draw
counts and hands those to :meth:`Metric.aggregate_weighted`. Only stored per-segment statistics are
resampled: nothing is re-tokenized and no model runs again, which is why 1000 resamples of BLEU cost
less than scoring once. The interval is the percentile interval of the resampled corpus scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.errors import BenchError
from bench.metrics.base import Metric, Score

#: cap on the elements of one weight matrix, so a long test set does not need gigabytes at once
CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class Bootstrap:
    samples: int = 1000
    seed: int = 12345
    confidence: float = 0.95

    @classmethod
    def from_cfg(cls, cfg: Mapping[str, Any] | None) -> Bootstrap:
        """From the ``bootstrap:`` config node (any mapping); missing keys take the defaults.

        Hydra does not type-check plain YAML, so values are checked here, in preflight, rather than
        failing inside numpy after a whole run has been translated.
        """
        cfg = dict(cfg or {})
        samples, seed = cfg.get("samples", cls.samples), cfg.get("seed", cls.seed)
        confidence = cfg.get("confidence", cls.confidence)
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise BenchError(f"bootstrap.samples={samples!r}: must be a whole number of at least 1")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise BenchError(f"bootstrap.seed={seed!r}: must be a whole number of at least 0")
        if isinstance(confidence, bool) or not isinstance(confidence, int | float) \
                or not 0 < confidence < 1:
            raise BenchError(f"bootstrap.confidence={confidence!r}: must be between 0 and 1, e.g. 0.95")
        return cls(samples=samples, seed=seed, confidence=float(confidence))

    def record(self) -> dict[str, Any]:
        """What is stored beside an interval so that it can be reproduced."""
        return {"method": "percentile", "samples": self.samples, "seed": self.seed,
                "confidence": self.confidence}


def bootstrap_indices(n: int, samples: int, seed: int) -> np.ndarray:
    """``(samples, n)`` segment indices drawn with replacement, exactly as sacrebleu draws them."""
    return np.random.default_rng(seed).choice(n, size=(samples, n), replace=True)


def index_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """Per-row draw counts ``(k, n)`` of an index matrix ``(k, m)``, by one flat ``bincount``."""
    k = idx.shape[0]
    flat = (idx + np.arange(k)[:, None] * n).ravel()
    return np.bincount(flat, minlength=k * n).reshape(k, n).astype(np.float64)


def resampled_scores(metric: Metric, stats: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Corpus score of every resample (one per row of ``idx``), in chunks of bounded memory."""
    stats = np.asarray(stats, dtype=np.float64)
    n = len(stats)
    step = max(1, CHUNK_ELEMENTS // max(n, 1))
    parts = [metric.aggregate_weighted(stats, index_counts(idx[i:i + step], n))
             for i in range(0, len(idx), step)]
    return np.concatenate(parts) if parts else np.empty(0)


def confidence_interval(metric: Metric, stats: np.ndarray, bootstrap: Bootstrap) -> tuple[float, float]:
    """Percentile bootstrap interval of the corpus score at ``bootstrap.confidence``."""
    idx = bootstrap_indices(len(stats), bootstrap.samples, bootstrap.seed)
    scores = resampled_scores(metric, stats, idx)
    tail = (1.0 - bootstrap.confidence) / 2.0
    low, high = np.quantile(scores, [tail, 1.0 - tail])
    return float(low), float(high)


def with_confidence_interval(score: Score, metric: Metric, bootstrap: Bootstrap) -> Score:
    """``score`` with ``ci_low``/``ci_high`` from its stored stats and the bootstrap settings recorded."""
    if not score.stats:
        return score
    low, high = confidence_interval(metric, np.asarray(score.stats, dtype=np.float64), bootstrap)
    return dataclasses.replace(score, ci_low=low, ci_high=high,
                               extra={**score.extra, "bootstrap": bootstrap.record()})

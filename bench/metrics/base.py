"""The interface every metric implements, and the score record stored in ``scores.json``.

A score never travels without its signature (how it was computed), and it carries what resampling
needs: per-segment sufficient statistics (BLEU's n-gram counts, chrF's character statistics) or
per-segment scores (COMET). Bootstrap confidence intervals and significance tests resample those rows;
they never re-tokenize or re-run a model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass
class Score:
    metric: str
    score: float
    signature: str
    #: one row per segment, the statistics :meth:`Metric.aggregate` turns into a corpus score
    stats: list[list[float]] | None = None
    #: one human-readable score per segment, where the metric has one (sentence chrF, COMET)
    segments: list[float] | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != {}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Score":
        return cls(**data)


class Metric(ABC):
    """``score(sources, hypotheses, references, src_lang=, tgt_lang=) -> Score``."""

    #: key in scores.json, e.g. "bleu", "chrf", "comet"
    name: str
    #: higher is better? (TER, off-target share and |length ratio - 1| are lower-is-better)
    higher_is_better: bool = True

    def check(self, pairs: list[tuple[str, str]]) -> None:
        """Preflight: raise BenchError within seconds if a resource (checkpoint) is missing."""

    @abstractmethod
    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        """Score a system's output for one pair, with per-segment stats for resampling."""

    @abstractmethod
    def aggregate(self, stats: np.ndarray) -> float:
        """Corpus score from a (possibly resampled) matrix of per-segment statistics."""

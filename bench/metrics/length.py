"""Length ratio: total output length over total reference length.

Below 1 a system drops content (or stops early), above 1 it adds or repeats; BLEU's brevity penalty
only sees the first. Length is counted in characters (``unit: chars``, the default, fair to Chinese,
which has no spaces) or whitespace-separated tokens (``unit: tokens``). Segment stats are
``[output length, reference length]``, so the corpus ratio is a ratio of sums, not a mean of ratios.
Closer to 1 is better (``optimum = 1``): ranks and significance tests compare ``|ratio - 1|``.
"""

from __future__ import annotations

import numpy as np

from bench.core.errors import BenchError
from bench.core.score import Score
from bench.metrics.base import AdditiveMetric

UNITS = ("chars", "tokens")


def length(text: str, unit: str) -> int:
    return len(text.strip()) if unit == "chars" else len(text.split())


class LengthRatio(AdditiveMetric):
    higher_is_better = False
    optimum = 1.0

    def __init__(self, name: str = "length_ratio", unit: str = "chars") -> None:
        if unit not in UNITS:
            raise BenchError(f"metric.{name}.unit={unit}: choose one of {', '.join(UNITS)}")
        self.name = name
        self.unit = unit

    def expected_signature(self, src_lang: str, tgt_lang: str) -> str:
        return f"unit:{self.unit}|strip:yes"

    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        rows = [[length(h, self.unit), length(r, self.unit)] for h, r in zip(hypotheses, references)]
        stats = np.array(rows, dtype=np.float64).reshape(-1, 2)
        return Score(metric=self.name, score=self.aggregate(stats),
                     signature=self.expected_signature(src_lang, tgt_lang), stats=rows,
                     segments=self.segment_scores(stats))

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        sums = np.asarray(sums, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(sums[:, 1] > 0, sums[:, 0] / sums[:, 1], np.where(sums[:, 0] > 0, np.inf, 1.0))

"""A score and the resampling settings it was made with: the record every stage passes on.

``scores.json`` holds :class:`Score` records (written by the metrics, read back by the run-folder
contract in :mod:`bench.store.runs`, shown by the board), so the type lives below all three. The
limits on resampling live here too, because the writer (:meth:`Bootstrap.for_rows`) and the reader
of ``scores.json`` must agree on them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from bench.core.errors import BenchError

#: scores beyond this many bootstrap resamples are not believed (a recomputation must stay cheap)
MAX_BOOTSTRAP_SAMPLES = 100_000
#: nor beyond this many resampled rows in all (re-deriving the interval must stay a fraction of a second)
MAX_RESAMPLED_ROWS = 200_000_000


def limits() -> str:
    return f"samples <= {MAX_BOOTSTRAP_SAMPLES}, samples x rows <= {MAX_RESAMPLED_ROWS}"


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
        """The fields that are set. Shallow: ``asdict`` would deep-copy every statistics row (65 ms for
        a chrF score of 2,000 segments, ten times the JSON encoding) on every save of scores.json."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in values.items() if v is not None and v != {}}


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
        if isinstance(samples, bool) or not isinstance(samples, int) \
                or not 1 <= samples <= MAX_BOOTSTRAP_SAMPLES:
            raise BenchError(f"bootstrap.samples={samples!r}: must be a whole number from 1 to "
                             f"{MAX_BOOTSTRAP_SAMPLES} (1000 is the usual choice)")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise BenchError(f"bootstrap.seed={seed!r}: must be a whole number of at least 0")
        if isinstance(confidence, bool) or not isinstance(confidence, int | float) \
                or not 0 < confidence < 1:
            raise BenchError(f"bootstrap.confidence={confidence!r}: must be between 0 and 1, e.g. 0.95")
        return cls(samples=samples, seed=seed, confidence=float(confidence))

    def for_rows(self, rows: int) -> Bootstrap:
        """These settings for a pair of ``rows`` segments: the resamples capped so that samples x rows
        stays within :data:`MAX_RESAMPLED_ROWS`, the limit ``scores.json`` is read with (a
        pair of 250,000 rows gets 800 resamples, not 1000; its score records 800)."""
        cap = max(1, MAX_RESAMPLED_ROWS // max(rows, 1))
        return self if self.samples <= cap else dataclasses.replace(self, samples=cap)

    def believable(self, rows: int) -> bool:
        """Whether a stored score of ``rows`` segments made with these settings is read back: the same
        limits :meth:`for_rows` keeps to when writing."""
        return self.samples <= MAX_BOOTSTRAP_SAMPLES and self.samples * rows <= MAX_RESAMPLED_ROWS

    def record(self) -> dict[str, Any]:
        """What is stored beside an interval so that it can be reproduced."""
        return {"method": "percentile", "samples": self.samples, "seed": self.seed,
                "confidence": self.confidence}

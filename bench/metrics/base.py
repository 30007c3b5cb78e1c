"""The interface every metric implements, and the score record stored in ``scores.json``.

A score never travels without its signature (how it was computed), and it carries what resampling
needs: per-segment sufficient statistics (BLEU's n-gram counts, chrF's character statistics) or
per-segment scores (COMET). Bootstrap confidence intervals and significance tests resample those rows;
they never re-tokenize or re-run a model.

Every metric scores NFC-normalised text, whoever calls it (``bench run``, ``bench score``, or
``load_metric(...).score()`` from Python): ``hoà`` typed as ``a`` + a combining grave and as one code
point must score the same, or a system is rewarded or punished for its keyboard rather than its
translation. :meth:`Metric.__init_subclass__` wraps each metric's ``score`` and ``score_references``,
so no metric can forget it; the signature ends in :data:`NFC`.
"""

from __future__ import annotations

import functools
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

import numpy as np

from bench.core.score import Score

#: the end of every score's signature: its lines were NFC-normalised first, so scores from before
#: (raw lines) and after never share a signature or a cache row
NFC = "|nfc:yes"
#: inside a normalised call already: a metric's score_references calling its score (or the other way)
#: must neither normalise twice nor stamp NFC twice
_NORMALISED: ContextVar[bool] = ContextVar("bench_metric_nfc", default=False)


def nfc(lines: list[str]) -> list[str]:
    """Unicode NFC of each line (see the module docstring)."""
    return [unicodedata.normalize("NFC", line) for line in lines]


def normalised(method: Callable[..., Score], streams: bool) -> Callable[..., Score]:
    """``method`` (a metric's ``score``, or ``score_references`` when ``streams``) on NFC-normalised
    sources, hypotheses and references, its signature ending in :data:`NFC`; calls made from inside
    it reach the metric as they are."""
    @functools.wraps(method)
    def wrapper(self: Metric, sources: list[str], hypotheses: list[str], references: list, *,
                src_lang: str, tgt_lang: str) -> Score:
        if _NORMALISED.get():
            return method(self, sources, hypotheses, references, src_lang=src_lang, tgt_lang=tgt_lang)
        refs = [nfc(stream) for stream in references] if streams else nfc(references)
        token = _NORMALISED.set(True)
        try:
            score = method(self, nfc(sources), nfc(hypotheses), refs, src_lang=src_lang, tgt_lang=tgt_lang)
        finally:
            _NORMALISED.reset(token)
        return replace(score, signature=score.signature + NFC)

    wrapper.normalises = True  # type: ignore[attr-defined]
    return wrapper


#: how a metric made for one reference (COMET, xCOMET, MetricX, the judge, length) scores several:
#: against each reference alone, then each segment's statistics averaged over the references, so a
#: segment's score is the mean of its scores against each reference and a mean-of-segments metric's
#: corpus score is the mean of its corpus scores against each reference stream. The signature says so.
MEAN_OF_REFERENCES = "|nrefs:{n}|refs:mean"


class Metric(ABC):
    """``score(sources, hypotheses, references, src_lang=, tgt_lang=) -> Score``; several references
    per segment through :meth:`score_references`. Both see NFC-normalised lines (module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, streams in (("score", False), ("score_references", True)):
            method = getattr(cls, name)
            if not (getattr(method, "normalises", False) or getattr(method, "__isabstractmethod__", False)):
                setattr(cls, name, normalised(method, streams))

    #: key in scores.json, e.g. "bleu", "chrf", "comet"
    name: str
    #: higher is better? (TER, off-target share and |length ratio - 1| are lower-is-better)
    higher_is_better: bool = True
    #: the best value when it is neither the highest nor the lowest (length ratio: 1.0); ranking and
    #: significance then compare distances to it (and ``higher_is_better`` is False)
    optimum: float | None = None

    #: whether one segment's statistics make a meaningful score (sentence chrF does, sentence BLEU not)
    per_segment: bool = True

    def segment_scores(self, stats: np.ndarray) -> list[float] | None:
        """What :attr:`Score.segments` holds for these per-segment statistics: each row scored as a
        corpus of one. The leaderboard shows these, re-derived, rather than the stored ones."""
        if not self.per_segment:
            return None
        stats = np.asarray(stats, dtype=np.float64)
        return [self.aggregate(row[None, :]) for row in stats]

    def goodness(self, values: np.ndarray | float) -> np.ndarray:
        """Scores mapped so that larger is better; ranks and significance tests compare these."""
        values = np.asarray(values, dtype=np.float64)
        if self.optimum is not None:
            return -np.abs(values - self.optimum)
        return values if self.higher_is_better else -values

    def check(self, pairs: list[tuple[str, str]]) -> None:
        """Preflight: raise BenchError within seconds if a resource (checkpoint) is missing."""

    def expected_signature(self, src_lang: str, tgt_lang: str) -> str | None:
        """The signature :meth:`score` will stamp for this pair, known before scoring, without the
        :data:`NFC` every score's signature ends in (:meth:`signature_for` has it).

        The score cache keys on it, so two configurations never share a cached number. ``None``
        (the default) means the metric cannot say in advance and is never cached.
        """
        return None

    @abstractmethod
    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        """Score a system's output for one pair, with per-segment stats for resampling."""

    def references_signature(self, src_lang: str, tgt_lang: str, nrefs: int) -> str | None:
        """:meth:`expected_signature` for ``nrefs`` references per segment."""
        expected = self.expected_signature(src_lang, tgt_lang)
        return expected if expected is None or nrefs == 1 else expected + MEAN_OF_REFERENCES.format(n=nrefs)

    def signature_for(self, src_lang: str, tgt_lang: str, nrefs: int) -> str | None:
        """The whole signature a score against ``nrefs`` references will carry (None: not known before)."""
        expected = self.references_signature(src_lang, tgt_lang, nrefs)
        return expected + NFC if expected else None

    def score_references(self, sources: list[str], hypotheses: list[str], references: list[list[str]], *,
                         src_lang: str, tgt_lang: str) -> Score:
        """Score against several references: ``references[k][i]`` is segment ``i``'s ``k``-th one.

        This default applies :data:`MEAN_OF_REFERENCES`; a metric that takes several references
        natively (sacrebleu's BLEU, chrF and TER) overrides it. The per-reference corpus scores are
        kept in ``extra["per_reference"]``; other extras (xCOMET's error spans) are the first
        reference's.
        """
        scores = [self.score(sources, hypotheses, refs, src_lang=src_lang, tgt_lang=tgt_lang)
                  for refs in references]
        if len(scores) == 1:
            return scores[0]
        stats = np.mean([np.asarray(s.stats, dtype=np.float64) for s in scores], axis=0)
        notes = [f"reference {k + 1}: {s.extra['note']}" for k, s in enumerate(scores) if s.extra.get("note")]
        extra = {**scores[0].extra, "per_reference": [s.score for s in scores],
                 **({"note": "; ".join(notes)} if notes else {})}
        segments = self.segment_scores(stats) if all(s.segments is not None for s in scores) else None
        return Score(metric=self.name, score=self.aggregate(stats),
                     signature=scores[0].signature + MEAN_OF_REFERENCES.format(n=len(scores)),
                     stats=stats.tolist(), segments=segments, extra=extra)

    @abstractmethod
    def aggregate(self, stats: np.ndarray) -> float:
        """Corpus score from a (possibly resampled) matrix of per-segment statistics."""

    def aggregate_weighted(self, stats: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Corpus scores of many pseudo-corpora at once, one per row of ``weights``.

        ``weights[k, i]`` says how often segment ``i`` (row ``i`` of ``stats``) is in pseudo-corpus
        ``k``: bootstrap resamples are draw counts, approximate-randomization trials are 0/1 masks
        over both systems' rows stacked. This default materialises every pseudo-corpus and calls
        :meth:`aggregate`, which is right for any metric; :class:`AdditiveMetric` replaces it with one
        matrix product, which is what makes 1000 resamples cost less than scoring once.
        """
        stats = np.asarray(stats, dtype=np.float64)
        return np.array([self.aggregate(np.repeat(stats, w.astype(np.int64), axis=0)) for w in weights])


class AdditiveMetric(Metric):
    """A metric whose corpus score is a function of the column sums of its per-segment statistics.

    BLEU (n-gram matches and totals, lengths), chrF (character n-gram counts), TER (edits, reference
    length) and every mean of segment scores (COMET, off-target flags) are of this kind. Resampling
    then reduces to ``weights @ stats`` followed by one vectorised :meth:`from_sums`.
    """

    @abstractmethod
    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Corpus scores from summed statistics: ``sums`` is ``(k, d)``, ``n`` the ``k`` segment counts."""

    def aggregate(self, stats: np.ndarray) -> float:
        stats = np.asarray(stats, dtype=np.float64)
        return float(self.from_sums(stats.sum(axis=0, keepdims=True), np.array([len(stats)]))[0])

    def segment_scores(self, stats: np.ndarray) -> list[float] | None:
        if not self.per_segment:
            return None
        stats = np.asarray(stats, dtype=np.float64)
        return self.from_sums(stats, np.ones(len(stats))).tolist()

    def aggregate_weighted(self, stats: np.ndarray, weights: np.ndarray) -> np.ndarray:
        stats = np.asarray(stats, dtype=np.float64)
        weights = np.asarray(weights, dtype=np.float64)
        return self.from_sums(weights @ stats, weights.sum(axis=1))

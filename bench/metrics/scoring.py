"""Score stored runs: every pair of a run, every metric it lacks, with bootstrap intervals.

Used at the end of ``python -m bench run`` (:func:`score_run`) and by ``python -m bench score`` over
all stored runs (:class:`Scorer`). Metric objects are created once and reused for every run, so a
COMET checkpoint is loaded once and its source/reference embeddings are shared by all systems.
``scores.json`` is written after each pair, merged with what is on disk, so an interrupted scoring
keeps what it finished.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.metrics.base import Metric, Score
from bench.metrics.bootstrap import Bootstrap, with_confidence_interval
from bench.metrics.cache import ScoreCache, contents_key
from bench.pair import Pair
from bench.refset.store import TestSet
from bench.runs import Run

log = logging.getLogger(__name__)

Scores = dict[str, dict[str, dict[str, Any]]]


@dataclass
class RunOutcome:
    """What scoring one run did, for the summary of ``bench score``."""

    scores: Scores
    #: (pair, metric) scored now, from the model/library or from the cache
    added: set[tuple[str, str]] = field(default_factory=set)
    computed: int = 0
    from_cache: int = 0
    kept: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Scorer:
    metrics: dict[str, Metric]
    bootstrap: Bootstrap = field(default_factory=Bootstrap)
    cache: ScoreCache | None = None
    force: bool = False

    def score_pair(self, metric: Metric, sources: list[str], hypotheses: list[str],
                   references: list[str], *, src_lang: str, tgt_lang: str) -> tuple[Score, bool]:
        """One metric on one pair, with its interval; also says whether the cache answered."""
        signature = metric.expected_signature(src_lang, tgt_lang) if self.cache else None
        contents = contents_key(sources, hypotheses, references) if signature else ""
        score = self.cache.get(signature, contents) if signature else None
        hit = score is not None
        if score is None:
            score = metric.score(sources, hypotheses, references, src_lang=src_lang, tgt_lang=tgt_lang)
            if signature:
                self.cache.put(signature, contents, score)
        return with_confidence_interval(score, metric, self.bootstrap), hit

    def score_run(self, run: Run, testset: TestSet) -> RunOutcome:
        outcome = RunOutcome(scores=run.scores())
        for pair, recorded in run.info["testset"]["pairs"].items():
            stale = self._stale(pair, recorded, testset)
            if stale and not self.force:
                outcome.notes.append(f"{run.path}: {pair} skipped: {stale} (force=true scores it anyway)")
                continue
            done = outcome.scores.get(pair, {})
            todo = [name for name in self.metrics if self.force or name not in done]
            outcome.kept += len(self.metrics) - len(todo)
            if not todo:
                continue
            segments = testset.load(pair)
            hypotheses = run.hypotheses(pair)
            src_lang, tgt_lang = Pair(pair).langs
            sources = [s.src for s in segments]
            references = [s.ref for s in segments]
            new: dict[str, dict[str, Any]] = {}
            for name in todo:
                score, hit = self.score_pair(self.metrics[name], sources, hypotheses, references,
                                             src_lang=src_lang, tgt_lang=tgt_lang)
                new[name] = score.to_json()
                outcome.added.add((pair, name))
                outcome.from_cache += hit
                outcome.computed += not hit
            outcome.scores = _save_merged(run, pair, new)
        return outcome

    @staticmethod
    def _stale(pair: str, recorded: Mapping[str, Any], testset: TestSet) -> str | None:
        """Why a run's pair cannot be scored against the current test set, or None if it can."""
        if pair not in testset.pairs():
            return f"the test set {testset.name} has no pair {pair}"
        current = testset.sha256(pair)
        if current != recorded.get("sha256"):
            old = str(recorded.get("sha256"))[:12]
            return f"translated on an older test set (sha256 {old} != {current[:12]})"
        return None

    def missing(self, run: Run) -> set[str]:
        """Names of the metrics this scorer would compute for ``run`` (all of them with ``force``)."""
        scores = run.scores()
        return {name for pair in run.info["testset"]["pairs"] for name in self.metrics
                if self.force or name not in scores.get(pair, {})}


def _save_merged(run: Run, pair: str, new: dict[str, dict[str, Any]]) -> Scores:
    """Re-read ``scores.json`` and add ``new`` to it, so concurrent scorers do not drop each other's work."""
    scores = run.scores()
    scores[pair] = {**scores.get(pair, {}), **new}
    run.save_scores(scores)
    return scores


def score_run(run: Run, testset: TestSet, metrics: dict[str, Metric], bootstrap_cfg: Mapping[str, Any] | None,
              force: bool = False, cache: ScoreCache | None = None) -> Scores:
    """Compute the metrics a run lacks (all of them with ``force``), save and return ``scores.json``.

    ``bootstrap_cfg`` is the ``bootstrap:`` config node (samples, seed, confidence). Pairs translated
    on a different version of the test set are skipped with a logged note unless ``force``.
    """
    outcome = Scorer(metrics, Bootstrap.from_cfg(bootstrap_cfg), cache, force).score_run(run, testset)
    for note in outcome.notes:
        log.warning(note)
    return outcome.scores


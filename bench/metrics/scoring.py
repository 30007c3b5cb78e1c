"""Score stored runs: every pair of a run, every metric it lacks, with bootstrap intervals.

Used at the end of ``python -m bench run`` (:func:`score_run`) and by ``python -m bench score`` over
all stored runs (:class:`Scorer`). Metric objects are created once and reused for every run, so a
COMET checkpoint is loaded once and its source/reference embeddings are shared by all systems.
``scores.json`` is written after each pair, merged with what is on disk, so an interrupted scoring
keeps what it finished.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.core.score import Bootstrap, Score
from bench.metrics.base import Metric, nfc
from bench.metrics.bootstrap import with_confidence_interval
from bench.refset.store import Segment, TestSet
from bench.store.io import sha256_text
from bench.store.runs import RUN_JSON, PairRecord, PairScores, Run, RunScores
from bench.store.scores import ScoreCache, contents_key

log = logging.getLogger(__name__)

@dataclass
class RunOutcome:
    """What scoring one run did, for the summary of ``bench score``."""

    scores: RunScores
    #: (pair, metric) scored now, from the model/library or from the cache
    added: set[tuple[str, str]] = field(default_factory=set)
    computed: int = 0
    from_cache: int = 0
    kept: int = 0
    notes: list[str] = field(default_factory=list)


def check_lengths(sources: list[str], hypotheses: list[str], references: list[str], where: str) -> None:
    """Every metric scores line i against line i: unequal lengths would be silently truncated."""
    if not len(sources) == len(hypotheses) == len(references):
        raise BenchError(f"{where}: {len(hypotheses)} hypotheses for {len(sources)} sources and "
                         f"{len(references)} references; they must be one per reference row")


@dataclass
class Scorer:
    metrics: dict[str, Metric]
    bootstrap: Bootstrap = field(default_factory=Bootstrap)
    cache: ScoreCache | None = None
    force: bool = False

    def score_pair(self, metric: Metric, sources: list[str], hypotheses: list[str],
                   references: list[str], *, src_lang: str, tgt_lang: str) -> tuple[Score, bool]:
        """One metric on one pair with one reference per segment: :meth:`score_references`."""
        return self.score_references(metric, sources, hypotheses, [references], src_lang=src_lang,
                                     tgt_lang=tgt_lang)

    def score_references(self, metric: Metric, sources: list[str], hypotheses: list[str],
                         references: list[list[str]], *, src_lang: str, tgt_lang: str) -> tuple[Score, bool]:
        """One metric on one pair against one or more reference streams (``references[k][i]``: the
        ``k``-th reference of segment ``i``), with its interval; also says whether the cache answered.

        The metric NFC-normalises what it scores (:mod:`bench.metrics.base`); the cache key is made of
        the same normalised lines, so two spellings of one text share a cache row."""
        for stream in references:
            check_lengths(sources, hypotheses, stream, f"{metric.name} on {src_lang}-{tgt_lang}")
        sources, hypotheses, references = nfc(sources), nfc(hypotheses), [nfc(r) for r in references]
        signature = metric.signature_for(src_lang, tgt_lang, len(references)) if self.cache else None
        # one stream keys the cache as before; several are a list of streams, which no single one equals
        keyed = references[0] if len(references) == 1 else references
        contents = contents_key(sources, hypotheses, keyed) if signature else ""
        score = self.cache.get(signature, contents, rows=len(sources)) if signature else None
        hit = score is not None
        if score is None:
            score = metric.score_references(sources, hypotheses, references, src_lang=src_lang,
                                            tgt_lang=tgt_lang)
            if signature:
                self.cache.put(signature, contents, score)
        return with_confidence_interval(score, metric, self.bootstrap), hit

    def score_run(self, run: Run, testset: TestSet) -> RunOutcome:
        outcome = RunOutcome(scores=self._stored(run))
        for pair, recorded in run.record.pairs.items():
            stale = self._stale(pair, recorded, testset)
            if stale and not self.force:
                outcome.notes.append(f"{run.path}: {pair} skipped: {stale} (force=true scores it anyway)")
                continue
            segments = testset.load(pair)[:run.record.limit]
            if recorded.rows != len(segments):
                raise BenchError(f"{run.path / RUN_JSON}: records {recorded.rows} rows for {pair}, the test "
                                 f"set has {len(segments)}; rerun the system")
            hypotheses = run.hypotheses(pair)
            digest = run.hypotheses_sha256(pair)
            held = outcome.scores.pairs.get(pair)
            done = {name: score for name, score in held.metrics.items() if bound_to(score, digest)} \
                if held and held.hypotheses_sha256 == digest else {}
            todo = [name for name in self.metrics if self.force or name not in done]
            outcome.kept += len(self.metrics) - len(todo)
            if not todo:
                continue
            src_lang, tgt_lang = pair.langs
            sources = [s.src for s in segments]
            references = reference_streams(segments, f"{testset.name} {pair}")
            new: dict[str, Score] = {}
            for name in todo:
                score, hit = self.score_references(self.metrics[name], sources, hypotheses, references,
                                                   src_lang=src_lang, tgt_lang=tgt_lang)
                new[name] = bound(score, digest)
                outcome.added.add((pair, name))
                outcome.from_cache += hit
                outcome.computed += not hit
            outcome.scores = _save_merged(run, pair, digest, new, self.force)
        if outcome.added:
            run.save_samples(samples(run, testset, outcome.scores))
        return outcome

    def _stored(self, run: Run) -> RunScores:
        """The run's scores; with ``force`` a damaged scores.json is replaced rather than refused."""
        try:
            return run.scores()
        except BenchError:
            if self.force:
                return RunScores()
            raise

    @staticmethod
    def _stale(pair: Pair, recorded: PairRecord, testset: TestSet) -> str | None:
        """Why a run's pair cannot be scored against the current test set, or None if it can."""
        if pair not in testset.pairs():
            return f"the test set {testset.name} has no pair {pair}"
        current = testset.sha256(pair)
        if current != recorded.sha256:
            return f"translated on an older test set (sha256 {recorded.sha256[:12]} != {current[:12]})"
        return None

    def missing(self, run: Run) -> set[str]:
        """Names of the metrics this scorer would compute for ``run`` (all of them with ``force``)."""
        scores = self._stored(run)
        return {name for pair in run.record.pairs for name in self.metrics
                if self.force or name not in scores.get(pair)}


def reference_streams(segments: list[Segment], where: str) -> list[list[str]]:
    """The references as sacrebleu's command line reads them: one stream (file) per reference, so
    every segment of a pair must have as many as the others."""
    counts = sorted({len(s.refs) for s in segments})
    if len(counts) > 1:
        raise BenchError(f"{where}: segments have {' or '.join(map(str, counts))} references; every segment "
                         "of a pair needs the same number (re-import the set)")
    return [[s.refs[k] for s in segments] for k in range(counts[0] if counts else 1)]


def samples(run: Run, testset: TestSet, scores: RunScores) -> list[dict[str, Any]]:
    """``samples.jsonl``: one flat row per segment of every pair scored on the current test set and the
    current hypotheses, each metric's segment score as a column (BLEU, without one, has none; a judge
    has null where it could not read its answer). With
    several references, ``reference`` is the first and ``references`` lists them all."""
    rows: list[dict[str, Any]] = []
    for pair, held in sorted(scores.pairs.items()):
        if (run.record.pairs[pair].sha256 != testset.sha256(pair)
                or held.hypotheses_sha256 != run.hypotheses_sha256(pair)):
            continue
        segments = testset.load(pair)[:run.record.limit]
        per_segment = {name: column for name, s in sorted(held.metrics.items())
                       if (column := segment_column(s, len(segments))) is not None}
        for i, (segment, hypothesis) in enumerate(zip(segments, run.hypotheses(pair))):
            every = {"references": list(segment.refs)} if segment.more_refs else {}
            rows.append({"id": segment.id, "pair": pair, "source": segment.src, "reference": segment.ref,
                         **every, "hypothesis": hypothesis,
                         **{name: values[i] for name, values in per_segment.items()}})
    return rows


#: the key of a score's ``extra`` that binds its statistics to the hypotheses they were computed from
STATS_SHA256 = "stats_sha256"


def stats_binding(stats: list[list[float]], hypotheses_sha256: str) -> str:
    """SHA-256 of the hypotheses' hash and the statistics: statistics copied from another run's
    scores.json (or edited) no longer match the hypotheses their pair records."""
    return sha256_text(json.dumps([hypotheses_sha256, [[float(x) for x in row] for row in stats]]))


def bound(score: Score, hypotheses_sha256: str) -> Score:
    """``score`` carrying :func:`stats_binding` of its statistics to ``hypotheses_sha256``."""
    if not score.stats:
        return score
    return replace(score, extra={**score.extra, STATS_SHA256: stats_binding(score.stats, hypotheses_sha256)})


def bound_to(score: Score, hypotheses_sha256: str) -> bool:
    """Whether ``score``'s statistics were computed on these hypotheses, as far as its binding says
    (a score from before bindings has none and is believed: its numbers are still re-derived by the
    board). A binding is tamper-evidence against copying, not a signature: whoever edits the file can
    recompute it."""
    recorded = score.extra.get(STATS_SHA256)
    if recorded is None:
        return True
    return bool(score.stats) and recorded == stats_binding(score.stats, hypotheses_sha256)


def segment_column(score: Score, rows: int) -> list[float | None] | None:
    """A metric's segment scores for ``samples.jsonl``: its ``segments``, or, for a judge with answers it
    could not read (which has none, as scores.json holds finite numbers only), its ``segment_scores``
    with null for those; None when the metric has no segment scores (BLEU)."""
    if score.segments:
        return list(score.segments)
    column = score.extra.get("segment_scores")
    fits = isinstance(column, list) and len(column) == rows and all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v))
        for v in column)
    return column if fits else None


def _save_merged(run: Run, pair: Pair, digest: str, new: dict[str, Score], force: bool) -> RunScores:
    """Re-read ``scores.json`` and add ``new`` to it, so concurrent scorers do not drop each other's
    work; scores of other hypotheses (the file was changed since) are dropped, not mixed in."""
    try:
        scores = run.scores()
    except BenchError:
        if not force:
            raise
        scores = RunScores()
    held = scores.pairs.get(pair)
    kept = held.metrics if held and held.hypotheses_sha256 == digest else {}
    scores.pairs[pair] = PairScores(digest, {**kept, **new})
    run.save_scores(scores)
    return scores


def score_run(run: Run, testset: TestSet, metrics: dict[str, Metric], bootstrap_cfg: Mapping[str, Any] | None,
              force: bool = False, cache: ScoreCache | None = None) -> RunScores:
    """Compute the metrics a run lacks (all of them with ``force``), save and return ``scores.json``.

    ``bootstrap_cfg`` is the ``bootstrap:`` config node (samples, seed, confidence). Pairs translated
    on a different version of the test set are skipped with a logged note unless ``force``.
    """
    outcome = Scorer(metrics, Bootstrap.from_cfg(bootstrap_cfg), cache, force).score_run(run, testset)
    for note in outcome.notes:
        log.warning(note)
    return outcome.scores

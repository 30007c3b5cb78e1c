"""``python -m bench score``: add missing metrics to stored runs without re-translating.

Every complete run under ``${results_dir}/runs`` is scored with the chosen metrics it lacks (all of
them with ``force=true``), against the current test set. A pair translated on an older version of
the test set is skipped with a note (``force=true`` scores it anyway). Scores come from the SQLite
score cache when the same metric signature has seen the same lines before, so scoring again is
instant. Only metrics with work to do are preflighted: a COMET model that is not on this machine does
not block adding BLEU to runs that already have COMET.
"""

from __future__ import annotations

import sys

from hydra.utils import instantiate
from omegaconf import DictConfig
from tqdm import tqdm

from bench.core.console import printable, table
from bench.core.errors import BenchError
from bench.core.score import Bootstrap
from bench.metrics import instantiate_metrics
from bench.metrics.scoring import RunOutcome, Scorer
from bench.refset.store import TestSet
from bench.store.runs import Run, discover_runs
from bench.store.scores import ScoreCache

#: notes shown in full before the summary says "and N more"
MAX_NOTES = 8


def summary(outcomes: list[tuple[Run, RunOutcome]], metrics: list[str], notes: list[str]) -> str:
    """One screen: the chosen metrics per run and pair (``*``: added now), counts, and notes."""
    rows = [["system", "run", "pair", *metrics]]
    for run, outcome in outcomes:
        for pair, held in sorted(outcome.scores.pairs.items()):
            cells = [run.system, run.run_id, pair]
            for name in metrics:
                s = held.metrics.get(name)
                mark = "*" if (pair, name) in outcome.added else ""
                cells.append("-" if s is None else f"{s.score:.2f}{mark}")
            rows.append(cells)
    computed = sum(o.computed for _, o in outcomes)
    cached = sum(o.from_cache for _, o in outcomes)
    kept = sum(o.kept for _, o in outcomes)
    # what a metric added now wants the reader to know (the judge's unparsable answers)
    notes = notes + [f"{run.path} {pair} {name}: {s.extra['note']}" for run, o in outcomes
                     for pair, held in sorted(o.scores.pairs.items()) for name, s in held.metrics.items()
                     if (pair, name) in o.added and s.extra.get("note")]
    shown = notes[:MAX_NOTES] + ([f"... and {len(notes) - MAX_NOTES} more"] if len(notes) > MAX_NOTES else [])
    return (f"\n{table(rows)}\n"
            f"{len(outcomes)} runs: {computed} scores computed, {cached} from the score cache, "
            f"{kept} already stored (* marks scores added now)\n"
            + "".join(f"note: {printable(n)}\n" for n in shown))


def score_all(cfg: DictConfig, runs: list[Run], testset: TestSet
              ) -> tuple[list[tuple[Run, RunOutcome]], list[str]]:
    """Score every run; a run that cannot be scored (damaged files, unwritable folder) is a note and
    the others go on. Preflight covers only the metrics some run needs, and comes before the score
    cache is opened, so a refused setting leaves no trace of it."""
    metrics = instantiate_metrics(cfg.get("metric") or {})
    if not metrics:
        raise BenchError("metric=[]: nothing to score; choose metrics, e.g. metric=[bleu,chrf]")
    bootstrap = Bootstrap.from_cfg(cfg.bootstrap)
    testset.pairs()  # a missing reference set fails here, in one line
    scorer = Scorer(metrics, bootstrap, None, bool(cfg.force))
    notes: list[str] = []
    needed: list[tuple[Run, set[str]]] = []
    for run in runs:
        try:
            needed.append((run, scorer.missing(run)))
        except BenchError as exc:
            notes.append(f"{exc} (run skipped)")
    langs = sorted({pair.langs for run, _ in needed for pair in run.record.pairs})
    for name in sorted(set().union(*(names for _, names in needed))):
        metrics[name].check(langs)
    if cfg.score_cache.enabled:
        scorer.cache = ScoreCache(cfg.score_cache.path, setting="score_cache.path")
    outcomes: list[tuple[Run, RunOutcome]] = []
    try:
        for run, _ in tqdm(needed, desc="scoring runs", unit="run", leave=False):
            try:
                outcomes.append((run, scorer.score_run(run, testset)))
            except BenchError as exc:
                notes.append(f"{exc} (run skipped)")
    finally:
        if scorer.cache:
            scorer.cache.close()
    return outcomes, notes


def main(cfg: DictConfig) -> None:
    runs, skipped = discover_runs(cfg.results_dir)
    if not runs:
        raise BenchError(f"{cfg.results_dir}/runs: no complete runs to score; "
                         "make one with `python -m bench run model=NAME`")
    outcomes, problems = score_all(cfg, runs, instantiate(cfg.dataset))
    notes = skipped + problems + [n for _, o in outcomes for n in o.notes]
    print(summary(outcomes, list(cfg.get("metric") or {}), notes), file=sys.stdout, flush=True)

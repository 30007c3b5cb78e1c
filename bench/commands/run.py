"""``python -m bench run model=NAME``: translate the test set with one MT system, then score it.

Order of work, chosen so nothing is lost on a crash: preflight every resource (seconds), write
``run.json`` with ``status: running``, translate each pair chunk by chunk (each finished chunk goes to
the translation cache at once), write ``hypotheses/<pair>.txt``, mark the run complete, score it.
A killed run started again finds its finished chunks in the cache and translates only the rest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig, open_dict
from tqdm import tqdm

from bench import __version__
from bench.core.checks import flag, whole_number
from bench.core.console import table
from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.core.provenance import git_commit, machine, now_iso, package_versions
from bench.core.score import Bootstrap
from bench.metrics import instantiate_metrics
from bench.metrics.base import Metric
from bench.refset.store import Segment, TestSet
from bench.store.io import check_cache_file
from bench.store.runs import (
    COMPLETE,
    INTERRUPTED,
    PairRecord,
    Run,
    RunRecord,
    RunScores,
    check_system_name,
    write_hypotheses,
)
from bench.store.scores import ScoreCache
from bench.store.translations import TranslationCache
from bench.systems.base import System

log = logging.getLogger("bench.run")


@dataclass
class PairWork:
    """What translating one pair took; summed into run.json."""

    rows: int
    cached: int = 0
    translated: int = 0
    seconds: float = 0.0


def select_pairs(wanted: Any, available: list[str], system: System) -> list[str]:
    """``pairs=null`` means every pair of the test set the system can translate (a Marian checkpoint
    in a sweep runs its one pair); named pairs must exist, and an unsupported one fails preflight."""
    if wanted is None:
        chosen = [p for p in available if system.supports(*Pair(p).langs)]
        if not chosen:
            raise BenchError(f"model {system.name} translates none of the test set's pairs "
                             f"({', '.join(available)})")
        if len(chosen) < len(available):
            log.warning("%s cannot translate %s; evaluating %s", system.name,
                        ", ".join(p for p in available if p not in chosen), ", ".join(chosen))
        return chosen
    names = list(wanted) if isinstance(wanted, list | tuple) else [wanted]
    if not names:  # else a run of nothing would be recorded complete
        raise BenchError("pairs=[]: no pair chosen; name some, e.g. pairs=[zh-kk], or pairs=null for every "
                         "pair the model translates")
    unknown = [str(p) for p in names if p not in available]
    if unknown:
        raise BenchError(f"pairs={','.join(unknown)}: not in the test set; available: {', '.join(available)}")
    return list(dict.fromkeys(names))


def checked(outputs: list[str], sources: list[str], system: System) -> list[str]:
    if not isinstance(outputs, list) or len(outputs) != len(sources):
        got = len(outputs) if isinstance(outputs, list) else type(outputs).__name__
        raise BenchError(f"system {system.name} returned {got} outputs for {len(sources)} sources")
    return outputs


def translate_pair(system: System, cache: TranslationCache, segments: list[Segment], chunk_size: int,
                   desc: str) -> tuple[list[str], PairWork]:
    """Hypotheses for ``segments`` in reference order, translating only what the cache lacks."""
    src, tgt = segments[0].src_lang, segments[0].tgt_lang
    sources = [s.src for s in segments]
    work = PairWork(rows=len(segments))
    if not system.cacheable:  # baselines and files: whole test set in order, instantly
        start = time.perf_counter()
        outputs = checked(system.translate(sources, src, tgt), sources, system)
        work.translated, work.seconds = len(sources), time.perf_counter() - start
        return outputs, work

    fingerprint = system.fingerprint()
    unique = list(dict.fromkeys(sources))
    done = cache.get_many(fingerprint, src, tgt, unique)
    work.cached = sum(1 for s in sources if s in done)
    if done:
        log.info("%s: %d of %d segments already translated (cache), translating the rest", desc,
                 len(done), len(unique))
    todo = sorted((s for s in unique if s not in done), key=len, reverse=True)
    with tqdm(total=len(unique), initial=len(done), desc=desc, unit="seg", leave=False) as bar:
        for chunk in system.chunks(todo, src, tgt, chunk_size):
            start = time.perf_counter()
            outputs = checked(system.translate(chunk, src, tgt), chunk, system)
            work.seconds += time.perf_counter() - start
            cache.put_many(fingerprint, src, tgt, zip(chunk, outputs))
            done.update(zip(chunk, outputs))
            work.translated += len(chunk)
            bar.update(len(chunk))
    return [done[s] for s in sources], work


def run_record(run_dir: Path, cfg: DictConfig, system: System, testset: TestSet,
               pairs: dict[str, list[Segment]], metrics: list[str]) -> RunRecord:
    overrides = list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []
    return RunRecord(
        run_id=run_dir.name,
        system=system.name,
        fingerprint=system.fingerprint(),
        system_class=cfg.model._target_,
        baseline=system.baseline,
        identity=system.identity(),
        testset=testset.name,
        pairs={Pair(p): PairRecord(testset.sha256(p), len(rows)) for p, rows in pairs.items()},
        metrics=metrics,
        created=now_iso(),
        limit=cfg.limit,
        pid=os.getpid(),
        host=socket.gethostname(),
        overrides=overrides,
        bench_version=__version__,
        git_commit=git_commit(),
        versions=package_versions(),
        provenance={"machine": machine()},
    )


def finish_record(record: RunRecord, system: System, work: dict[str, PairWork]) -> None:
    seconds = sum(w.seconds for w in work.values())
    translated = sum(w.translated for w in work.values())
    stats = dict(system.stats)
    record.status, record.finished = COMPLETE, now_iso()
    record.provenance.update(
        system_info=system.describe(),
        system_stats=stats,
        timing={
            "translate_s": round(seconds, 3),
            "segments_per_s": round(translated / seconds, 3) if seconds and translated else None,
            "tokens_per_s": round(stats["output_tokens"] / seconds, 3)
            if seconds and stats.get("output_tokens") else None,
        },
        cache={
            "hits": sum(w.cached for w in work.values()),
            "misses": translated if system.cacheable else 0,
            "enabled": system.cacheable,
        },
        work={pair: vars(w) for pair, w in work.items()},
    )


def summary(run: Run, work: dict[str, PairWork], scores: RunScores, confidence: float) -> str:
    """The one screen printed at the end of a run."""
    metric_names = sorted({m for pair in scores.pairs.values() for m in pair.metrics})
    head = ["pair", "rows", "cached", "new", "seconds", *metric_names]
    lines = [head]
    for pair, w in work.items():
        cells = [pair, str(w.rows), str(w.cached), str(w.translated), f"{w.seconds:.1f}"]
        for name in metric_names:
            s = scores.get(pair).get(name)
            if s is None:
                cells.append("-")
            elif s.ci_low is not None:
                cells.append(f"{s.score:.2f} [{s.ci_low:.2f}, {s.ci_high:.2f}]")
            else:
                cells.append(f"{s.score:.2f}")
        lines.append(cells)
    notes = []
    speed = run.record.provenance.get("timing", {}).get("segments_per_s")
    if speed and run.record.provenance["cache"]["enabled"]:
        notes.append(f"{speed:.1f} segments/s")
    if metric_names:
        notes.append(f"{confidence:.0%} bootstrap confidence intervals in brackets")
    tail = f"({'; '.join(notes)})\n" if notes else ""
    # what a metric wants the reader to know (the judge's unparsable answers, MetricX's cut inputs)
    tail += "".join(f"note: {pair} {name}: {s.extra['note']}\n" for pair in work
                    for name, s in sorted(scores.get(pair).items()) if s.extra.get("note"))
    return f"\nrun {run.system} -> {run.path}\n{table(lines)}\n{tail}"


def main(cfg: DictConfig) -> None:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    job = prepare(cfg, run_dir)  # a failure here leaves nothing behind (bench.cli.app.application)
    run, system = job.run, job.system
    work: dict[str, PairWork] = {}
    try:
        for pair, segments in job.pairs.items():
            hypotheses, work[pair] = translate_pair(system, job.cache, segments, cfg.chunk_size,
                                                    f"{system.name} {pair}")
            write_hypotheses(run_dir, pair, hypotheses)
    except BaseException:  # a model that fails to load, a full disk, Ctrl-C: never left "running"
        run.record.status = INTERRUPTED
        with contextlib.suppress(BenchError, OSError):
            run.save_record()
        raise
    finally:
        job.cache.close()
        system.close()
    finish_record(run.record, system, work)
    run.save_record()

    scores = RunScores()
    if job.metrics:
        from bench.metrics.scoring import score_run

        score_cache = ScoreCache(cfg.score_cache.path, setting="score_cache.path") \
            if cfg.score_cache.enabled else None
        try:
            scores = score_run(run, job.testset, job.metrics, cfg.bootstrap, cache=score_cache)
        finally:
            if score_cache:
                score_cache.close()
    confidence = Bootstrap.from_cfg(cfg.bootstrap).confidence
    print(summary(run, work, scores, confidence), file=sys.stdout, flush=True)


@dataclass
class Job:
    """A run that passed preflight: its record is on disk and every part is ready."""

    run: Run
    system: System
    testset: TestSet
    pairs: dict[str, list[Segment]]
    metrics: dict[str, Metric]
    cache: TranslationCache


def prepare(cfg: DictConfig, run_dir: Path) -> Job:
    """Compose the run's parts and check every resource before any work starts."""
    whole_number(cfg.chunk_size, "chunk_size")  # Hydra does not type-check plain YAML: checked here
    check_system_name(cfg.model.name)  # also where hydra.run.dir= bypasses the run-folder resolver
    if cfg.limit is not None:
        whole_number(cfg.limit, "limit")
    if cfg.translation_cache.enabled:
        check_cache_file(cfg.translation_cache.path, "translation_cache.path")
    Bootstrap.from_cfg(cfg.bootstrap)  # checks the settings before anything is translated
    testset: TestSet = instantiate(cfg.dataset)
    with open_dict(cfg.model):  # model.baseline is for the board, not a constructor argument
        baseline = cfg.model.pop("baseline", None)
    system: System = instantiate(cfg.model)
    if baseline is not None:
        system.baseline = flag(baseline, "model.baseline")
    chosen = select_pairs(cfg.pairs if not isinstance(cfg.pairs, ListConfig) else list(cfg.pairs),
                          testset.pairs(), system)
    metrics = instantiate_metrics(cfg.get("metric") or {})

    # Preflight: every resource is checked before any work, so problems surface in seconds.
    langs = [Pair(p).langs for p in chosen]
    system.check(langs)
    for metric in metrics.values():
        metric.check(langs)
    whole = {p: testset.load(p) for p in chosen}
    empty = [p for p, rows in whole.items() if not rows]
    if empty:
        raise BenchError(f"{testset.name}: pair(s) {', '.join(empty)} have no rows; rebuild the references")
    for segments in whole.values():  # binds files/baselines to the rows; a bad file fails here, and a
        # file is checked against every row, also when limit=N translates only the first N
        system.prepare(segments[0].src_lang, segments[0].tgt_lang, segments)
    pairs = {p: rows[:cfg.limit] for p, rows in whole.items()}

    if cfg.score_cache.enabled:  # opened once now, so a path that is no cache fails before translating
        ScoreCache(cfg.score_cache.path, setting="score_cache.path").close()
    cache = TranslationCache(cfg.translation_cache.path if cfg.translation_cache.enabled and system.cacheable
                             else None)
    run = Run(run_dir, run_record(run_dir, cfg, system, testset, pairs, list(metrics)))
    try:
        run.save_record()
    except BaseException:
        cache.close()
        raise
    return Job(run, system, testset, pairs, metrics, cache)

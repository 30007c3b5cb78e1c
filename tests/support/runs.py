"""Run folders made by hand to the run folder contract (run.json, scores.json), and their scores read back
through bench's own reader."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.core.score import Score


def stored_scores(run_dir: Path) -> dict[str, dict[str, dict]]:
    """``{pair: {metric: score as stored}}`` of a run's scores.json, read through bench's own reader."""
    from bench.store.runs import load_run

    return {pair: {name: score.to_json() for name, score in held.metrics.items()}
            for pair, held in load_run(run_dir).scores().pairs.items()}


def write_run_record(folder: Path, system: str, pairs: dict[str, tuple[str, int]], *,
                     status: str = "complete", created: str = "2026-01-01T00:00:00+00:00",
                     fingerprint: str | None = None, versions: dict | None = None,
                     git_commit: str | None = None) -> Path:
    """``run.json`` as ``bench run`` writes it, for a run folder a test makes by hand;
    ``pairs`` is ``{pair: (sha256 of the test-set version, rows)}``."""
    from bench.core.pair import Pair
    from bench.store.runs import PairRecord, Run, RunRecord

    record = RunRecord(run_id=folder.name, system=system, fingerprint=fingerprint or f"fp-{system}",
                       system_class="bench.systems.baselines.Copy", identity={}, testset="local:references",
                       pairs={Pair(p): PairRecord(sha, rows) for p, (sha, rows) in pairs.items()},
                       metrics=[], created=created, status=status, versions=versions or {},
                       git_commit=git_commit)
    Run(folder, record).save_record()
    return folder / "run.json"


def write_run_scores(folder: Path, scores: dict[str, dict[str, Score]]) -> None:
    """``scores.json`` for a hand-made run folder, tied to the hypotheses it holds now."""
    from bench.store.runs import PairScores, RunScores, load_run

    run = load_run(folder)
    run.save_scores(RunScores({pair: PairScores(run.hypotheses_sha256(pair), metrics)
                               for pair, metrics in scores.items()}))


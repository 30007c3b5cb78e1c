"""Run folders made by hand to the run folder contract (run.json, scores.json), and their scores read back
through bench's own reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bench.store.runs import write_hypotheses
from tests.support.metrics import PARALLEL
from tests.support.refs import write_references

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


PAIRS = {pair: list(zip(PARALLEL[pair]["src"], PARALLEL[pair]["ref"])) for pair in ("zh-kk", "zh-vi")}


def make_run(results: Path, refs: Path, system: str, hyp_key: str, *, complete: bool = True,
             sha: dict[str, str] | None = None) -> Path:
    """A run folder as ``bench run`` leaves it (run.json, hypotheses), without scores."""
    manifest = json.loads((refs / "MANIFEST.json").read_text())["files"]
    run_dir = results / "runs" / system / "20260101-000000-000000"
    for pair in PAIRS:
        write_hypotheses(run_dir, pair, PARALLEL[pair][hyp_key])
    write_run_record(run_dir, system, {
        pair: ((sha or {}).get(pair, manifest[f"{pair}.jsonl"]["sha256"]), len(rows))
        for pair, rows in PAIRS.items()}, status="complete" if complete else "running")
    return run_dir


@pytest.fixture
def score_folders(tmp_path: Path) -> tuple[Path, Path]:
    """A reference set of the parallel sentences (zh-kk, zh-vi) and an empty results folder."""
    refs = tmp_path / "references"
    write_references(refs, PAIRS)
    return refs, tmp_path / "results"


"""``python -m bench score`` on synthetic run folders, and the ``score_run`` contract of ``run``."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support.cli import bench, bench_here
from tests.support.runs import PAIRS, make_run, stored_scores


def scores(run_dir: Path) -> dict:
    return stored_scores(run_dir)


def score_cmd(refs: Path, results: Path, *args: str):
    out = bench("score", f"results_dir={results}", f"dataset.path={refs}", *args)
    assert out.returncode == 0, out.stderr
    return out


def test_score_adds_missing_metrics_skips_stored_ones_and_force_recomputes(score_folders):
    refs, results = score_folders
    good = make_run(results, refs, "good", "hyp_a")
    poor = make_run(results, refs, "poor", "hyp_b")
    make_run(results, refs, "broken", "hyp_b", complete=False)

    out = score_cmd(refs, results, "metric=[bleu,chrf]")
    for run in (good, poor):
        stored = scores(run)
        assert set(stored) == set(PAIRS)
        for pair in PAIRS:
            assert set(stored[pair]) == {"bleu", "chrf"}
            s = stored[pair]["chrf"]
            assert s["ci_low"] <= s["score"] <= s["ci_high"] and len(s["stats"]) == len(PAIRS[pair])
            assert s["extra"]["bootstrap"]["samples"] == 1000
    assert scores(good)["zh-kk"]["chrf"]["score"] > scores(poor)["zh-kk"]["chrf"]["score"]
    assert "8 scores computed" in out.stdout and "not finished" in out.stdout

    # stored scores are kept (a sentinel survives), missing metrics are added
    stored = json.loads((good / "scores.json").read_text())
    stored["pairs"]["zh-kk"]["metrics"]["bleu"]["score"] = 123.0
    (good / "scores.json").write_text(json.dumps(stored))
    out = score_cmd(refs, results, "metric=[bleu,chrf,ter]")
    assert scores(good)["zh-kk"]["bleu"]["score"] == 123.0
    assert "ter" in scores(good)["zh-vi"] and "8 already stored" in out.stdout

    # force recomputes, from the score cache since nothing changed
    out = score_cmd(refs, results, "metric=[bleu]", "force=true")
    assert scores(good)["zh-kk"]["bleu"]["score"] != 123.0
    assert "4 from the score cache" in out.stdout


def test_rescoring_from_the_cache_gives_the_same_scores(score_folders):
    refs, results = score_folders
    run = make_run(results, refs, "good", "hyp_a")
    score_cmd(refs, results, "metric=[bleu,chrf,ter]")
    first = scores(run)
    (run / "scores.json").unlink()
    out = score_cmd(refs, results, "metric=[bleu,chrf,ter]")
    assert "0 scores computed, 6 from the score cache" in out.stdout
    assert scores(run) == first
    assert (results / "cache" / "scores.sqlite").is_file()


def test_runs_on_an_older_test_set_are_skipped_unless_forced(score_folders):
    refs, results = score_folders
    old = make_run(results, refs, "old", "hyp_a", sha={"zh-kk": "0" * 64})
    out = score_cmd(refs, results, "metric=[chrf]")
    assert set(scores(old)) == {"zh-vi"}
    assert "zh-kk skipped: translated on an older test set" in out.stdout
    score_cmd(refs, results, "metric=[chrf]", "force=true")
    assert set(scores(old)) == {"zh-kk", "zh-vi"}


def test_score_fails_in_one_line_without_runs(score_folders):
    refs, results = score_folders
    out = bench("score", f"results_dir={results}", f"dataset.path={refs}", "metric=[bleu]")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "no complete runs" in out.stderr


def test_comet_by_score_command_and_offline_hub_model_fails_fast(score_folders, tiny_comet, tmp_path):
    refs, results = score_folders
    run = make_run(results, refs, "good", "hyp_a")
    score_cmd(refs, results, "metric=[comet]", f"metric.comet.checkpoint={tiny_comet}",
              "metric.comet.progress=false")
    comet = scores(run)["zh-kk"]["comet"]
    assert comet["signature"].startswith(f"model:{tiny_comet.parent.parent.name}|ckpt:")
    assert len(comet["segments"]) == len(PAIRS["zh-kk"]) and comet["ci_low"] <= comet["score"]

    start = time.monotonic()
    out = bench("score", f"results_dir={results}", f"dataset.path={refs}", "metric=[cometkiwi]",
                env={"HF_HUB_CACHE": str(tmp_path / "empty-hf-cache")})
    assert time.monotonic() - start < 30
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert ("COMET model Unbabel/wmt22-cometkiwi-da is not available offline: download it on a connected "
            "machine or pass metric.cometkiwi.checkpoint=PATH/checkpoints/model.ckpt") in out.stderr


def test_a_pair_too_long_for_the_resamples_gets_fewer_and_every_reader_believes_them(
        score_folders, monkeypatch, capsys):
    """A pair of more rows than MAX_RESAMPLED_ROWS / bootstrap.samples is scored with fewer resamples,
    recorded in its score, so `score` and `leaderboard` read what `run` wrote (the limit is lowered
    here so that 4 rows stand for the 200,000 of a real test set)."""
    import bench.core.score

    refs, results = score_folders
    monkeypatch.setattr(bench.core.score, "MAX_RESAMPLED_ROWS", 2000)
    args = [f"dataset.path={refs}", f"results_dir={results}"]
    assert bench_here(capsys, "run", "model=copy", "metric=[bleu]", "pairs=[zh-kk]", *args).returncode == 0
    assert bench_here(capsys, "run", "model=reference", "metric=[bleu]", *args).returncode == 0
    rows = {pair: len(PAIRS[pair]) for pair in PAIRS}
    for run_dir in results.glob("runs/*/*"):
        for pair, held in stored_scores(run_dir).items():
            assert held["bleu"]["extra"]["bootstrap"]["samples"] == min(1000, 2000 // rows[pair])
    score = bench_here(capsys, "score", "metric=[bleu,chrf]", *args)
    assert score.returncode == 0 and "skipped" not in score.stdout + score.stderr, score
    board = bench_here(capsys, "leaderboard", *args)
    assert board.returncode == 0 and "skipped" not in board.stdout + board.stderr, board

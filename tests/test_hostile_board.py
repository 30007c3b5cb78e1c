"""One tampered run in a shared results folder costs that run its rank, never everyone else's.

The board re-derives every score from its statistics (a number edited by hand does not follow from
them) and checks that the statistics were computed on the run's own hypotheses (statistics copied
from a better run do not match them). Either way that run is set aside with a note naming it, and
the other systems are ranked on the metric all the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.io import atomic_write_json
from tests.test_leaderboard import read_csv, scenario
from tests.test_malformed_battery import bench_here

TAMPERED = "m2m100_418M"


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """The leaderboard scenario, its chrF recomputed by `bench score` (so each score carries the
    binding of its statistics to its hypotheses); returns a function that draws the board."""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    s = scenario(tmp_path)
    args = (f"results_dir={s.results}", f"dataset.path={s.references}")
    assert bench_here(capsys, "score", "metric=[chrf]", "force=true", *args).returncode == 0

    def draw() -> tuple[str, dict[str, str]]:
        out = bench_here(capsys, "leaderboard", "rank_by=[chrf]", *args)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
        ranks = {r["system"]: r["rank"] for r in read_csv(s.results / "leaderboard.csv")
                 if r["pair"] == "zh-kk" and r["metric"] == "chrf"}
        return md, ranks

    return s, draw


def scores_of(results: Path, system: str) -> tuple[Path, dict]:
    (file,) = (results / "runs" / system).glob("*/scores.json")
    return file, json.loads(file.read_text())


def test_an_edited_rank_metric_score_unranks_only_its_run(board):
    s, draw = board
    _, before = draw()
    assert before[TAMPERED] and before["madlad400-3b-mt"]
    file, scores = scores_of(s.results, TAMPERED)
    scores["pairs"]["zh-kk"]["metrics"]["chrf"]["score"] = 99.0  # a better number than its statistics give
    atomic_write_json(file, scores)
    md, ranks = draw()
    assert TAMPERED not in ranks and ranks["madlad400-3b-mt"] and ranks["nllb-200-1.3B"]  # still ranked
    zh_kk = md.split("## zh-kk")[1].split("## zh-vi")[0]
    assert "Ranked by chrf" in zh_kk and "not ranked: no metric" not in md
    assert f"chrf of {TAMPERED}" in zh_kk and "does not follow from its statistics" in zh_kk
    assert f"{TAMPERED} (" in zh_kk and "not ranked: its chrf score cannot be believed" in zh_kk
    assert "not ranked:" not in md.split("## zh-vi")[1]  # the run's other pair is ranked as before


def test_statistics_copied_from_a_better_run_are_noticed(board):
    s, draw = board
    _, good = scores_of(s.results, "madlad400-3b-mt")
    file, scores = scores_of(s.results, TAMPERED)
    better = good["pairs"]["zh-kk"]["metrics"]["chrf"]
    assert better["score"] > scores["pairs"]["zh-kk"]["metrics"]["chrf"]["score"]
    scores["pairs"]["zh-kk"]["metrics"]["chrf"] = better  # numbers that follow from their statistics...
    atomic_write_json(file, scores)
    md, ranks = draw()
    assert TAMPERED not in ranks and ranks["madlad400-3b-mt"]  # ...but not from this run's hypotheses
    assert "statistics were not computed on this run's hypotheses" in md
    assert f"{TAMPERED} (" in md and "not ranked: its chrf score cannot be believed" in md

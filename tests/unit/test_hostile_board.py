"""One tampered run in a shared results folder costs that run its rank, never everyone else's.

The board re-derives every score from its statistics (a number edited by hand does not follow from
them) and checks that the statistics were computed on the run's own hypotheses (statistics copied
from a better run do not match them). Either way that run is set aside with a note naming it, and
the other systems are ranked on the metric all the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.store.io import atomic_write_json, staged_write
from tests.support.board import read_csv, scenario
from tests.support.cli import bench_here

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


# --- the board's files are replaced as one set -----------------------------------------------------

def board_files(results: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(results.iterdir()) if p.is_file()}


def not_in_the_set(results: Path) -> list[str]:
    """What ``sha256sum -c leaderboard.sha256`` would report: the files that differ from the manifest."""
    listed = [line.split("  ") for line in (results / "leaderboard.sha256").read_text().splitlines()]
    return [name for digest, name in listed
            if hashlib.sha256((results / name).read_bytes()).hexdigest() != digest]


@pytest.fixture
def drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """A drawn leaderboard, and a function drawing it again (from one run fewer: other files)."""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    s = scenario(tmp_path)
    args = (f"results_dir={s.results}", f"dataset.path={s.references}")
    assert bench_here(capsys, "leaderboard", *args).returncode == 0

    def again():
        for folder in (s.results / "runs" / TAMPERED).iterdir():
            shutil.rmtree(folder)
        return bench_here(capsys, "leaderboard", *args)

    return s.results, again


def test_the_board_files_come_with_a_manifest_naming_the_set(drawn):
    results, _ = drawn
    listed = {line.split("  ")[1] for line in (results / "leaderboard.sha256").read_text().splitlines()}
    assert {"leaderboard.md", "leaderboard.csv", "results.json", "leaderboard.html"} <= listed
    assert not_in_the_set(results) == []


def test_a_full_disk_while_the_board_is_written_replaces_none_of_it(drawn, monkeypatch):
    results, again = drawn
    before = board_files(results)
    written = []

    def third_is_full(path, data):
        written.append(path)
        if len(written) == 3:
            raise BenchError(f"{path}: cannot write (No space left on device); free space")
        return staged_write(path, data)

    monkeypatch.setattr("bench.board.written.staged_write", third_is_full)
    out = again()
    assert out.returncode == 2 and "No space left on device" in out.stderr, out.stderr
    assert board_files(results) == before  # not one file replaced, no temporary file left


def test_a_kill_between_the_renames_leaves_a_set_that_says_it_is_mixed(drawn, monkeypatch):
    results, again = drawn
    replace = os.replace

    def killed_after_one(src, dst):
        monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", killed_after_one)
    assert again().returncode == 130
    assert len(not_in_the_set(results)) == 1  # the one file renamed before the kill

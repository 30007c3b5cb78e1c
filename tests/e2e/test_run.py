"""``python -m bench run`` end to end with the baselines, as users run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import bench
from tests.support.refs import write_references
from tests.support.runs import stored_scores

ROWS = {
    "zh-kk": [("实现贫困人口如期脱贫。", "Кедейлерді уағында кедейліктен арылту."),
              ("责任重于泰山。", "Жауапкершілік Тайшань тауынан да ауыр."),
              ("截至2019年4月。", "2019 жылы сәуірге дейін.")],
    "zh-vi": [("强化党政一把手负总责", "Tăng cường chế độ người đứng đầu chịu trách nhiệm chung"),
              ("脱贫攻坚战以来。", "Kể từ khi bắt đầu trận chiến công kiên thoát nghèo.")],
}


@pytest.fixture
def refs(tmp_path: Path) -> Path:
    folder = tmp_path / "references"
    write_references(folder, ROWS)
    return folder


def run_dirs(results: Path, model: str) -> list[Path]:
    return sorted((results / "runs" / model).iterdir())


def test_copy_run_writes_the_run_folder_contract(refs: Path, tmp_path: Path):
    results = tmp_path / "results"
    out = bench("run", "model=copy", f"dataset.path={refs}", f"results_dir={results}", "metric=[]")
    assert out.returncode == 0, out.stderr
    [run] = run_dirs(results, "copy")
    assert (run / ".hydra" / "config.yaml").is_file()
    for pair, rows in ROWS.items():
        lines = (run / "hypotheses" / f"{pair}.txt").read_text().splitlines()
        assert lines == [src for src, _ in rows]
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "complete" and info["system"]["name"] == "copy"
    assert set(info["testset"]["pairs"]) == {"zh-kk", "zh-vi"}
    manifest = json.loads((refs / "MANIFEST.json").read_text())
    assert info["testset"]["pairs"]["zh-kk"]["sha256"] == manifest["files"]["zh-kk.jsonl"]["sha256"]
    for key in ("versions", "git_commit", "machine", "timing", "cache", "created", "finished"):
        assert key in info
    assert info["run_id"] == run.name
    assert "copy" in out.stdout and "zh-kk" in out.stdout  # the summary screen


def test_two_runs_in_the_same_second_get_different_folders(refs: Path, tmp_path: Path):
    results = tmp_path / "results"
    out = bench("-m", "run", "model=copy,copy", f"dataset.path={refs}", f"results_dir={results}",
                "metric=[]")
    assert out.returncode == 0, out.stderr
    assert len(run_dirs(results, "copy")) == 2


def test_pairs_selects_a_subset_and_unknown_pair_writes_nothing(refs: Path, tmp_path: Path):
    results = tmp_path / "results"
    ok = bench("run", "model=reference", "pairs=[zh-vi]", f"dataset.path={refs}",
               f"results_dir={results}", "metric=[]")
    assert ok.returncode == 0, ok.stderr
    [run] = run_dirs(results, "reference")
    assert [p.name for p in (run / "hypotheses").iterdir()] == ["zh-vi.txt"]
    assert (run / "hypotheses" / "zh-vi.txt").read_text().splitlines() == [r for _, r in ROWS["zh-vi"]]

    bad = bench("run", "model=copy", "pairs=[zh-xx]", f"dataset.path={refs}", f"results_dir={results}",
                "metric=[]")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "zh-xx" in bad.stderr and "zh-kk" in bad.stderr
    assert not (results / "runs" / "copy").exists()


def test_missing_reference_set_fails_in_one_line_and_leaves_no_run(tmp_path: Path):
    results = tmp_path / "results"
    out = bench("run", "model=copy", f"dataset.path={tmp_path / 'nothing'}", f"results_dir={results}",
                "metric=[]")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "python -m bench build" in out.stderr
    assert not any(results.rglob("*.json"))


def test_without_pairs_a_one_pair_model_runs_the_pairs_it_supports(refs: Path, tmp_path: Path, tiny_models):
    results = tmp_path / "results"
    out = bench("run", "model=opus-mt-zh-vi", f"model.path={tiny_models['marian']}", f"dataset.path={refs}",
                f"results_dir={results}", "metric=[chrf]")
    assert out.returncode == 0, out.stderr
    assert "cannot translate zh-kk" in out.stderr
    [run] = run_dirs(results, "opus-mt-zh-vi")
    assert [p.name for p in (run / "hypotheses").iterdir()] == ["zh-vi.txt"]
    named = bench("run", "model=opus-mt-zh-vi", f"model.path={tiny_models['marian']}", "pairs=[zh-kk]",
                  f"dataset.path={refs}", f"results_dir={results}", "metric=[chrf]")
    assert named.returncode == 2 and "translates only zh-vi" in named.stderr


def test_summary_and_scores_use_the_configured_confidence(refs: Path, tmp_path: Path):
    results = tmp_path / "results"
    out = bench("run", "model=copy", f"dataset.path={refs}", f"results_dir={results}", "metric=[chrf]",
                "bootstrap.confidence=0.9", "bootstrap.samples=200")
    assert out.returncode == 0, out.stderr
    assert "(90% bootstrap confidence intervals in brackets)" in out.stdout
    [run] = run_dirs(results, "copy")
    chrf = stored_scores(run)["zh-kk"]["chrf"]
    assert chrf["extra"]["bootstrap"]["confidence"] == 0.9 and chrf["extra"]["bootstrap"]["samples"] == 200
    assert chrf["ci_low"] <= chrf["score"] <= chrf["ci_high"]


def test_samples_file_has_one_row_per_segment_with_every_segment_score(refs: Path, tmp_path: Path):
    import pandas as pd

    results = tmp_path / "results"
    out = bench("run", "model=reference", f"dataset.path={refs}", f"results_dir={results}",
                "metric=[bleu,chrf,ter]")
    assert out.returncode == 0, out.stderr
    [run] = run_dirs(results, "reference")
    samples = pd.read_json(run / "samples.jsonl", lines=True)
    assert len(samples) == sum(map(len, ROWS.values()))
    assert {"id", "pair", "source", "reference", "hypothesis", "chrf", "ter"} <= set(samples.columns)
    assert "bleu" not in samples.columns  # no segment-level BLEU
    assert (samples["hypothesis"] == samples["reference"]).all() and (samples["chrf"] == 100).all()


def test_limit_translates_the_first_segments_and_marks_the_run(refs: Path, tmp_path: Path):
    results = tmp_path / "results"
    out = bench("run", "model=copy", f"dataset.path={refs}", f"results_dir={results}", "metric=[chrf]",
                "limit=1")
    assert out.returncode == 0, out.stderr
    [run] = run_dirs(results, "copy")
    record = json.loads((run / "run.json").read_text())
    assert record["limit"] == 1 and {p["rows"] for p in record["testset"]["pairs"].values()} == {1}
    assert (run / "hypotheses" / "zh-kk.txt").read_text().count("\n") == 1
    board = bench("leaderboard", f"dataset.path={refs}", f"results_dir={results}", "rank_by=[chrf]")
    assert board.returncode == 0, board.stderr
    md = (results / "leaderboard.md").read_text()
    assert "a smoke run (limit=1), never ranked" in md
    assert "| copy |" in md.split("stale runs (not ranked)")[1]
    assert "limit=0" in bench("run", "model=copy", f"dataset.path={refs}", f"results_dir={results}",
                              "limit=0").stderr


def test_a_killed_run_is_marked_interrupted_by_the_next_command(refs: Path, tmp_path: Path):
    import socket
    import subprocess

    results = tmp_path / "results"
    for model in ("copy", "reference"):
        assert bench("run", f"model={model}", f"dataset.path={refs}", f"results_dir={results}",
                     "metric=[chrf]").returncode == 0
    [run] = run_dirs(results, "copy")
    gone = subprocess.Popen(["true"])
    gone.wait()
    record = json.loads((run / "run.json").read_text())
    record.update(status="running", pid=gone.pid, host=socket.gethostname())
    (run / "run.json").write_text(json.dumps(record))
    bench("score", f"dataset.path={refs}", f"results_dir={results}", "metric=[chrf]")
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
    board = bench("leaderboard", f"dataset.path={refs}", f"results_dir={results}", "include_reference=true")
    assert "interrupted (not finished, and its process is gone)" in board.stderr
    assert "interrupted" in (results / "leaderboard.md").read_text().split("## Runs left out")[1]


def test_limit_with_translation_files_checks_every_row_and_translates_the_first(refs: Path, tmp_path: Path):
    results, outputs = tmp_path / "results", tmp_path / "outputs"
    outputs.mkdir()
    lines = [f"line {i}" for i in range(len(ROWS["zh-kk"]))]
    (outputs / "zh-kk.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ("run", "model=file", f"model.path={outputs}", "pairs=[zh-kk]", f"dataset.path={refs}",
            f"results_dir={results}", "metric=[chrf]")
    out = bench(*args, "limit=1")
    assert out.returncode == 0, out.stderr
    [run] = run_dirs(results, "file")
    assert (run / "hypotheses" / "zh-kk.txt").read_text(encoding="utf-8") == "line 0\n"
    (outputs / "zh-kk.txt").write_text("line 0\n", encoding="utf-8")  # a file of one line, for limit=1
    short = bench(*args, "limit=1")
    rows = len(ROWS["zh-kk"])
    assert short.returncode == 2, short.stderr
    assert f"1 lines, but the reference set has {rows} rows for zh-kk" in short.stderr


def test_a_run_finished_after_an_interruption_retires_the_old_folder_s_note(refs: Path, tmp_path: Path):
    results = tmp_path / "results"
    for _ in range(2):
        assert bench("run", "model=copy", f"dataset.path={refs}", f"results_dir={results}",
                     "metric=[chrf]").returncode == 0
    first, second = run_dirs(results, "copy")
    record = json.loads((first / "run.json").read_text())
    record.update(status="interrupted", created="2020-01-01T00:00:00+00:00")
    (first / "run.json").write_text(json.dumps(record))
    board = bench("leaderboard", f"dataset.path={refs}", f"results_dir={results}")
    assert board.returncode == 0, board.stderr
    assert f"copy/{first.name}: interrupted (not finished, and its process is gone); finished since as " \
           f"copy/{second.name}, so this folder can be deleted" in board.stderr
    assert "run the same command again" not in board.stderr


def test_a_bad_system_name_is_refused_even_with_a_run_folder_of_ones_own(refs: Path, tmp_path: Path):
    """``hydra.run.dir=DIR`` bypasses the resolver that checks ``model.name``: the run checks it too,
    so it never writes a run.json that bench's own reader refuses."""
    out = bench("run", "model=copy", "model.name=bad name", f"hydra.run.dir={tmp_path / 'mine'}",
                f"dataset.path={refs}", f"results_dir={tmp_path / 'results'}", "metric=[chrf]")
    assert out.returncode == 2 and "model.name='bad name'" in out.stderr, out.stderr
    assert not (tmp_path / "mine" / "run.json").exists()

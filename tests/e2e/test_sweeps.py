"""Sweeps: ``python -m bench -m run`` with parallel jobs sharing one results folder and one cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import bench
from tests.support.refs import write_references
from tests.support.runs import stored_scores

ROWS = [(f"实现贫困人口如期脱贫,第{i}条。", f"Кедейлерді арылту {i}.") for i in range(40)]


def test_four_parallel_jobs_lose_nothing_and_all_reach_the_leaderboard(tiny_models, tmp_path: Path):
    refs, results = tmp_path / "references", tmp_path / "results"
    write_references(refs, {"zh-kk": ROWS})
    names = ["job-a", "job-b", "job-c", "job-d"]
    out = bench("-m", "run", "model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}",
                f"model.name={','.join(names)}", "model.num_beams=1", "model.max_new_tokens=12",
                "chunk_size=4", "hydra/launcher=parallel", "hydra.launcher.n_jobs=4",
                f"dataset.path={refs}", f"results_dir={results}", "metric=[bleu,chrf]", timeout=600)
    assert out.returncode == 0, out.stderr
    outputs = []
    for name in names:
        [run] = list((results / "runs" / name).iterdir())
        info = json.loads((run / "run.json").read_text())
        assert info["status"] == "complete"
        assert set(stored_scores(run)["zh-kk"]) == {"bleu", "chrf"}
        outputs.append((run / "hypotheses" / "zh-kk.txt").read_text().splitlines())
    assert all(len(o) == len(ROWS) for o in outputs)
    assert outputs.count(outputs[0]) == 4  # same model, same fingerprint: shared cache, same output

    board = bench("leaderboard", f"results_dir={results}", f"dataset.path={refs}")
    assert board.returncode == 0, board.stderr
    table = (results / "leaderboard.md").read_text()
    assert all(f"| {name} |" in table for name in names)


def test_a_submitit_sweep_lands_in_one_results_folder_and_one_leaderboard(tmp_path: Path):
    """``hydra/launcher=submitit_local`` runs each job as its own process through submitit, the machinery
    behind ``hydra/launcher=slurm``: the jobs share the results folder, and one leaderboard ranks both."""
    refs, results = tmp_path / "references", tmp_path / "results"
    write_references(refs, {"zh-kk": ROWS[:5]})
    out = bench("-m", "run", "model=copy", "model.name=copy-a,copy-b", "hydra/launcher=submitit_local",
                f"dataset.path={refs}", f"results_dir={results}", "metric=[bleu,chrf]")
    assert out.returncode == 0, out.stderr
    jobs = sorted((results / "sweeps").glob("*/.submitit/*/*_0_log.err"))  # the sweep's own folder
    assert len(jobs) == 2  # two submitit jobs, each with its own log
    for name in ("copy-a", "copy-b"):
        [run] = list((results / "runs" / name).iterdir())
        assert json.loads((run / "run.json").read_text())["status"] == "complete"
        assert set(stored_scores(run)["zh-kk"]) == {"bleu", "chrf"}
    board = bench("leaderboard", f"results_dir={results}", f"dataset.path={refs}")
    assert board.returncode == 0, board.stderr
    table = (results / "leaderboard.md").read_text()
    assert "| copy-a (baseline) |" in table and "| copy-b (baseline) |" in table  # copies: never ranked


def test_a_failing_job_does_not_stop_the_sweep(tmp_path: Path):
    refs, results = tmp_path / "references", tmp_path / "results"
    write_references(refs, {"zh-kk": ROWS[:3]})
    out = bench("-m", "run", "model=opus-mt-zh-vi,copy", "pairs=[zh-kk]", f"dataset.path={refs}",
                f"results_dir={results}", "metric=[bleu]")
    assert out.returncode != 0
    assert "bench run: error: model opus-mt-zh-vi translates only zh-vi" in out.stderr
    assert "at least one sweep job failed" in out.stderr
    [run] = list((results / "runs" / "copy").iterdir())  # the job after the failed one still ran
    assert json.loads((run / "run.json").read_text())["status"] == "complete"
    assert not (results / "runs" / "opus-mt-zh-vi").exists()  # it never started: nothing of it is kept
    failed = next(line for line in out.stdout.splitlines() if " failed " in line)
    assert "(removed)" in failed and "opus-mt-zh-vi/" not in failed  # the table names no folder that is gone
    done = next(line for line in out.stdout.splitlines() if " completed " in line)
    assert f"copy/{run.name}" in done


@pytest.mark.parametrize(("sweep", "refused", "reason"), [
    ("model.name=bad name,ok", "model.name=bad\\ name", "model.name='bad name': a system name is letters"),
    ("results_dir=/proc/bench-results,results", "results_dir=/proc/bench-results",
     "/proc: cannot create folders here"),
], ids=["model.name", "results_dir"])
def test_a_job_whose_run_folder_is_refused_is_recorded_and_the_sweep_goes_on(sweep: str, refused: str,
                                                                              reason: str, tmp_path: Path):
    """Hydra resolves a job's run folder (and the sweep folder again, with the job's own settings)
    before the job starts; a refused one used to stop the sweep there, without a line for the job in
    ``jobs.jsonl``."""
    write_references(tmp_path / "references", {"zh-kk": ROWS[:2]})
    out = bench("-m", "run", "model=copy", sweep, "metric=[chrf]", cwd=tmp_path)
    assert out.returncode == 2
    assert f"at least one sweep job failed; the first: {reason}" in out.stderr.strip().splitlines()[-1]
    [record] = list((tmp_path / "results" / "sweeps").iterdir())
    jobs = [json.loads(line) for line in (record / "jobs.jsonl").read_text().splitlines()]
    assert [(j["job"], j["status"]) for j in jobs] == [(0, "failed"), (1, "completed")]
    assert refused in jobs[0]["overrides"] and reason in jobs[0]["error"]
    assert sorted(p.name for p in record.iterdir()) == ["jobs.jsonl", "multirun.yaml"]  # no stand-in left
    [run] = list((tmp_path / "results" / "runs").glob("*/*"))  # the job after the refused one ran
    assert json.loads((run / "run.json").read_text())["status"] == "complete"
    failed = next(line for line in out.stdout.splitlines() if " failed " in line)
    assert "(removed)" in failed and reason in failed

"""Thread counts reach torch: ``bench run`` on a tiny model, the count read from run.json (the cgroup
and affinity rules themselves are in ``tests/unit/test_cores.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.systems.seq2seq import NLLB
from tests.support.cli import ROOT
from tests.support.refs import write_references


def test_run_gives_torch_the_cores_it_may_use(tmp_path, tiny_models):
    """``bench run`` on one core of the affinity mask, OMP_NUM_THREADS unset: torch gets one thread."""
    refs, results = tmp_path / "references", tmp_path / "results"
    write_references(refs, {"zh-kk": [("你好。", "Сәлем.")]})
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env.update(HF_HUB_OFFLINE="1", TQDM_DISABLE="1")
    first_core = min(os.sched_getaffinity(0))
    done = subprocess.run(
        [sys.executable, "-m", "bench", "run", "model=nllb-200-distilled-600M",
         f"model.path={tiny_models['nllb']}", "model.num_beams=1", "metric=[chrf]", f"dataset.path={refs}",
         f"results_dir={results}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        preexec_fn=lambda: os.sched_setaffinity(0, {first_core}))
    assert done.returncode == 0, done.stderr
    assert json.loads(next(results.rglob("run.json")).read_text())["system_info"]["threads"] == 1


def test_model_threads_wins_over_the_environment(tiny_models, monkeypatch):
    import torch

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    before = torch.get_num_threads()
    try:
        told, from_env = (NLLB("t", path=str(tiny_models["nllb"]), threads=n) for n in (2, 0))
        for system in (told, from_env):
            system.translate(["你好。"], "zh", "kk")
        assert told.describe()["threads"] == 2 and from_env.describe()["threads"] == 3
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_a_thread_count_that_is_no_count_is_refused(tmp_path, tiny_models):
    from tests.support.cli import bench

    result = bench("run", "model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}",
                   "model.threads=-1", f"results_dir={tmp_path}")
    assert result.returncode == 2 and "model.threads=-1" in result.stderr.strip().splitlines()[-1]

"""Killed runs resume: ``kill -9`` at several points, then the same command again, gives exactly the
hypotheses of an uninterrupted run, with no duplicates, no gaps and no finished segment redone."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import ROOT, TEST_ENV, bench
from tests.support.refs import write_references
from tests.support.runs import stored_scores

ROWS = 96
CHUNK = 8


@pytest.fixture(scope="module")
def refs(tmp_path_factory) -> Path:
    """A zh-kk test set of distinct sources, long enough that a kill lands mid-translation."""
    folder = tmp_path_factory.mktemp("resume") / "references"
    phrases = ["实现贫困人口如期脱贫", "责任重于泰山", "各级党委和政府必须不辱使命", "截至2019年4月",
               "推进脱贫攻坚工作", "打通了精准扶贫最后一公里", "中央要求每个贫困村都要派驻村工作队"]
    rows = [(f"{phrases[i % len(phrases)]},第{i}条。", f"Жол {i}.") for i in range(ROWS)]
    write_references(folder, {"zh-kk": rows})
    return folder


def args(tiny_models, refs: Path, results: Path) -> list[str]:
    return ["run", "model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}",
            "model.num_beams=1", "model.max_new_tokens=16", f"chunk_size={CHUNK}",
            # a budget of a few rows a batch: chunks are whole batches, so this keeps them CHUNK-sized
            "model.batch_tokens=128", f"dataset.path={refs}",
            f"results_dir={results}", "metric=[chrf]"]


def only_run(results: Path, complete: bool = True) -> Path:
    runs = [p.parent for p in (results / "runs").glob("*/*/run.json")
            if (json.loads(p.read_text())["status"] == "complete") == complete]
    assert len(runs) == 1, runs
    return runs[0]


def cached_rows(results: Path) -> int:
    db = results / "cache" / "translations.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
    except sqlite3.Error:  # created but no table yet
        return 0


@pytest.fixture(scope="module")
def uninterrupted(tiny_models, refs: Path, tmp_path_factory) -> list[str]:
    results = tmp_path_factory.mktemp("whole")
    out = bench(*args(tiny_models, refs, results))
    assert out.returncode == 0, out.stderr
    return (only_run(results) / "hypotheses" / "zh-kk.txt").read_text().splitlines()


# late, with room: a chunk of a tiny model takes milliseconds, and the last one could finish between
# the check and the kill
@pytest.mark.parametrize("kill_after", [0, CHUNK * 3, ROWS // 2, ROWS - 3 * CHUNK])
def test_kill_9_then_run_again_finishes_without_redoing_work(tiny_models, refs, uninterrupted, tmp_path,
                                                             kill_after):
    results = tmp_path / "results"
    env = {**os.environ, **TEST_ENV}
    proc = subprocess.Popen([sys.executable, "-m", "bench", *args(tiny_models, refs, results)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        started = any((results / "runs").glob("*/*/run.json")) if results.exists() else False
        if started and cached_rows(results) >= kill_after:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed; make the test set longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = cached_rows(results)
    assert done_before < ROWS

    again = bench(*args(tiny_models, refs, results))
    assert again.returncode == 0, again.stderr
    run = only_run(results)
    hypotheses = (run / "hypotheses" / "zh-kk.txt").read_text().splitlines()
    assert hypotheses == uninterrupted  # identical, so no gaps and nothing out of order
    info = json.loads((run / "run.json").read_text())
    assert info["cache"]["hits"] == done_before  # every finished segment was reused ...
    assert info["cache"]["misses"] == ROWS - done_before  # ... and only the rest translated
    assert cached_rows(results) == ROWS  # one cache row per source: no duplicates
    assert stored_scores(run)["zh-kk"]["chrf"]["score"] >= 0
    only_run(results, complete=False)  # the killed run is kept as incomplete, never ranked


def test_finished_run_repeated_loads_no_model(tiny_models, refs, uninterrupted, tmp_path):
    results = tmp_path / "results"
    assert bench(*args(tiny_models, refs, results)).returncode == 0
    first = only_run(results)
    again = bench(*args(tiny_models, refs, results))
    assert again.returncode == 0, again.stderr
    [second] = [p for p in (results / "runs" / "nllb-200-distilled-600M").iterdir() if p != first]
    info = json.loads((second / "run.json").read_text())
    assert info["cache"]["hits"] == ROWS and info["cache"]["misses"] == 0
    assert "load_seconds" not in info["system_info"]  # the model was never loaded
    assert (second / "hypotheses" / "zh-kk.txt").read_text().splitlines() == uninterrupted

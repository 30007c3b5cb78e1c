"""A sweep as Hydra users know it: job lines while it starts, one record per sweep (never overwritten),
and a table of every job at the end, failed ones included."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import bench
from tests.support.refs import write_references

ROWS = {"zh-kk": [("今天天气很好。", "Бүгін ауа райы өте жақсы."),
                  ("会议将于下周举行。", "Кездесу келесі аптада өтеді.")]}


def sweep(refs: Path, results: Path, models: str):
    return bench("-m", "run", f"model={models}", "metric=[chrf]", f"dataset.path={refs}",
                 f"results_dir={results}")


def test_each_sweep_keeps_its_record_and_ends_with_a_table_of_its_jobs(tmp_path: Path):
    refs, results = tmp_path / "references", tmp_path / "results"
    write_references(refs, ROWS)
    first = sweep(refs, results, "copy,reference")
    assert first.returncode == 0, first.stderr
    assert "#0 : model=copy" in first.stderr and "#1 : model=reference" in first.stderr
    table = first.stdout.split("\nsweep ")[1].splitlines()
    assert table[0].endswith(": 2 jobs") and "completed" in table[2] and "zh-kk chrf 100.00" in table[3]

    second = sweep(refs, results, "copy,file")  # model=file without model.path fails its preflight
    assert second.returncode == 2
    failed = [row for row in second.stdout.split("\nsweep ")[1].splitlines() if "failed" in row]
    assert len(failed) == 1 and "  model.path is required: pass model.path=VALUE" in failed[0]
    last = second.stderr.strip().splitlines()[-1]  # what a submitit sweep's terminal shows of a job
    assert last.startswith("bench run: error: at least one sweep job failed; the first: model.path is "
                           "required")

    records = sorted((results / "sweeps").iterdir())
    assert len(records) == 2 and all((r / "multirun.yaml").is_file() for r in records)
    jobs = [json.loads(line) for line in (records[1] / "jobs.jsonl").read_text().splitlines()]
    assert sorted((j["job"], j["status"]) for j in jobs) == [(0, "completed"), (1, "failed")]
    assert sorted(p.name for p in (results / "runs").iterdir()) == ["copy", "reference"]
    assert len(list((results / "runs" / "copy").iterdir())) == 2

"""Sweeps as Hydra users know them: each sweep keeps its own record, and ends with one table of its jobs.

``hydra.sweep.dir`` is ``results/sweeps/<sweep-id>/`` (Hydra's ``multirun.yaml`` lands there, one per
sweep, never overwritten), while each job's folder stays ``results/runs/<model>/<run-id>/``: the
``sweep_job_dir`` resolver (:func:`job_folder`) gives an absolute path, which Hydra joins to the sweep
folder as it is.

:class:`SweepRecord` is a Hydra callback. Every job, in whatever process the launcher runs it,
appends one line to ``<sweep>/jobs.jsonl``; at the end the table of all jobs is printed, also when
some failed (``bench/__main__.py`` prints it before the error line).

Hydra resolves a job's run folder before the job starts and before any callback hears of it:
:func:`job_folder` and :func:`bench.store.runs.folder_of_job` keep a refused one
(``model.name='bad name'``, a job's ``results_dir=/proc/x``) from stopping the sweep and leaving
the job out of its record.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bench.core.console import flat, report, table
from bench.core.errors import BenchError
from bench.store.runs import SWEEP_ENV

#: the sweep folder, set by the launching process for the jobs it starts (and their processes)
ENV = SWEEP_ENV
JOBS = "jobs.jsonl"
ERROR_WIDTH = 120  # characters of a failed job's error shown in the table


#: this process's jobs whose run folder was refused: stand-in folder -> the refusal
_REFUSED: dict[str, str] = {}


def job_folder(results_dir: str, system: str) -> str:
    """A sweep job's run folder, as for a single run (:func:`bench.store.runs.new_run_folder`).

    A refusal raised here would stop the whole sweep, the jobs after this one included, and no
    callback would record the job. So a refused job gets a stand-in folder, ``<sweep>/<job number>``
    (Hydra's own layout), and fails as it starts with the refusal as its one-line error
    (:func:`refusal`): the other jobs run, the table and ``jobs.jsonl`` show it failed, and the
    stand-in is removed like the folder of any job that never started.
    """
    from bench.store.runs import new_run_folder, planned

    try:
        return new_run_folder(results_dir, system)
    except BenchError as exc:
        sweep = os.environ.get(ENV)
        if not sweep:  # not a sweep bench started: nothing would record the job
            raise
        stand_in = planned(Path(sweep, str(HydraConfig.get().job.num)))
        _REFUSED[stand_in] = str(exc)
        return stand_in


def refusal(run_dir: Path) -> None:
    """Raise the refusal of this job's run folder, if :func:`job_folder` gave it a stand-in."""
    reason = _REFUSED.pop(str(Path(run_dir).absolute()), None)
    if reason is not None:
        raise BenchError(reason)


OmegaConf.register_new_resolver("sweep_job_dir", job_folder, replace=True)


class SweepRecord(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from bench.cli.settings import check_launcher

        try:
            check_launcher(config)
        except BenchError as exc:  # Hydra turns a callback's exceptions into warnings: exit here
            sys.exit(report(sys.argv[0].removeprefix("bench "), str(exc)))  # ``bench run``
        try:
            folder = str(config.hydra.sweep.dir)
        except OmegaConfBaseException:  # refused (``results_dir=''``): Hydra meets it next, and says it
            return
        os.environ[ENV] = str(Path(folder).absolute())

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        folder = os.environ.get(ENV)
        if not folder:
            return
        hydra = job_return.hydra_cfg.hydra
        error = job_return._return_value if job_return.status.name == "FAILED" else None
        error = getattr(error, "reason", error)  # bench's own one-line error, without the sweep's words
        line = json.dumps({"job": int(hydra.job.num), "overrides": list(job_return.overrides),
                           "status": job_return.status.name.lower(), "run_dir": str(hydra.runtime.output_dir),
                           **({"error": str(error)} if error is not None else {})}, ensure_ascii=False)
        with open(Path(folder) / JOBS, "a", encoding="utf-8") as handle:  # one short line: one write
            handle.write(line + "\n")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        print(summary(os.environ.get(ENV)), end="", flush=True)


def summary(folder: str | None) -> str:
    """The table of a sweep's jobs (number, overrides, status, run folder, scores), or ''."""
    file = Path(folder) / JOBS if folder else None
    if file is None or not file.is_file():
        return ""
    jobs = sorted((json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line),
                  key=lambda j: j["job"])
    rows = [["#", "overrides", "status", "run", "scores"]]
    for job in jobs:
        scores = _scores(Path(job["run_dir"])) if job["status"] != "failed" else _error(job.get("error"))
        rows.append([str(job["job"]), " ".join(job["overrides"]), job["status"], _relative(job["run_dir"]),
                     scores])
    return f"\nsweep {folder}: {len(jobs)} jobs\n{table(rows)}\n"


def _error(text: object) -> str:
    """A failed job's error for its row of the table, on one line."""
    message = flat(str(text or "")) or "failed (see the job's log)"
    return message if len(message) <= ERROR_WIDTH else message[:ERROR_WIDTH - 1] + "…"


def _relative(run_dir: str) -> str:
    """``<model>/<run-id>``; a job that failed before it started leaves no folder (bench removes what
    it made), and a table must not send anyone looking for it."""
    path = Path(run_dir)
    return f"{path.parent.name}/{path.name}" if path.is_dir() else "(removed)"


def _scores(run_dir: Path) -> str:
    from bench.store.runs import load_run

    try:
        scores = load_run(run_dir).scores()
    except BenchError:
        return "-"
    return ", ".join(f"{pair} {name} {s.score:.2f}" for pair, held in sorted(scores.pairs.items())
                     for name, s in sorted(held.metrics.items())) or "-"

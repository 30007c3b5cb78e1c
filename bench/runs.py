"""The run folder on disk: the contract between ``run``, ``score`` and ``leaderboard``.

::

    results/runs/<model>/<run-id>/
        .hydra/config.yaml        the composed config (Hydra)
        hypotheses/<pair>.txt     one line per reference row, in reference order
        run.json                  system, test set hashes, versions, timings ("status": "complete" at the end)
        scores.json               {pair: {metric: Score.to_json()}}

A run is written in that order; ``run.json`` is rewritten with ``"status": "complete"`` last, so a
run killed half-way is recognisable and never ranked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.io import atomic_write_json, atomic_write_text, read_json, read_text

log = logging.getLogger(__name__)

RUN_JSON = "run.json"
SCORES_JSON = "scores.json"
HYPOTHESES = "hypotheses"
COMPLETE = "complete"


def runs_root(results_dir: str | Path) -> Path:
    return Path(results_dir) / "runs"


def hypotheses_path(run_dir: Path, pair: str) -> Path:
    return Path(run_dir) / HYPOTHESES / f"{pair}.txt"


def one_line(text: str) -> str:
    """Hypotheses are stored one per line: fold any line breaks a system produced into spaces."""
    return " ".join(text.splitlines()).strip() if ("\n" in text or "\r" in text) else text.strip()


def write_hypotheses(run_dir: Path, pair: str, lines: list[str]) -> None:
    atomic_write_text(hypotheses_path(run_dir, pair), "".join(one_line(x) + "\n" for x in lines))


def read_hypotheses(path: Path, rows: int) -> list[str]:
    """Read a hypothesis file that must have exactly ``rows`` lines (one per reference row)."""
    text = read_text(path).removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    if len(lines) != rows:
        raise BenchError(
            f"{path}: {len(lines)} lines but the test set has {rows} rows; "
            "it must hold one translation per reference row, in reference order"
        )
    return lines


@dataclass
class Run:
    path: Path
    info: dict[str, Any]

    @property
    def system(self) -> str:
        return self.info["system"]["name"]

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def complete(self) -> bool:
        return self.info.get("status") == COMPLETE

    def hypotheses(self, pair: str) -> list[str]:
        rows = self.info["testset"]["pairs"][pair]["rows"]
        return read_hypotheses(hypotheses_path(self.path, pair), rows)

    def scores(self) -> dict[str, dict[str, dict[str, Any]]]:
        file = self.path / SCORES_JSON
        return read_json(file) if file.is_file() else {}

    def save_scores(self, scores: dict[str, dict[str, dict[str, Any]]]) -> None:
        atomic_write_json(self.path / SCORES_JSON, scores)

    def save_info(self) -> None:
        atomic_write_json(self.path / RUN_JSON, self.info)


def load_run(run_dir: Path) -> Run:
    info = read_json(Path(run_dir) / RUN_JSON)
    if not isinstance(info, dict) or "system" not in info or "testset" not in info:
        raise BenchError(f"{Path(run_dir) / RUN_JSON}: not a bench run record; delete the run folder")
    return Run(Path(run_dir), info)


def discover_runs(results_dir: str | Path) -> tuple[list[Run], list[str]]:
    """Every complete run under ``results_dir``, plus one line per folder that was skipped and why."""
    runs: list[Run] = []
    skipped: list[str] = []
    for file in sorted(runs_root(results_dir).glob(f"*/*/{RUN_JSON}")):
        try:
            run = load_run(file.parent)
        except BenchError as exc:
            skipped.append(str(exc))
            continue
        if run.complete:
            runs.append(run)
        else:
            skipped.append(f"{file.parent}: incomplete run (interrupted?); run the same command again")
    return runs, skipped

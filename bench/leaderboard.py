"""``python -m bench leaderboard``: ``results/leaderboard.{md,csv,html}`` from every stored run.

All three files are rendered in memory from one :class:`~bench.board.collect.Board` before any is
written, so a problem (no runs, a damaged reference file) leaves the previous files untouched; each is
then written atomically. Nothing here imports torch: metrics are loaded only for ``aggregate`` and
``higher_is_better``, and significance tests resample the statistics stored in ``scores.json``.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig

from bench.board import html, markdown, tidy
from bench.board.collect import Board, Policy, Significance, collect
from bench.cli import command
from bench.errors import BenchError
from bench.io import atomic_write_text
from bench.metrics import load_metric
from bench.metrics.significance import METHODS, rank_clusters
from bench.refset.store import TestSet
from bench.runs import discover_runs, runs_root

log = logging.getLogger("bench.leaderboard")


def policy(cfg: DictConfig) -> Policy:
    """The settings of ``configs/leaderboard.yaml``, checked (``rank_by`` may be one name or a list)."""
    method = str(cfg.significance.method)
    if method not in METHODS:
        raise BenchError(f"significance.method={method}: choose one of {', '.join(METHODS)}")
    rank_by = cfg.rank_by
    names = tuple(str(n) for n in rank_by) if isinstance(rank_by, ListConfig) else (str(rank_by),)
    return Policy(rank_by=names, include_reference=bool(cfg.include_reference),
                  off_target=str(cfg.off_target_metric),
                  significance=Significance(method=method, alpha=float(cfg.significance.alpha)))


def build(cfg: DictConfig) -> tuple[Board, dict[Path, str]]:
    """The board and the three files' text, keyed by where they go."""
    runs, skipped = discover_runs(cfg.results_dir)
    for line in skipped:
        log.warning("skipped %s", line)
    if not runs:
        raise BenchError(f"no complete runs under {runs_root(cfg.results_dir)}; "
                         "run `python -m bench run model=copy` first")
    references: TestSet = instantiate(cfg.dataset)  # the current test set: only runs on it are ranked
    current = {pair: references.sha256(pair) for pair in references.pairs()}
    chosen = policy(cfg)
    rank = functools.partial(rank_clusters, alpha=chosen.significance.alpha,
                             method=chosen.significance.method)
    board = collect(runs, current, chosen, metric=functools.cache(load_metric), rank=rank)
    rows = {p.pair: references.load(p.pair) for p in board.pairs}
    out = Path(cfg.results_dir)
    return board, {out / "leaderboard.md": markdown.render(board),
                   out / "leaderboard.csv": tidy.render(board),
                   out / "leaderboard.html": html.render(board, rows)}


@command("leaderboard")
def main(cfg: DictConfig) -> None:
    board, files = build(cfg)
    for note in board.notes:
        log.warning("left out: %s", note)
    for path, text in files.items():
        atomic_write_text(path, text)
    systems = sum(len(p.entries) for p in board.pairs)
    log.info("wrote %s (%d pairs, %d ranked entries)", ", ".join(str(p) for p in files), len(board.pairs),
             systems)

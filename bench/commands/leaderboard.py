"""``python -m bench leaderboard``: ``results/leaderboard.{md,csv,html}`` and ``results/results.json``
from every stored run.

All four files are rendered in memory from one :class:`~bench.board.collect.Board` before any is
written, so a problem (no runs, a damaged reference file) leaves the previous files untouched; each is
then written atomically. Nothing here imports torch: metrics are loaded only for ``aggregate`` and
``higher_is_better``, and significance tests resample the statistics stored in ``scores.json``.
"""

from __future__ import annotations

import functools
import logging
import shlex
from collections import Counter
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig

from bench.board import drilldown, html, markdown, tidy
from bench.board.collect import Board, Policy, Significance, collect
from bench.board.written import write_board
from bench.core.console import printable
from bench.core.errors import BenchError
from bench.human.trust import HUMAN, attach, without_human
from bench.metrics import load_metric, shipped_metrics
from bench.refset.store import TestSet
from bench.store.runs import Run, discover_runs, runs_root
from bench.testsets import boards as testsets

log = logging.getLogger("bench.leaderboard")


def policy(cfg: DictConfig) -> Policy:
    """The settings of ``configs/leaderboard.yaml``, checked (``rank_by`` may be one name or a list; the
    choice and yes/no settings were checked with every command's, in :mod:`bench.cli.settings`)."""
    threshold = cfg.off_target_threshold
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 100:
        raise BenchError(f"off_target_threshold={threshold!r}: a percentage between 0 and 100, e.g. 10")
    alpha = cfg.significance.alpha
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise BenchError(f"significance.alpha={alpha!r}: a significance level between 0 and 1, e.g. 0.05")
    rank_by = cfg.rank_by
    names = tuple(str(n) for n in rank_by) if isinstance(rank_by, ListConfig) else (str(rank_by),)
    unknown = [n for n in names if n not in shipped_metrics() and n != HUMAN]
    if unknown or not names:
        raise BenchError(f"rank_by={','.join(unknown) or '[]'}: rank by metrics bench ships, e.g. "
                         f"rank_by=[comet,chrf]; valid: {', '.join(shipped_metrics())}")
    return Policy(rank_by=names, include_reference=cfg.include_reference,
                  off_target=str(cfg.off_target_metric), off_target_threshold=float(threshold),
                  significance=Significance(method=str(cfg.significance.method), alpha=float(alpha),
                                            correction=str(cfg.significance.correction)))


def build(cfg: DictConfig) -> tuple[list[Board], dict[Path, str]]:
    """One board per test set the runs were made on (the current one first; they never mix) and the
    files' text, keyed by where they go: one Markdown file, CSV and results.json for all of them (each
    row names its test set), one HTML page each (:mod:`bench.testsets.boards`)."""
    runs, skipped = discover_runs(cfg.results_dir)
    if not runs:
        raise BenchError(f"no complete runs under {runs_root(cfg.results_dir)}; "
                         "run `python -m bench run model=copy` first")
    references: TestSet = instantiate(cfg.dataset)  # the current test set: only runs on it are ranked
    found = testsets.partition(runs, references)
    # no run on the current set: refused (naming the sets the runs were made on), never an empty board
    check_test_set(runs, found[0].hashes, references.name, runs_root(cfg.results_dir))
    chosen, loader = policy(cfg), functools.cache(load_metric)
    out, pages = Path(cfg.results_dir), testsets.page_names(found)
    boards, markdowns, files, agreement = [], [], {}, []
    for k, item in enumerate(found):
        board = collect(item.runs, item.hashes, without_human(chosen), metric=loader)
        board.testset, board.about = item.title, item.about
        if k == 0:
            board.notes[:0] = skipped  # runs that could not be read, or never finished: listed as left out
        rows = {p.pair: item.testset.load(p.pair) for p in board.pairs}
        for pair in board.pairs:
            drilldown.read(pair, rows[pair.pair])
        trust = attach(board, cfg.results_dir, rows, item.hashes, loader,
                       rank_by_human=chosen.rank_by[0] == HUMAN)
        page = trust.into_page(html.render(board, rows))
        files[out / pages[k]] = testsets.with_switch(page, found, pages, k) if len(found) > 1 else page
        boards.append(board)
        markdowns.append(markdown.render(board) + trust.markdown())
        agreement += trust.records()  # human judgments: each metric's agreement with them
    files[out / "leaderboard.md"] = "\n".join(markdowns)
    files[out / "leaderboard.csv"] = tidy.render(*boards)
    files[out / "results.json"] = tidy.render_json(*boards, human_agreement=agreement)
    return boards, files


def check_test_set(runs: list[Run], current: dict[str, str], name: str, root: Path) -> None:
    """Refuse, rather than replace a board with one that has no run on it: runs made on the user's own
    test set, and ``leaderboard`` without ``dataset.path=``, would otherwise overwrite their board
    with an empty one for the shipped set. Says which test sets the runs were made on and how to
    choose each."""
    if any(current.get(pair) == made.sha256 for run in runs for pair, made in run.record.pairs.items()):
        return
    counts = Counter(run.record.testset for run in runs)
    found = "; ".join(_printable(f"{other} ({n} run{'s' if n > 1 else ''}): {_choose(other, name)}")
                      for other, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:3])
    more = f"; and {len(counts) - 3} other test sets" if len(counts) > 3 else ""
    raise BenchError(f"no complete run under {root} was made on the current test set {name}, so the board "
                     f"files are left as they are; the runs were made on {found}{more}")


def _choose(testset: str, current: str) -> str:
    """How to make ``testset`` (a run's record of it, ``local:PATH`` or ``hub:REPO[@REVISION]``) current."""
    kind, _, where = testset.partition(":")
    if testset == current:
        return "an older version of it: run the systems again on this one"
    if kind == "local":
        return f"pass {shlex.quote(f'dataset.path={where}')}"
    if kind == "hub":
        repo, _, revision = where.partition("@")
        return f"pass dataset=hub {shlex.quote(f'dataset.repo_id={repo}')}" \
            + (f" {shlex.quote(f'dataset.revision={revision}')}" if revision else "")
    return "a test set of another kind"


def _printable(text: str) -> str:
    """A name from someone's ``run.json`` as it may reach a terminal: control characters escaped."""
    return text if text.isprintable() else ascii(text)


def main(cfg: DictConfig) -> None:
    boards, files = build(cfg)
    for note in (note for board in boards for note in board.notes):
        log.warning("left out: %s", printable(note))
    write_board(files)  # all of them or none, with leaderboard.sha256 naming the set
    pairs = [p for board in boards for p in board.pairs]
    log.info("wrote %s (%d test set(s), %d pairs, %d ranked entries)", ", ".join(str(p) for p in files),
             len(boards), len(pairs), sum(len(p.entries) for p in pairs))

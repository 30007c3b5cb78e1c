"""``results/leaderboard.csv`` and ``results/results.json``: the ranked entries as tidy data, one row
per system x pair x metric.

Full-precision numbers (``repr`` of the stored float) and no formatting, so a notebook or spreadsheet
gets exactly what ``scores.json`` holds. ``role`` is ``system``, ``flagged`` (off-target above the
threshold, ranked after the systems) or ``baseline`` (never ranked: ``rank`` is empty). Runs on an older
test set are not leaderboard entries and are left out; the Markdown and HTML pages list them.

Texts come from other people's files (a signature is whatever ``scores.json`` says), and a spreadsheet
runs a cell that starts like a formula (``=HYPERLINK(...)``, ``@SUM(...)``), also after leading spaces,
which spreadsheets skip. Such cells get a leading single quote, as OWASP advises against CSV injection,
which spreadsheets show as text; numbers, negative ones included, are left as they are. Control
characters are shown as escapes (:func:`bench.core.console.printable`), so ``cat leaderboard.csv`` cannot
run a terminal's escape sequences.
"""

from __future__ import annotations

import csv
import io
import re

from bench.board import fmt
from bench.board.collect import Board
from bench.core.console import printable
from bench.store.io import dumps_json

COLUMNS = ("pair", "system", "metric", "score", "ci_low", "ci_high", "signature", "run_id", "rank",
           "rank_metric", "segments", "role", "testset")
#: what a spreadsheet reads as the start of a formula (a tab or carriage return too, in some)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def value(number: float | int | None) -> str:
    return "" if number is None else repr(number)


def inert(cell: str) -> str:
    """``cell`` as a spreadsheet shows it and never runs it."""
    cell = printable(cell)
    lead = cell.lstrip()
    return "'" + cell if lead.startswith(FORMULA_START) and not NUMBER.fullmatch(lead) else cell


def records(board: Board) -> list[dict[str, object]]:
    """One record per shown system x pair x metric: the rows of the CSV and of ``results.json``.

    ``rank`` is the entry's significance cluster on the pair, decided by ``rank_metric`` (the same for
    every metric row of the entry, so a script can tell which metric ranked); ``segments`` is how many
    segments the score is over."""
    rows: list[dict[str, object]] = []
    for pair in board.pairs:
        for entry in pair.shown:
            for name, score in entry.scores.items():
                rows.append({"pair": pair.pair, "system": entry.system, "metric": name, "score": score.score,
                             "ci_low": score.ci_low, "ci_high": score.ci_high, "signature": score.signature,
                             "run_id": entry.run.run_id, "rank": entry.rank,
                             "rank_metric": pair.rank_metric if entry.rank is not None else None,
                             "segments": len(score.stats or []), "role": fmt.role(entry),
                             "testset": board.testset})
    return rows


def render(*boards: Board) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in (row for board in boards for row in records(board)):
        writer.writerow([inert(cell if isinstance(cell, str) else value(cell)) for cell in row.values()])
    return out.getvalue()


#: version of the shape of ``results.json``: 2 made it an object, so that the metrics' agreement with
#: human judgments can sit beside the results
RESULTS_SCHEMA = 2


def render_json(*boards: Board, human_agreement: list[dict] | None = None) -> str:
    """``results.json``: ``results``, the same records as the CSV (``pandas.DataFrame(data["results"])``),
    and ``human_agreement``, one record per test set x pair x metric x level x statistic (empty
    without human judgments; :mod:`bench.human.trust`)."""
    return dumps_json({"schema_version": RESULTS_SCHEMA,
                       "results": [row for board in boards for row in records(board)],
                       "human_agreement": human_agreement or []})

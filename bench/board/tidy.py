"""``results/leaderboard.csv``: the ranked entries as tidy data, one row per system x pair x metric.

Full-precision numbers (``repr`` of the stored float) and no formatting, so a notebook or spreadsheet
gets exactly what ``scores.json`` holds. ``role`` is ``system``, ``flagged`` (off-target above the
threshold, ranked after the systems) or ``baseline`` (never ranked: ``rank`` is empty). Runs on an older
test set are not leaderboard entries and are left out; the Markdown and HTML pages list them.

Texts come from other people's files (a signature is whatever ``scores.json`` says), and a spreadsheet
runs a cell that starts like a formula (``=HYPERLINK(...)``, ``@SUM(...)``). Such cells get a leading
single quote, as OWASP advises against CSV injection, which spreadsheets show as text; numbers, negative
ones included, are left as they are.
"""

from __future__ import annotations

import csv
import io
import re

from bench.board import fmt
from bench.board.collect import Board

COLUMNS = ("pair", "system", "metric", "score", "ci_low", "ci_high", "signature", "run_id", "rank", "role")
#: what a spreadsheet reads as the start of a formula (a tab or carriage return too, in some)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def value(number: float | int | None) -> str:
    return "" if number is None else repr(number)


def inert(cell: str) -> str:
    """``cell`` as a spreadsheet shows it and never runs it."""
    return "'" + cell if cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell) else cell


def render(board: Board) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for pair in board.pairs:
        for entry in pair.shown:
            for name, score in entry.scores.items():
                row = [pair.pair, entry.system, name, value(score.score), value(score.ci_low),
                       value(score.ci_high), score.signature, entry.run.run_id, value(entry.rank),
                       fmt.role(entry)]
                writer.writerow([inert(cell) for cell in row])
    return out.getvalue()

"""``results/leaderboard.csv``: the ranked entries as tidy data, one row per system x pair x metric.

Full-precision numbers (``repr`` of the stored float) and no formatting, so a notebook or spreadsheet
gets exactly what ``scores.json`` holds. Runs on an older test set are not leaderboard entries and are
left out; the Markdown and HTML pages list them.
"""

from __future__ import annotations

import csv
import io

from bench.board.collect import Board

COLUMNS = ("pair", "system", "metric", "score", "ci_low", "ci_high", "signature", "run_id", "rank")


def value(number: float | int | None) -> str:
    return "" if number is None else repr(number)


def render(board: Board) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for pair in board.pairs:
        for entry in pair.entries:
            for name, score in entry.scores.items():
                writer.writerow([pair.pair, entry.system, name, value(score.score), value(score.ci_low),
                                 value(score.ci_high), score.signature, entry.run.run_id, value(entry.rank)])
    return out.getvalue()

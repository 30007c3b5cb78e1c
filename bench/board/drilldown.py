"""The per-segment data behind the page's segment explorer: what each system wrote for each row and
how each metric scored it.

Stored column-wise (one list per system and metric) to keep the embedded JSON small. Only metrics
with per-segment scores appear; the off-target metric's segments are 0/1 flags shown as badges.
"""

from __future__ import annotations

from typing import Any

from bench.board import fmt
from bench.board.collect import Entry, PairBoard, located
from bench.errors import BenchError
from bench.pair import Pair
from bench.refset.store import Segment


def segment_scores(entry: Entry, metric: str | None) -> list[float] | None:
    score = entry.scores.get(metric) if metric else None
    return score.segments if score else None


def segment_metrics(board: PairBoard) -> list[str]:
    """Metrics (not the off-target flag) with per-segment scores for at least one ranked system."""
    return [m for m in board.metrics if any(segment_scores(e, m) for e in board.entries)]


def pair_data(board: PairBoard, segments: list[Segment]) -> dict[str, Any]:
    src_lang, tgt_lang = Pair(board.pair).langs
    metrics = segment_metrics(board)
    outputs: dict[str, list[str]] = {}
    notes: list[str] = []
    for entry in board.entries:
        try:
            outputs[entry.system] = entry.run.hypotheses(board.pair)
        except BenchError as exc:
            notes.append(f"outputs of {entry.system} not shown: {located(exc, entry.run)}")
    shown = [e for e in board.entries if e.system in outputs]
    scores = {e.system: {m: column for m in metrics if (column := segment_scores(e, m))} for e in shown}
    flags = {e.system: flag for e in shown if (flag := segment_scores(e, board.off_target))}
    return {
        "pair": board.pair,
        "srcLang": src_lang,
        "tgtLang": tgt_lang,
        "systems": [e.system for e in shown],
        "metrics": [{"name": m, "higherIsBetter": board.directions[m].higher_is_better,
                     "optimum": board.directions[m].optimum,
                     "digits": fmt.digits(v for s in scores.values() for v in s.get(m, []))}
                    for m in metrics],
        "ids": [s.id for s in segments],
        "sources": [s.src for s in segments],
        "references": [s.ref for s in segments],
        "outputs": outputs,
        "scores": scores,
        "offTarget": flags,
        "notes": notes,
    }

"""The texts behind the board: each system's outputs, their diagnostics, and the per-segment data the
page's segment explorer and A-vs-B view load on demand.

A page with every output of 50 systems on two pairs of 2,000 segments held 50 MB of JSON. Here each
pair's segments are one gzip-compressed, base64-encoded JSON document that the page decodes only
when a reader opens that pair's segments (``DecompressionStream``, no library). The document is laid
out segment by segment, ``[source, reference, output of system 1, ...]`` per row, so similar outputs of
different systems sit next to each other where gzip finds them; an output equal to the source, the
reference or an earlier system's output of the row is stored as that position (the ``copy`` and
``reference`` baselines cost a few bytes). Segment scores are integers at the metric's shown
precision plus two digits, which is also what the page's wins and ties compare: the same on every
CPU. gzip runs with a zero timestamp, so the same runs give the same page.

Error spans (xCOMET's ``extra.error_spans``: per segment, ``{start, end, severity, confidence}`` in
characters of the NFC-normalised output it scored) travel as ``[start, end, severity, confidence]``
and are highlighted in the explorer. ``scores.json`` is someone else's file: a span that does not fit
its output, or has no known severity, is dropped.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import unicodedata
from typing import Any

from bench.board import fmt
from bench.board.collect import Entry, PairBoard, located
from bench.board.diagnostics import Diagnostics, Texts, truncated_count
from bench.errors import BenchError
from bench.languages import LANGUAGES
from bench.pair import Pair
from bench.refset.store import Segment

#: digits kept beyond a metric's shown precision in the segment data
EXTRA_DIGITS = 2
#: xCOMET's severities, in the order the page's script knows them
SEVERITIES = ("minor", "major", "critical")


def read(board: PairBoard, segments: list[Segment]) -> None:
    """Read the outputs of every system shown on the pair, once, and count their diagnostics."""
    board.segments = len(segments)
    tgt = Pair(board.pair).tgt
    sources = [s.src for s in segments]
    board.references = Texts.of([s.ref for s in segments], tgt)
    for entry in board.shown:
        try:
            entry.outputs = entry.run.hypotheses(board.pair)
        except BenchError as exc:
            board.notes.append(f"outputs of {entry.system} not shown: {located(exc, entry.run)}")
            continue
        entry.diagnostics = Diagnostics.of(entry.outputs, sources, tgt,
                                           truncated_count(entry.run.record.provenance.get("system_stats")))


def segment_scores(entry: Entry, metric: str | None) -> list[float] | None:
    score = entry.scores.get(metric) if metric else None
    return score.segments if score else None


def _scaled(value: float | None, scale: int) -> int | None:
    """A segment score as the integer the page divides by ``scale``; None (no score: an unreadable
    judge answer) stays null and is shown as a dash."""
    return None if value is None else round(value * scale)


def segment_metrics(board: PairBoard) -> list[str]:
    """Metrics (not the off-target flag) with per-segment scores for at least one system shown."""
    return [m for m in board.metrics if any(segment_scores(e, m) for e in board.shown)]


def checked_span(span: object, length: int) -> list[Any] | None:
    """``[start, end, severity index, confidence]`` of a stored span, or None if it does not fit."""
    if not isinstance(span, dict):
        return None
    start, end, severity, confidence = (span.get(k) for k in ("start", "end", "severity", "confidence"))
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end))
    if not whole or not 0 <= start < end <= length or severity not in SEVERITIES:
        return None
    number = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    known = round(float(confidence), 2) if number and math.isfinite(confidence) else None
    return [start, end, SEVERITIES.index(severity), known]


def error_spans(entry: Entry, metric: str) -> list[list[list[Any]]] | None:
    """The metric's error spans of each of the entry's outputs, checked; None when it stored none."""
    score = entry.scores.get(metric)
    stored = score.extra.get("error_spans") if score else None
    if not isinstance(stored, list) or entry.outputs is None or len(stored) != len(entry.outputs):
        return None
    return [[kept for span in (spans if isinstance(spans, list) else [])
             if (kept := checked_span(span, len(unicodedata.normalize("NFC", text))))]
            for spans, text in zip(stored, entry.outputs)]


def row(segment: Segment, outputs: list[str]) -> list[str | int]:
    """``[source, reference, *outputs]``, each output that repeats an earlier cell given as its index."""
    cells: list[str | int] = [segment.src, segment.ref]
    first: dict[str, int] = {segment.src: 0}
    first.setdefault(segment.ref, 1)
    for text in outputs:
        if text in first:
            cells.append(first[text])
        else:
            first[text] = len(cells)
            cells.append(text)
    return cells


def packed(document: Any) -> str:
    """gzip + base64 of compact JSON, byte-identical for the same document."""
    raw = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def pair_data(board: PairBoard, segments: list[Segment]) -> dict[str, Any]:
    """What the page knows about a pair up front (systems, metrics), and its segments packed."""
    src_lang, tgt_lang = Pair(board.pair).langs
    shown = [e for e in board.shown if e.outputs is not None]
    metrics = segment_metrics(board)
    digits = {m: fmt.digits(v for e in shown for v in segment_scores(e, m) or []) for m in metrics}
    scale = {m: 10 ** (digits[m] + EXTRA_DIGITS) for m in metrics}
    scored = {m: [k for k, e in enumerate(shown) if segment_scores(e, m)] for m in metrics}
    flags = {k: column for k, e in enumerate(shown) if (column := segment_scores(e, board.off_target))}
    spans = {m: found for m in metrics
             if (found := {str(k): column for k, e in enumerate(shown) if (column := error_spans(e, m))})}
    document = {
        "ids": [s.id for s in segments],
        "rows": [row(s, [e.outputs[i] for e in shown]) for i, s in enumerate(segments)],
        "scores": {m: [[_scaled(segment_scores(shown[k], m)[i], scale[m]) for k in scored[m]]
                       for i in range(len(segments))] for m in metrics},
        "offTarget": [[k for k, column in flags.items() if column[i]] for i in range(len(segments))]
        if flags else None,
        "spans": spans,
    }
    language = LANGUAGES.get(tgt_lang)
    return {
        "pair": board.pair,
        "srcLang": src_lang,
        "tgtLang": tgt_lang,
        "spaced": language.spaced if language else True,
        "systems": [{"name": e.system, "role": fmt.role(e), "rank": e.rank} for e in shown],
        "metrics": [{"name": m, "higherIsBetter": board.directions[m].higher_is_better,
                     "optimum": board.directions[m].optimum, "digits": digits[m], "scale": scale[m],
                     "systems": scored[m]} for m in metrics],
        "hasOffTarget": bool(flags),
        "segments": packed(document),
    }

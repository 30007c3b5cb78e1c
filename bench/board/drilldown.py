"""The texts behind the board: each system's outputs, their diagnostics, and the per-segment data the
page's segment explorer and A-vs-B view load on demand.

A page with every output of 50 systems on two pairs of 2,000 segments held 50 MB of JSON, and still
16 MB as gzip over the texts when the outputs differed as real systems' do. Here each pair's segments
are three parts that the page reads only when a reader opens that pair's segments
(``DecompressionStream``, no library): a JSON head (segment ids, sources, the word table, error spans,
off-target flags), deflated; then the references and every output as edit steps against the
reference (:mod:`bench.board.pack`) followed by the segment scores, deflated without back-references
(``Z_RLE``: on the steps of outputs as unlike as real ones, string matches cost 4% more than they
save); then the steps' bits, stored as they are (they are as random as the words chosen). Segment
scores are integers at the metric's shown precision plus two digits, which is also what the page's
wins and ties compare: the same on every CPU. They are stored zigzagged plus one (0: no score, an
unreadable judge answer), as big-endian byte planes, system by system. zlib's format carries no
time or platform, so the same runs give the same page.

A test set with several references per segment (``Segment.more_refs``) sends the second and later
ones as columns of edits against the first, ahead of the systems' outputs: they are per segment, not
per system, and cost little where they share words with the first. The head counts each segment's
references (a pair's segments may differ), and the page's metadata says how many such columns come.

The parts sit in the page as text that an HTML ``<script>`` block keeps exactly: 7 bits a
character (8 characters per 7 bytes, where base64 takes 8 per 6), each 7-bit value as its ASCII
character except NUL, carriage return and ``<``, which travel with the next 7 bits in one two-byte
character. The page stays UTF-8 whichever way it is served.

Error spans (xCOMET's ``extra.error_spans``: per segment, ``{start, end, severity, confidence}`` in
characters of the NFC-normalised output it scored) travel as ``[start, end, severity, confidence]``
and are highlighted in the explorer. ``scores.json`` is someone else's file: a span that does not fit
its output, or has no known severity, is dropped, and so is a segment score too large to be read
back exactly (beyond 2**47 at its precision).
"""

from __future__ import annotations

import json
import math
import unicodedata
import zlib
from typing import Any

import numpy as np

from bench.board import fmt, pack
from bench.board.collect import Entry, PairBoard, located
from bench.board.diagnostics import Diagnostics, Texts, truncated_count
from bench.core.errors import BenchError
from bench.core.languages import LANGUAGES
from bench.core.pair import Pair
from bench.refset.store import Segment

#: digits kept beyond a metric's shown precision in the segment data
EXTRA_DIGITS = 2
#: xCOMET's severities, in the order the page's script knows them
SEVERITIES = ("minor", "major", "critical")
#: deflate level of the JSON head (the steps are deflated without back-references, where the level
#: changes nothing): measured in docs/leaderboard.md, 9 saves 0.1% over 6 for half as much time again
LEVEL = 6
#: 7-bit values that cannot stand as themselves in a <script> block: NUL (read as U+FFFD), CR (read
#: as LF) and "<" (could close the block); each travels in a two-byte character from PAIRED (with the
#: next 7 bits) or, as the last value, from LAST
UNSAFE = (0, 13, 60)
PAIRED, LAST = 0x100, 0x280
#: scaled segment scores are kept only where the page reads them back exactly (a double holds 2**53)
LARGEST = 2 ** 47


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
    scaled = None if value is None else round(value * scale)
    return scaled if scaled is not None and abs(scaled) < LARGEST else None


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


def as_text(data: bytes) -> str:
    """``data`` as text a ``<script>`` block keeps exactly: 7 bits a character (see the module's doc)."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    bits = np.concatenate([bits, np.zeros(-len(bits) % 7, dtype=np.uint8)])
    values = bits.reshape(-1, 7) @ (1 << np.arange(6, -1, -1))
    codes, keep = values.astype(np.uint16), np.ones(len(values), dtype=bool)
    taken = -1
    for at in np.flatnonzero(np.isin(values, UNSAFE)).tolist():
        if at == taken:  # carried by the character before it
            continue
        which = UNSAFE.index(int(values[at]))
        if at + 1 < len(values):
            codes[at], keep[at + 1], taken = PAIRED + 128 * which + values[at + 1], False, at + 1
        else:
            codes[at] = LAST + which
    return codes[keep].astype("<u2").tobytes().decode("utf-16-le")


def from_text(text: str, size: int) -> bytes:
    """The ``size`` bytes :func:`as_text` wrote (the page's script reads them the same way)."""
    values: list[int] = []
    for char in text:
        code = ord(char)
        if code < 0x80:
            values.append(code)
        elif code < LAST:
            values += [UNSAFE[(code - PAIRED) >> 7], code & 0x7F]
        else:
            values.append(UNSAFE[code - LAST])
    bits = np.unpackbits(np.array(values, dtype=np.uint8)[:, None], axis=1)[:, 1:].ravel()
    return np.packbits(bits).tobytes()[:size]


def score_planes(columns: list[list[int | None]]) -> tuple[int, bytes]:
    """The scaled scores of each scored system, zigzagged plus one (0: none), as big-endian byte planes
    of the width the largest needs; planes put like bytes together, where deflate finds them."""
    values = np.array([[0 if v is None else 2 * v + 1 if v >= 0 else -2 * v for v in column]
                       for column in columns], dtype=np.uint64).ravel()
    width = max(1, (int(values.max(initial=0)).bit_length() + 7) // 8)
    return width, b"".join(((values >> np.uint64(8 * p)) & np.uint64(0xFF)).astype(np.uint8).tobytes()
                           for p in reversed(range(width)))


def pair_data(board: PairBoard, segments: list[Segment]) -> tuple[dict[str, Any], str]:
    """What the page knows about a pair up front (systems, metrics), and its segments as packed text."""
    src_lang, tgt_lang = Pair(board.pair).langs
    language = LANGUAGES.get(tgt_lang)
    spaced = language.spaced if language else True
    shown = [e for e in board.shown if e.outputs is not None]
    metrics = segment_metrics(board)
    digits = {m: fmt.digits(v for e in shown for v in segment_scores(e, m) or []) for m in metrics}
    scale = {m: 10 ** (digits[m] + EXTRA_DIGITS) for m in metrics}
    scored = {m: [k for k, e in enumerate(shown) if segment_scores(e, m)] for m in metrics}
    flags = {k: column for k, e in enumerate(shown) if (column := segment_scores(e, board.off_target))}
    spans = {m: found for m in metrics
             if (found := {str(k): column for k, e in enumerate(shown) if (column := error_spans(e, m))})}
    sources = [s.src for s in segments]
    more = further_references(segments)
    words, ops, bits = pack.encode(sources, [s.ref for s in segments], [*more, *(e.outputs for e in shown)],
                                   spaced)
    planes = {m: score_planes([[_scaled(v, scale[m]) for v in segment_scores(shown[k], m)]
                               for k in scored[m]]) for m in metrics}
    head = json.dumps({
        "ids": [s.id for s in segments], "sources": sources, "words": words, "ops": len(ops),
        "widths": {m: width for m, (width, _) in planes.items()},
        "offTarget": [[k for k, column in flags.items() if column[i]] for i in range(len(segments))]
        if flags else None,
        "spans": spans,
        "refCounts": [len(s.refs) for s in segments] if more else None,
    }, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    steps = b"".join([ops, *(data for _, data in planes.values())])
    parts = [deflated(head, LEVEL), deflated(steps, LEVEL, zlib.Z_RLE), bits]
    meta = {
        "pair": board.pair,
        "srcLang": src_lang,
        "tgtLang": tgt_lang,
        "spaced": spaced,
        "systems": [{"name": e.system, "role": fmt.role(e), "rank": e.rank} for e in shown],
        "metrics": [{"name": m, "higherIsBetter": board.directions[m].higher_is_better,
                     "optimum": board.directions[m].optimum, "digits": digits[m], "scale": scale[m],
                     "systems": scored[m]} for m in metrics],
        "hasOffTarget": bool(flags),
        "moreRefs": len(more),
        "bytes": [len(part) for part in parts],
    }
    return meta, as_text(b"".join(parts))


def further_references(segments: list[Segment]) -> list[list[str]]:
    """The second, third, ... reference of every segment, one column per place ("" where a segment
    has fewer: the head's reference counts say which are there)."""
    places = max((len(s.more_refs) for s in segments), default=0)
    return [[s.more_refs[k] if k < len(s.more_refs) else "" for s in segments] for k in range(places)]


def deflated(data: bytes, level: int, strategy: int = zlib.Z_DEFAULT_STRATEGY) -> bytes:
    """zlib's format (``DecompressionStream("deflate")``)."""
    packer = zlib.compressobj(level, zlib.DEFLATED, 15, 8, strategy)
    return packer.compress(data) + packer.flush()


def unpacked(meta: dict[str, Any], text: str) -> dict[str, Any]:
    """A pair's segment data read back as the page reads it: ids, sources, references, ``moreRefs`` (each
    segment's further references), ``outputs`` (one list per system), ``scores`` (per metric, per
    segment, the scaled score of each scored system), off-target flags and error spans. For tests,
    which check what the page was given."""
    data, sizes = from_text(text, sum(meta["bytes"])), meta["bytes"]
    head = json.loads(zlib.decompress(data[:sizes[0]]))
    stream = zlib.decompress(data[sizes[0]:sizes[0] + sizes[1]])
    ops, bits, at = stream[:head["ops"]], data[sizes[0] + sizes[1]:], head["ops"]
    extra = meta["moreRefs"]
    references, columns = pack.decode(head["sources"], head["words"], ops, bits, extra + len(meta["systems"]),
                                      meta["spaced"])
    counts = head["refCounts"] or [1] * len(references)
    more = [[column[i] for column in columns[:extra]][:count - 1] for i, count in enumerate(counts)]
    outputs = columns[extra:]
    n, scores = len(head["ids"]), {}
    for metric in meta["metrics"]:
        width, count = head["widths"][metric["name"]], len(metric["systems"])
        planes = np.frombuffer(stream, dtype=np.uint8, count=width * count * n, offset=at).reshape(width, -1)
        values = sum(planes[p].astype(np.int64) << (8 * (width - 1 - p)) for p in range(width))
        values = values.reshape(count, n)
        scores[metric["name"]] = [[None if u == 0 else (u - 1) // 2 if u % 2 else -(u // 2) for u in row]
                                  for row in values.T.tolist()]
        at += width * count * n
    return {"ids": head["ids"], "sources": head["sources"], "references": references, "moreRefs": more,
            "outputs": outputs,
            "scores": scores, "offTarget": head["offTarget"], "spans": head["spans"]}

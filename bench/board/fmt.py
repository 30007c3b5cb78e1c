"""How numbers and settings read on the board; shared by the Markdown and HTML pages so both say the
same thing the same way. (The CSV keeps full precision and formats nothing.)"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from bench.board.collect import Board, Entry, PairBoard, Policy
from bench.board.diagnostics import Texts
from bench.core.score import Score

METHODS = {"bootstrap": "paired bootstrap resampling", "ar": "approximate randomization"}
CORRECTIONS = {"holm": "Holm's correction for multiple comparisons over each cluster head's tests",
               "none": "no correction for multiple comparisons"}

#: the published checkpoints a neural metric's numbers can be compared with (the ``model:`` field that
#: COMET-style signatures start with); anything else is a local or private checkpoint
PUBLIC_CHECKPOINT = re.compile(r"(Unbabel/)?(wmt22-comet-da|wmt22-cometkiwi-da|XCOMET-XL|XCOMET-XXL)"
                               r"|google/metricx-24-[A-Za-z0-9.-]+")
#: the project's own tiny checkpoints (``bench/tiny/``) are folders named ``tiny-<family>-<hash>``
TINY_CHECKPOINT = re.compile(r"tiny-[A-Za-z0-9._-]+")


def digits(values: Iterable[float | None]) -> int:
    """Three decimals for small numbers (COMET on 0–1, a length ratio near 1), one for 0–100 scales."""
    magnitudes = [abs(v) for v in values if v is not None]
    return 3 if magnitudes and max(magnitudes) < 2.0 else 1


def column_digits(board: PairBoard, metric: str) -> int:
    """One precision per column, so the numbers of a column line up."""
    scores = [e.scores[metric] for e in (*board.entries, *board.stale) if metric in e.scores]
    return digits(v for s in scores for v in (s.score, s.ci_low, s.ci_high))


def number(value: float, places: int) -> str:
    return f"{value:.{places}f}"


def interval(score: Score, places: int) -> str:
    """``[21.0–25.9]``, or nothing when no interval was stored."""
    if score.ci_low is None or score.ci_high is None:
        return ""
    return f"[{number(score.ci_low, places)}–{number(score.ci_high, places)}]"


def with_ci(score: Score | None, places: int) -> str:
    """``23.4 [21.0–25.9]``; the bare score when no interval was stored; an en dash when absent."""
    if score is None:
        return "–"
    return f"{number(score.score, places)} {interval(score, places)}".rstrip()


def share(score: Score | None) -> str:
    """The off-target rate, stored in percent."""
    return "–" if score is None else f"{score.score:.1f}%"


def day(entry: Entry) -> str:
    """The run's date (UTC) from its ISO ``created`` stamp."""
    return entry.created[:10] or "–"


def rank(entry: Entry) -> str:
    return "–" if entry.rank is None else str(entry.rank)


def versions(found: dict[str, str]) -> str:
    return ", ".join(f"{name} {version}" for name, version in sorted(found.items())) or "none recorded"


def bootstrap(settings: list[dict[str, Any]]) -> str:
    """``95% percentile bootstrap, 1000 resamples (seed 12345)``, one clause per distinct setting."""
    if not settings:
        return "no confidence intervals recorded"
    return "; ".join(f"{100 * float(s['confidence']):g}% {s['method']} bootstrap, "
                     f"{s['samples']} resamples (seed {s['seed']})" for s in settings)


def confidence(board: PairBoard) -> str:
    """``95% confidence interval`` when every interval of the pair was computed at one level."""
    levels = {float(s["confidence"]) for s in board.bootstrap_settings() if "confidence" in s}
    return f"{100 * levels.pop():g}% confidence interval" if len(levels) == 1 else "confidence interval"


def ranking(board: PairBoard, policy: Policy) -> str:
    """The sentences that say what a rank on this table means (:mod:`bench.board.ranking`)."""
    if board.rank_metric is None:
        return "Not ranked."
    significance = policy.significance
    method = METHODS.get(significance.method, significance.method)
    correction = CORRECTIONS.get(significance.correction, significance.correction)
    return (f"Ranked by {board.rank_metric}. A system shares the rank of the best system of its cluster "
            f"unless it is significantly worse than that system ({method}, p < {significance.alpha:g}, "
            f"{correction}); a rank counts the systems above it. Systems with more than "
            f"{policy.off_target_threshold:g}% off-target outputs are flagged and ranked after those that "
            "translate; baselines are reference lines, never ranked.")


def checkpoint(signature: str) -> str | None:
    """The checkpoint a neural metric's signature names (``model:<name>|...``), if it names one."""
    head = signature.split("|", 1)[0]
    return head.removeprefix("model:") if head.startswith("model:") else None


def checkpoint_warning(board: PairBoard, metric: str) -> str | None:
    """``tiny local checkpoint`` or ``not a known public checkpoint`` when a column's numbers come from
    one (the column head says so, since such numbers compare with nothing published)."""
    names = {name for signature in board.signatures(metric) if (name := checkpoint(signature))}
    if any(TINY_CHECKPOINT.fullmatch(n) for n in names):
        return "tiny local checkpoint"
    if any(not PUBLIC_CHECKPOINT.fullmatch(n) for n in names):
        return "not a known public checkpoint"
    return None


def metric_head(board: PairBoard, metric: str) -> str:
    warning = checkpoint_warning(board, metric)
    return f"{metric} ({warning})" if warning else metric


def tiny_checkpoints(board: Board) -> str | None:
    """The sentence saying which metrics come from the project's tiny checkpoints, if any do."""
    found = sorted({f"{metric} ({name})" for pair in board.pairs for metric in pair.metrics
                    for signature in pair.signatures(metric)
                    if (name := checkpoint(signature)) and TINY_CHECKPOINT.fullmatch(name)})
    if not found:
        return None
    return (f"Metrics from tiny local checkpoints: {', '.join(found)}. Tiny checkpoints are built by bench "
            "to try the pipeline offline; their scores mean nothing.")


def resolution(board: PairBoard) -> str | None:
    """``±0.012 comet``: the smallest difference the pair's segments resolve, in the metric's units."""
    if board.resolution is None or board.rank_metric is None:
        return None
    return f"±{number(board.resolution, column_digits(board, board.rank_metric) + 1)} {board.rank_metric}"


def unresolved(board: PairBoard) -> str | None:
    """The warning for a pair too small to separate its systems."""
    if not board.unresolved:
        return None
    return (f"Too few segments to separate these systems: {board.segments} segments resolve differences "
            f"of {resolution(board)}, and most neighbouring systems are closer than that. Read shared and "
            "neighbouring ranks as ties; add segments to tell them apart.")


def role(entry: Entry) -> str:
    return "baseline" if entry.baseline else "flagged" if entry.flagged else "system"


def flag_note(entry: Entry, policy: Policy) -> str | None:
    """What is shown beside a system's name: baseline, or off-target above the threshold."""
    if entry.baseline:
        return "baseline"
    if entry.flagged:
        return f"off-target above {policy.off_target_threshold:g}%"
    return None


def tones(texts: Texts) -> str:
    return "–" if texts.tones is None else f"{texts.tones[0]} / {texts.tones[1]}"


#: the diagnostics table: column head, the cell of a system, the cell of the references row
DIAGNOSTICS: list[tuple[str, Callable[[Entry], str], Callable[[Texts], str]]] = [
    ("empty", lambda e: str(e.diagnostics.empty), lambda t: "–"),
    ("source copies", lambda e: str(e.diagnostics.source_copies), lambda t: "–"),
    ("not NFC", lambda e: str(e.diagnostics.texts.not_nfc), lambda t: str(t.not_nfc)),
    ("tone marks old / new", lambda e: tones(e.diagnostics.texts), tones),
    ("Latin in Cyrillic words", lambda e: _count(e.diagnostics.texts.mixed_script),
     lambda t: _count(t.mixed_script)),
    ("truncated (whole run)", lambda e: _count(e.diagnostics.truncated), lambda t: "–"),
]


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def diagnostics(board: PairBoard) -> tuple[list[str], list[list[str]]]:
    """The pair's diagnostics as a head and rows (systems, then the references); a column that does
    not apply to the pair's target language is left out."""
    entries = [e for e in board.shown if e.diagnostics is not None]
    keep = [(head, cell, ref) for head, cell, ref in DIAGNOSTICS
            if any(cell(e) != "–" for e in entries) or (board.references and ref(board.references) != "–")]
    rows = [[e.system, *(cell(e) for _, cell, _ in keep)] for e in entries]
    if board.references:
        rows.append(["references", *(ref(board.references) for _, _, ref in keep)])
    return ["output of", *(head for head, _, _ in keep)], rows


def cluster_bands(entries: list[Entry]) -> list[int]:
    """0/1 per entry, flipping where the rank changes: shades each significance cluster as one block."""
    bands, band = [], 0
    for i, entry in enumerate(entries):
        if i and entry.rank != entries[i - 1].rank:
            band = 1 - band
        bands.append(band)
    return bands

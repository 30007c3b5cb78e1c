"""Human judgments on the leaderboard: a "metric trust" table per pair, a warning where the ranking metric
disagrees with the humans, a ``human`` column, and ranking by it (``rank_by=[human,...]``).

:func:`attach` is called by ``python -m bench leaderboard`` on the board :func:`bench.board.collect.collect`
made, before it is rendered. For each pair it reads the stored judgments made on the current version of
the pair (:mod:`bench.human.store`) and compares every metric column with them on the segments that
every judged, ranked system has a human score for (:mod:`bench.human.agreement`). Where *every* ranked
system has human scores, each gets a ``human`` score (the mean over those segments, with its bootstrap
interval) shown as a column, and the pair can be ranked by it in significance clusters, with the
board's own tests and correction. The contradicted orderings are counted against the metric's
clusters before any re-ranking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bench.board import ranking
from bench.board.collect import Board, Direction, Entry, PairBoard, Policy, Significance, sort_key
from bench.board.markdown import cell, code, text
from bench.board.markup import Markup, el
from bench.core.errors import BenchError
from bench.core.score import Bootstrap, Score
from bench.human.agreement import Estimate, contradicted, segment_agreement, system_agreement
from bench.human.store import PairJudgments, current_judgments
from bench.metrics.base import AdditiveMetric, Metric
from bench.metrics.bootstrap import confidence_interval
from bench.refset.store import Segment

log = logging.getLogger("bench.human")

HUMAN = "human"
#: columns of the trust table: (level, statistic, heading)
COLUMNS = (("system", "pearson", "Pearson r"), ("system", "kendall", "Kendall τb"),
           ("system", "pairwise_accuracy", "pairwise acc."), ("segment", "acc_eq", "acc_eq"),
           ("segment", "tau_eq", "τ_eq"))


class HumanMetric(AdditiveMetric):
    """The mean of human segment scores, so the board's significance tests can rank by it."""

    name = HUMAN
    higher_is_better = True

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        return sums[:, 0] / n

    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *, src_lang: str,
              tgt_lang: str) -> Score:
        raise BenchError("human scores are imported (python -m bench human import), never computed")


@dataclass
class PairTrust:
    """What the human judgments say about one pair's metrics."""

    pair: str
    testset: str
    protocol: str
    #: ranked systems judged on every one of ``segments`` rows, and ranked systems not judged
    systems: list[str]
    missing: list[str]
    #: rows of the pair's test set every judged system has a human score for, and their segment ids
    segments: list[int]
    ids: list[str]
    human: dict[str, float]
    estimates: dict[str, list[Estimate]] = field(default_factory=dict)
    rank_metric: str | None = None
    reversed: list[tuple[str, str]] = field(default_factory=list)
    orderings: int = 0

    def estimate(self, metric: str, statistic: str) -> Estimate | None:
        return next((e for e in self.estimates.get(metric, []) if e.statistic == statistic), None)

    def warning(self) -> str | None:
        """One line when the ranking metric's order is not the humans'."""
        if self.rank_metric is None:
            return None
        kendall = self.estimate(self.rank_metric, "kendall")
        if not self.reversed and (kendall is None or kendall.ci_low > 0):
            return None
        said = [f"{len(self.reversed)} of {self.orderings} significant orderings are reversed by the human "
                f"{self.protocol.upper()} scores"]
        if self.reversed:
            claims = ", ".join(f"{a} > {b}" for a, b in self.reversed[:3])
            said[0] += f" ({self.rank_metric} claims {claims}{', ...' if len(self.reversed) > 3 else ''})"
        if kendall is not None:
            said.append(f"Kendall tau {kendall.value:.2f} [{kendall.ci_low:.2f}, {kendall.ci_high:.2f}] over "
                        f"{len(self.systems)} systems")
        return f"the ranking metric {self.rank_metric} disagrees with the humans: " + "; ".join(said)

    def records(self) -> list[dict]:
        out = [{"testset": self.testset, "pair": self.pair, "metric": metric, "level": e.level,
                "statistic": e.statistic, "value": e.value, "ci_low": _finite(e.ci_low),
                "ci_high": _finite(e.ci_high), "n": e.n}
               for metric, found in self.estimates.items() for e in found]
        if self.rank_metric is not None:
            out.append({"testset": self.testset, "pair": self.pair, "metric": self.rank_metric,
                        "level": "system", "statistic": "contradicted_orderings", "value": len(self.reversed),
                        "ci_low": None, "ci_high": None, "n": self.orderings})
        return out


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


@dataclass
class Trust:
    pairs: dict[str, PairTrust] = field(default_factory=dict)

    def records(self) -> list[dict]:
        return [r for t in self.pairs.values() for r in t.records()]

    def markdown(self) -> str:
        return "".join(markdown_section(t) for t in self.pairs.values())

    def into_page(self, page: str) -> str:
        """The board's HTML page with a trust section per pair before its data block."""
        if not self.pairs:
            return page
        sections = "".join(html_section(t) for t in self.pairs.values())
        marker = '<script type="application/json" id="board-data">'
        return page.replace(marker, sections + "\n" + marker, 1)


def attach(board: Board, results_dir: str | Path, rows: dict[str, list[Segment]], current: dict[str, str],
           metric: Callable[[str], Metric], rank_by_human: bool) -> Trust:
    """Compare each pair's metrics with its stored human judgments; add the ``human`` column (and rank
    by it when asked) where every ranked system is judged; put a warning and any problem in the pair's
    notes. Returns the trust tables."""
    trust = Trust()
    for pair in board.pairs:
        found, notes = current_judgments(results_dir, pair.pair, current[pair.pair])
        pair.notes += notes
        if not found:
            continue
        if len(found) > 1:
            pair.notes.append(f"human judgments of {pair.pair} from {len(found)} test-set folders; only "
                              f"{found[0].testset} is used")
        held = pair_trust(pair, found[0], rows[pair.pair], metric)
        if held is None:
            pair.notes.append(f"human judgments of {pair.pair} ({found[0].testset}) share no segment judged "
                              "for two ranked systems; nothing to compare")
            continue
        trust.pairs[pair.pair] = held
        warning = held.warning()
        if warning:
            pair.notes.append(warning)
        if not held.missing:
            add_column(pair, held, found[0])
            if rank_by_human:
                rank(pair, board.policy.significance)
    return trust


def pair_trust(pair: PairBoard, held: PairJudgments, segments: list[Segment],
               metric: Callable[[str], Metric]) -> PairTrust | None:
    scores = held.segment_scores()
    judged = [e for e in pair.entries if e.system in scores]
    rows = [i for i, s in enumerate(segments) if all(s.id in scores[e.system] for e in judged)]
    if len(judged) < 2 or not rows:
        return None
    human = np.array([[scores[e.system][segments[i].id] for i in rows] for e in judged])
    means = {e.system: float(h.mean()) for e, h in zip(judged, human)}
    found = PairTrust(pair.pair, held.testset, held.protocol, [e.system for e in judged],
                      [e.system for e in pair.entries if e.system not in scores], rows,
                      [segments[i].id for i in rows], means)
    for name in pair.metrics:
        estimates = metric_agreement(judged, name, rows, human, metric)
        if estimates:
            found.estimates[name] = estimates
    ranks = {e.system: e.rank for e in judged if e.rank is not None}
    if pair.rank_metric is not None and ranks:
        found.rank_metric = pair.rank_metric
        found.reversed, found.orderings = contradicted(ranks, found.human)
    return found


def metric_agreement(judged: list[Entry], name: str, rows: list[int], human: np.ndarray,
                     metric: Callable[[str], Metric]) -> list[Estimate]:
    """System-level (3 systems or more) and segment-level agreement of one metric column, when every
    judged system has its statistics, computed one way."""
    held = [e.scores.get(name) for e in judged]
    if not all(s is not None and s.stats for s in held) or len({s.signature for s in held}) > 1:
        return []
    scorer = metric(name)
    stats = [np.asarray(s.stats, dtype=np.float64)[rows] for s in held]

    def system_scores(counts: np.ndarray) -> np.ndarray:
        return np.stack([scorer.goodness(scorer.aggregate_weighted(x, counts)) for x in stats], axis=1)

    out: list[Estimate] = []
    if len(judged) >= 3:
        out += system_agreement(system_scores, lambda c: (c @ human.T) / c.sum(axis=1, keepdims=True),
                                len(rows), len(judged))
    if scorer.per_segment:  # segments a metric could not score (an unreadable judge answer) left out
        segment = np.array([scorer.goodness(np.array([np.nan if v is None else v
                                                      for v in scorer.segment_scores(x)], dtype=np.float64))
                            for x in stats])
        scored = ~np.isnan(segment).any(axis=0)
        if scored.any():
            out += segment_agreement(segment[:, scored], human[:, scored])
    return out


def add_column(pair: PairBoard, held: PairTrust, judgments: PairJudgments) -> None:
    """``human`` first among the metric columns: each ranked system's mean over the trust segments,
    with its bootstrap interval (the board's default settings)."""
    scores = judgments.segment_scores()
    bootstrap = Bootstrap()
    for entry in pair.entries:
        stats = np.asarray([scores[entry.system][i] for i in held.ids], dtype=np.float64)[:, None]
        low, high = confidence_interval(HumanMetric(), stats, bootstrap)
        signature = f"human:{held.protocol}:{held.testset}"
        entry.scores[HUMAN] = Score(HUMAN, held.human[entry.system], signature, stats=stats.tolist(),
                                    ci_low=low, ci_high=high, extra={"bootstrap": bootstrap.record()})
    pair.metrics.insert(0, HUMAN)
    pair.directions[HUMAN] = Direction(higher_is_better=True)


def rank(pair: PairBoard, significance: Significance) -> None:
    """Rank the pair's systems by the human column, in significance clusters (flagged systems after)."""
    by = HumanMetric()
    offset = 0
    for group in ([e for e in pair.entries if not e.flagged], [e for e in pair.entries if e.flagged]):
        stats = {e.system: np.asarray(e.scores[HUMAN].stats) for e in group}
        ranks = ranking.clusters(stats, by, alpha=significance.alpha, method=significance.method,
                                 correction=significance.correction) if group else {}
        for entry in group:
            entry.rank = ranks[entry.system] + offset
        offset += len(group)
    pair.entries.sort(key=lambda e: sort_key(e, by))
    pair.rank_metric = HUMAN
    pair.resolution, pair.unresolved = None, False


def _cell(e: Estimate | None) -> str:
    if e is None:
        return "–"
    if not np.isfinite(e.ci_low):
        return f"{e.value:.3f}"
    return f"{e.value:.3f} [{e.ci_low:.3f}, {e.ci_high:.3f}]"


def _reversed(t: PairTrust, metric: str) -> str:
    return f"{len(t.reversed)} of {t.orderings}" if metric == t.rank_metric else ""


def summary(t: PairTrust) -> str:
    missing = f"; not judged: {', '.join(t.missing)}" if t.missing else ""
    return (f"Human {t.protocol.upper()} scores ({t.testset}) of {len(t.systems)} ranked systems on the "
            f"{len(t.segments)} segments judged for all of them{missing}. Agreement of each metric with "
            "them, with 95% bootstrap intervals over segments (docs/human-evaluation.md); the last column "
            "counts the ranking metric's significant orderings the humans reverse.")


def markdown_section(t: PairTrust) -> str:
    heads = ["metric", *(h for _, _, h in COLUMNS), "reversed orderings"]
    lines = ["", f"## Metric trust: {text(t.pair)}", "", text(summary(t)), "",
             "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for metric in t.estimates:
        cells = [code(metric), *(_cell(t.estimate(metric, s)) for _, s, _ in COLUMNS), _reversed(t, metric)]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n\n"


def html_section(t: PairTrust) -> Markup:
    heads = el("tr", el("th", "Metric"), [el("th", h, class_="num") for _, _, h in COLUMNS],
               el("th", "Reversed orderings", class_="num"))
    body = [el("tr", el("td", metric),
               [el("td", _cell(t.estimate(metric, s)), class_="num") for _, s, _ in COLUMNS],
               el("td", _reversed(t, metric), class_="num")) for metric in t.estimates]
    return el("section", el("h2", f"Metric trust: {t.pair}"), el("p", summary(t)),
              el("table", el("thead", heads), el("tbody", body), class_="board"), class_="trust")


def without_human(policy: Policy) -> Policy:
    """The board's policy for :func:`bench.board.collect.collect`, which ranks by stored metrics only:
    ``human`` is applied afterwards by :func:`attach`."""
    return replace(policy, rank_by=tuple(n for n in policy.rank_by if n != HUMAN))

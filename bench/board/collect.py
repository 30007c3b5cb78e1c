"""From stored runs to the one table model that every leaderboard file is rendered from.

A pure function of the runs and the current test set: no clock, no unseeded randomness and a fixed
order everywhere, so the rendered files change only when the runs do and can be committed and diffed.

Rules, each chosen so a number on the board means one thing:

* only runs whose pair sha256 equals the current ``MANIFEST.json`` are ranked; runs on an older
  version of a pair are kept apart (newest per system, only for systems without a current run);
* one row per system: its newest complete run (``created``, then run id), so re-running a system
  replaces its row instead of adding a second one;
* the ranking metric is the first of ``rank_by`` that every ranked system has statistics for, and a
  rank is a significance cluster: systems that are not significantly different share it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.errors import BenchError
from bench.metrics.base import Metric, Score
from bench.runs import Run

#: the baseline that returns the references; it scores 100 and is a pipeline check, not a contender
REFERENCE_SYSTEM = "reference"

#: ``metric name -> Metric`` (for ``aggregate`` and ``higher_is_better``)
MetricLoader = Callable[[str], Metric]
#: ``({system: per-segment stats}, metric) -> {system: rank}``; systems not significantly apart share one
Ranker = Callable[[dict[str, np.ndarray], Metric], dict[str, int]]


@dataclass(frozen=True)
class Significance:
    """How ranks are decided; recorded on the board so every table says how it was ranked."""

    method: str = "bootstrap"
    alpha: float = 0.05


@dataclass(frozen=True)
class Direction:
    """Which way a metric is better: up, down, or towards an optimum (a length ratio of 1).

    Plain data, because the page's script sorts by it too.
    """

    higher_is_better: bool = True
    optimum: float | None = None

    @classmethod
    def of(cls, metric: Metric) -> Direction:
        return cls(metric.higher_is_better, metric.optimum)

    def describe(self) -> str:
        if self.optimum is not None:
            return f"closest to {self.optimum:g} is best"
        return "higher is better" if self.higher_is_better else "lower is better"


@dataclass(frozen=True)
class Policy:
    rank_by: tuple[str, ...] = ("comet", "chrf")
    include_reference: bool = False
    off_target: str = "off_target"
    significance: Significance = Significance()


@dataclass
class Entry:
    """One system's scores on one pair, taken from one run."""

    run: Run
    pair: str
    sha256: str
    scores: dict[str, Score]
    rank: int | None = None

    @property
    def system(self) -> str:
        return self.run.system

    @property
    def created(self) -> str:
        return str(self.run.info.get("created", ""))

    @property
    def where(self) -> str:
        return where(self.run)

    @property
    def fingerprint(self) -> str | None:
        return self.run.info["system"].get("fingerprint")

    def versions(self) -> dict[str, str]:
        """Package versions and git commit recorded by the run (packages that were absent left out)."""
        found = {name: str(v) for name, v in (self.run.info.get("versions") or {}).items() if v}
        commit = self.run.info.get("git_commit")
        return {**found, "git": str(commit)} if commit else found


@dataclass
class PairBoard:
    pair: str
    #: made on the current test set, best rank first
    entries: list[Entry]
    #: made on an older version of this pair; never ranked
    stale: list[Entry]
    #: metric columns: ``rank_by`` order first, then by name; the off-target metric is not one of them
    metrics: list[str]
    #: direction of every metric on this pair, the off-target metric included
    directions: dict[str, Direction]
    rank_metric: str | None
    off_target: str | None
    notes: list[str] = field(default_factory=list)

    def signatures(self, metric: str) -> dict[str, list[str]]:
        """``signature -> systems``; more than one key means the column mixes incomparable numbers."""
        found: dict[str, list[str]] = defaultdict(list)
        for entry in self.entries:
            if metric in entry.scores:
                found[entry.scores[metric].signature].append(entry.system)
        return dict(sorted(found.items()))

    def bootstrap_settings(self) -> list[dict[str, Any]]:
        """Distinct bootstrap settings the confidence intervals were computed with (as recorded by
        :meth:`bench.metrics.bootstrap.Bootstrap.record`: method, samples, seed, confidence)."""
        seen = {tuple(sorted(s.extra["bootstrap"].items())) for e in self.entries for s in e.scores.values()
                if isinstance(s.extra.get("bootstrap"), dict)}
        return [dict(items) for items in sorted(seen)]

    def shared_versions(self) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """Versions every ranked run agrees on, and per system the ones that differ from those."""
        recorded = {e.system: e.versions() for e in self.entries}
        if not recorded:
            return {}, {}
        first, *rest = recorded.values()
        common = {k: v for k, v in first.items() if all(other.get(k) == v for other in rest)}
        return common, {s: {k: v for k, v in vs.items() if k not in common} for s, vs in recorded.items()}


@dataclass
class Board:
    pairs: list[PairBoard]
    policy: Policy
    #: one line per run or pair left out, and why
    notes: list[str]


def collect(runs: Iterable[Run], current: Mapping[str, str], policy: Policy, metric: MetricLoader,
            rank: Ranker) -> Board:
    """The board for the test set whose pairs hash to ``current`` (``pair -> sha256``)."""
    notes: list[str] = []
    by_pair: dict[str, list[Entry]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: str(r.path)):
        if run.system == REFERENCE_SYSTEM and not policy.include_reference:
            continue
        entries, problems = run_entries(run)
        notes += problems
        for entry in entries:
            by_pair[entry.pair].append(entry)
    for pair in sorted(set(by_pair) - set(current)):
        notes.append(f"{pair}: {len(by_pair[pair])} run(s), but the pair is not in the current test set")
    pairs = [pair_board(pair, by_pair.get(pair, []), current[pair], policy, metric, rank)
             for pair in sorted(current)]
    return Board(pairs=pairs, policy=policy, notes=notes)


def run_entries(run: Run) -> tuple[list[Entry], list[str]]:
    """One entry per pair the run has scores for, and a note for each one it cannot offer."""
    try:
        stored = run.scores()
        tested = run.info["testset"]["pairs"]
        entries = [Entry(run, pair, tested[pair]["sha256"],
                         {name: Score.from_json(s) for name, s in sorted(stored.get(pair, {}).items())})
                   for pair in sorted(tested)]
    except BenchError as exc:
        return [], [located(exc, run)]
    except (KeyError, TypeError, AttributeError):
        return [], [f"{where(run)}: run.json or scores.json does not follow the run folder contract; "
                    "delete the run folder"]
    notes = [f"{where(run)}: no scores for {e.pair}; add them with `python -m bench score`"
             for e in entries if not e.scores]
    return [e for e in entries if e.scores], notes


def where(run: Run) -> str:
    """``<model>/<run-id>`` under ``results/runs``: names a run the same wherever the results live."""
    return f"{run.path.parent.name}/{run.run_id}"


def located(error: BenchError, run: Run) -> str:
    """The error's message with the run folder named by :func:`where`, the same on every machine."""
    return str(error).replace(str(run.path), where(run))


def newest_per_system(entries: Iterable[Entry]) -> dict[str, Entry]:
    best: dict[str, Entry] = {}
    for entry in entries:
        held = best.get(entry.system)
        if held is None or (entry.created, entry.run.run_id) > (held.created, held.run.run_id):
            best[entry.system] = entry
    return best


def shared_names(pair: str, entries: list[Entry]) -> list[str]:
    """Runs of different systems under one name (``model=openai`` with two ``model.model``s, say):
    only the newest is shown, so say so instead of hiding the others silently."""
    fingerprints: dict[str, set[str]] = {}
    for entry in entries:
        fingerprints.setdefault(entry.system, set()).add(entry.run.info["system"].get("fingerprint", ""))
    return [f"{pair}: runs of {len(prints)} different configurations are all named {name}; only the "
            "newest is shown (give each its own model.name)"
            for name, prints in sorted(fingerprints.items()) if len(prints) > 1]


def pair_board(pair: str, entries: list[Entry], sha256: str, policy: Policy, metric: MetricLoader,
               rank: Ranker) -> PairBoard:
    fresh = newest_per_system(e for e in entries if e.sha256 == sha256)
    stale = newest_per_system(e for e in entries if e.sha256 != sha256 and e.system not in fresh)
    ranked = list(fresh.values())
    shown = [*ranked, *stale.values()]
    directions, notes = known_directions({name for e in shown for name in e.scores}, metric)
    notes += shared_names(pair, entries)
    for entry in shown:
        entry.scores = {name: s for name, s in entry.scores.items() if name in directions}
    order = {name: i for i, name in enumerate(policy.rank_by)}
    columns = sorted(set(directions) - {policy.off_target}, key=lambda n: (order.get(n, len(order)), n))
    rank_metric, rank_notes = assign_ranks(ranked, policy.rank_by, metric, rank)
    notes += rank_notes
    ranked.sort(key=lambda e: sort_key(e, rank_metric and metric(rank_metric)))
    return PairBoard(pair=pair, entries=ranked, stale=sorted(stale.values(), key=lambda e: e.system),
                     metrics=columns, directions=directions, rank_metric=rank_metric,
                     off_target=policy.off_target if policy.off_target in directions else None, notes=notes)


def known_directions(names: set[str], metric: MetricLoader) -> tuple[dict[str, Direction], list[str]]:
    """The direction of each metric that still has a config; the others are noted and dropped."""
    directions: dict[str, Direction] = {}
    notes: list[str] = []
    for name in sorted(names):
        try:
            directions[name] = Direction.of(metric(name))
        except BenchError:
            notes.append(f"{name} not shown: no configs/metric/{name}.yaml says how to read it")
    return directions, notes


def assign_ranks(entries: list[Entry], rank_by: tuple[str, ...], metric: MetricLoader,
                 rank: Ranker) -> tuple[str | None, list[str]]:
    """Set each entry's rank on the first ``rank_by`` metric that can rank all of them."""
    if not entries:
        return None, []
    problems = {name: rank_problem(entries, name, metric) for name in rank_by}
    usable = [name for name in rank_by if problems[name] is None]
    if not usable:
        return None, [f"not ranked: no metric of rank_by ({', '.join(rank_by)}) can rank every system: "
                      + "; ".join(str(problems[name]) for name in rank_by)]
    chosen = usable[0]
    ranks = rank({e.system: np.asarray(e.scores[chosen].stats, dtype=np.float64) for e in entries},
                 metric(chosen))
    for entry in entries:
        entry.rank = ranks[entry.system]
    return chosen, [f"ranked by {chosen}: {problems[name]}" for name in rank_by[:rank_by.index(chosen)]]


def rank_problem(entries: list[Entry], name: str, metric: MetricLoader) -> str | None:
    """Why ``name`` cannot rank ``entries``, or None if it can.

    Significance tests re-aggregate the stored statistics with the metric as configured *now*. That
    is only honest when every system was scored one way (one signature) and that way is today's
    config: a run scored with, say, ``metric.bleu.smooth_method=floor`` re-aggregates to another
    number than the one it stored, and would be ranked on settings it was never scored with.
    """
    lacking = sorted(e.system for e in entries if not has_stats(e, name))
    if lacking:
        who = "every system" if len(lacking) == len(entries) else ", ".join(lacking)
        return f"{name} is missing for {who}; add it with `python -m bench score metric=[{name}]`"
    rescore = f"rescore with `python -m bench score metric=[{name}] force=true`"
    if len({e.scores[name].signature for e in entries}) > 1:
        return f"{name} was computed with different signatures; {rescore}"
    loaded = metric(name)
    drifted = sorted(e.system for e in entries
                     if not np.isclose(loaded.aggregate(np.asarray(e.scores[name].stats, dtype=np.float64)),
                                       e.scores[name].score, rtol=1e-6, atol=1e-6))
    if drifted:
        return (f"{name} of {', '.join(drifted)} was scored with other settings than "
                f"configs/metric/{name}.yaml has now; {rescore}")
    return None


def has_stats(entry: Entry, metric: str) -> bool:
    """Whether the entry can take part in a significance test on ``metric``."""
    score = entry.scores.get(metric)
    return bool(score and score.stats)


def sort_key(entry: Entry, ranked_by: Metric | None) -> tuple:
    """Best rank first; within a rank, the better score on the ranking metric; then by name."""
    if ranked_by is None:
        return (0, 0.0, entry.system)
    return (entry.rank, -float(ranked_by.goodness(entry.scores[ranked_by.name].score)), entry.system)

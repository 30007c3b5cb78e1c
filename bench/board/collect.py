"""From stored runs to the one table model that every leaderboard file is rendered from.

A pure function of the runs and the current test set: no clock, no unseeded randomness and a fixed
order everywhere, so the rendered files change only when the runs do and can be committed and diffed.

Rules, each chosen so a number on the board means one thing:

* only runs whose pair sha256 equals the current ``MANIFEST.json`` are ranked; runs on an older
  version of a pair, and runs whose hypotheses changed after they were scored, are kept apart as
  stale (newest per system, only for systems without a current run), each with its reason;
* no stored number is shown as it was stored: every score is re-derived from its per-segment
  statistics with the metric as configured now, and so is its confidence interval (with the
  bootstrap settings recorded beside it); a score that does not follow is left out with a note.
  Results folders are shared, so ``scores.json`` is someone else's claim until checked;
* one row per system: its newest complete run (``created``, then run id), so re-running a system
  replaces its row instead of adding a second one;
* the ranking metric is the first of ``rank_by`` that every ranked system has statistics for, and a
  rank is a significance cluster: systems that are not significantly different share it, with Holm's
  correction for multiple comparisons by default (:mod:`bench.board.ranking`);
* baselines (``copy``, ``reference``, any run recorded with ``baseline: true``) are never ranked: they
  are reference lines beside the ranked systems, and a system scoring below one is named;
* a system whose off-target share is above the threshold is flagged and ranked after every system
  that translates (its own clusters, ranks counting on from theirs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bench.board import ranking
from bench.board.diagnostics import Diagnostics, Texts
from bench.core.errors import BenchError
from bench.core.score import Bootstrap, Score
from bench.metrics.base import Metric
from bench.metrics.bootstrap import confidence_interval
from bench.metrics.scoring import bound_to
from bench.store.runs import Run

#: the baseline that returns the references; it scores 100 and is a pipeline check, not a contender
REFERENCE_SYSTEM = "reference"
#: the shipped baselines, by name, for runs recorded before ``run.json`` said ``baseline``
BASELINES = ("copy", REFERENCE_SYSTEM)

#: ``metric name -> Metric`` (for ``aggregate`` and ``higher_is_better``)
MetricLoader = Callable[[str], Metric]


@dataclass(frozen=True)
class Significance:
    """How ranks are decided; recorded on the board so every table says how it was ranked."""

    method: str = "bootstrap"
    alpha: float = 0.05
    #: ``holm`` or ``none`` (:data:`bench.board.ranking.CORRECTIONS`)
    correction: str = "holm"


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
    #: an off-target share (percent) above this flags a system and ranks it after those that translate
    off_target_threshold: float = 10.0
    significance: Significance = Significance()


@dataclass
class Entry:
    """One system's scores on one pair, taken from one run."""

    run: Run
    pair: str
    sha256: str
    scores: dict[str, Score]
    rank: int | None = None
    #: why the entry is not ranked (an older test set, hypotheses changed after scoring), if it is not
    stale: str | None = None
    #: off-target share above the policy's threshold: ranked after the systems that translate
    flagged: bool = False
    #: metrics whose stored score was left out because its numbers cannot be believed (edited, or
    #: statistics copied from another run): such a rank metric takes this entry, not the pair, off the ranks
    distrusted: set[str] = field(default_factory=set)
    #: the hypotheses and what is wrong with them (:mod:`bench.board.diagnostics`), once read
    outputs: list[str] | None = None
    diagnostics: Diagnostics | None = None

    @property
    def baseline(self) -> bool:
        return self.run.record.baseline or self.system in BASELINES

    @property
    def system(self) -> str:
        return self.run.system

    @property
    def created(self) -> str:
        return self.run.record.created

    @property
    def where(self) -> str:
        return where(self.run)

    @property
    def fingerprint(self) -> str:
        return self.run.record.fingerprint

    def versions(self) -> dict[str, str]:
        """Package versions and git commit recorded by the run (packages that were absent left out)."""
        found = {name: str(v) for name, v in self.run.record.versions.items() if v}
        commit = self.run.record.git_commit
        return {**found, "git": str(commit)} if commit else found


@dataclass
class PairBoard:
    pair: str
    #: made on the current test set, best rank first (systems that translate, then flagged ones)
    entries: list[Entry]
    #: made on an older version of this pair, or scored on other hypotheses; never ranked
    stale: list[Entry]
    #: metric columns: ``rank_by`` order first, then by name; the off-target metric is not one of them
    metrics: list[str]
    #: direction of every metric on this pair, the off-target metric included
    directions: dict[str, Direction]
    rank_metric: str | None
    off_target: str | None
    notes: list[str] = field(default_factory=list)
    #: on the current test set, never ranked: reference lines, best first on the ranking metric
    baselines: list[Entry] = field(default_factory=list)
    #: the smallest difference on ``rank_metric`` these segments resolve (:func:`ranking.resolution`)
    resolution: float | None = None
    #: the neighbouring ranked systems are mostly closer than ``resolution``: too few segments
    unresolved: bool = False
    #: rows of the pair in the current test set, and their references' diagnostics (set when read)
    segments: int = 0
    references: Texts | None = None

    @property
    def shown(self) -> list[Entry]:
        """Everything on the current test set: the ranked systems, then the baselines."""
        return [*self.entries, *self.baselines]

    def signatures(self, metric: str) -> dict[str, list[str]]:
        """``signature -> systems``; more than one key means the column mixes incomparable numbers."""
        found: dict[str, list[str]] = defaultdict(list)
        for entry in self.shown:
            if metric in entry.scores:
                found[entry.scores[metric].signature].append(entry.system)
        return dict(sorted(found.items()))

    def bootstrap_settings(self) -> list[dict[str, Any]]:
        """Distinct bootstrap settings the confidence intervals were computed with (as recorded by
        :meth:`bench.metrics.bootstrap.Bootstrap.record`: method, samples, seed, confidence)."""
        seen = {tuple(sorted(s.extra["bootstrap"].items())) for e in self.shown for s in e.scores.values()
                if isinstance(s.extra.get("bootstrap"), dict)}
        return [dict(items) for items in sorted(seen)]

    def shared_versions(self) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """Versions every ranked run agrees on, and per system the ones that differ from those."""
        recorded = {e.system: e.versions() for e in self.shown}
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
    #: the test set's name and what it is (bench.testsets.boards), when the board says
    testset: str = ""
    about: str = ""


def collect(runs: Iterable[Run], current: Mapping[str, str], policy: Policy, metric: MetricLoader) -> Board:
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
    pairs = [pair_board(pair, by_pair.get(pair, []), current[pair], policy, metric)
             for pair in sorted(current)]
    return Board(pairs=pairs, policy=policy, notes=notes)


def run_entries(run: Run) -> tuple[list[Entry], list[str]]:
    """One entry per pair the run has scores for, and a note for each one it cannot offer."""
    try:
        stored = run.scores()
    except BenchError as exc:
        return [], [located(exc, run)]
    entries: list[Entry] = []
    notes: list[str] = []
    for pair, recorded in sorted(run.record.pairs.items()):
        held = stored.pairs.get(pair)
        if held is None or not held.metrics:
            notes.append(f"{where(run)}: no scores for {pair}; add them with `python -m bench score`")
            continue
        try:
            changed = run.hypotheses_sha256(pair) != held.hypotheses_sha256
        except BenchError as exc:
            notes.append(located(exc, run))
            continue
        stale = (f"a smoke run (limit={run.record.limit}), never ranked" if run.record.limit
                 else f"hypotheses changed after scoring; {RESCORE}" if changed else None)
        unbound = {name for name, s in held.metrics.items() if not bound_to(s, held.hypotheses_sha256)}
        notes += [f"{where(run)}: {pair} {name} not shown: its statistics were not computed on this run's "
                  f"hypotheses (copied from another run, or edited); {RESCORE}" for name in sorted(unbound)]
        kept = {name: score for name, score in sorted(held.metrics.items()) if name not in unbound}
        entries.append(Entry(run, pair, recorded.sha256, kept, stale=stale, distrusted=unbound))
    return entries, notes


RESCORE = "rescore with `python -m bench score force=true`"


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
        fingerprints.setdefault(entry.system, set()).add(entry.fingerprint)
    return [f"{pair}: runs of {len(prints)} different configurations are all named {name}; only the "
            "newest is shown (give each its own model.name)"
            for name, prints in sorted(fingerprints.items()) if len(prints) > 1]


def pair_board(pair: str, entries: list[Entry], sha256: str, policy: Policy,
               metric: MetricLoader) -> PairBoard:
    for entry in entries:
        if entry.sha256 != sha256 and entry.stale is None:
            entry.stale = "made on an older version of the test set"
    fresh = newest_per_system(e for e in entries if e.stale is None)
    stale = newest_per_system(e for e in entries if e.stale is not None and e.system not in fresh)
    ranked = [e for e in fresh.values() if not e.baseline]
    baselines = [e for e in fresh.values() if e.baseline]
    shown = [*fresh.values(), *stale.values()]
    directions, notes = known_directions({name for e in shown for name in e.scores}, metric)
    notes += shared_names(pair, entries)
    for entry in shown:
        notes += checked_scores(entry, {name: metric(name) for name in directions})
    present = {name for e in shown for name in e.scores}
    directions = {name: d for name, d in directions.items() if name in present}
    order = {name: i for i, name in enumerate(policy.rank_by)}
    columns = sorted(set(directions) - {policy.off_target}, key=lambda n: (order.get(n, len(order)), n))
    for entry in ranked:
        share = entry.scores.get(policy.off_target)
        entry.flagged = share is not None and share.score > policy.off_target_threshold
    rank_metric, rank_notes = assign_ranks(ranked, policy.rank_by, metric, policy.significance)
    notes += rank_notes
    for entry in [e for e in ranked if e.stale]:  # set aside by assign_ranks: shown with the stale runs
        ranked.remove(entry)
        stale[entry.system] = entry
    by = rank_metric and metric(rank_metric)
    ranked.sort(key=lambda e: sort_key(e, by))
    baselines.sort(key=lambda e: (0, -float(by.goodness(e.scores[by.name].score)), e.system)
                   if by and by.name in e.scores else (1, 0.0, e.system))
    board = PairBoard(pair=pair, entries=ranked, stale=sorted(stale.values(), key=lambda e: e.system),
                      metrics=columns, directions=directions, rank_metric=rank_metric,
                      off_target=policy.off_target if policy.off_target in directions else None, notes=notes,
                      baselines=baselines)
    if by:
        board.notes += below_baselines(board, by)
        board.resolution, board.unresolved = resolved(board, by, policy.significance.alpha)
    return board


def below_baselines(board: PairBoard, by: Metric) -> list[str]:
    """One note per baseline that some ranked system does not beat on the ranking metric."""
    notes = []
    for base in board.baselines:
        if by.name not in base.scores:
            continue
        floor = float(by.goodness(base.scores[by.name].score))
        under = [e.system for e in board.entries if float(by.goodness(e.scores[by.name].score)) <= floor]
        if under:
            notes.append(f"{', '.join(under)}: no better than the {base.system} baseline on {by.name}")
    return notes


def resolved(board: PairBoard, by: Metric, alpha: float) -> tuple[float | None, bool]:
    """The pair's resolution on the ranking metric (over the ranked systems and the baselines scored
    the same way), and whether most neighbouring ranked systems are closer than it."""
    signature = board.entries[0].scores[by.name].signature
    rows = {e.system: np.asarray(e.scores[by.name].stats, dtype=np.float64) for e in board.shown
            if has_stats(e, by.name) and e.scores[by.name].signature == signature}
    width = ranking.resolution(rows, by, alpha)
    good = sorted((float(by.goodness(e.scores[by.name].score)) for e in board.entries), reverse=True)
    gaps = [a - b for a, b in zip(good, good[1:])]
    return width, bool(width is not None and gaps and float(np.median(gaps)) < width)


def known_directions(names: set[str], metric: MetricLoader) -> tuple[dict[str, Direction], list[str]]:
    """The direction of each metric that bench ships a config for; the others are noted and dropped."""
    directions: dict[str, Direction] = {}
    notes: list[str] = []
    for name in sorted(names):
        try:
            directions[name] = Direction.of(metric(name))
        except BenchError:
            notes.append(f"{name} not shown: bench ships no metric of that name (configs/metric/) to read it")
    return directions, notes


def checked_scores(entry: Entry, metrics: Mapping[str, Metric]) -> list[str]:
    """Keep only the entry's scores that follow from their statistics (see the module docstring);
    the segment scores shown are derived from the statistics too. One note per score left out."""
    kept: dict[str, Score] = {}
    notes: list[str] = []
    for name, score in entry.scores.items():
        if name not in metrics:
            continue
        derived = rederived(score, metrics[name])
        if isinstance(derived, Score):
            kept[name] = derived
        else:
            entry.distrusted.add(name)
            notes.append(f"{entry.pair}: {name} of {entry.system} ({entry.where}) not shown: it {derived} "
                         f"with configs/metric/{name}.yaml as it is now (edited, or scored with other "
                         f"settings); rescore with `python -m bench score metric=[{name}] force=true`")
    entry.scores = kept
    return notes


def rederived(score: Score, metric: Metric) -> Score | str:
    """``score`` as its statistics give it, or what does not follow from them."""
    if not score.stats:
        return "has no statistics to check it against"
    stats = np.asarray(score.stats, dtype=np.float64)
    if not _close(metric.aggregate(stats), score.score):
        return "does not follow from its statistics"
    if score.ci_low is not None:
        settings = score.extra.get("bootstrap")
        if not isinstance(settings, dict):
            return "has a confidence interval without its bootstrap settings"
        low, high = confidence_interval(metric, stats, Bootstrap.from_cfg(
            {key: settings.get(key) for key in ("samples", "seed", "confidence")}))
        if not (_close(low, score.ci_low) and _close(high, score.ci_high)):
            return "has a confidence interval that does not follow from its statistics"
    return replace(score, segments=metric.segment_scores(stats))


def _close(a: float, b: float) -> bool:
    """Equal up to float noise: numbers re-derived on another CPU or numpy build may differ in the last
    bits, never in anything a leaderboard shows."""
    return bool(np.isclose(a, b, rtol=1e-6, atol=1e-6))


def assign_ranks(entries: list[Entry], rank_by: tuple[str, ...], metric: MetricLoader,
                 significance: Significance) -> tuple[str | None, list[str]]:
    """Set each entry's rank on the first ``rank_by`` metric that can rank all of them: the systems that
    translate first, then the flagged ones, whose ranks count on from theirs.

    An entry whose score on that metric was left out as not believable (:attr:`Entry.distrusted`: a
    number that does not follow from its statistics, statistics copied from another run) is set aside
    with a note and its ``stale`` reason, and the others are ranked on the metric all the same: one
    tampered file must not take the ranks away from everyone. Only when no entry is left does the
    metric count as unusable (every run scored with settings the config no longer has)."""
    if not entries:
        return None, []
    problems = {name: rank_problem([e for e in entries if name not in e.distrusted] or entries, name, metric)
                for name in rank_by}
    usable = [name for name in rank_by if problems[name] is None]
    if not usable:
        return None, [f"not ranked: no metric of rank_by ({', '.join(rank_by)}) can rank every system: "
                      + "; ".join(str(problems[name]) for name in rank_by)]
    chosen = usable[0]
    notes = [f"ranked by {chosen}: {problems[name]}" for name in rank_by[:rank_by.index(chosen)]]
    for entry in [e for e in entries if chosen in e.distrusted]:
        entry.stale = f"its {chosen} score cannot be believed (see the notes above); {RESCORE}"
        notes.append(f"{entry.system} ({entry.where}) not ranked: {entry.stale}")
    offset = 0
    entries = [e for e in entries if not e.stale]
    for group in ([e for e in entries if not e.flagged], [e for e in entries if e.flagged]):
        stats = {e.system: np.asarray(e.scores[chosen].stats, dtype=np.float64) for e in group}
        ranks = ranking.clusters(stats, metric(chosen), alpha=significance.alpha, method=significance.method,
                                 correction=significance.correction) if group else {}
        for entry in group:
            entry.rank = ranks[entry.system] + offset
        offset += len(group)
    return chosen, notes


def rank_problem(entries: list[Entry], name: str, metric: MetricLoader) -> str | None:
    """Why ``name`` cannot rank ``entries``, or None if it can.

    Significance tests re-aggregate the stored statistics with the metric as configured *now*. That
    is only honest when every system was scored one way (one signature) and that way is today's
    config; scores that do not re-aggregate to what they stored were already left out by
    :func:`checked_scores`, so what remains is to require one signature.
    """
    lacking = sorted(e.system for e in entries if not has_stats(e, name))
    if lacking:
        who = "every system" if len(lacking) == len(entries) else ", ".join(lacking)
        return f"{name} is missing for {who}; add it with `python -m bench score metric=[{name}]`"
    if len({e.scores[name].signature for e in entries}) > 1:
        return (f"{name} was computed with different signatures; rescore with "
                f"`python -m bench score metric=[{name}] force=true`")
    return None


def has_stats(entry: Entry, metric: str) -> bool:
    """Whether the entry can take part in a significance test on ``metric``."""
    score = entry.scores.get(metric)
    return bool(score and score.stats)


def sort_key(entry: Entry, ranked_by: Metric | None) -> tuple:
    """Systems that translate first; best rank first; within a rank, the better score on the ranking
    metric; then by name."""
    if ranked_by is None:
        return (entry.flagged, 0, 0.0, entry.system)
    return (entry.flagged, entry.rank, -float(ranked_by.goodness(entry.scores[ranked_by.name].score)),
            entry.system)

"""Sentence alignment of one document: the least-cost sequence of beads (Gale & Church, 1993).

A bead pairs ``a`` consecutive source sentences with ``b`` consecutive target sentences, for every
shape in :data:`SHAPES` (1-1 up to 1-4/4-1 and 2-3/3-2, and 1-0/0-1 for a sentence without a
counterpart). A bead's cost adds up independent pieces of evidence, each roughly a negative
log-probability:

* the prior of its shape: each sentence beyond 1-1 multiplies it by :data:`SHAPE_STEP`, since
  literary translators split and join sentences far more often than news translators (Gale &
  Church's 1-3 at 0.003 was off by a factor of twenty on the development data);
* the Gale-Church length cost, ``-log P(|delta|)`` with ``delta`` the standardised difference between
  the target length and ``ratio`` times the source length; both are estimated per document
  (:func:`estimate_variance`), so a document aligns the same whatever is built with it;
* anchors (numbers, quotations; :mod:`bench.refset.anchors`);
* embedding similarity of the two spans when available (:mod:`bench.refset.embed`).

Titles pair only with titles, in 1-1 beads; a title with no counterpart becomes a 1-0 or 0-1 bead.
Paragraph boundaries are ignored, since translators re-paragraph freely.

**Time.** A document of up to :data:`FULL_CELLS` grid cells is searched exhaustively. A larger one is
first aligned at half resolution (pairs of sentences merged), recursively, and then only within
:data:`RADIUS` cells of that path (Vecalign's recursive downsampling), so time and memory grow
linearly with the number of sentences. **Reproducibility.** Every cost is an integer number of
``1/SCALE`` nats, computed from integer lengths and counts and from similarities quantised to a grid
(:mod:`bench.refset.embed`): the float noise of one CPU's embedding model does not reach a decision
unless it crosses a grid line.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from bench.core.errors import BenchError
from bench.refset.anchors import NO_ANCHORS, Anchors
from bench.refset.embed import Similarity
from bench.refset.search import INF, Band, Step, band_around, best_path

SCALE = 1000  # cost units per nat
# Prior odds of each sentence a bead has beyond 1-1: with embeddings to tell a 1-3 bead from a 1-1
# bead and two dropped sentences; without them length alone must, and rarer big beads do better
# (measured on the development data: scripts/benchmark_align.py).
SHAPE_STEP, SHAPE_STEP_LENGTH_ONLY = 0.15, 0.05
SKIP_PRIOR = 0.005  # prior of a 1-0 or 0-1 bead
MAX_BEAD = 5  # sentences in a bead, both sides together: 1-4, 2-3, 3-2, 4-1 at most
SHAPES = tuple([(a, b) for size in range(2, MAX_BEAD + 1) for a in range(1, size) for b in [size - a]]
               + [(1, 0), (0, 1)])
DEFAULT_VARIANCE = 3.0  # target characters; prior for estimate_variance
PRIOR_BEADS = 5  # how many beads' worth of weight DEFAULT_VARIANCE carries
NUMBER_HIT, NUMBER_MISS, QUOTE_MISS = 2.0, 1.0, 0.5
SIMILARITY_WEIGHT = 4.0  # cost per standard deviation of embedding margin
SKIP_COST = 3.0  # added to a 1-0 or 0-1 bead's prior, in place of a length cost
FULL_CELLS = 10_000  # grids up to this size (about 100 x 100 sentences) are searched exhaustively
RADIUS = 8  # cells on each side of the coarse path searched at the finer level
MAX_DELTA = 40.0  # length deltas beyond this cost as much as this (hopeless anyway)


@dataclass(frozen=True)
class Unit:
    """A sentence (or a title) to align."""

    text: str
    title: bool = False

    @functools.cached_property
    def length(self) -> int:
        """Characters without white space, comparable across Chinese and spaced scripts."""
        return sum(1 for ch in self.text if not ch.isspace())

    @functools.cached_property
    def anchors(self) -> Anchors:
        return Anchors.of(self.text)


@dataclass(frozen=True)
class Calibration:
    ratio: float  # target characters per source character
    variance: float  # variance of the target length, per target character


@dataclass(frozen=True)
class Bead:
    src: tuple[int, ...]
    tgt: tuple[int, ...]
    cost: float
    delta: float  # standardised length difference (0 when one side is empty)
    similarity: float | None  # embedding margin in standard deviations, when used
    numbers: int  # numbers found on both sides
    margin: float | None  # how much more the best other way to the same point costs (None: no other)

    @property
    def shape(self) -> str:
        return f"{len(self.src)}-{len(self.tgt)}"


def document_ratio(src: list[Unit], tgt: list[Unit]) -> float:
    """Target characters per source character over the document's body (titles run shorter)."""
    src_len = sum(u.length for u in src if not u.title) or sum(u.length for u in src)
    tgt_len = sum(u.length for u in tgt if not u.title) or sum(u.length for u in tgt)
    return tgt_len / src_len if src_len and tgt_len else 1.0


@functools.lru_cache(maxsize=1)
def _length_costs() -> np.ndarray:
    """``-log P(|delta|)`` in cost units, for ``|delta|`` on a grid of 0.01 up to MAX_DELTA.

    A table computed once with :func:`math.erfc` instead of a vectorised ``log``, whose last bits
    depend on the CPU's instruction set."""
    grid = [k / 100 for k in range(int(MAX_DELTA * 100) + 1)]
    return np.array([round(SCALE * length_cost(d)) for d in grid], dtype=np.int64)


def length_cost(delta: float) -> float:
    """``-log`` of the two-sided tail probability of ``delta`` under a standard normal."""
    return -math.log(max(math.erfc(abs(delta) / math.sqrt(2)), 1e-300))


def check_size(n_src: int, n_tgt: int, limit: int, what: str) -> None:
    """Refuse a document too long to align in reasonable time and memory, naming the setting."""
    if max(n_src, n_tgt) > limit:
        raise BenchError(f"{what}: {n_src} x {n_tgt} sentences is more than max_sentences={limit}; "
                         "split it into smaller documents, or raise max_sentences")


class BeadCost:
    """The integer costs of one document's candidate beads, many at a time (see :func:`best_path`)."""

    def __init__(self, src: list[Unit], tgt: list[Unit], cal: Calibration,
                 similarity: Similarity | None) -> None:
        self.src, self.tgt, self.cal, self.similarity = src, tgt, cal, similarity
        self.n, self.m = len(src), len(tgt)
        self._length = (_cumulative([u.length for u in src]), _cumulative([u.length for u in tgt]))
        self._titles = (_cumulative([u.title for u in src]), _cumulative([u.title for u in tgt]))
        self._quotes = (_cumulative([u.anchors.quotes for u in src]),
                        _cumulative([u.anchors.quotes for u in tgt]))
        self._number_total = (_cumulative([sum(u.anchors.numbers.values()) for u in src]),
                              _cumulative([sum(u.anchors.numbers.values()) for u in tgt]))
        shared = sorted(set().union(*(u.anchors.numbers for u in src))
                        & set().union(*(u.anchors.numbers for u in tgt)))
        self._numbers = (NumberEntries.of(src, shared), NumberEntries.of(tgt, shared))
        step = SHAPE_STEP if similarity is not None else SHAPE_STEP_LENGTH_ONLY
        self._prior = {(a, b): round(SCALE * -math.log(step ** (a + b - 2) if a and b else SKIP_PRIOR))
                       for a, b in SHAPES}
        self._skip = round(SCALE * SKIP_COST)

    def __call__(self, a: int, b: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Costs of the beads ``src[i:i+a]`` / ``tgt[j:j+b]`` for every pair of ``i`` and ``j``."""
        return self.parts(a, b, i, j)[0]

    def parts(self, a: int, b: int, i: np.ndarray, j: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """(cost, delta, similarity in thousandths of a standard deviation, matched numbers)."""
        zeros = np.zeros(len(j), np.int64)
        cost = np.full(len(j), self._prior[a, b], np.int64)
        if not (a and b):
            # An untranslated sentence has no length to compare: long or short, it is just missing.
            # A title alone is fine; 1-0 and 0-1 beads have one sentence.
            return cost + self._skip, zeros.astype(float), None, zeros
        titles = _span(self._titles[0], i, a) + _span(self._titles[1], j, b)
        blocked = (titles > 0) & ((titles != a + b) | (a > 1) | (b > 1))
        delta = _delta(_span(self._length[0], i, a), _span(self._length[1], j, b), self.cal)
        steps = np.rint(np.minimum(np.abs(delta), MAX_DELTA) * 100).astype(np.int64)
        cost += _length_costs()[steps]
        src_numbers, tgt_numbers = _span(self._number_total[0], i, a), _span(self._number_total[1], j, b)
        both = np.nonzero((src_numbers > 0) & (tgt_numbers > 0))[0]  # few beads have numbers
        matched = zeros.copy()
        matched[both] = matched_numbers(self._numbers[0], i[both], a, self._numbers[1], j[both], b)
        unmatched = src_numbers + tgt_numbers - 2 * matched
        quotes = np.abs(_span(self._quotes[0], i, a) - _span(self._quotes[1], j, b))
        cost += np.rint(SCALE * (NUMBER_MISS * unmatched - NUMBER_HIT * matched
                                 + QUOTE_MISS * quotes)).astype(np.int64)
        similarity = None
        if self.similarity is not None:
            similarity = self.similarity.score(a, i, b, j)
            cost -= np.rint(SIMILARITY_WEIGHT * similarity).astype(np.int64)
        return np.where(blocked, INF, cost), delta, similarity, matched

    def beads(self, steps: list[Step]) -> list[Bead]:
        """The beads of a path, with what the report shows about them (one call per shape)."""
        out: dict[int, Bead] = {}
        for shape in sorted({(s.a, s.b) for s in steps}):
            group = [k for k, s in enumerate(steps) if (s.a, s.b) == shape]
            i, j = np.array([steps[k].i for k in group]), np.array([steps[k].j for k in group])
            cost, delta, similarity, matched = self.parts(shape[0], shape[1], i, j)
            for row, k in enumerate(group):
                step = steps[k]
                out[k] = Bead(
                    tuple(range(step.i, step.i + step.a)), tuple(range(step.j, step.j + step.b)),
                    int(cost[row]) / SCALE, float(delta[row]),
                    None if similarity is None else int(similarity[row]) / 1000, int(matched[row]),
                    None if step.margin >= INF else step.margin / SCALE,
                )
        return [out[k] for k in range(len(steps))]

    def coarse(self) -> BeadCost:
        """The same document at half resolution: each pair of consecutive units merged into one."""
        return BeadCost(_merge(self.src), _merge(self.tgt), self.cal,
                        None if self.similarity is None else self.similarity.coarse())


def align(src: list[Unit], tgt: list[Unit], cal: Calibration, similarity: Similarity | None) -> list[Bead]:
    """The least-cost bead sequence covering ``src`` and ``tgt``."""
    cost = BeadCost(src, tgt, cal, similarity)
    return cost.beads(_search(cost))


def _search(cost: BeadCost) -> list[Step]:
    n, m = cost.n, cost.m
    if (n + 1) * (m + 1) <= FULL_CELLS or min(n, m) < 2:
        return best_path(n, m, SHAPES, cost, Band.full(n, m))
    coarse = _search(cost.coarse())
    return best_path(n, m, SHAPES, cost, band_around(coarse, n, m, RADIUS))


def _merge(units: list[Unit]) -> list[Unit]:
    """Pairs of consecutive units as one (no titles at half resolution); lengths and anchors are
    added up rather than counted again."""
    merged = []
    for k in range(0, len(units), 2):
        pair = units[k:k + 2]
        unit = Unit(" ".join(u.text for u in pair))
        unit.__dict__.update(length=sum(u.length for u in pair),  # the cached properties' values
                             anchors=sum((u.anchors for u in pair), NO_ANCHORS))
        merged.append(unit)
    return merged


def _cumulative(values: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(values, dtype=np.int64))]).astype(np.int64)


def _span(cumulative: np.ndarray, starts: np.ndarray, size: int) -> np.ndarray:
    return cumulative[starts + size] - cumulative[starts]


@dataclass(frozen=True)
class NumberEntries:
    """One side's numbers that the other side also has, unit after unit: the entries of units
    ``u..v-1`` are ``key[start[u]:start[v]]`` (indices into the ``keys`` shared keys), each found
    ``count`` times.

    A table with a column per shared key would be quadratic for a document whose every line has a
    number of its own (2,000 numbered lines a side took 5.8 GB); these lists grow with the numbers the
    document holds."""

    start: np.ndarray
    key: np.ndarray
    count: np.ndarray
    keys: int

    @classmethod
    def of(cls, units: list[Unit], shared: list[str]) -> NumberEntries:
        index = {key: k for k, key in enumerate(shared)}
        entries = [sorted((index[key], n) for key, n in unit.anchors.numbers.items() if key in index)
                   for unit in units]
        flat = np.array([entry for unit in entries for entry in unit], np.int64).reshape(-1, 2)
        return cls(_cumulative([len(unit) for unit in entries]), flat[:, 0], flat[:, 1], len(shared))

    def sizes(self, starts: np.ndarray, size: int) -> np.ndarray:
        """How many entries each span ``units[s:s+size]`` has."""
        return self.start[starts + size] - self.start[starts]

    def totals(self, starts: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Each (span, key) found in the spans ``units[s:s+size]``, as the code ``span * keys + key``
        in increasing order, and its count summed over the span's units."""
        sizes = self.sizes(starts, size)
        ends = np.cumsum(sizes)
        where = np.arange(ends[-1]) - np.repeat(ends - sizes - self.start[starts], sizes)
        codes, found = np.unique(np.repeat(np.arange(len(starts)), sizes) * self.keys + self.key[where],
                                 return_inverse=True)
        return codes, np.bincount(found, weights=self.count[where], minlength=len(codes)).astype(np.int64)


NUMBER_BLOCK = 1 << 18  # entries matched at once (about 20 MB): memory stays flat whatever a document holds


def matched_numbers(src: NumberEntries, i: np.ndarray, a: int, tgt: NumberEntries, j: np.ndarray, b: int
                    ) -> np.ndarray:
    """How many numbers ``src[i:i+a]`` and ``tgt[j:j+b]`` share, for each pair of ``i`` and ``j``
    (per key, the smaller count), in blocks of spans holding about :data:`NUMBER_BLOCK` entries."""
    if not len(i):
        return np.zeros(0, np.int64)
    load = np.cumsum(src.sizes(i, a) + tgt.sizes(j, b))
    cuts = np.searchsorted(load, np.arange(NUMBER_BLOCK, load[-1], NUMBER_BLOCK), side="right")
    bounds = np.unique(np.concatenate([[0], cuts, [len(i)]]))
    return np.concatenate([_matched(src.totals(i[lo:hi], a), tgt.totals(j[lo:hi], b), src.keys, hi - lo)
                           for lo, hi in zip(bounds[:-1], bounds[1:])])


def _matched(src: tuple[np.ndarray, np.ndarray], tgt: tuple[np.ndarray, np.ndarray], keys: int, spans: int
             ) -> np.ndarray:
    """Per span, the numbers found on both sides: the smaller count of each (span, key) both have."""
    common, s, t = np.intersect1d(src[0], tgt[0], assume_unique=True, return_indices=True)
    return np.bincount(common // max(keys, 1), weights=np.minimum(src[1][s], tgt[1][t]),
                       minlength=spans).astype(np.int64)


def _delta(src_len: np.ndarray, tgt_len: np.ndarray, cal: Calibration) -> np.ndarray:
    """Gale-Church's standardised length difference; only IEEE arithmetic, the same on every CPU."""
    expected = cal.ratio * src_len.astype(np.float64)
    scale = np.sqrt(cal.variance * np.maximum((expected + tgt_len) / 2, 1.0))
    return (tgt_len - expected) / scale


def estimate_variance(samples: list[tuple[int, int, float]]) -> float:
    """Per-character variance of target length from (source length, target length, ratio) samples.

    This is the maximum-likelihood estimate under Gale & Church's model (variance proportional to
    length), shrunk towards :data:`DEFAULT_VARIANCE` by :data:`PRIOR_BEADS` beads of average length
    so that a document with few confident beads still gets a sensible value.
    """
    if not samples:
        return DEFAULT_VARIANCE
    squares = sum((t - r * s) ** 2 for s, t, r in samples)
    lengths = [(r * s + t) / 2 for s, t, r in samples]
    mean_length = sum(lengths) / len(lengths)
    prior = PRIOR_BEADS * mean_length
    return (squares + DEFAULT_VARIANCE * prior) / (sum(lengths) + prior)

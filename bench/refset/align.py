"""Sentence alignment of one document: dynamic programming over beads (Gale & Church, 1993).

A bead pairs ``a`` consecutive source sentences with ``b`` consecutive target sentences. The aligner
finds the sequence of beads covering both sides in order with the least total cost, where a bead's
cost adds up independent pieces of evidence, each roughly a negative log-probability:

* the prior of its shape (1-1 is by far the most common; 1-0 and 0-1 are rare);
* the Gale-Church length cost, ``-log P(|delta|)`` with ``delta`` the standardised difference between
  the target length and ``ratio`` times the source length. ``ratio`` is taken per document from its
  total lengths and ``variance`` per language pair from confident 1-1 beads (see
  :func:`estimate_variance`), because Chinese to Kazakh and Chinese to Vietnamese differ;
* anchors (numbers, quotations; :mod:`bench.refset.anchors`);
* embedding similarity when available (:mod:`bench.refset.embed`), which turns a good match into a
  bonus.

Titles pair only with titles, in 1-1 beads; a title with no counterpart becomes a 1-0 or 0-1 bead.
Paragraph boundaries are ignored, since translators re-paragraph freely. Time is O(n * m * beads),
plenty for news articles of a few hundred sentences.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from bench.refset.anchors import NO_ANCHORS, Anchors, anchor_cost
from bench.refset.embed import Similarity

# Shape priors: Gale & Church's figures, with 1-3 and 3-1 added as rarer than 2-2.
BEAD_PRIORS: dict[tuple[int, int], float] = {
    (1, 1): 0.89, (1, 2): 0.0445, (2, 1): 0.0445, (2, 2): 0.011,
    (1, 3): 0.003, (3, 1): 0.003, (1, 0): 0.005, (0, 1): 0.005,
}
DEFAULT_VARIANCE = 3.0  # target characters; prior for estimate_variance
PRIOR_BEADS = 5  # how many beads' worth of weight DEFAULT_VARIANCE carries
NUMBER_HIT, NUMBER_MISS, QUOTE_MISS = 2.0, 1.0, 0.5
SIMILARITY_WEIGHT = 2.0  # cost per standard deviation of embedding margin
SKIP_COST = 1.5  # added to a 1-0 or 0-1 bead's prior, in place of a length cost


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

    @property
    def shape(self) -> str:
        return f"{len(self.src)}-{len(self.tgt)}"


def document_ratio(src: list[Unit], tgt: list[Unit]) -> float:
    """Target characters per source character over the document's body (titles run shorter)."""
    src_len = sum(u.length for u in src if not u.title) or sum(u.length for u in src)
    tgt_len = sum(u.length for u in tgt if not u.title) or sum(u.length for u in tgt)
    return tgt_len / src_len if src_len and tgt_len else 1.0


def length_delta(src_len: int, tgt_len: int, cal: Calibration) -> float:
    expected = cal.ratio * src_len
    scale = math.sqrt(cal.variance * max((expected + tgt_len) / 2, 1.0))
    return (tgt_len - expected) / scale


def length_cost(delta: float) -> float:
    """``-log`` of the two-sided tail probability of ``delta`` under a standard normal."""
    return -math.log(max(math.erfc(abs(delta) / math.sqrt(2)), 1e-300))


class BeadCost:
    """Scores candidate beads of one document."""

    def __init__(self, src: list[Unit], tgt: list[Unit], cal: Calibration,
                 similarity: Similarity | None) -> None:
        self.src, self.tgt, self.cal, self.similarity = src, tgt, cal, similarity

    def __call__(self, i: int, a: int, j: int, b: int) -> Bead | None:
        """The bead src[i:i+a] / tgt[j:j+b], or None when it is not allowed."""
        src, tgt = self.src[i:i + a], self.tgt[j:j + b]
        titles = sum(u.title for u in src) + sum(u.title for u in tgt)
        if titles and (titles != a + b or a > 1 or b > 1):
            return None  # a title pairs with a title, alone
        span_src, span_tgt = tuple(range(i, i + a)), tuple(range(j, j + b))
        cost = -math.log(BEAD_PRIORS[a, b])
        if not (a and b):
            # An untranslated sentence has no length to compare: long or short, it is just missing.
            return Bead(span_src, span_tgt, cost + SKIP_COST, 0.0, None, 0)
        delta = length_delta(sum(u.length for u in src), sum(u.length for u in tgt), self.cal)
        anchors, numbers = anchor_cost(sum((u.anchors for u in src), NO_ANCHORS),
                                       sum((u.anchors for u in tgt), NO_ANCHORS),
                                       NUMBER_HIT, NUMBER_MISS, QUOTE_MISS)
        cost += length_cost(delta) + anchors
        similarity = None
        if self.similarity is not None:
            similarity = self.similarity.score(i, a, j, b)
            cost -= SIMILARITY_WEIGHT * similarity
        return Bead(span_src, span_tgt, cost, delta, similarity, numbers)

def align(n_src: int, n_tgt: int, bead_cost: BeadCost) -> list[Bead]:
    """The least-cost bead sequence covering ``n_src`` source and ``n_tgt`` target units.

    Cells and shapes are visited in a fixed order and only a strictly lower cost replaces a path, so
    ties always resolve the same way.
    """
    inf = math.inf
    best = [[inf] * (n_tgt + 1) for _ in range(n_src + 1)]
    back: list[list[Bead | None]] = [[None] * (n_tgt + 1) for _ in range(n_src + 1)]
    best[0][0] = 0.0
    for i in range(n_src + 1):
        for j in range(n_tgt + 1):
            if best[i][j] == inf:
                continue
            for a, b in BEAD_PRIORS:
                if i + a > n_src or j + b > n_tgt:
                    continue
                bead = bead_cost(i, a, j, b)
                if bead is not None and best[i][j] + bead.cost < best[i + a][j + b]:
                    best[i + a][j + b] = best[i][j] + bead.cost
                    back[i + a][j + b] = bead
    beads: list[Bead] = []
    i, j = n_src, n_tgt
    while i or j:
        bead = back[i][j]
        assert bead is not None  # 1-0 and 0-1 beads always reach every cell
        beads.append(bead)
        i, j = i - len(bead.src), j - len(bead.tgt)
    return beads[::-1]


def estimate_variance(samples: list[tuple[int, int, float]]) -> float:
    """Per-character variance of target length from (source length, target length, ratio) samples.

    This is the maximum-likelihood estimate under Gale & Church's model (variance proportional to
    length), shrunk towards :data:`DEFAULT_VARIANCE` by :data:`PRIOR_BEADS` beads of average length
    so that a pair with few confident beads still gets a sensible value.
    """
    if not samples:
        return DEFAULT_VARIANCE
    squares = sum((t - r * s) ** 2 for s, t, r in samples)
    lengths = [(r * s + t) / 2 for s, t, r in samples]
    mean_length = sum(lengths) / len(lengths)
    prior = PRIOR_BEADS * mean_length
    return (squares + DEFAULT_VARIANCE * prior) / (sum(lengths) + prior)

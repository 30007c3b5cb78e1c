"""The least-cost bead path through a band of the alignment grid, in integer arithmetic.

Cell ``(i, j)`` of the grid means "the first ``i`` source and ``j`` target units are aligned"; a bead
of shape ``(a, b)`` moves from ``(i, j)`` to ``(i + a, j + b)``. Only the cells of a *band*, a range of
columns ``lo[i]..hi[i]`` per row, are visited, so time and memory grow with the band's area, not with
the whole grid (see :func:`band_around`, which draws a band around the path found on a coarser grid).

Rows are computed one at a time, each with numpy over all its cells at once: a bead with source
sentences reads finished rows, and the 0-1 bead, which moves along the row itself, is a running
minimum (``np.minimum.accumulate``) of the row's costs against their prefix sums. Costs are integers
(:data:`SCALE` units), so the same costs give the same path on every CPU, and ties go to the first
shape in the given order, never to the 0-1 bead.

Besides the path, each bead gets a *margin*: how much more the best other way of reaching its end
cell costs. A small margin marks a decision a small change of the costs could flip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

INF = 1 << 60  # an unreachable cell; sums of a few of these stay far inside int64
CostFn = Callable[[int, int, int, np.ndarray], np.ndarray]  # (a, b, i, js) -> cost of each bead


@dataclass(frozen=True)
class Step:
    """One bead of the path: source units ``i..i+a``, target units ``j..j+b``."""

    i: int
    j: int
    a: int
    b: int
    margin: int  # cost of the best other way into the end cell, minus the chosen one (INF: none)


@dataclass(frozen=True)
class Band:
    """Columns ``lo[i]..hi[i]`` (inclusive) of each row ``i`` in ``0..n``."""

    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def full(cls, n: int, m: int) -> Band:
        return cls(np.zeros(n + 1, np.int64), np.full(n + 1, m, np.int64))

    @property
    def cells(self) -> int:
        return int((self.hi - self.lo + 1).sum())


def best_path(n: int, m: int, shapes: Sequence[tuple[int, int]], cost: CostFn, band: Band) -> list[Step]:
    """The least-cost bead path from ``(0, 0)`` to ``(n, m)`` inside ``band``.

    ``shapes`` must contain ``(0, 1)`` and ``(1, 0)``, so that every cell of a band that is
    connected row to row can be reached; ``cost(a, b, i, js)`` gives the integer cost of the beads
    ``src[i:i+a]``/``tgt[j:j+b]`` for every ``j`` in ``js``.
    """
    lo, hi = band.lo, band.hi
    insert = list(shapes).index((0, 1))
    totals: list[np.ndarray] = []
    choices: list[np.ndarray] = []
    runners: list[np.ndarray] = []
    for i in range(n + 1):
        cols = np.arange(lo[i], hi[i] + 1)
        best = np.full(len(cols), INF, np.int64)
        second = np.full(len(cols), INF, np.int64)
        choice = np.full(len(cols), -1, np.int8)
        if i == 0:
            best[cols == 0] = 0
        for s, (a, b) in enumerate(shapes):
            if a == 0 or i < a:
                continue
            prev = i - a
            starts = cols - b
            ok = np.nonzero((starts >= lo[prev]) & (starts <= hi[prev]))[0]
            if not len(ok):
                continue
            total = totals[prev][starts[ok] - lo[prev]] + cost(a, b, prev, starts[ok])
            current = best[ok]
            better = total < current
            second[ok] = np.minimum(second[ok], np.where(better, current, total))
            best[ok] = np.where(better, total, current)
            choice[ok] = np.where(better, s, choice[ok])
        # 0-1 beads along the row: total[k] = min(best[k], total[k-1] + step[k])
        step = np.zeros(len(cols), np.int64)
        if len(cols) > 1:
            step[1:] = cost(0, 1, i, cols[:-1])
        prefix = np.cumsum(step)
        total = np.minimum.accumulate(best - prefix) + prefix
        via_insert = np.full(len(cols), INF, np.int64)
        via_insert[1:] = total[:-1] + step[1:]
        take = via_insert < best
        totals.append(np.minimum(np.where(take, via_insert, best), INF))
        choices.append(np.where(take, insert, choice).astype(np.int8))
        runners.append(np.minimum(np.where(take, best, np.minimum(second, via_insert)), INF))
    return _trace(n, m, shapes, lo, totals, choices, runners)


def _trace(n: int, m: int, shapes: Sequence[tuple[int, int]], lo: np.ndarray, totals: list[np.ndarray],
           choices: list[np.ndarray], runners: list[np.ndarray]) -> list[Step]:
    if not lo[n] <= m or totals[n][m - lo[n]] >= INF:
        raise ValueError("the band does not connect (0, 0) to the last cell")
    steps: list[Step] = []
    i, j = n, m
    while i or j:
        k = j - lo[i]
        a, b = shapes[choices[i][k]]
        margin = int(runners[i][k] - totals[i][k]) if runners[i][k] < INF else INF
        steps.append(Step(i - a, j - b, a, b, margin))
        i, j = i - a, j - b
    return steps[::-1]


def band_around(coarse: list[Step], n: int, m: int, radius: int) -> Band:
    """The band of the fine grid (``n`` x ``m``) that a path on the half-resolution grid passes through,
    widened by ``radius`` cells on each side; coarse unit ``k`` is fine units ``2k`` and ``2k + 1``.

    Each row's range is made to overlap the previous one's, so every cell of the band stays reachable
    (a 1-0 bead needs its column in the row above).
    """
    lo = np.full(n + 1, m, np.int64)
    hi = np.zeros(n + 1, np.int64)
    for step in coarse:
        top, bottom = 2 * step.i, min(2 * (step.i + step.a), n)
        left, right = 2 * step.j, min(2 * (step.j + step.b), m)
        rows = slice(max(top - radius, 0), min(bottom + radius, n) + 1)
        lo[rows] = np.minimum(lo[rows], max(left - radius, 0))
        hi[rows] = np.maximum(hi[rows], min(right + radius, m))
    lo[0], hi[n] = 0, m
    lo = np.minimum.accumulate(lo[::-1])[::-1]  # never start right of a later row's start
    hi = np.maximum.accumulate(hi)  # never end left of an earlier row's end
    return Band(lo, hi)

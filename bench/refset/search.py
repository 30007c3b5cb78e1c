"""The least-cost bead path through a band of the alignment grid, in integer arithmetic.

Cell ``(i, j)`` of the grid means "the first ``i`` source and ``j`` target units are aligned"; a bead
of shape ``(a, b)`` moves from ``(i, j)`` to ``(i + a, j + b)``. Only the cells of a *band*, a range of
columns ``lo[i]..hi[i]`` per row, are visited, so time and memory grow with the band's area, not with
the whole grid (see :func:`band_around`, which draws a band around the path found on a coarser grid).

Bead costs are computed for the whole band at once; then rows are computed one at a time, each with
numpy over all its cells at once: a bead with source sentences reads finished rows, and the 0-1
bead, which moves along the row itself, is a running minimum (``np.minimum.accumulate``) of the
row's costs against their prefix sums. Costs are integers
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
CostFn = Callable[[int, int, np.ndarray, np.ndarray], np.ndarray]  # (a, b, i, j) -> cost of each bead


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

    def offsets(self) -> np.ndarray:
        """Where each row starts in a flat array of the band's cells (one more: the end)."""
        return np.concatenate([[0], np.cumsum(self.hi - self.lo + 1)]).astype(np.int64)


def best_path(n: int, m: int, shapes: Sequence[tuple[int, int]], cost: CostFn, band: Band) -> list[Step]:
    """The least-cost bead path from ``(0, 0)`` to ``(n, m)`` inside ``band``.

    ``shapes`` must contain ``(0, 1)`` and ``(1, 0)``, so that every cell of a band whose rows
    overlap can be reached; ``cost(a, b, i, j)`` gives the integer cost of the beads
    ``src[i:i+a]``/``tgt[j:j+b]`` for arrays ``i`` and ``j``. Every bead's cost is computed up front, a
    few numpy operations per shape for the whole band; the rows then cost a few operations each.
    """
    lo, hi, offsets = band.lo, band.hi, band.offsets()
    cells = int(offsets[-1])
    rows = np.repeat(np.arange(n + 1), hi - lo + 1)
    cols = np.arange(cells) - offsets[rows] + lo[rows]
    moves = [s for s, (a, _) in enumerate(shapes) if a]
    insert = list(shapes).index((0, 1))
    previous, costs = [], []
    for s in moves:  # the cell each bead starts from (``cells``: none) and its cost, for every end cell
        a, b = shapes[s]
        i, j = rows - a, cols - b
        ok = (i >= 0) & (j >= lo[np.maximum(i, 0)]) & (j <= hi[np.maximum(i, 0)])
        start = np.where(ok, offsets[np.maximum(i, 0)] + j - lo[np.maximum(i, 0)], cells)
        bead = np.full(cells, INF, np.int64)
        if ok.any():  # a shape longer than the document has no bead anywhere
            bead[ok] = cost(a, b, i[ok], j[ok])
        previous.append(start)
        costs.append(bead)
    previous_all, costs_all = np.array(previous), np.array(costs)
    steps = np.zeros(cells, np.int64)  # the 0-1 bead into each cell from its left neighbour
    left = cols > lo[rows]
    if left.any():
        steps[left] = cost(0, 1, rows[left], cols[left] - 1)
    total = np.full(cells + 1, INF, np.int64)  # the last entry stands for "no start cell"
    choice = np.zeros(cells, np.int8)
    runner = np.full(cells, INF, np.int64)
    for row in range(n + 1):
        here = slice(offsets[row], offsets[row + 1])
        candidates = np.minimum(total[previous_all[:, here]] + costs_all[:, here], INF)
        if row == 0:
            candidates[:, 0] = np.where(lo[0] == 0, 0, INF)  # the origin costs nothing
        best = candidates.min(axis=0)
        chosen = np.array(moves)[candidates.argmin(axis=0)]  # ties: the first shape given
        second = (np.partition(candidates, 1, axis=0)[1] if len(moves) > 1
                  else np.full(len(best), INF, np.int64))
        # 0-1 beads along the row: total[k] = min(best[k], total[k-1] + step[k])
        step = steps[here]
        step[0] = 0
        prefix = np.cumsum(step)
        row_total = np.minimum.accumulate(best - prefix) + prefix
        via_insert = np.full(len(best), INF, np.int64)
        via_insert[1:] = row_total[:-1] + step[1:]
        take = via_insert < best
        total[here] = np.minimum(np.where(take, via_insert, best), INF)
        choice[here] = np.where(take, insert, chosen)
        runner[here] = np.minimum(np.where(take, best, np.minimum(second, via_insert)), INF)
    return _trace(n, m, shapes, band, offsets, total, choice, runner)


def _trace(n: int, m: int, shapes: Sequence[tuple[int, int]], band: Band, offsets: np.ndarray,
           total: np.ndarray, choice: np.ndarray, runner: np.ndarray) -> list[Step]:
    if not band.lo[n] <= m <= band.hi[n] or total[offsets[n] + m - band.lo[n]] >= INF:
        raise ValueError("the band does not connect (0, 0) to the last cell")
    steps: list[Step] = []
    i, j = n, m
    while i or j:
        k = offsets[i] + j - band.lo[i]
        a, b = shapes[choice[k]]
        margin = int(runner[k] - total[k]) if runner[k] < INF else INF
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

"""Length-sorted batches under a token budget, results back in input order.

Generating one sentence at a time leaves a GPU (and most of a CPU's vector units) idle; batching
sentences of mixed length wastes the work on padding. Sorting by length first keeps padding small, and
a budget on *padded* tokens (rows x longest row) bounds memory whatever the sentence lengths, so one
setting (``model.batch_tokens``) serves 5-token titles and 200-token paragraphs alike. Kept free of
torch so it can be tested, and reused, on plain lists.

A budget that fits most batches can still run out of memory on one (long outputs, beams, a GPU shared
with another job). Failing the run there would throw away a budget that is right for the rest, so a
batch function raises :class:`BatchTooLarge` instead, and that batch alone is split in half and
retried, down to a single item; only a single item that does not fit is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def plan_batches(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Indices grouped into batches, longest first, each costing ``rows * longest <= max_tokens``.

    Longest first means an out-of-memory error shows on the first batch, not after an hour. A single
    item longer than the budget gets a batch of its own rather than being dropped.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    for index in order:
        current = batches[-1] if batches else None
        # Items arrive longest first, so a batch's first item sets its padded width.
        if current and (len(current) + 1) * max(1, lengths[current[0]]) <= max_tokens:
            current.append(index)
        else:
            batches.append([index])
    return batches


class BatchTooLarge(Exception):
    """Raised by a batch function whose batch ran out of memory: :func:`map_batched` splits it."""


def map_batched(
    items: Sequence[T],
    lengths: Sequence[int],
    max_tokens: int,
    fn: Callable[[list[T]], list[R]],
) -> list[R]:
    """Apply ``fn`` to token-budgeted batches of ``items``; return its results in input order.

    A batch for which ``fn`` raises :class:`BatchTooLarge` is run again as two halves (each split
    further if need be); a single item that is still too large re-raises it.
    """
    if len(items) != len(lengths):
        raise ValueError(f"{len(items)} items but {len(lengths)} lengths")
    results: list[R | None] = [None] * len(items)
    pending = plan_batches(lengths, max_tokens)[::-1]  # a stack: halves run before later batches
    while pending:
        batch = pending.pop()
        try:
            outputs = fn([items[i] for i in batch])
        except BatchTooLarge:
            if len(batch) == 1:
                raise
            half = len(batch) // 2
            pending += [batch[half:], batch[:half]]
            continue
        if len(outputs) != len(batch):
            raise RuntimeError(f"batch of {len(batch)} items gave {len(outputs)} results")
        for index, output in zip(batch, outputs):
            results[index] = output
    return results  # type: ignore[return-value]  # every slot was filled above

"""Token-budget batching: every item once, in input order, no batch over budget."""

from __future__ import annotations

import random

import pytest

from bench.systems.batching import BatchTooLarge, map_batched, plan_batches


def test_batches_respect_the_padded_token_budget_and_cover_every_item_once():
    rng = random.Random(7)
    for _ in range(200):
        lengths = [rng.randint(1, 120) for _ in range(rng.randint(0, 60))]
        budget = rng.randint(1, 800)
        batches = plan_batches(lengths, budget)
        assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
        for batch in batches:
            cost = len(batch) * max(lengths[i] for i in batch)
            assert cost <= budget or len(batch) == 1  # an over-long item travels alone


def test_batches_are_length_sorted_longest_first():
    lengths = [3, 50, 7, 50, 1, 20]
    batches = plan_batches(lengths, 100)
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)
    assert batches[0] == [1, 3]  # the two 50-token items fill the first batch exactly


def test_results_come_back_in_input_order():
    items = ["ccc", "a", "bbbbbb", "dd", "e"]
    seen_batches = []

    def upper(batch: list[str]) -> list[str]:
        seen_batches.append(batch)
        return [s.upper() for s in batch]

    out = map_batched(items, [len(s) for s in items], 6, upper)
    assert out == [s.upper() for s in items]
    assert seen_batches[0] == ["bbbbbb"] and len(seen_batches) > 1


def test_a_batch_function_that_drops_results_is_an_error():
    with pytest.raises(RuntimeError, match="gave 1 results"):
        map_batched(["a", "b"], [1, 1], 10, lambda batch: batch[:1])


def test_budget_must_be_positive():
    with pytest.raises(ValueError):
        plan_batches([1], 0)


def test_a_batch_out_of_memory_is_split_in_half_down_to_one_item():
    items = [f"s{i}" for i in range(7)]
    seen: list[int] = []

    def fits_two(batch: list[str]) -> list[str]:
        seen.append(len(batch))
        if len(batch) > 2:
            raise BatchTooLarge
        return [s.upper() for s in batch]

    assert map_batched(items, [1] * 7, 100, fits_two) == [s.upper() for s in items]
    assert seen == [7, 3, 1, 2, 4, 2, 2]  # the first half finishes before the second starts


def test_a_single_item_too_large_is_raised():
    def never_fits(batch: list[str]) -> list[str]:
        raise BatchTooLarge("one row")

    with pytest.raises(BatchTooLarge, match="one row"):
        map_batched(["a", "b", "c"], [1, 1, 1], 100, never_fits)

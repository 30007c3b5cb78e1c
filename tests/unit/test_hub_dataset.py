"""The dataset card and Hub records in process: rows round-trip through Hub records, and the card's
size category follows the Hub's buckets."""

from __future__ import annotations

from bench.refset import card, hub
from tests.support.hub import SEGMENTS


def test_record_round_trip_is_lossless():
    for pair, rows in SEGMENTS.items():
        assert [hub.to_segment(hub.to_record(s), pair) for s in rows] == rows


def test_size_categories_follow_the_hub_buckets():
    assert [card.size_category(n) for n in (0, 999, 1000, 9999, 10_000, 2_500_000)] == \
        ["n<1K", "n<1K", "1K<n<10K", "1K<n<10K", "10K<n<100K", "1M<n<10M"]


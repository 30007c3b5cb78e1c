"""The board's ranking rules (bench/board/ranking.py): Holm's correction and the resolution a test
set has."""

from __future__ import annotations

import numpy as np
import pytest

from bench.board.ranking import clusters, holm_rejects, resolution
from bench.metrics import load_metric
from bench.metrics.bootstrap import bootstrap_scores
from bench.metrics.significance import paired_bootstrap, rank_clusters


def comet_like(rng: np.random.Generator, mean: float, n: int = 200) -> np.ndarray:
    """Per-segment statistics of a mean-of-segments metric (COMET's shape: one column)."""
    return np.clip(rng.normal(mean, 0.15, size=(n, 1)), 0, 1)


@pytest.fixture
def systems() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    base = comet_like(rng, 0.6)
    noise = rng.normal(0, 0.05, size=base.shape)
    return {"best": base + 0.05, "close": base + 0.045 + noise, "mid": base, "low": comet_like(rng, 0.3),
            "near-low": comet_like(rng, 0.3)}


def test_holm_rejects_step_down_and_stops_at_the_first_kept():
    # m = 4: thresholds 0.0125, 0.0167, 0.025, 0.05 for the sorted p-values
    assert holm_rejects([0.01, 0.04, 0.015, 0.03], 0.05) == [True, False, True, False]
    assert holm_rejects([0.001, 0.001, 0.3, 0.02], 0.05) == [True, True, False, True]
    assert holm_rejects([0.02, 0.001], 0.05) == [True, True]
    assert holm_rejects([0.03, 0.04], 0.05) == [False, False]  # 0.03 is not below 0.025
    assert holm_rejects([], 0.05) == []


def six_close_systems(seed: int = 17) -> dict[str, np.ndarray]:
    """Six systems 0.004 apart in mean, with segment noise ten times that: some pairs pass p < 0.05
    alone, as a few of 15 comparisons will by chance."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.2, 0.9, size=(200, 1))
    return {f"s{k}": base + rng.normal(0.004 * (6 - k), 0.05, size=base.shape) for k in range(6)}


def test_holm_keeps_together_what_uncorrected_tests_split_by_chance():
    metric = load_metric("comet")
    systems = six_close_systems()
    plain = clusters(systems, metric, correction="none")
    assert plain == rank_clusters(systems, metric) and len(set(plain.values())) == 2
    head = min(plain, key=lambda name: (plain[name], -float(metric.aggregate(systems[name]))))
    p_values = [paired_bootstrap(metric, systems[head], systems[name]) for name in systems if name != head]
    assert min(p_values) < 0.05 and not any(holm_rejects(p_values, 0.05))
    assert set(clusters(systems, metric, correction="holm").values()) == {1}


def test_holm_ranks_lower_is_better_metrics_the_right_way_round(systems):
    ter = load_metric("ter")
    edits = {name: np.hstack([(1 - rows) * 10, np.full_like(rows, 10)]) for name, rows in systems.items()}
    ranks = clusters(edits, ter)
    assert ranks["best"] == 1 and ranks["low"] > ranks["mid"]


def test_resolution_is_the_median_neighbour_interval_and_shrinks_with_more_segments():
    metric = load_metric("comet")
    rng = np.random.default_rng(3)
    small = {name: comet_like(rng, mean, 20) for name, mean in (("a", 0.6), ("b", 0.55), ("c", 0.5))}
    large = {name: comet_like(rng, mean, 2000) for name, mean in (("a", 0.6), ("b", 0.55), ("c", 0.5))}
    resampled = {name: bootstrap_scores(metric, rows, 1000, 12345) for name, rows in small.items()}

    def half(a: str, b: str) -> float:
        low, high = np.quantile(resampled[a] - resampled[b], [0.025, 0.975])
        return (high - low) / 2

    expected = np.median([half("a", "b"), half("b", "c")])
    assert resolution(small, metric) == pytest.approx(expected)
    assert resolution(large, metric) < resolution(small, metric) / 5
    assert resolution({"a": small["a"]}, metric) is None

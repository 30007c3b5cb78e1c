"""Agreement statistics against independent computations: scipy where it has the statistic, plain
loops over pairs where it does not (acc_eq, tau_eq), and a bootstrap redone by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bench.core.score import Bootstrap
from bench.human.agreement import (
    contradicted,
    item_agreement,
    kendall_tau_b,
    mean_scores,
    pairwise_accuracy,
    pearson,
    segment_agreement,
    system_agreement,
)

stats = pytest.importorskip("scipy.stats")

RNG = np.random.default_rng(7)


def test_system_statistics_equal_scipy_with_ties() -> None:
    for _ in range(20):
        x = RNG.integers(0, 5, size=13).astype(float)  # many ties
        y = x + RNG.normal(0, 2, size=13)
        y[:3] = y[0]
        assert pearson(x[None], y[None])[0] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-9)
        assert kendall_tau_b(x[None], y[None])[0] == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-9)


def test_pairwise_accuracy_counts_pairs() -> None:
    metric = np.array([3.0, 2.0, 2.0, 1.0])
    human = np.array([1.0, 2.0, 2.0, 0.0])
    pairs = list(itertools.combinations(range(4), 2))
    agree = sum(np.sign(metric[i] - metric[j]) == np.sign(human[i] - human[j]) for i, j in pairs)
    assert pairwise_accuracy(metric[None], human[None])[0] == pytest.approx(agree / len(pairs))
    assert agree / len(pairs) == pytest.approx(4 / 6)  # (0,1) and (0,2) reversed; the tie agrees


def loop_tau_eq(m: np.ndarray, h: np.ndarray) -> tuple[float, float]:
    """acc_eq and tau_eq of one item, counted pair by pair as Deutsch et al. (2023) define them."""
    c = d = th = tm = thm = 0
    for i, j in itertools.combinations(range(len(m)), 2):
        dm, dh = m[i] - m[j], h[i] - h[j]
        if dm == 0 and dh == 0:
            thm += 1
        elif dh == 0:
            th += 1
        elif dm == 0:
            tm += 1
        elif dm * dh > 0:
            c += 1
        else:
            d += 1
    total = c + d + th + tm + thm
    return (c + thm) / total, (c + thm - d - th - tm) / total


def test_segment_statistics_equal_pair_counting() -> None:
    metric = RNG.integers(0, 4, size=(6, 40)).astype(float)
    human = RNG.integers(0, 3, size=(6, 40)).astype(float)
    per_item = item_agreement(metric, human)
    expected = np.array([loop_tau_eq(metric[:, j], human[:, j]) for j in range(40)])
    np.testing.assert_allclose(per_item["acc_eq"], expected[:, 0], atol=1e-12)
    np.testing.assert_allclose(per_item["tau_eq"], expected[:, 1], atol=1e-12)
    found = {e.statistic: e for e in segment_agreement(metric, human, Bootstrap(samples=50))}
    assert found["tau_eq"].value == pytest.approx(expected[:, 1].mean(), abs=1e-9)
    assert found["acc_eq"].n == 40 and found["acc_eq"].systems == 6


def test_bootstrap_interval_equals_one_redone_by_hand() -> None:
    """The interval is the percentile interval of scipy's statistic on resamples drawn exactly as
    sacrebleu draws them (``default_rng(seed).choice``)."""
    systems, n, boot = 5, 30, Bootstrap(samples=200, seed=3)
    human = RNG.normal(size=(systems, n))
    metric = human + RNG.normal(0, 1, size=(systems, n))
    found = {e.statistic: e for e in system_agreement(mean_scores(metric), mean_scores(human), n, systems,
                                                       boot)}
    draws = np.random.default_rng(boot.seed).choice(n, size=(boot.samples, n), replace=True)
    redone = {"pearson": [], "kendall": []}
    for idx in draws:
        m, h = metric[:, idx].mean(axis=1), human[:, idx].mean(axis=1)
        redone["pearson"].append(stats.pearsonr(m, h)[0])
        redone["kendall"].append(stats.kendalltau(m, h)[0])
    for name, values in redone.items():
        low, high = np.quantile(values, [0.025, 0.975])
        assert (found[name].ci_low, found[name].ci_high) == pytest.approx((low, high), abs=1e-6)
    whole = stats.pearsonr(metric.mean(axis=1), human.mean(axis=1))[0]
    assert found["pearson"].value == pytest.approx(whole, abs=1e-9)
    again = system_agreement(mean_scores(metric), mean_scores(human), n, systems, boot)
    assert [e.ci_low for e in again] == [found[e.statistic].ci_low for e in again]  # seeded


def test_contradicted_orderings_are_reversed_cluster_pairs() -> None:
    ranks = {"a": 1, "b": 1, "c": 3, "d": 4}
    human = {"a": 0.5, "b": 0.1, "c": 0.3, "d": 0.2, "e": 9.0}  # e has no rank: ignored
    reversed_, total = contradicted(ranks, human)
    assert total == 5  # a>c a>d b>c b>d c>d
    assert reversed_ == [("b", "c"), ("b", "d")]

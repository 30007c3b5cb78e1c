"""Bootstrap confidence intervals and paired significance tests on stored statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sacrebleu.metrics import BLEU
from sacrebleu.significance import PairedTest

from bench.core.score import Bootstrap, Score
from bench.metrics import bootstrap as bootstrap_module
from bench.metrics import load_metric, significance
from bench.metrics.base import Metric
from bench.metrics.bootstrap import (
    _shared_counts,
    bootstrap_indices,
    bootstrap_scores,
    confidence_interval,
    index_counts,
    resample_counts,
    with_confidence_interval,
)
from bench.metrics.significance import approximate_randomization, paired_bootstrap, rank_clusters
from bench.store.runs import parse_score


def synthetic(n: int, seed: int, noise: float) -> tuple[list[str], list[str]]:
    """``n`` reference lines and an output that swaps about ``noise`` of their words."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(60)]
    refs = [" ".join(rng.choice(vocab, size=rng.integers(6, 16))) for _ in range(n)]
    hyps = [" ".join(w if rng.random() > noise else str(rng.choice(vocab)) for w in r.split()) for r in refs]
    return refs, hyps


def scored(name: str, refs: list[str], hyps: list[str]) -> Score:
    return load_metric(name).score(refs, hyps, refs, src_lang="zh", tgt_lang="vi")


class Median(Metric):
    """Not additive: exercises the generic resampling path of the base class."""

    name = "median"

    def score(self, sources, hypotheses, references, *, src_lang, tgt_lang) -> Score:
        raise NotImplementedError

    def aggregate(self, stats: np.ndarray) -> float:
        return float(np.median(np.asarray(stats)[:, 0]))


@pytest.mark.parametrize("name", ["bleu", "chrf", "ter", "length_ratio"])
def test_vectorised_resampling_equals_aggregating_each_resample(name: str):
    refs, hyps = synthetic(60, 0, 0.3)
    metric = load_metric(name)
    stats = np.asarray(scored(name, refs, hyps).stats, dtype=np.float64)
    expected = [metric.aggregate(stats[row]) for row in bootstrap_indices(len(stats), 50, 7)]
    assert bootstrap_scores(metric, stats, 50, 7) == pytest.approx(expected, abs=1e-9)


def test_generic_resampling_path_for_metrics_that_are_not_additive():
    stats = np.random.default_rng(0).random((40, 1))
    expected = [np.median(stats[r, 0]) for r in bootstrap_indices(40, 30, 1)]
    assert bootstrap_scores(Median(), stats, 30, 1) == pytest.approx(expected)


@pytest.mark.parametrize("name", ["bleu", "chrf", "chrfpp", "ter", "length_ratio"])
def test_interval_contains_the_score_and_is_reproducible(name: str):
    refs, hyps = synthetic(200, 1, 0.3)
    metric = load_metric(name)
    score = with_confidence_interval(scored(name, refs, hyps), metric, Bootstrap(samples=1000, seed=3))
    assert score.ci_low < score.score < score.ci_high
    assert score.extra["bootstrap"] == {"method": "percentile", "samples": 1000, "seed": 3,
                                        "confidence": 0.95}
    again = with_confidence_interval(scored(name, refs, hyps), metric, Bootstrap(samples=1000, seed=3))
    assert (again.ci_low, again.ci_high) == (score.ci_low, score.ci_high)
    other_seed = with_confidence_interval(score, metric, Bootstrap(samples=1000, seed=4))
    assert (other_seed.ci_low, other_seed.ci_high) != (score.ci_low, score.ci_high)


def test_interval_narrows_with_more_data():
    metric = load_metric("chrf")
    widths = []
    for n in (50, 800):
        refs, hyps = synthetic(n, 2, 0.3)
        low, high = confidence_interval(metric, np.asarray(scored("chrf", refs, hyps).stats), Bootstrap())
        widths.append(high - low)
    assert widths[1] < widths[0] / 2  # about 1/sqrt(16) of it


def test_interval_survives_scores_json():
    refs, hyps = synthetic(30, 3, 0.2)
    score = with_confidence_interval(scored("bleu", refs, hyps), load_metric("bleu"), Bootstrap())
    assert parse_score(json.loads(json.dumps(score.to_json())), "bleu", 30, "scores.json") == score


def sacrebleu_p_value(test_type: str, samples: int, base: list[str], system: list[str], refs: list[str]):
    _, results = PairedTest([("a", base), ("b", system)], {"BLEU": BLEU()}, [refs], test_type=test_type,
                            n_samples=samples)()
    return results["BLEU"][1].p_value


@pytest.mark.parametrize("noise_b", [0.32, 0.45])
def test_paired_tests_equal_sacrebleu_significance_on_bleu(noise_b: float):
    refs, hyps_a = synthetic(150, 4, 0.3)
    _, hyps_b = synthetic(150, 4, noise_b)
    metric = load_metric("bleu")
    a, b = scored("bleu", refs, hyps_a).stats, scored("bleu", refs, hyps_b).stats
    assert paired_bootstrap(metric, a, b, 1000, 12345) == sacrebleu_p_value("bs", 1000, hyps_a, hyps_b, refs)
    assert approximate_randomization(metric, a, b, 2000, 12345) == sacrebleu_p_value("ar", 2000, hyps_a,
                                                                                      hyps_b, refs)


def test_identical_systems_are_not_significantly_different():
    refs, hyps = synthetic(80, 5, 0.3)
    metric, stats = load_metric("chrf"), scored("chrf", refs, hyps).stats
    assert paired_bootstrap(metric, stats, stats) == 1.0
    assert approximate_randomization(metric, stats, stats, trials=500) == 1.0


def test_rank_clusters_share_ranks_within_noise_and_respect_direction():
    refs, _ = synthetic(300, 6, 0.0)
    systems = {name: synthetic(300, 6, noise)[1]
               for name, noise in {"best": 0.2, "tied": 0.2, "worse": 0.5, "worst": 0.8}.items()}
    systems["tied"] = list(systems["best"])
    for name in ("chrf", "ter"):  # higher and lower is better
        metric = load_metric(name)
        stats = {sys: scored(name, refs, hyps).stats for sys, hyps in systems.items()}
        for method in ("bootstrap", "ar"):
            ranks = rank_clusters(stats, metric, method=method)
            assert ranks == {"best": 1, "tied": 1, "worse": 3, "worst": 4}, (name, method)


def test_length_ratio_ranks_by_distance_to_one():
    metric = load_metric("length_ratio")
    refs = ["abcdefghij"] * 200
    rng = np.random.default_rng(0)
    systems = {name: [("x" * int(rng.normal(10 * scale, 1))).strip() or "x" for _ in refs]
               for name, scale in {"short": 0.6, "right": 1.0, "long": 1.3}.items()}
    stats = {sys: scored("length_ratio", refs, hyps).stats for sys, hyps in systems.items()}
    assert rank_clusters(stats, metric) == {"right": 1, "long": 2, "short": 3}


def test_shared_resample_counts_give_the_intervals_of_fresh_draws():
    """Every system's interval is bit for bit the one its own fresh draws give, and the draws of one
    (segments, samples, seed) are counted once however many systems and metrics use them."""
    refs, _ = synthetic(120, 8, 0.0)
    bootstrap = Bootstrap(samples=500, seed=11)
    _shared_counts.cache_clear()
    for name in ("bleu", "chrf", "ter"):
        metric = load_metric(name)
        for noise in (0.1, 0.3, 0.5):
            stats = np.asarray(scored(name, refs, synthetic(120, 8, noise)[1]).stats, dtype=np.float64)
            fresh = index_counts(bootstrap_indices(120, 500, 11), 120)
            scores = metric.aggregate_weighted(stats, fresh)
            tail = (1.0 - bootstrap.confidence) / 2.0
            low, high = np.quantile(scores, [tail, 1.0 - tail])
            assert confidence_interval(metric, stats, bootstrap) == (float(low), float(high))
    assert _shared_counts.cache_info().misses == 1
    with pytest.raises(ValueError, match="read-only"):
        next(resample_counts(120, 500, 11))[0, 0] = 7.0


def test_resamples_beyond_one_chunk_are_drawn_afresh_not_kept(monkeypatch):
    """A test set too long for one count matrix is counted chunk by chunk and nothing is kept."""
    monkeypatch.setattr(bootstrap_module, "CHUNK_ELEMENTS", 600)  # 10 resamples of 60 segments a chunk
    refs, hyps = synthetic(60, 9, 0.3)
    metric = load_metric("chrf")
    stats = np.asarray(scored("chrf", refs, hyps).stats, dtype=np.float64)
    _shared_counts.cache_clear()
    assert [len(c) for c in resample_counts(60, 25, 2)] == [10, 10, 5]
    expected = [metric.aggregate(stats[row]) for row in bootstrap_indices(60, 25, 2)]
    assert bootstrap_scores(metric, stats, 25, 2) == pytest.approx(expected, abs=1e-9)
    assert _shared_counts.cache_info().currsize == 0


def test_ranking_resamples_each_system_once_for_the_p_values_of_paired_bootstrap(monkeypatch):
    """rank_clusters keeps each system's resampled scores: its p-values are paired_bootstrap's exactly,
    with one resampling per system rather than two per test."""
    refs, _ = synthetic(200, 10, 0.0)
    metric = load_metric("chrf")
    stats = {f"s{k}": np.asarray(scored("chrf", refs, synthetic(200, 10, 0.1 * k)[1]).stats)
             for k in range(1, 6)}
    compare = significance.comparer("bootstrap", metric, stats)
    for a in stats:
        for b in stats:
            assert compare(a, b) == paired_bootstrap(metric, stats[a], stats[b])
    resampled: list[int] = []
    original = significance.bootstrap_scores
    monkeypatch.setattr(significance, "bootstrap_scores",
                        lambda *args: resampled.append(1) or original(*args))
    assert rank_clusters(stats, metric) == {"s1": 1, "s2": 2, "s3": 3, "s4": 4, "s5": 5}
    assert len(resampled) == len(stats)

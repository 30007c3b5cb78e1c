"""Metric settings are checked where the metric is made: every number and switch, in process."""

from __future__ import annotations

import pytest

from bench.core.errors import BenchError
from bench.metrics.offtarget import OffTarget
from bench.metrics.sacre import Bleu, Chrf, Ter


@pytest.mark.parametrize(("make", "expected"), [
    (lambda: Bleu(smooth_method="exponential"), "metric.bleu.smooth_method=exponential: choose one of"),
    (lambda: Bleu(smooth_value=-0.5), "metric.bleu.smooth_value=-0.5: must be a number of at least 0"),
    (lambda: Bleu(smooth_value=float("nan")), "metric.bleu.smooth_value=nan: must be a number"),
    (lambda: Bleu(lowercase="no"), "metric.bleu.lowercase='no': must be true or false"),
    (lambda: Bleu(tokenize=13), "metric.bleu.tokenize=13: not a sacrebleu tokenizer"),
    (lambda: Chrf(name="chrfpp", word_order=-1), "metric.chrfpp.word_order=-1: must be a whole number"),
    (lambda: Chrf(beta=2.5), "metric.chrf.beta=2.5: must be a whole number of at least 1"),
    (lambda: Chrf(char_order=True), "metric.chrf.char_order=True: must be a whole number"),
    (lambda: Chrf(eps_smoothing="true"), "metric.chrf.eps_smoothing='true': must be true or false"),
    (lambda: Ter(case_sensitive=1), "metric.ter.case_sensitive=1: must be true or false"),
    (lambda: OffTarget(min_relative_distance=1.0), "metric.off_target.min_relative_distance=1.0: must be"),
    (lambda: OffTarget(candidates="kk"), "metric.off_target.candidates='kk': must be a list"),
    (lambda: OffTarget(candidates=["kk", "../x"]), "metric.off_target.candidates: '../x' is not a language"),
])
def test_every_numeric_and_switch_setting_is_checked_where_the_metric_is_made(make, expected: str):
    with pytest.raises(BenchError) as caught:
        make()
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)


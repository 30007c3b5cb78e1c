"""Which segments a human check should read first, in process: where metrics disagree on close systems."""

from __future__ import annotations

import random

import numpy as np

from bench.human.campaign import choose, informativeness


def test_segments_where_metrics_disagree_on_close_systems_come_first():
    outputs = {"a": ["x", "y", "z", "same"], "b": ["x2", "y2", "z2", "same"], "c": ["x3", "y", "z3", "same"]}
    agree = {s: np.array([1.0, 1.0, 1.0, 1.0]) * k for s, k in (("a", 3), ("b", 2), ("c", 1))}
    other = {s: v.copy() for s, v in agree.items()}
    other["a"][2] = 0.0  # on segment 2 the second metric puts a below b and c
    scores = informativeness(outputs, {"first": agree, "second": other})
    assert scores[3] == 0  # every system wrote the same: nothing to learn
    assert scores[2] > scores[0] > scores[1] > 0  # disagreement; all pairs differ; b-c share "y"
    assert choose(scores, 2, random.Random(1)) == [0, 2]
    assert choose(scores, 9, random.Random(1)) == [0, 1, 2]  # never the uninformative one


"""Hostile text in process: scoring refuses unequal lengths, and the dataset card publishes no markup from
the manifest."""

from __future__ import annotations

import pytest

from bench.core.errors import BenchError
from bench.metrics import load_metric
from bench.metrics.scoring import Scorer


def test_scoring_refuses_unequal_lengths():
    scorer = Scorer({"bleu": load_metric("bleu")})
    with pytest.raises(BenchError, match="2 hypotheses for 3 sources and 3 references"):
        scorer.score_pair(load_metric("bleu"), ["a", "b", "c"], ["a", "b"], ["a", "b", "c"],
                          src_lang="zh", tgt_lang="kk")


def test_the_dataset_card_publishes_no_markup_from_the_manifest():
    from bench.refset.card import bullets

    lines = bullets({"x\n---\nlicense: evil\n# Hacked": {"<script>alert(1)</script>": "[a](http://x)"},
                     "deep": [[[[[[[[[["bottom"]]]]]]]]]]})
    text = "\n".join(lines)
    assert "<script>" not in text and "[a](http" not in text  # \[a\] is no link
    assert not any(line.lstrip("- ").startswith(("#", "---")) for line in lines)
    assert "bottom" not in text and "…" in text


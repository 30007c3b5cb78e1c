"""Scoring hygiene (issue 14 item 4): every metric sees NFC-normalised lines, its signature says so,
and the board counts what would otherwise distort a score quietly (decomposed Unicode, Vietnamese
tone-mark placement, Latin letters in Kazakh Cyrillic words, empty outputs, truncation, source copies).
"""

from __future__ import annotations

from bench.metrics import load_metric
from bench.metrics.scoring import NFC, Scorer

DECOMPOSED = "Ho\u0300a Bi\u0300nh"  # "Hòa Bình" typed with combining grave accents
COMPOSED = "H\u00f2a B\u00ecnh"


def test_metrics_score_decomposed_and_composed_text_alike_and_the_signature_says_nfc():
    chrf = load_metric("chrf")
    scorer = Scorer({"chrf": chrf})
    score, _ = scorer.score_pair(chrf, ["和平"], [DECOMPOSED], [COMPOSED], src_lang="zh", tgt_lang="vi")
    raw = chrf.score(["和平"], [DECOMPOSED], [COMPOSED], src_lang="zh", tgt_lang="vi")
    assert score.score == 100.0 and raw.score < 100.0
    assert score.signature == raw.signature + NFC

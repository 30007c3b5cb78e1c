"""Text hygiene the board reports, in process: decomposed and composed text score alike (the signature
says nfc), and the diagnostics count what distorts scores."""

from __future__ import annotations

from bench.metrics import load_metric
from bench.metrics.base import NFC
from bench.metrics.scoring import Scorer

DECOMPOSED = "Ho\u0300a Bi\u0300nh"  # "Hòa Bình" typed with combining grave accents


COMPOSED = "H\u00f2a B\u00ecnh"


def test_metrics_score_decomposed_and_composed_text_alike_and_the_signature_says_nfc():
    chrf = load_metric("chrf")
    scorer = Scorer({"chrf": chrf})
    score, _ = scorer.score_pair(chrf, ["和平"], [DECOMPOSED], [COMPOSED], src_lang="zh", tgt_lang="vi")
    direct = chrf.score(["和平"], [DECOMPOSED], [COMPOSED], src_lang="zh", tgt_lang="vi")  # from Python
    assert score.score == direct.score == 100.0
    assert score.signature == direct.signature and direct.signature.endswith(NFC)
    assert NFC not in direct.signature.removesuffix(NFC)


def test_diagnostics_count_what_distorts_scores():
    from bench.board.diagnostics import Diagnostics, Texts, mixed_script_words, tone_styles

    assert tone_styles("Hoà bình, toà án, thuý") == (3, 0)
    assert tone_styles("Hòa Bình, tòa án, thúy, Thủy") == (0, 4)
    assert tone_styles("quý khách, hoàng hôn, khoa học") == (0, 0)  # qu + y, a final consonant, no tone
    assert mixed_script_words("бiлiм беру") == 1  # Latin i for Kazakh і
    assert mixed_script_words("білім беру, Google компаниясы") == 0
    vi = Diagnostics.of([DECOMPOSED, "", "和平", "hoà"], ["和平"] * 4, "vi", truncated=None)
    assert (vi.empty, vi.source_copies, vi.texts.not_nfc, vi.texts.tones, vi.texts.mixed_script) == \
        (1, 1, 1, (1, 1), None)
    kk = Texts.of(["бiлiм", "білім"], "kk")
    assert kk.mixed_script == 1 and kk.tones is None


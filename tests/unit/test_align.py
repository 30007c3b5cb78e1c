"""Sentence alignment in process: the search and its band, the costs (length, numbers, quotes), spans
around uncertain beads, and the embedding cache, with a test encoder (``Meanings``) instead of a model."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import bench.refset.align as align_module
from bench.core.errors import BenchError
from bench.refset import embed
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
from bench.refset.search import Band, band_around, best_path
from bench.refset.segment import join_sentences
from tests.support.align import Meanings, similarity_of

CAL = Calibration(ratio=4.0, variance=3.0)


def zh(n: int, extra: str = "", title: bool = False) -> Unit:
    """A Chinese-like sentence of ``n`` characters."""
    return Unit("中" * (n - len(extra)) + extra, title)


def tgt(n: int, extra: str = "", title: bool = False) -> Unit:
    """A target sentence of ``n`` characters (four per Chinese character, as CAL says)."""
    return Unit("a" * (n - len(extra)) + extra, title)


def shapes(src: list[Unit], tgt_units: list[Unit], cal: Calibration = CAL) -> list[tuple]:
    return [(b.src, b.tgt) for b in align(src, tgt_units, cal, None)]


LITERARY = [(1, 1)] * 60 + [(1, 2)] * 20 + [(2, 1)] * 6 + [(1, 3)] * 6 + [(2, 2)] * 3 + [(1, 4)] * 2


NEWS = [(1, 1)] * 95 + [(2, 1)] * 3 + [(1, 2)] * 2


def synthetic(n_beads: int, seed: int, shapes_: list[tuple[int, int]] = LITERARY
              ) -> tuple[list[str], list[str], list[tuple[tuple, tuple]]]:
    """A document of ``n_beads`` beads with shapes drawn from ``shapes_``; sentences carry their meanings."""
    rng = random.Random(seed)
    src: list[str] = []
    out: list[str] = []
    gold = []
    meaning = 0
    for _ in range(n_beads):
        a, b = rng.choice(shapes_)
        ids = list(range(meaning, meaning + 2 * a * b))
        meaning += len(ids)
        src_parts = [ids[k * 2 * b:(k + 1) * 2 * b] for k in range(a)]  # contiguous on one side,
        tgt_parts = [ids[k::b] for k in range(b)]  # interleaved on the other: no smaller bead fits
        gold.append((tuple(range(len(src), len(src) + a)), tuple(range(len(out), len(out) + b))))
        for part in src_parts:
            src.append(" ".join(f"m{k}" for k in part) + " " + "中" * rng.randint(8, 30))
        for part in tgt_parts:
            out.append(" ".join(f"m{k}" for k in part) + " " + "a" * rng.randint(30, 110))
    return src, out, gold


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
    blocked = align_module.INF
    first, second = np.array([0]), np.array([1])
    assert cost(2, 2, first, first)[0] == blocked  # a title and a body sentence together
    assert cost(1, 1, first, second)[0] == blocked  # a title with a body sentence
    assert cost(1, 1, first, first)[0] < blocked


def test_numbers_decide_between_equally_long_alignments():
    # three equal Chinese sentences against two equal translations: by length alone, the middle
    # sentence could go either way; the year decides
    src = [zh(25), zh(6, "2019"), zh(25)]
    assert shapes(src, [tgt(112), tgt(112, "2019")]) == [((0,), (0,)), ((1, 2), (1,))]
    assert shapes(src, [tgt(112, "2019"), tgt(112)]) == [((0, 1), (0,)), ((2,), (1,))]


def test_alignment_is_deterministic():
    src = [zh(20), zh(20), zh(20), zh(20)]
    out = [tgt(80), tgt(80), tgt(80), tgt(80)]
    assert shapes(src, out) == shapes(src, out) == [((i,), (i,)) for i in range(4)]


def test_beads_report_their_margin_over_the_best_alternative():
    clear = align([zh(20), zh(40)], [tgt(80), tgt(160)], CAL, None)
    close = align([zh(25), zh(6, "2019"), zh(25)], [tgt(112), tgt(112, "2019")], CAL, None)
    assert all(b.margin is not None and b.margin > 0 for b in clear + close)
    assert min(b.margin for b in close) < min(b.margin for b in clear)


def test_meanings_recover_literary_shapes():
    """1-3, 1-4 and 2-2 beads, which length alone cannot find, come out right with embeddings."""
    src, out, gold = synthetic(60, seed=1)
    similarity = similarity_of(src, out, Meanings())
    beads = align([Unit(s) for s in src], [Unit(t) for t in out], Calibration(3.0, 6.0), similarity)
    got = {(b.src, b.tgt) for b in beads}
    assert len(got & set(gold)) >= 0.95 * len(gold)
    assert {f"{len(s)}-{len(t)}" for s, t in got & set(gold)} >= {"1-1", "1-2", "2-1", "1-3", "2-2"}


class Counting(Meanings):
    """Meanings that records every text it is asked to embed."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return super().embed(texts)


def test_spans_are_embedded_as_one_text_only_where_asked(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(embed, "_vectors", {})
    texts = [f"m{k} {'中' * 9}" for k in range(6)]
    encoder = Counting()
    asked = np.array([False, True, False, False, True, True])
    spans = embed.Spans.of(texts, "zh", encoder, asked)
    everywhere = embed.Spans.of(texts, "zh", Meanings())
    summed = embed.Spans.summed(embed.embed(Meanings(), texts))
    assert sorted(encoder.texts) == sorted(texts + [join_sentences(texts[i:i + size], "zh")
                                                    for size, starts in ((2, (1, 4)), (3, (1,)))
                                                    for i in starts])
    for size in (2, 3):
        for i in range(len(texts) - size + 1):
            expected = everywhere if asked[i] else summed
            np.testing.assert_array_equal(spans.vectors[size][i], expected.vectors[size][i])
    np.testing.assert_array_equal(spans.vectors[1], everywhere.vectors[1])
    np.testing.assert_array_equal(spans.vectors[4], summed.vectors[4])


def test_spans_are_joined_around_uncertain_beads_only(monkeypatch: pytest.MonkeyPatch):
    """The builder's second pass embeds joined spans near the first pass's beads that are not
    confident 1-1 beads: a mostly 1-1 document asks the encoder for far fewer texts than every span,
    and aligns as it does with every span joined."""
    from bench.refset.builder import FOCUS_RADIUS, align_document

    class Recording(embed.Sides):
        """Sides that keep the masks each pass asked for, and the similarity made from them."""

        def similarity(self, src_joined=None, tgt_joined=None):
            made = super().similarity(src_joined, tgt_joined)
            asked.append((src_joined, tgt_joined, made))
            return made

    asked: list = []
    monkeypatch.setattr(embed, "_vectors", {})
    src, out, gold = synthetic(80, seed=4, shapes_=NEWS)
    encoder = Counting()
    sides = Recording(src, "zh", out, "zh", encoder)
    units = [Unit(s) for s in src], [Unit(t) for t in out]
    calibration, beads = align_document(*units, sides)
    assert len({(b.src, b.tgt) for b in beads} & set(gold)) >= 0.95 * len(gold)
    every = len(embed.span_texts(src, "zh") + embed.span_texts(out, "zh"))
    assert len(set(encoder.texts)) < 0.5 * every
    (first_src, first_tgt, first_similarity), (src_marked, tgt_marked, _) = asked
    assert not first_src.any() and not first_tgt.any()  # the first pass: sums only
    default = Calibration(align_module.document_ratio(*units), DEFAULT_VARIANCE)
    first = align(*units, default, first_similarity)
    i = j = 0
    for bead in first:  # every sentence of a first-pass bead that is not 1-1 is marked, with neighbours
        a, b = len(bead.src), len(bead.tgt)
        if bead.shape != "1-1":
            assert src_marked[max(i - FOCUS_RADIUS, 0):i + a + FOCUS_RADIUS].all()
            assert tgt_marked[max(j - FOCUS_RADIUS, 0):j + b + FOCUS_RADIUS].all()
        i, j = i + a, j + b
    assert {bead.shape for bead in first} != {"1-1"}
    assert not src_marked.all() and not tgt_marked.all()
    joined_everywhere = align(*units, calibration, sides.similarity())
    assert [(b.src, b.tgt) for b in beads] == [(b.src, b.tgt) for b in joined_everywhere]


def test_a_mask_must_cover_its_side():
    with pytest.raises(ValueError, match="a mask of 2 sentences for a side of 3"):
        embed.Spans.of(["m1 中", "m2 中", "m3 中"], "zh", Meanings(), np.array([True, False]))


def test_banded_search_finds_the_full_search_path(monkeypatch: pytest.MonkeyPatch):
    """A long document aligned through recursive halving (band around the coarse path) gives the same
    beads as the exhaustive search, while visiting a fraction of the grid."""
    src, out, _ = synthetic(130, seed=2)
    similarity = similarity_of(src, out, Meanings())
    units = [Unit(s) for s in src], [Unit(t) for t in out]
    full = align(*units, Calibration(3.0, 6.0), similarity)
    monkeypatch.setattr(align_module, "FULL_CELLS", 2_000)
    banded = align(*units, Calibration(3.0, 6.0), similarity)
    assert [(b.src, b.tgt) for b in banded] == [(b.src, b.tgt) for b in full]
    cost = BeadCost(*units, Calibration(3.0, 6.0), similarity)
    coarse = best_path((len(src) + 1) // 2, (len(out) + 1) // 2, align_module.SHAPES, cost.coarse(),
                       Band.full((len(src) + 1) // 2, (len(out) + 1) // 2))
    band = band_around(coarse, len(src), len(out), align_module.RADIUS)
    assert band.cells < 0.25 * (len(src) + 1) * (len(out) + 1)


def test_band_cells_grow_linearly():
    """Eight times the sentences, eight times the cells (plus the edges): the search is linear."""
    def cells(n: int) -> int:
        diagonal = [align_module.Step(k, k, 1, 1, 0) for k in range(n)]
        return band_around(diagonal, 2 * n, 2 * n, align_module.RADIUS).cells
    assert cells(800) / cells(100) < 8.5


def test_embedding_noise_below_the_grid_changes_nothing():
    """Float noise of 1e-6 in every embedding, as another CPU's kernels give, changes no score."""
    src, out, _ = synthetic(40, seed=3)

    class Noisy(Meanings):
        def embed(self, texts: list[str]) -> np.ndarray:
            clean = super().embed(texts)
            return clean + np.random.default_rng(7).uniform(-1e-6, 1e-6, clean.shape)

    def scores(encoder: embed.Encoder) -> list[np.ndarray]:
        sim = similarity_of(src, out, encoder)
        return [sim.score(a, np.full(len(out) - b + 1, i), b, np.arange(len(out) - b + 1))
                for a in (1, 2, 3) for b in (1, 2, 3) for i in range(len(src) - a + 1)]

    clean, noisy = scores(Meanings()), scores(Noisy())
    changed = sum(int((x != y).sum()) for x, y in zip(clean, noisy))
    total = sum(x.size for x in clean)
    assert changed <= total * 0.002  # only values within noise of a grid line move, by one step
    assert all(int(np.abs(x - y).max()) <= 200 for x, y in zip(clean, noisy))


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
    assert quote_count("‘你好’他说") == 1  # single quotes open dialogue too
    assert quote_count("'I did not,' she said. 'You didn't.'") == 2  # apostrophes are not quotes
    assert quote_count("the boys' toys") == 0


def test_length_cost_grows_with_the_difference():
    assert length_cost(0.0) == pytest.approx(0.0)
    assert 0 < length_cost(1.0) < length_cost(-2.0) < length_cost(3.0)
    assert length_cost(60.0) < float("inf")


def test_estimate_variance_shrinks_towards_the_default():
    assert estimate_variance([]) == DEFAULT_VARIANCE
    exact = [(20, 80, 4.0)] * 10
    noisy = [(20, 50, 4.0), (20, 110, 4.0)] * 5
    assert estimate_variance(exact) < DEFAULT_VARIANCE < estimate_variance(noisy)


@pytest.mark.parametrize(("data", "message"), [
    (None, "file not found"), (b"", "no sentences"), ("中文。\n".encode("gbk"), "not valid UTF-8"),
])
def test_unreadable_sentence_files_are_refused(tmp_path: Path, data: bytes | None, message: str):
    from bench.commands.align import read_sentences

    path = tmp_path / "doc.zh"
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(BenchError, match=message):
        read_sentences(path, "src")


@pytest.mark.parametrize("damage", ["planted by someone else", "truncated", "not finite", "not npz"])
def test_an_embedding_cache_that_is_not_this_users_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture, damage: str):
    """Its vectors would decide alignments: a file in the cache folder is believed only with this
    user's HMAC over its bytes and finite rows; anything else is a warning and fresh embeddings."""
    monkeypatch.setattr(embed, "_vectors", {})
    monkeypatch.setattr(embed, "_stored", {})
    texts = ["m1 中文", "m2 secret words"]
    fresh = embed.embed(Meanings(), texts)
    embed.save_cache(tmp_path, Meanings())
    (stored,) = tmp_path.glob("*.npz")
    with np.load(stored) as arrays:
        digests, vectors = arrays["digests"], arrays["vectors"]
    if damage == "planted by someone else":  # well formed, other vectors, the old signature kept
        signed = embed._signed(digests, -vectors, Meanings())
        stored.write_bytes(signed[:-64] + stored.read_bytes()[-64:])
    elif damage == "truncated":
        stored.write_bytes(stored.read_bytes()[:100])
    elif damage == "not finite":
        stored.write_bytes(embed._signed(digests, np.full_like(vectors, np.nan), Meanings()))
    else:
        stored.write_bytes(b"PK\x03\x04 not a zip")
    monkeypatch.setattr(embed, "_vectors", {})
    with caplog.at_level("WARNING"):
        embed.load_cache(tmp_path, Meanings())
    assert "not an embedding cache of meanings to believe" in caplog.text
    assert np.array_equal(embed.embed(Meanings(), texts), fresh)  # embedded anew, not taken from the file


def test_embedding_cache_keeps_vectors_and_no_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(embed, "_vectors", {})
    monkeypatch.setattr(embed, "_stored", {})
    first = embed.embed(Meanings(), ["m1 中文", "m2 secret words"])
    embed.save_cache(tmp_path, Meanings())
    (stored,) = tmp_path.glob("*.npz")
    assert b"secret" not in stored.read_bytes() and "secret" not in str(np.load(stored)["digests"])

    class Offline(Meanings):
        def embed(self, texts: list[str]) -> np.ndarray:
            raise AssertionError(f"embedded again: {texts}")

    monkeypatch.setattr(embed, "_vectors", {})
    embed.load_cache(tmp_path, Offline())
    assert np.array_equal(embed.embed(Offline(), ["m2 secret words", "m1 中文"]), first[::-1])


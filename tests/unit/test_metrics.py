"""Metrics arithmetic in process: golden cases, the vectorised BLEU, chrF and TER against sacrebleu's
formulas, Unicode normalisation, metric configs, and the shared reference statistics."""

from __future__ import annotations

import json
import unicodedata

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from bench.core.configs import CONFIG_DIR
from bench.core.score import Score
from bench.metrics import load_metric
from bench.metrics.base import NFC, Metric
from bench.metrics.sacre import REFERENCES, Bleu, Chrf, ReferenceCache, Ter
from tests.support.metrics import DATA, PARALLEL

GOLDEN = json.loads((DATA / "golden.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", GOLDEN, ids=[c["id"] for c in GOLDEN])
def test_golden_case(case: dict):
    metric = load_metric(case["metric"], **case.get("overrides", {}))
    hyps, refs = case["hypotheses"], case["references"]
    score = metric.score(["src"] * len(hyps), hyps, refs, src_lang="zh", tgt_lang=case["tgt_lang"])
    assert score.score == pytest.approx(case["score"], abs=1e-9)
    assert metric.aggregate(np.asarray(score.stats)) == pytest.approx(case["score"], abs=1e-9)
    if "signature" in case:
        assert score.signature == case["signature"] + NFC
    if "segments" in case:
        assert score.segments == pytest.approx(case["segments"])
    assert metric.signature_for("zh", case["tgt_lang"], 1) == score.signature


@pytest.mark.parametrize("name", ["bleu", "chrf", "chrfpp", "ter", "length_ratio"])
def test_a_decomposed_hypothesis_scores_as_its_composed_self_from_python(name: str):
    """docs/metrics.md, "From Python": ``load_metric(...).score()`` normalises as ``bench run`` does
    (issue 18: a decomposed hypothesis identical to its reference scored BLEU 10.7, not 100), and so
    does ``score_references``; the signature says so once."""
    data = PARALLEL["zh-vi"]
    decomposed = [unicodedata.normalize("NFD", line) for line in data["ref"]]
    assert decomposed != data["ref"]
    metric = load_metric(name)
    composed = metric.score(data["src"], data["ref"], data["ref"], src_lang="zh", tgt_lang="vi")
    typed = metric.score(data["src"], decomposed, data["ref"], src_lang="zh", tgt_lang="vi")
    assert (typed.score, typed.stats) == (composed.score, composed.stats)
    assert typed.score == pytest.approx({"ter": 0.0, "length_ratio": 1.0}.get(name, 100.0))
    both = metric.score_references(data["src"], decomposed, [data["ref"], decomposed], src_lang="zh",
                                   tgt_lang="vi")
    assert both.score == typed.score
    for score in (typed, both):
        assert score.signature.endswith(NFC) and NFC not in score.signature.removesuffix(NFC)


def test_a_metric_written_elsewhere_sees_nfc_lines_too():
    """Normalising lives in the metric base: a metric that knows nothing of it still gets NFC lines."""
    seen = []

    class Seen(Metric):
        name = "seen"

        def score(self, sources, hypotheses, references, *, src_lang, tgt_lang):
            seen.append((sources, hypotheses, references))
            return Score(metric=self.name, score=0.0, signature="seen", stats=[[0.0]])

        def aggregate(self, stats):
            return 0.0

    one = Seen().score(["a\u0300"], ["e\u0301"], ["o\u0302"], src_lang="zh", tgt_lang="vi")
    two = Seen().score_references(["a\u0300"], ["e\u0301"], [["o\u0302"], ["u\u0303"]], src_lang="zh",
                                  tgt_lang="vi")
    assert seen == [(["à"], ["é"], ["ô"]), (["à"], ["é"], ["ô"]), (["à"], ["é"], ["ũ"])]
    assert (one.signature, two.signature) == ("seen" + NFC, "seen|nrefs:2|refs:mean" + NFC)


def random_sums(rng: np.random.Generator, rows: int, columns: int) -> np.ndarray:
    """Summed statistics with the edge cases that matter: zero matches, zero totals, short output."""
    sums = rng.integers(0, 30, size=(rows, columns)).astype(np.float64)
    sums[rng.random(sums.shape) < 0.15] = 0
    return sums


@pytest.mark.parametrize("smooth", ["exp", "floor", "add-k", "none"])
def test_vectorised_bleu_equals_sacrebleu_formula(smooth: str):
    ours = Bleu(smooth_method=smooth)
    theirs = BLEU(smooth_method=smooth)
    sums = random_sums(np.random.default_rng(1), 400, 10)
    sums[:, 2:6] = np.minimum(sums[:, 2:6], sums[:, 6:10])  # matches never exceed totals
    expected = [theirs._compute_score_from_stats(list(row)).score for row in sums]
    assert ours.from_sums(sums, np.ones(len(sums))) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("word_order,eps", [(0, False), (2, False), (0, True)])
def test_vectorised_chrf_equals_sacrebleu_formula(word_order: int, eps: bool):
    ours = Chrf(word_order=word_order, eps_smoothing=eps)
    theirs = CHRF(word_order=word_order, eps_smoothing=eps)
    sums = random_sums(np.random.default_rng(2), 400, 3 * (6 + word_order))
    triples = sums.reshape(len(sums), -1, 3)
    triples[..., 2] = np.minimum(triples[..., 2], np.minimum(triples[..., 0], triples[..., 1]))
    sums = triples.reshape(len(sums), -1)
    expected = [theirs._compute_score_from_stats(list(row)).score for row in sums]
    assert ours.from_sums(sums, np.ones(len(sums))) == pytest.approx(expected, abs=1e-9)


def test_vectorised_ter_equals_sacrebleu_formula():
    sums = random_sums(np.random.default_rng(3), 200, 2)
    expected = [TER()._compute_score_from_stats(list(row)).score for row in sums]
    assert Ter().from_sums(sums, np.ones(len(sums))) == pytest.approx(expected, abs=1e-9)


def metric_names() -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / "metric").glob("*.yaml"))


@pytest.mark.parametrize("name", metric_names())
def test_every_metric_config_lands_at_its_name_and_instantiates(name: str):
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    file = CONFIG_DIR / "metric" / f"{name}.yaml"
    assert file.read_text(encoding="utf-8").splitlines()[0] == f"# @package metric.{name}"
    metric = load_metric(name)
    assert metric.name == name
    assert instantiate(OmegaConf.load(file)).name == name  # also when instantiated without a name
    assert isinstance(metric.higher_is_better, bool)


def test_score_config_composes_several_metrics_with_overrides():
    from hydra import compose, initialize_config_dir

    from bench.metrics import instantiate_metrics

    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("score", overrides=["metric=[bleu,chrfpp,ter]", "metric.bleu.tokenize=intl"])
    metrics = instantiate_metrics(cfg.metric)
    assert list(metrics) == ["bleu", "chrfpp", "ter"]
    assert metrics["bleu"].tokenizer_for("kk") == "intl"
    assert metrics["chrfpp"].name == "chrfpp" and not metrics["ter"].higher_is_better


def counting_reference_preparation(monkeypatch: pytest.MonkeyPatch, cls: type) -> list[int]:
    """Count calls of sacrebleu's reference preparation on ``cls``; one entry per call."""
    calls: list[int] = []
    original = cls._cache_references

    def counted(self, references):
        calls.append(len(references[0]))
        return original(self, references)

    monkeypatch.setattr(cls, "_cache_references", counted)
    return calls


@pytest.mark.parametrize("name,cls", [("bleu", BLEU), ("chrf", CHRF), ("chrfpp", CHRF), ("ter", TER)])
def test_shared_references_give_sacrebleus_own_statistics(name: str, cls: type, monkeypatch):
    """Systems scored one after another against one reference set: the references are prepared once per
    pair (by fresh metric objects too, as each job of a sweep makes its own), and every system's
    statistics and signature are exactly what sacrebleu gives when it prepares them each time."""
    REFERENCES.clear()
    expected = {}
    for pair, data in sorted(PARALLEL.items()):
        sacre = load_metric(name)._sacrebleu(pair.split("-")[1])
        for system in ("hyp_a", "hyp_b", "ref"):
            rows = sacre._extract_corpus_statistics(data[system], [data["ref"]])
            expected[pair, system] = (rows, sacre.get_signature().format() + NFC)
    calls = counting_reference_preparation(monkeypatch, cls)
    for pair, data in sorted(PARALLEL.items()):
        src_lang, tgt_lang = pair.split("-")
        for system in ("hyp_a", "hyp_b", "ref", "hyp_a"):
            score = load_metric(name).score(data["src"], data[system], data["ref"], src_lang=src_lang,
                                            tgt_lang=tgt_lang)
            assert (score.stats, score.signature) == expected[pair, system], (pair, system)
    assert calls == [len(PARALLEL[pair]["ref"]) for pair in sorted(PARALLEL)]


def test_shared_references_are_kept_apart_by_settings_and_lines(monkeypatch):
    """Another setting of the reference side (case) or other lines never reuse prepared references."""
    REFERENCES.clear()
    data = PARALLEL["zh-vi"]
    hyps = [line.upper() for line in data["hyp_a"]]  # matches only when case is ignored
    mixed, lower = Bleu(), Bleu(lowercase=True)
    cases = [(mixed, data["ref"]), (lower, data["ref"]), (mixed, data["ref"][::-1])]
    expected = [BLEU(tokenize=metric.tokenizer_for("vi"), lowercase=metric.lowercase)
                ._extract_corpus_statistics(hyps, [refs]) for metric, refs in cases]
    assert expected[0] != expected[1] and expected[0] != expected[2]
    calls = counting_reference_preparation(monkeypatch, BLEU)
    for (metric, refs), rows in zip(cases, expected):
        score = metric.score(data["src"], hyps, refs, src_lang="zh", tgt_lang="vi")
        assert score.stats == rows
    assert len(calls) == 3


def test_shared_references_are_bounded_by_segments(monkeypatch):
    """The least recently used reference sets go once the bound is passed; a set above it is never kept."""
    calls = counting_reference_preparation(monkeypatch, CHRF)
    cache, metric = ReferenceCache(max_segments=10), CHRF()
    sets = {name: [f"{name} line {i}" for i in range(4)] for name in "abc"}
    for name in "abcab":
        cache.prepared(metric, [sets[name]])
    assert len(calls) == 5  # c pushed a out, then a pushed b out
    cache.prepared(metric, [sets["a"]])
    big = [f"long line {i}" for i in range(11)]
    cache.prepared(metric, [big])
    cache.prepared(metric, [big])
    assert len(calls) == 7


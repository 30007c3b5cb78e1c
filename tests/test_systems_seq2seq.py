"""Encoder-decoder families load tiny models through ``from_pretrained`` and translate the toy corpus.

Each tiny model saw every Chinese sentence with both a Kazakh and a Vietnamese target, so exact output
proves the target language reaches the model the way the family says (forced BOS token, ``<2kk>``).
"""

from __future__ import annotations

import time

import pytest

from bench.errors import BenchError
from bench.systems.seq2seq import M2M100, MADLAD, NLLB, Marian
from bench.tiny.models import default_corpus

FAMILIES = {"nllb": NLLB, "m2m100": M2M100, "madlad": MADLAD}
CORPUS = default_corpus()


def targets(lang: str) -> tuple[list[str], list[str]]:
    rows = [(src, tgt) for src, tgt, tgt_lang in CORPUS if tgt_lang == lang]
    return [s for s, _ in rows], [t for _, t in rows]


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_multilingual_family_translates_both_targets(tiny_models, kind):
    system = FAMILIES[kind](kind, path=str(tiny_models[kind]), batch_tokens=256)
    system.check([("zh", "kk"), ("zh", "vi")])
    assert system.model is None  # preflight loads nothing
    for lang in ("kk", "vi"):
        sources, expected = targets(lang)
        assert system.translate(sources, "zh", lang) == expected
    assert system.stats["batches"] > 2 and system.stats["output_tokens"] > 0
    facts = system.describe()
    assert facts["device"] == "cpu" and facts["dtype"] == "float32" and facts["parameters"] > 0


def test_marian_translates_its_pair(tiny_models):
    system = Marian("opus", pairs=["zh-vi"], path=str(tiny_models["marian"]))
    system.check([("zh", "vi")])
    sources, expected = targets("vi")
    assert system.translate(sources, "zh", "vi") == expected


def test_output_does_not_depend_on_batching(tiny_models):
    sources, _ = targets("kk")
    one_by_one = NLLB("a", path=str(tiny_models["nllb"]), batch_tokens=1)
    batched = NLLB("b", path=str(tiny_models["nllb"]), batch_tokens=10_000)
    assert one_by_one.translate(sources[:8], "zh", "kk") == batched.translate(sources[:8], "zh", "kk")
    assert one_by_one.stats["batches"] == 8 and batched.stats["batches"] == 1
    assert batched.translate([], "zh", "kk") == []


def test_unsupported_pairs_fail_at_preflight_in_seconds(tiny_models):
    started = time.perf_counter()
    marian = Marian("opus-mt-zh-vi", pairs=["zh-vi"], path=str(tiny_models["marian"]))
    with pytest.raises(BenchError, match=r"translates only zh-vi, not zh-kk.*pairs=\[zh-vi\]"):
        marian.check([("zh", "vi"), ("zh", "kk")])
    with pytest.raises(BenchError, match=r"'xx' has no nllb code"):
        NLLB("nllb", path=str(tiny_models["nllb"])).check([("zh", "xx")])
    with pytest.raises(BenchError, match=r"'tg' has no m2m100 code"):
        M2M100("m2m", path=str(tiny_models["m2m100"])).check([("zh", "tg")])
    assert time.perf_counter() - started < 5


def test_a_code_the_tokenizer_lacks_is_named(tiny_models):
    system = NLLB("nllb", path=str(tiny_models["nllb"]), lang_codes={"kk": "kaz_Latn_typo"})
    system.check([("zh", "kk")])  # the table is satisfied; the tokenizer is not
    with pytest.raises(BenchError, match=r"no token kaz_Latn_typo for language 'kk'"):
        system.translate(["你好"], "zh", "kk")


def test_identity_changes_with_generation_settings_not_with_batching(tiny_models):
    path = str(tiny_models["nllb"])
    base = NLLB("x", path=path).fingerprint()
    assert NLLB("x", path=path, batch_tokens=8).fingerprint() == base
    assert NLLB("x", path=path, num_beams=4).fingerprint() != base
    assert NLLB("x", path=path, lang_codes={"zh": "zho_Hant"}).fingerprint() != base
    assert M2M100("x", path=str(tiny_models["m2m100"])).fingerprint() != base

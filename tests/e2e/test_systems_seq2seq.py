"""Encoder-decoder families load tiny models through ``from_pretrained`` and translate the toy corpus.

Each tiny model saw every Chinese sentence with both a Kazakh and a Vietnamese target, so exact output
proves the target language reaches the model the way the family says (forced BOS token, ``<2kk>``).
"""

from __future__ import annotations

import time

import pytest

from bench.core.devices import pick_device
from bench.core.errors import BenchError
from bench.systems.hf import pick_dtype
from bench.systems.seq2seq import M2M100, MADLAD, NLLB, Marian
from bench.tiny.models import default_corpus

pytestmark = pytest.mark.usefixtures("one_torch_thread")

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
    device = pick_device("auto", "model.device")  # CPU here; a GPU machine runs the same test on CUDA
    assert facts["device"] == device and facts["parameters"] > 0
    assert facts["dtype"] == str(pick_dtype("auto", device)).removeprefix("torch.")


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


def test_bench_run_with_a_local_model_folder(tiny_models, tmp_path):
    """The user path: a real model config, its weights from ``model.path``; a re-run loads no model."""
    import json

    from tests.support.cli import bench
    from tests.support.refs import write_references

    sources, expected = targets("kk")
    refs = tmp_path / "references"
    write_references(refs, {"zh-kk": list(zip(sources[:6], expected[:6]))})
    args = ["run", "model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}", "model.num_beams=1",
            f"dataset.path={refs}", "metric=[bleu]", f"results_dir={tmp_path / 'results'}"]
    first = bench(*args, env={"OMP_NUM_THREADS": "1"})
    assert first.returncode == 0, first.stderr
    second = bench(*args, env={"OMP_NUM_THREADS": "1"})
    assert second.returncode == 0, second.stderr
    runs = sorted((tmp_path / "results" / "runs" / "nllb-200-distilled-600M").iterdir())
    assert (runs[0] / "hypotheses" / "zh-kk.txt").read_text(encoding="utf-8").splitlines() == expected[:6]
    first_info, second_info = (json.loads((r / "run.json").read_text()) for r in runs)
    assert first_info["system"]["identity"] == second_info["system"]["identity"]
    assert "load_seconds" in json.dumps(first_info) and "load_seconds" not in json.dumps(second_info)

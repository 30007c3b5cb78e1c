"""``model.backend=ctranslate2``: the seq2seq families on CTranslate2 give the transformers hypotheses.

Every tiny model reproduces its training corpus exactly under transformers greedy decoding, so the
same strings from CTranslate2 float32 prove that conversion, vocabulary, language tokens and
decoding all carry over, family by family.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.systems import ct2
from bench.systems.seq2seq import M2M100, MADLAD, NLLB, Marian
from bench.tiny.models import default_corpus
from tests.helpers import bench, write_references

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAMILIES = {"nllb": (NLLB, {}, ["kk", "vi"]), "m2m100": (M2M100, {}, ["kk", "vi"]),
            "madlad": (MADLAD, {}, ["kk", "vi"]), "marian": (Marian, {"pairs": ["zh-vi"]}, ["vi"])}
CORPUS = default_corpus()


def rows(lang: str) -> tuple[list[str], list[str]]:
    return ([s for s, _, t in CORPUS if t == lang], [r for _, r, t in CORPUS if t == lang])


@pytest.fixture(scope="module")
def convert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion folder for the module: each model is converted once, then reused."""
    return tmp_path_factory.mktemp("ctranslate2")


def ct2_system(kind: str, tiny_models, convert_dir: Path, **options):
    cls, extra, _ = FAMILIES[kind]
    return cls(kind, path=str(tiny_models[kind]), backend="ctranslate2", convert_dir=str(convert_dir),
               intra_threads=1, **extra, **options)


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_float32_gives_the_transformers_hypotheses(tiny_models, convert_dir, kind):
    cls, extra, langs = FAMILIES[kind]
    hf = cls(kind, path=str(tiny_models[kind]), **extra)
    system = ct2_system(kind, tiny_models, convert_dir)
    system.check([("zh", lang) for lang in langs])
    assert system.tokenizer is None  # preflight converts and loads nothing
    for lang in langs:
        sources, references = rows(lang)
        expected = hf.translate(sources, "zh", lang)
        assert expected == references  # the tiny model learned its corpus
        assert system.translate(sources, "zh", lang) == expected
    assert system.identity()["backend"] == "ctranslate2" and system.identity()["compute_type"] == "float32"
    assert "dtype" not in system.identity() and system.fingerprint() != hf.fingerprint()
    facts = system.describe()
    assert facts["backend"] == "ctranslate2" and facts["device"] == "cpu"
    assert Path(facts["converted"]).parent == convert_dir
    assert system.stats["output_tokens"] > 0 and system.stats["batches"] >= len(langs)


def test_int8_translates_and_is_converted_once_per_quantisation(tiny_models, convert_dir):
    sources, references = rows("kk")
    first = ct2_system("nllb", tiny_models, convert_dir, compute_type="int8")
    outputs = first.translate(sources, "zh", "kk")
    assert len(outputs) == len(sources)
    assert sum(a == b for a, b in zip(outputs, references)) >= len(sources) // 2  # int8: close, not equal
    again = ct2_system("nllb", tiny_models, convert_dir, compute_type="int8")
    again.translate(sources[:1], "zh", "kk")
    assert again.describe()["converted"] == first.describe()["converted"]
    assert again.describe()["convert_seconds"] is None  # found, not converted again
    float32 = ct2_system("nllb", tiny_models, convert_dir)
    assert float32.fingerprint() != first.fingerprint()
    float32.translate(sources[:1], "zh", "kk")
    assert float32.describe()["converted"] != first.describe()["converted"]


def test_a_killed_conversion_leaves_nothing_behind(tiny_models, tmp_path):
    """A conversion killed half-way leaves its temporary folder (gigabytes for a real model): the next
    conversion in the same folder removes it, since the process that made it is gone."""
    import os

    from bench.io import temp_prefix

    stale = tmp_path / (temp_prefix("abc").replace(f".{os.getpid()}-", ".999999999-") + "x.tmp")
    (stale / "model").mkdir(parents=True)
    system = ct2_system("madlad", tiny_models, tmp_path)
    system.translate(["今天天气很好。"], "zh", "kk")
    assert not stale.exists()
    assert list(tmp_path.iterdir()) == [Path(system.describe()["converted"])]


def test_the_tiny_nllb_vocabulary_trap_is_avoided(tiny_models):
    """Its tokenizer names ids 2 and 4 ``</s>``: a vocabulary from ``get_vocab()`` has one entry too few
    and shifts every later id. Built id by id, each string names one id, the tokenizer's own."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_models["nllb"])
    assert tokenizer.convert_ids_to_tokens([2, 4]) == ["</s>", "</s>"]
    vocabulary = ct2.vocabulary_from_ids(tokenizer, len(tokenizer) + 3)
    assert len(set(vocabulary)) == len(vocabulary) == len(tokenizer) + 3
    assert vocabulary.index("</s>") == tokenizer.convert_tokens_to_ids("</s>") == tokenizer.eos_token_id
    assert vocabulary[2] == "<bench-unused-2>" and vocabulary[-1] == f"<bench-unused-{len(tokenizer) + 2}>"
    assert vocabulary[100] == tokenizer.convert_ids_to_tokens(100)


def test_settings_and_missing_package_are_one_line(tiny_models, convert_dir, monkeypatch, tmp_path):
    path = str(tiny_models["nllb"])
    with pytest.raises(BenchError, match=r"model.compute_type=int4 is not a compute type; use auto, int8"):
        NLLB("x", path=path, backend="ctranslate2", compute_type="int4").check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"model.compute_type=float16 is not supported by CTranslate2 on "
                                         r"cpu \(it supports .*float32.*\)"):
        NLLB("x", path=path, backend="ctranslate2", compute_type="float16", device="cpu").check([])
    with pytest.raises(BenchError, match=r"model.backend='vllm' is not a backend; use hf or ctranslate2"):
        NLLB("x", path=path, backend="vllm")
    with pytest.raises(BenchError, match=r"model.device=mps: CTranslate2 runs on cpu and cuda only"):
        NLLB("x", path=path, backend="ctranslate2", device="mps").check([("zh", "kk")])
    marian = tmp_path / "marian"
    shutil.copytree(tiny_models["marian"], marian)
    config = json.loads((marian / "config.json").read_text())
    (marian / "config.json").write_text(json.dumps({**config, "pad_token_id": 0}))
    with pytest.raises(BenchError, match=r"cannot run this model: its <pad> is id 0, not the last id"):
        Marian("m", pairs=["zh-vi"], path=str(marian), backend="ctranslate2").check([("zh", "vi")])
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # as if the extra were not installed
    with pytest.raises(BenchError, match=r"needs the ctranslate2 package: pip install 'bench\[ct2\]'"):
        NLLB("x", path=path, backend="ctranslate2").check([("zh", "kk")])


def test_a_batch_out_of_memory_is_split_on_both_engines(tiny_models, convert_dir):
    """The engine runs out of memory on any batch of more than 2 rows, as a GPU would on a budget too
    large for it: the batch is halved until it fits, and the hypotheses do not change."""
    import torch

    sources, references = rows("kk")
    hf = NLLB("hf", path=str(tiny_models["nllb"]), batch_tokens=10_000)
    fast = ct2_system("nllb", tiny_models, convert_dir, batch_tokens=10_000)
    for system in (hf, fast):
        system.load()
    generate = hf.model.generate

    def hf_generate(**inputs):
        if len(inputs["input_ids"]) > 2:
            torch.empty(1 << 60, dtype=torch.uint8)  # the CPU allocator's own failure
        return generate(**inputs)

    hf.model.generate = hf_generate
    translator = fast.engine.translator

    class Tight:
        def translate_batch(self, batch, *args, **kwargs):
            if len(batch) > 2:
                raise MemoryError("std::bad_alloc")  # how CTranslate2's CPU allocator fails
            return translator.translate_batch(batch, *args, **kwargs)

    fast.engine.translator = Tight()
    for system in (hf, fast):
        assert system.translate(sources[:8], "zh", "kk") == references[:8]
        assert system.stats["oom_splits"] == 3 and system.stats["batches"] == 4  # 8 -> 4+4 -> 2+2+2+2


def test_a_single_input_out_of_memory_is_one_line(tiny_models, convert_dir):
    fast = ct2_system("nllb", tiny_models, convert_dir)
    fast.load()

    class Full:
        def translate_batch(self, *args, **kwargs):
            raise RuntimeError("CUDA failed with error out of memory")

    fast.engine.translator = Full()
    with pytest.raises(BenchError, match=r"out of memory on a single input of \d+ tokens: lower "
                                         r"model.max_new_tokens \(now 256\)"):
        fast.translate(["今天天气很好。", "我喜欢读书。"], "zh", "kk")


def test_bench_run_with_ctranslate2_gives_the_transformers_hypotheses(tiny_models, tmp_path):
    """The issue's "done when": the command with ``model.backend=ctranslate2`` writes the hypotheses the
    transformers backend writes (the corpus itself: see the first test); run.json says which engine and
    compute type; a re-run converts and loads nothing."""
    sources, references = rows("kk")
    refs, results = tmp_path / "references", tmp_path / "results"
    write_references(refs, {"zh-kk": list(zip(sources[:8], references[:8]))})
    args = ["run", "model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}", "model.num_beams=1",
            "model.backend=ctranslate2", f"dataset.path={refs}", "metric=[bleu]", f"results_dir={results}"]
    for _ in range(2):
        out = bench(*args)
        assert out.returncode == 0, out.stderr
    first, second = sorted((results / "runs" / "nllb-200-distilled-600M").iterdir())
    written = (first / "hypotheses" / "zh-kk.txt").read_text(encoding="utf-8")
    assert written == "\n".join(references[:8]) + "\n"
    info, again = (json.loads((r / "run.json").read_text()) for r in (first, second))
    assert info["system"]["identity"]["backend"] == "ctranslate2"
    assert info["system"]["identity"]["compute_type"] == "float32"
    converted = Path(info["system_info"]["converted"])
    assert converted.parent == results / "cache" / "ctranslate2" and (converted / "model.bin").is_file()
    assert list(converted.parent.iterdir()) == [converted]  # no temporary folder left behind
    assert "load_seconds" not in again["system_info"]  # all from the translation cache

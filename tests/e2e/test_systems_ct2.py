"""``model.backend=ctranslate2``: the seq2seq families on CTranslate2 give the transformers hypotheses.

Every tiny model reproduces its training corpus exactly under transformers greedy decoding, so the
same strings from CTranslate2 float32 prove that conversion, vocabulary, language tokens and
decoding all carry over, family by family; beam search is compared on inputs where the stopping rule
matters. A conversion someone else put in the shared folder is never loaded, and translations cached
under another conversion are never served.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.store.io import sha256_file
from bench.store.translations import TranslationCache
from bench.systems import ct2, ct2store
from bench.systems.ct2rules import Rules
from bench.systems.hf import HFSystem
from bench.systems.seq2seq import M2M100, MADLAD, NLLB, Marian
from bench.tiny.models import default_corpus
from tests.support.cli import bench
from tests.support.refs import write_references

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


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_beam_search_gives_the_transformers_hypotheses(tiny_models, convert_dir, kind):
    """Both engines stop once ``num_beams`` hypotheses have ended. transformers' own default rule
    (``early_stopping=False``) gives other outputs for some of these sources: the check has teeth."""
    cls, extra, langs = FAMILIES[kind]
    sources, lang = rows(langs[0])[0], langs[0]
    hf = cls(kind, path=str(tiny_models[kind]), num_beams=2, **extra)
    outputs = ct2_system(kind, tiny_models, convert_dir, num_beams=2).translate(sources, "zh", lang)
    assert outputs == hf.translate(sources, "zh", lang)
    hf.generate_ids = functools.partial(HFSystem.generate_ids, hf)  # transformers' rule, not bench's
    assert hf.translate(sources, "zh", lang) != outputs


def with_generation_config(tiny_models, kind: str, folder: Path, **settings) -> Path:
    """A copy of a tiny model whose generation_config.json also sets ``settings``."""
    shutil.copytree(tiny_models[kind], folder)
    config = json.loads((folder / "generation_config.json").read_text())
    (folder / "generation_config.json").write_text(json.dumps({**config, **settings}))
    return folder


@pytest.mark.parametrize(("kind", "settings", "max_new_tokens"), [
    ("madlad", {"length_penalty": 0.6}, 256),
    ("nllb", {"no_repeat_ngram_size": 2}, 256),
    ("marian", {}, 6),  # its own forced_eos_token_id, as in OPUS-MT: transformers ends cut outputs early
])
def test_the_generation_config_decodes_alike_on_both_engines(tiny_models, tmp_path, kind, settings,
                                                               max_new_tokens):
    """What the model's generation config asks of decoding, CTranslate2 is given too (or emulates): the
    transformers hypotheses with 4 beams, which it would not give without."""
    cls, extra, langs = FAMILIES[kind]
    folder = with_generation_config(tiny_models, kind, tmp_path / kind, **settings)
    sources = rows(langs[0])[0]
    if "length_penalty" in settings:  # sentences joined two by two: long outputs, where it decides
        sources = [a + b for a, b in zip(sources[:9], sources[1:9])]
    options = {"path": str(folder), "num_beams": 4, "max_new_tokens": max_new_tokens, **extra}
    expected = cls(kind, **options).translate(sources, "zh", langs[0])
    system = cls(kind, backend="ctranslate2", convert_dir=str(tmp_path / "ct2"), intra_threads=1, **options)
    assert system.translate(sources, "zh", langs[0]) == expected
    assert "not_applied" not in system.describe()
    system.engine.rules = Rules()  # as before the generation config was read
    assert system.translate(sources, "zh", langs[0]) != expected


def test_a_rule_ctranslate2_does_not_apply_is_named(tiny_models, tmp_path, caplog):
    folder = with_generation_config(tiny_models, "nllb", tmp_path / "nllb", repetition_penalty=1.3)
    system = NLLB("nllb", path=str(folder), backend="ctranslate2", convert_dir=str(tmp_path / "ct2"))
    system.translate(rows("kk")[0][:2], "zh", "kk")
    assert system.describe()["not_applied"] == {"repetition_penalty": "1.3"}
    assert "sets repetition_penalty=1.3, which CTranslate2 does not apply as transformers does" in caplog.text


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

    from bench.store.io import temp_prefix

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


def ct2_run(tiny_models, refs: Path, results: Path, *extra: str) -> list[str]:
    return ["run", "model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}",
            "model.backend=ctranslate2", f"dataset.path={refs}", "metric=[bleu]", f"results_dir={results}",
            *extra]


def kk_references(folder: Path, count: int | None = None) -> list[str]:
    sources, references = rows("kk")
    write_references(folder, {"zh-kk": list(zip(sources, references))[:count]})
    return references[:count]


def only_run(results: Path) -> Path:
    (run,) = (results / "runs" / "nllb-200-distilled-600M").iterdir()
    return run


def test_bench_run_with_ctranslate2_gives_the_transformers_hypotheses(tiny_models, tmp_path):
    """The issue's "done when", with the model config's 4 beams: the command with
    ``model.backend=ctranslate2`` writes the hypotheses the transformers backend writes; run.json says
    which engine and compute type; a re-run converts and loads nothing."""
    refs, results = tmp_path / "references", tmp_path / "results"
    kk_references(refs)
    for _ in range(2):
        out = bench(*ct2_run(tiny_models, refs, results))
        assert out.returncode == 0, out.stderr
    first, second = sorted((results / "runs" / "nllb-200-distilled-600M").iterdir())
    hf = NLLB("hf", path=str(tiny_models["nllb"]), num_beams=4)  # the model config's beams, as the runs
    expected = hf.translate(rows("kk")[0], "zh", "kk")
    assert (first / "hypotheses" / "zh-kk.txt").read_text(encoding="utf-8").splitlines() == expected
    info, again = (json.loads((r / "run.json").read_text()) for r in (first, second))
    identity = info["system"]["identity"]
    assert (identity["backend"], identity["compute_type"], identity["num_beams"]) == \
        ("ctranslate2", "float32", 4)
    converted = Path(info["system_info"]["converted"])
    assert converted.parent == results / "cache" / "ctranslate2" and (converted / "model.bin").is_file()
    assert list(converted.parent.iterdir()) == [converted]  # no temporary folder left behind
    assert "load_seconds" not in again["system_info"]  # all from the translation cache


def plant(folder: Path, genuine: Path, how: str) -> None:
    """What someone who can write to a shared results folder leaves under a genuine conversion's name:
    ``genuine``'s files with other weights (the last quarter of model.bin zeroed: it still loads)."""
    if how == "link to a folder elsewhere":
        elsewhere = folder.parent.parent / "elsewhere"
        plant(elsewhere, genuine, "no manifest")
        folder.symlink_to(elsewhere, target_is_directory=True)
        return
    shutil.copytree(genuine, folder)
    weights = bytearray((folder / "model.bin").read_bytes())
    weights[-len(weights) // 4:] = bytes(len(weights) // 4)
    (folder / "model.bin").write_bytes(bytes(weights))
    manifest = json.loads((folder / ct2store.MANIFEST).read_text())
    if how == "no manifest":  # as bench wrote conversions before they were signed
        (folder / ct2store.MANIFEST).unlink()
    elif how == "manifest of the planted files":  # hashes right, MAC under another key
        files = {p.name: sha256_file(p) for p in folder.iterdir() if p.name != ct2store.MANIFEST}
        (folder / ct2store.MANIFEST).write_text(json.dumps({"files": files, "mac": "0" * 64}))
    elif how == "writable by others":  # the owner's own manifest: its MAC holds, its hashes do not
        folder.chmod(0o777)
    else:
        assert how == "the owner's manifest, other weights" and manifest["files"]


PLANTS = ["no manifest", "manifest of the planted files", "the owner's manifest, other weights",
          "writable by others", "link to a folder elsewhere"]


@pytest.mark.parametrize("how", PLANTS)
def test_a_planted_conversion_is_never_loaded(tiny_models, convert_dir, tmp_path, how):
    """A folder under a genuine conversion's name that is not this user's signed, private, intact
    conversion is replaced by a conversion made here; the translations are the genuine ones."""
    sources, references = rows("kk")
    genuine = ct2_system("nllb", tiny_models, convert_dir)
    assert genuine.translate(sources[:8], "zh", "kk") == references[:8]
    folder = genuine.engine.folder
    shared = tmp_path / "shared"
    shared.mkdir()
    plant(shared / folder.name, folder, how)
    planted = (shared / folder.name / "model.bin").read_bytes()
    system = ct2_system("nllb", tiny_models, shared)
    assert system.fingerprint() == genuine.fingerprint()
    assert system.translate(sources[:8], "zh", "kk") == references[:8]
    used = system.engine.folder
    assert used == shared / folder.name and not used.is_symlink()
    assert (used / "model.bin").read_bytes() == (folder / "model.bin").read_bytes() != planted
    assert [p.name for p in shared.iterdir()] == [folder.name]  # the planted folder removed, or the link
    assert ct2store.signed(used, system.engine.key) == genuine.engine.manifest


def test_a_planted_conversion_in_a_shared_results_folder_changes_no_run(tiny_models, convert_dir, tmp_path):
    """The attack end to end: a victim's run over a results folder where someone planted a conversion
    under the genuine model's name writes the genuine translations; and translations the victim's own
    cache holds from a run that did use a planted conversion (bench before conversions were signed
    signed them under the genuine fingerprint) are not served, since the fingerprint now names the
    conversion."""
    refs, shared = tmp_path / "references", tmp_path / "shared"
    references = kk_references(refs, 8)
    system = NLLB("nllb-200-distilled-600M", path=str(tiny_models["nllb"]), backend="ctranslate2",
                  convert_dir=str(convert_dir), num_beams=1)
    unsigned = {k: v for k, v in system.identity().items() if k != "conversion"}
    genuine = system.engine.folder
    plant(shared / "cache" / "ctranslate2" / genuine.name, genuine, "manifest of the planted files")
    system.identity = lambda: unsigned  # the fingerprint bench gave before it named the conversion
    cache = TranslationCache(shared / "cache" / "translations.sqlite")
    cache.put_many(system.fingerprint(), "zh", "kk", [(s, "planted") for s in rows("kk")[0][:8]])
    cache.close()
    out = bench(*ct2_run(tiny_models, refs, shared, "model.num_beams=1"))
    assert out.returncode == 0, out.stderr
    run = only_run(shared)
    assert (run / "hypotheses" / "zh-kk.txt").read_text(encoding="utf-8") == "\n".join(references) + "\n"
    info = json.loads((run / "run.json").read_text())
    assert info["cache"]["hits"] == 0
    assert info["system"]["identity"]["conversion"] == ct2store.signed(
        genuine, ct2.conversion_key(None, system.weights_id(), "float32")).digest[:16]

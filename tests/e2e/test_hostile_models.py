"""Model folders and model settings nobody checked, met as users meet them: ``python -m bench run``.

A model folder is files someone else wrote (a download cut short, a hand-edited config.json, a copy
with a symlink that points at itself); model settings come straight from the command line, where
Hydra types nothing (``model.batch_tokens=abc`` arrives as a string). Each case asserts what issue 11
asks: one line on stderr naming the file or setting at fault, exit status 2, and nothing written under
the results folder's ``runs/``: the preflight stops it before a run folder exists.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import bench
from tests.support.refs import write_references

ROWS = {"zh-kk": [("今天天气很好。", "Бүгін ауа райы өте жақсы.")],
        "zh-vi": [("今天天气很好。", "Hôm nay thời tiết rất đẹp.")]}


def edit_json(file: Path, **fields) -> None:
    file.write_text(json.dumps({**json.loads(file.read_text()), **fields}))


def truncate(file: Path, keep: float = 0.5) -> None:
    data = file.read_bytes()
    file.write_bytes(data[:int(len(data) * keep)])


def loop(link: Path) -> None:
    link.unlink(missing_ok=True)
    link.symlink_to(link.name)


def bad_header_length(folder: Path) -> None:
    weights = folder / "model.safetensors"
    weights.write_bytes((1 << 40).to_bytes(8, "little") + weights.read_bytes()[8:])


def bad_header_json(folder: Path) -> None:
    weights = folder / "model.safetensors"
    size = int.from_bytes(weights.read_bytes()[:8], "little")
    weights.write_bytes(weights.read_bytes()[:8] + b"{" * size + weights.read_bytes()[8 + size:])


def text_as_bin(folder: Path) -> None:
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_text("<html>404 Not Found</html>")


def sharded(index: str, folder: Path) -> None:
    (folder / "model.safetensors.index.json").write_text(index)


def no_tokenizer(folder: Path) -> None:
    (folder / "tokenizer.json").unlink()
    (folder / "sentencepiece.bpe.model").unlink()


def bad_spm(folder: Path) -> None:
    (folder / "sentencepiece.bpe.model").write_bytes(b"\x00\xff" * 64)


#: (case, damage to a copy of the tiny NLLB folder, what the one line must say)
FOLDERS: list[tuple[str, Callable[[Path], None], str]] = [
    ("truncated weights", lambda f: truncate(f / "model.safetensors"),
     "model.safetensors is 4"),
    ("weights header length", bad_header_length, "model.safetensors has no valid safetensors header"),
    ("weights header json", bad_header_json, "model.safetensors has a corrupt safetensors header"),
    ("an error page saved as weights", text_as_bin, "pytorch_model.bin is neither a torch zip"),
    ("no weights", lambda f: (f / "model.safetensors").unlink(), "no weight files"),
    ("empty weights", lambda f: (f / "model.safetensors").write_bytes(b""), "no valid safetensors header"),
    ("config truncated", lambda f: truncate(f / "config.json"), "config.json is not valid JSON"),
    ("config empty", lambda f: (f / "config.json").write_text(""), "config.json is not valid JSON"),
    ("config not utf-8", lambda f: (f / "config.json").write_bytes(b'{"a": "\xff"}'),
     "config.json is not valid JSON"),
    ("config a list", lambda f: (f / "config.json").write_text("[1, 2]"), "config.json is not a JSON object"),
    ("config without model_type", lambda f: edit_json(f / "config.json", model_type=None),
     "config.json has no model_type"),
    ("config of another family", lambda f: edit_json(f / "config.json", model_type="bert"),
     "config.json says model_type 'bert', but this model config loads m2m_100 or nllb-moe"),
    ("config size a word", lambda f: edit_json(f / "config.json", d_model="abc"),
     "config.json has d_model='abc', not a whole number"),
    ("config size zero", lambda f: edit_json(f / "config.json", encoder_layers=0),
     "config.json has encoder_layers=0"),
    ("config token id negative", lambda f: edit_json(f / "config.json", eos_token_id=-3),
     "config.json has eos_token_id=-3, not a token id"),
    ("config a symlink loop", lambda f: loop(f / "config.json"), "no config.json"),
    ("weights a symlink loop", lambda f: loop(f / "model.safetensors"),
     "cannot read model.safetensors (Too many levels of symbolic links)"),
    ("generation config truncated", lambda f: truncate(f / "generation_config.json"),
     "generation_config.json is not valid JSON"),
    ("tokenizer files missing", no_tokenizer, "no tokenizer file tokenizer.json or sentencepiece.bpe.model"),
    ("tokenizer.json truncated", lambda f: truncate(f / "tokenizer.json", 0.9),
     "tokenizer.json is not valid JSON"),
    ("sentencepiece model corrupt", bad_spm, "sentencepiece.bpe.model is not a SentencePiece model"),
    ("shard index truncated", lambda f: sharded('{"weight_map": {', f),
     "model.safetensors.index.json is not valid JSON"),
    ("shard index without a map", lambda f: sharded('{"weight_map": [1]}', f), "has no weight_map"),
    ("shard missing", lambda f: sharded('{"weight_map": {"a": "model-00002-of-00002.safetensors"}}', f),
     "1 weight shard(s) listed in model.safetensors.index.json are missing"),
]

#: (case, overrides on top of a valid tiny NLLB, what the one line must say)
SETTINGS: list[tuple[str, list[str], str]] = [
    ("batch_tokens a word", ["model.batch_tokens=abc"],
     "model.batch_tokens='abc': must be a whole number of at least 1"),
    ("batch_tokens a fraction", ["model.batch_tokens=1.5"], "model.batch_tokens=1.5: must be a whole number"),
    ("max_new_tokens negative", ["model.max_new_tokens=-1"],
     "model.max_new_tokens=-1: must be a whole number"),
    ("num_beams zero", ["model.num_beams=0"], "model.num_beams=0: must be a whole number of at least 1"),
    ("num_beams a flag", ["model.num_beams=true"], "model.num_beams=True: must be a whole number"),
    ("trust_remote_code a word", ["model.trust_remote_code=abc"],
     "model.trust_remote_code='abc': must be true or false"),
    ("path a list", ["model.path=[a,b]"], "model.path=['a', 'b']: must be a single value"),
    ("lang_codes a word", ["model.lang_codes=abc"], "model.lang_codes='abc': must be a mapping"),
    ("dtype unknown", ["model.dtype=int8"], "model.dtype=int8: choose one of auto, float32"),
    ("device unknown", ["model.device=tpu"], "model.device=tpu is not a device"),
    ("backend unknown", ["model.backend=vllm"], "model.backend='vllm' is not a backend"),
    ("inter_threads zero", ["model.inter_threads=0"],
     "model.inter_threads=0: must be a whole number of at least 1"),
    ("intra_threads negative", ["model.intra_threads=-1"],
     "model.intra_threads=-1: must be a whole number of at least 0"),
    ("compute_type unknown", ["model.backend=ctranslate2", "model.compute_type=int4"],
     "model.compute_type=int4: choose one of auto, int8"),
    ("compute_type not on this device", ["model.backend=ctranslate2", "model.device=cpu",
                                         "model.compute_type=bfloat16"],
     "model.compute_type=bfloat16 is not supported by CTranslate2 on cpu"),
]


@pytest.fixture
def world(tmp_path: Path) -> Path:
    write_references(tmp_path / "references", ROWS)
    return tmp_path


def run(world: Path, model: str, *overrides: str):
    return bench("run", f"model={model}", f"dataset.path={world / 'references'}", "metric=[bleu]",
                 f"results_dir={world / 'results'}", *overrides)


def refused(result, needle: str, world: Path) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("bench run: error: ") and needle in lines[0], lines[0]
    runs = world / "results" / "runs"
    assert not runs.exists() or not any(p.is_file() for p in runs.rglob("*"))


@pytest.mark.parametrize(("case", "damage", "needle"), FOLDERS, ids=[c for c, _, _ in FOLDERS])
def test_a_damaged_model_folder_is_refused_in_preflight(tiny_models, world, case, damage, needle):
    folder = world / "model"
    shutil.copytree(tiny_models["nllb"], folder)
    damage(folder)
    refused(run(world, "nllb-200-distilled-600M", f"model.path={folder}"), needle, world)


def test_a_model_path_that_loops_or_is_a_file(tiny_models, world):
    loop(world / "loop")
    refused(run(world, "nllb-200-distilled-600M", f"model.path={world / 'loop'}"), "a symlink loop", world)
    (world / "file").write_text("x")
    refused(run(world, "nllb-200-distilled-600M", f"model.path={world / 'file'}"), "no such folder", world)


def test_a_family_missing_its_own_tokenizer_file(tiny_models, world):
    folder = world / "marian"
    shutil.copytree(tiny_models["marian"], folder)
    (folder / "target.spm").unlink()
    refused(run(world, "opus-mt-zh-vi", f"model.path={folder}", "pairs=[zh-vi]"),
            "no tokenizer file target.spm", world)
    refused(run(world, "opus-mt-zh-vi", f"model.path={folder}", "model.pairs=abc"),
            "model.pairs='abc': set it to the pair(s) the checkpoint translates", world)


@pytest.mark.parametrize(("case", "overrides", "needle"), SETTINGS, ids=[c for c, _, _ in SETTINGS])
def test_a_bad_model_setting_is_refused_before_anything_loads(tiny_models, world, case, overrides, needle):
    refused(run(world, "nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}", *overrides), needle,
            world)


def test_weights_that_pass_the_checks_but_do_not_fit_are_one_line(tiny_models, world):
    """A config.json that disagrees with its tensors is only found by loading them: still one line."""
    folder = world / "model"
    shutil.copytree(tiny_models["nllb"], folder)
    edit_json(folder / "config.json", encoder_ffn_dim=96)
    result = run(world, "nllb-200-distilled-600M", f"model.path={folder}", "pairs=[zh-kk]")
    errors = [line for line in result.stderr.splitlines() if line.startswith("bench run: error: ")]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(errors) == 1 and "could not be loaded" in errors[0], result.stderr
    assert "re-download or re-save the model" in errors[0]
    # the run had started: it is recorded as stopped, so no reader waits for it as still running
    (record,) = (world / "results" / "runs").glob("*/*/run.json")
    assert json.loads(record.read_text())["status"] == "interrupted"


def test_a_source_longer_than_the_encoders_positions_is_one_line_before_any_translation(tiny_models,
                                                                                      tmp_path: Path):
    """OPUS-MT learned 512 positions (the tiny one 256): a longer source used to be an IndexError
    traceback in the middle of a run."""
    long = "今天天气很好，我们去公园散步。" * 60
    rows = {"zh-vi": [("你好。", "Xin chào."), (long, "Xóa đói giảm nghèo.")]}
    write_references(tmp_path / "references", rows)
    result = bench("run", "model=opus-mt-zh-vi", f"model.path={tiny_models['marian']}",
                   f"dataset.path={tmp_path / 'references'}", "metric=[bleu]",
                   f"results_dir={tmp_path / 'r'}")
    errors = [line for line in result.stderr.splitlines() if line.startswith("bench run: error: ")]
    assert result.returncode == 2 and len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "782 tokens" in errors[0] and "256 input positions" in errors[0]
    assert "split that segment" in errors[0]
    assert not list((tmp_path / "r").rglob("hypotheses/*.txt"))

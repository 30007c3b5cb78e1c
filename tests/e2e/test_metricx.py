"""MetricX-24: scores equal to MetricX's own read-out of the model's logits, offline preflight in
seconds, signatures, one load per process, and `bench run` end to end on the tiny checkpoint."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from bench.core.errors import BenchError
from bench.metrics import metricx as metricx_module
from bench.metrics.metricx import PREDICTION_ID, MetricX, metricx_input
from bench.tiny.metricx import build_tiny_metricx
from tests.support.cli import bench
from tests.support.metrics import PARALLEL
from tests.support.models import TINY_MODELS_DIR
from tests.support.refs import write_references

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def metric(tiny_metricx: Path) -> MetricX:
    metricx_module._LOADED.clear()  # every test starts with nothing loaded (and no edited weights)
    yield MetricX(checkpoint=str(tiny_metricx), tokenizer=str(tiny_metricx), progress=False)
    metricx_module._LOADED.clear()


def by_the_book(model, tokenizer, text: str, max_length: int) -> float:
    """MetricX's ``predict.py`` + ``MT5ForRegression.forward``, one segment at a time, no padding."""
    import torch

    encoded = tokenizer(text, max_length=max_length, truncation=True, padding=False)
    ids = torch.tensor([encoded["input_ids"][:-1]])  # _remove_eos
    mask = torch.tensor([encoded["attention_mask"][:-1]])
    with torch.inference_mode():
        hidden = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        decoded = model.decoder(input_ids=torch.zeros((1, 1), dtype=torch.long), encoder_hidden_states=hidden,
                                encoder_attention_mask=mask).last_hidden_state
        if model.config.tie_word_embeddings:
            decoded = decoded * model.config.d_model ** -0.5
        logits = model.lm_head(decoded)
    return float(torch.clamp(logits[:, 0, PREDICTION_ID], 0, 25)[0])


def direct(metric: MetricX, src: list[str], hyp: list[str], ref: list[str]) -> list[float]:
    loaded = metric.loaded()
    refs = ref if metric.mode == "ref" else [None] * len(src)
    return [by_the_book(loaded.model, loaded.tokenizer, metricx_input(s, h, r), metric.max_input_length)
            for s, h, r in zip(src, hyp, refs)]


@pytest.mark.parametrize("pair", ["zh-kk", "zh-vi"])
@pytest.mark.parametrize("mode", ["ref", "qe"])
def test_scores_equal_metricx_read_out_of_the_logits(metric: MetricX, pair: str, mode: str):
    metric.mode = mode
    data = PARALLEL[pair]
    for system in ("hyp_a", "hyp_b", "src"):
        ours = metric.score(data["src"], data[system], data["ref"], src_lang="zh", tgt_lang=pair[3:])
        theirs = direct(metric, data["src"], data[system], data["ref"])
        assert np.abs(np.array(ours.segments) - np.array(theirs)).max() < 1e-4  # fp32 on a 0-25 scale
        assert ours.score == pytest.approx(float(np.mean(theirs)), abs=1e-4)
        assert [row[0] for row in ours.stats] == ours.segments
        assert len(set(np.round(ours.segments, 3))) > 1  # not all clamped to one bound


def test_batches_truncation_and_clamping_follow_metricx(metric: MetricX):
    import torch

    data = PARALLEL["zh-kk"]
    metric.max_input_length, metric.batch_size = 24, 3  # every input is cut; batches pad
    before = metric.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk").segments
    with torch.no_grad():  # push half the outputs past 25: the clamp must bite
        metric.loaded().model.lm_head.weight[PREDICTION_ID] *= 25.0 / float(np.median(before))
    ours = metric.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk")
    theirs = direct(metric, data["src"], data["hyp_a"], data["ref"])
    assert np.abs(np.array(ours.segments) - np.array(theirs)).max() < 1e-4
    assert 25.0 in ours.segments and min(ours.segments) < 25.0
    assert ours.extra["truncated"] == len(data["src"])
    assert "cut at 24 tokens" in ours.extra["note"]


def test_lower_is_better_and_the_mean_resamples(metric: MetricX):
    assert metric.higher_is_better is False
    stats = np.array([[1.0], [3.0], [8.0]])
    assert metric.aggregate(stats) == pytest.approx(4.0)
    assert metric.aggregate_weighted(stats, np.array([[2, 1, 0], [0, 0, 3]])).tolist() == \
        pytest.approx([5 / 3, 8.0])


def test_signature_names_checkpoint_hash_tokenizer_mode_dtype_and_version(metric: MetricX,
                                                                          tiny_metricx: Path):
    name = tiny_metricx.name
    expected = (rf"model:{name}\|sha:[0-9a-f]{{12}}\|tok:{name}\|sha:[0-9a-f]{{12}}\|mode:ref\|dtype:fp32"
                r"\|maxlen:1536\|bs:8\|bench:\d+\.\d+\.\d+")
    signature = metric.expected_signature("zh", "kk")
    assert re.fullmatch(expected, signature), signature
    metric.mode = "qe"
    assert metric.expected_signature("zh", "kk") == signature.replace("mode:ref", "mode:qe")


def test_checkpoint_is_loaded_once_per_process(metric: MetricX, tiny_metricx: Path, monkeypatch):
    loads = []
    real_load = metricx_module._load
    monkeypatch.setattr(metricx_module, "_load", lambda *a: (loads.append(a), real_load(*a))[1])
    qe = MetricX(name="metricx_qe", checkpoint=str(tiny_metricx), tokenizer=str(tiny_metricx), mode="qe",
                 progress=False)
    data = PARALLEL["zh-vi"]
    for m in (metric, qe, metric):
        m.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="vi")
    assert len(loads) == 1 and metric.loaded() is qe.loaded()


def copy_of(folder: Path, to: Path) -> Path:
    to.mkdir(parents=True)
    for file in folder.iterdir():
        (to / file.name).write_bytes(file.read_bytes())
    return to


def test_preflight_errors_are_one_line_and_fast(tiny_metricx: Path, tmp_path: Path):
    start = time.monotonic()
    tok = str(tiny_metricx)
    with pytest.raises(BenchError, match=r"^metric\.metricx\.checkpoint=/nowhere/mx: no such folder"):
        MetricX(checkpoint="/nowhere/mx", tokenizer=tok).check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"^MetricX model bench-tests/not-downloaded is not available "
                                         r"offline: download it on a connected machine \(huggingface-cli "
                                         r"download bench-tests/not-downloaded\) or pass "
                                         r"metric\.metricx\.checkpoint=DIR$"):
        MetricX(model="bench-tests/not-downloaded", tokenizer=tok).check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"^tokenizer bench-tests/no-tokenizer is not available offline.*"
                                         r"metric\.metricx\.tokenizer=DIR$"):
        MetricX(checkpoint=tok, tokenizer="bench-tests/no-tokenizer").check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"metric\.metricx\.mode=both: choose ref .* or qe"):
        MetricX(mode="both")
    assert time.monotonic() - start < 5


def test_damaged_or_foreign_checkpoints_fail_in_preflight(tiny_metricx: Path, tmp_path: Path):
    cut = copy_of(tiny_metricx, tmp_path / "cut")
    weights = cut / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(BenchError, match=r"model\.safetensors: damaged or incomplete"):
        MetricX(checkpoint=str(cut), tokenizer=str(cut)).check([("zh", "kk")])
    small = copy_of(tiny_metricx, tmp_path / "small")
    config = json.loads((small / "config.json").read_text())
    (small / "config.json").write_text(json.dumps({**config, "vocab_size": 32128}))
    with pytest.raises(BenchError, match=r"vocab_size 32128 has no token 250089"):
        MetricX(checkpoint=str(small), tokenizer=str(small)).check([("zh", "kk")])
    (small / "config.json").write_text(json.dumps({**config, "model_type": "bert"}))
    with pytest.raises(BenchError, match=r"not an mT5 model \(model_type 'bert'\)"):
        MetricX(checkpoint=str(small), tokenizer=str(small)).check([("zh", "kk")])


def test_another_models_tokenizer_is_refused_in_preflight(tiny_metricx: Path, tiny_models,
                                                          tmp_path: Path):
    """A T5-family tokenizer of another vocabulary (MADLAD's) loads and runs, and its token ids would
    mean nothing to MetricX: refused before anything loads. The one saved with a checkpoint is its own."""
    with pytest.raises(BenchError, match=r"^metric\.metricx\.tokenizer=.*madlad.*: a tokenizer of \d+ "
                                         r"pieces, not mT5's 250000; MetricX-24 reads mT5's token ids"):
        MetricX(checkpoint=str(tiny_metricx), tokenizer=str(tiny_models["madlad"])).check([("zh", "kk")])
    moved = copy_of(tiny_metricx, tmp_path / "moved")
    MetricX(checkpoint=str(moved), tokenizer=str(moved)).check([("zh", "kk")])  # its own: accepted
    (moved / "spiece.model").write_bytes(b"not a sentencepiece model")
    with pytest.raises(BenchError, match=r"a tokenizer of unknown pieces"):
        MetricX(checkpoint=str(tiny_metricx), tokenizer=str(moved)).check([("zh", "kk")])


def test_tiny_checkpoint_is_cached_by_content(tiny_metricx: Path):
    before = (tiny_metricx / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_metricx(TINY_MODELS_DIR) == tiny_metricx
    assert (tiny_metricx / "model.safetensors").stat().st_mtime_ns == before


def test_bench_run_without_the_checkpoint_stops_in_one_line(tmp_path: Path):
    refs = tmp_path / "references"
    write_references(refs, {"zh-kk": [("你好。", "Сәлем.")]})
    start = time.monotonic()
    out = bench("run", "model=copy", f"dataset.path={refs}", f"results_dir={tmp_path / 'results'}",
                "metric=[metricx]", f"metric.metricx.checkpoint={tmp_path / 'absent'}")
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [
        f"bench run: error: metric.metricx.checkpoint={tmp_path / 'absent'}: no such folder; give a "
        "MetricX model folder or a Hub id"]
    assert time.monotonic() - start < 30
    assert not (tmp_path / "results" / "runs").exists()


@pytest.mark.skipif("not __import__('torch').cuda.is_available()", reason="needs a GPU")
def test_gpu_in_bf16_by_default_close_to_cpu(tiny_metricx: Path):
    data = PARALLEL["zh-kk"]
    cpu = MetricX(checkpoint=str(tiny_metricx), tokenizer=str(tiny_metricx), device="cpu", progress=False)
    gpu = MetricX(checkpoint=str(tiny_metricx), tokenizer=str(tiny_metricx), progress=False)
    assert gpu.placement() == ("cuda", "bf16") and "|dtype:bf16|" in gpu.expected_signature("zh", "kk")
    a = cpu.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk")
    b = gpu.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk")
    assert np.abs(np.array(a.segments) - np.array(b.segments)).max() < 0.5  # bf16 keeps 8 bits


def test_hub_ids_resolve_from_the_local_cache_by_revision(tiny_metricx: Path, tmp_path: Path,
                                                          monkeypatch):
    from huggingface_hub import constants

    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--bench-tests--tiny-metricx"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    copy_of(tiny_metricx, repo / "snapshots" / revision)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    metric = MetricX(model="bench-tests/tiny-metricx", tokenizer="bench-tests/tiny-metricx", progress=False)
    metric.check([("zh", "kk")])
    assert metric.expected_signature("zh", "kk").startswith(
        "model:bench-tests/tiny-metricx|rev:0123456789ab|tok:bench-tests/tiny-metricx|rev:0123456789ab|")
    data = PARALLEL["zh-kk"]
    local = MetricX(checkpoint=str(tiny_metricx), tokenizer=str(tiny_metricx), progress=False)
    assert metric.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk").segments == \
        local.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk").segments

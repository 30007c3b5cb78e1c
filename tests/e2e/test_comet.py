"""COMET: equal to COMET's own predict, one load per process, embeddings shared across systems."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from bench.core.errors import BenchError
from bench.metrics import comet as comet_module
from bench.metrics.comet import Comet
from bench.tiny.comet import build_tiny_comet
from tests.support.metrics import PARALLEL


@pytest.fixture
def metric(tiny_comet: Path) -> Comet:
    comet_module._LOADED.clear()  # every test starts with nothing loaded and nothing embedded
    return Comet(checkpoint=str(tiny_comet), progress=False)


def direct_predict(checkpoint: Path, src: list[str], hyp: list[str], ref: list[str]) -> list[float]:
    from comet import load_from_checkpoint

    model = load_from_checkpoint(str(checkpoint), local_files_only=True)
    samples = [{"src": s, "mt": h, "ref": r} for s, h, r in zip(src, hyp, ref)]
    return model.predict(samples, batch_size=4, gpus=0, progress_bar=False).scores


@pytest.mark.parametrize("pair", ["zh-kk", "zh-vi"])
def test_scores_equal_comet_predict_in_fp32(metric: Comet, tiny_comet: Path, pair: str):
    data = PARALLEL[pair]
    for system in ("hyp_a", "hyp_b"):
        ours = metric.score(data["src"], data[system], data["ref"], src_lang="zh", tgt_lang=pair[3:])
        theirs = direct_predict(tiny_comet, data["src"], data[system], data["ref"])
        assert np.abs(np.array(ours.segments) - np.array(theirs)).max() < 1e-5
        assert ours.score == pytest.approx(float(np.mean(theirs)), abs=1e-5)
        assert [row[0] for row in ours.stats] == ours.segments


def test_sources_and_references_are_encoded_once_across_systems(metric: Comet):
    data = PARALLEL["zh-kk"]
    loaded = metric.loaded()
    calls: list[int] = []
    encoder_forward = loaded.model.encoder.forward
    loaded.model.encoder.forward = lambda input_ids, *a, **k: (calls.append(len(input_ids)),
                                                                encoder_forward(input_ids, *a, **k))[1]
    n = len(data["ref"])
    metric.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk")
    assert sum(calls) == 3 * n  # sources, references, outputs
    for system in ("hyp_b", "ref", "hyp_a"):  # a new system; the reference as output; a repeat
        metric.score(data["src"], data[system], data["ref"], src_lang="zh", tgt_lang="kk")
    assert sum(calls) == 4 * n  # only hyp_b's lines were new
    assert loaded.encoded == 4 * n


def test_checkpoint_is_loaded_once_per_process(metric: Comet, tiny_comet: Path, monkeypatch):
    loads = []
    real_load = comet_module._load
    monkeypatch.setattr(comet_module, "_load", lambda *a: (loads.append(a), real_load(*a))[1])
    other = Comet(name="comet_again", checkpoint=str(tiny_comet), progress=False)
    data = PARALLEL["zh-vi"]
    for m in (metric, other, metric):
        m.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="vi")
    assert len(loads) == 1 and metric.loaded() is other.loaded()


def test_signature_names_model_checkpoint_hash_version_precision_and_batch(metric: Comet):
    signature = metric.expected_signature("zh", "kk")
    expected = r"model:tiny-comet-[0-9a-f]{16}\|ckpt:[0-9a-f]{12}\|comet:2\.2\.7\|precision:fp32\|bs:16"
    assert re.fullmatch(expected, signature), signature


def test_a_checkpoint_whose_encoder_is_gone_fails_in_preflight(tiny_comet: Path, tmp_path: Path):
    moved = tmp_path / "moved"
    (moved / "checkpoints").mkdir(parents=True)
    (moved / "checkpoints" / "model.ckpt").write_bytes(tiny_comet.read_bytes())
    hparams = (tiny_comet.parent.parent / "hparams.yaml").read_text()
    (moved / "hparams.yaml").write_text(hparams.replace(str(tiny_comet.parent.parent), "/nowhere"))
    with pytest.raises(BenchError, match="needs its encoder /nowhere/encoder"):
        Comet(checkpoint=str(moved / "checkpoints" / "model.ckpt")).check([("zh", "kk")])


def test_a_damaged_checkpoint_fails_in_preflight(tiny_comet: Path, tmp_path: Path):
    damaged = tmp_path / "damaged"
    (damaged / "checkpoints").mkdir(parents=True)
    (damaged / "checkpoints" / "model.ckpt").write_bytes(tiny_comet.read_bytes()[: 1000])
    (damaged / "hparams.yaml").write_text((tiny_comet.parent.parent / "hparams.yaml").read_text())
    with pytest.raises(BenchError, match="not a readable PyTorch checkpoint"):
        Comet(checkpoint=str(damaged / "checkpoints" / "model.ckpt")).check([("zh", "kk")])


def test_tiny_checkpoint_is_cached_by_content(tiny_comet: Path):
    before = tiny_comet.stat().st_mtime_ns
    assert build_tiny_comet(tiny_comet.parent.parent.parent) == tiny_comet
    assert tiny_comet.stat().st_mtime_ns == before


@pytest.mark.skipif("not __import__('torch').cuda.is_available()", reason="needs a GPU")
def test_gpu_scores_equal_cpu_scores(tiny_comet: Path):
    data = PARALLEL["zh-kk"]
    cpu = Comet(checkpoint=str(tiny_comet), device="cpu", progress=False)
    gpu = Comet(checkpoint=str(tiny_comet), device="auto", progress=False)
    a = cpu.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk")
    b = gpu.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang="kk")
    assert gpu.loaded().device.type == "cuda"
    assert np.abs(np.array(a.segments) - np.array(b.segments)).max() < 1e-4


def test_an_absent_device_fails_in_preflight(tiny_comet: Path):
    with pytest.raises(BenchError, match=r"metric.comet.device=cuda:7"):
        Comet(checkpoint=str(tiny_comet), device="cuda:7").check([("zh", "kk")])

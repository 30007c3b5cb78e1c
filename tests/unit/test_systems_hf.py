"""Hugging Face model resolution in process: offline and unreachable Hub, file hashing, device and
dtype choice."""

from __future__ import annotations

import time

import pytest
import torch

from bench.core import devices
from bench.core.devices import pick_device
from bench.core.errors import BenchError
from bench.systems import hf
from bench.systems.seq2seq import NLLB
from tests.support.http import closed_port_url


def test_offline_and_not_cached_fails_in_seconds(hub_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    system = NLLB("nllb", model_id="bench-test/absent-model")
    started = time.perf_counter()
    with pytest.raises(BenchError) as err:
        system.check([("zh", "kk")])
    assert time.perf_counter() - started < 3
    message = str(err.value)
    assert "model bench-test/absent-model is not in the local Hugging Face cache" in message
    assert "huggingface-cli download bench-test/absent-model" in message and "model.path=DIR" in message


def test_unreachable_hub_fails_in_seconds(hub_cache, online, monkeypatch):
    endpoint = closed_port_url()
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    started = time.perf_counter()
    with pytest.raises(BenchError, match=rf"not in the local Hugging Face cache and the Hub \({endpoint}\) "
                                         r"is unreachable: download it"):
        NLLB("nllb", model_id="bench-test/absent-model").check([("zh", "kk")])
    assert time.perf_counter() - started < 3


def test_large_files_hash_by_size_and_edges(tmp_path, monkeypatch):
    monkeypatch.setattr(hf, "FULL_HASH_LIMIT", 100)
    monkeypatch.setattr(hf, "EDGE_BYTES", 10)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(bytes(1000))
    first = hf.folder_digest(tmp_path)
    weights.write_bytes(bytes(500) + b"x" + bytes(499))
    assert hf.folder_digest(tmp_path) == first  # the documented blind spot: the middle of a big file
    weights.write_bytes(bytes(999) + b"x")
    assert hf.folder_digest(tmp_path) != first


def test_device_and_dtype_choice():
    device = pick_device("auto", "model.device")
    assert device == ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available()
                      else "cpu")
    assert hf.pick_dtype("auto", "cpu") == torch.float32
    assert hf.pick_dtype("bf16", "cpu") == torch.bfloat16
    with pytest.raises(BenchError, match="model.dtype=int8"):
        hf.pick_dtype("int8", "cpu")
    with pytest.raises(BenchError, match="model.device=tpu0 is not a device"):
        pick_device("tpu0", "model.device")
    if not torch.cuda.is_available():
        with pytest.raises(BenchError, match="model.device=cuda, but .*torch .*sees no such device"):
            pick_device("cuda", "model.device")
    with pytest.raises(BenchError, match="model.device=cuda:99, but .*torch"):  # no GPU, or too few
        pick_device("cuda:99", "model.device")


def test_a_cuda_index_beyond_the_gpus_is_refused(monkeypatch):
    """Seen on a one-GPU machine: ``cuda:7`` passed the check (only the kind was tested)."""
    monkeypatch.setattr(devices, "accelerator_possible", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert pick_device("cuda:0", "metric.comet.device") == "cuda:0"
    with pytest.raises(BenchError, match=r"metric.comet.device=cuda:7, but torch sees 1 CUDA device\(s\)"):
        pick_device("cuda:7", "metric.comet.device")


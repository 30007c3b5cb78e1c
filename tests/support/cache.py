"""The translation cache's per-user key file, and a private config home to keep it in."""

from __future__ import annotations

from pathlib import Path

import pytest

KEY_FIX = "delete it (bench makes a new one; cached entries are then computed again)"


def key_file(root: Path) -> Path:
    return root / "bench" / "cache.key"


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch) -> Path:
    """An empty ``$XDG_CONFIG_HOME``; the process's cached key is forgotten before and after."""
    from bench.store import io

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    io._key.cache_clear()
    yield tmp_path / "config"
    io._key.cache_clear()


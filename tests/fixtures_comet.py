"""The tiny COMET checkpoint shared by the COMET and score tests (built once per session, in seconds).

Import the fixture into a test module: ``from tests.fixtures_comet import tiny_comet  # noqa: F401``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.tiny.comet import build_tiny_comet


@pytest.fixture(scope="session")
def tiny_comet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``.../checkpoints/model.ckpt`` of a wmt22-comet-da-shaped model with a 32-wide, 2-layer XLM-R."""
    return build_tiny_comet(tmp_path_factory.getbasetemp() / "tiny-comet")

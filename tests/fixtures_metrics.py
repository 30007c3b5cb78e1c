"""Tiny MetricX and xCOMET checkpoints shared by their tests (built once, kept in ``.cache/``).

Import the fixtures into a test module: ``from tests.fixtures_metrics import tiny_metricx  # noqa: F401``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.tiny.comet import build_tiny_xcomet
from bench.tiny.metricx import build_tiny_metricx
from tests.conftest import TINY_MODELS_DIR


@pytest.fixture(scope="session")
def tiny_metricx() -> Path:
    """A MetricX-24-shaped folder (mT5 vocabulary, width 16) holding model and tokenizer."""
    return build_tiny_metricx(TINY_MODELS_DIR)


@pytest.fixture(scope="session")
def tiny_xcomet() -> Path:
    """``.../checkpoints/model.ckpt`` of an XCOMET-XL-shaped model over a 32-wide, 2-layer XLM-R-XL."""
    return build_tiny_xcomet(TINY_MODELS_DIR)

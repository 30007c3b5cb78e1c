"""Tiny metric checkpoints several test modules share: COMET (built once per session, in seconds, under
pytest's temporary folder), MetricX and xCOMET (built once, kept in ``.cache/``).

``tests/conftest.py`` imports these fixtures, so every test module can ask for them by name.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.tiny.comet import build_tiny_comet, build_tiny_xcomet
from bench.tiny.metricx import build_tiny_metricx
from tests.support.cli import ROOT

#: where tiny models are kept between sessions (``$BENCH_TINY_MODELS`` moves them)
TINY_MODELS_DIR = Path(os.environ.get("BENCH_TINY_MODELS", ROOT / ".cache" / "tiny-models"))


@pytest.fixture(scope="session")
def tiny_comet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``.../checkpoints/model.ckpt`` of a wmt22-comet-da-shaped model with a 32-wide, 2-layer XLM-R."""
    return build_tiny_comet(tmp_path_factory.getbasetemp() / "tiny-comet")


@pytest.fixture(scope="session")
def tiny_metricx() -> Path:
    """A MetricX-24-shaped folder (mT5 vocabulary, width 16) holding model and tokenizer."""
    return build_tiny_metricx(TINY_MODELS_DIR)


@pytest.fixture(scope="session")
def tiny_xcomet() -> Path:
    """``.../checkpoints/model.ckpt`` of an XCOMET-XL-shaped model over a 32-wide, 2-layer XLM-R-XL."""
    return build_tiny_xcomet(TINY_MODELS_DIR)

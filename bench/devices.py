"""Which torch device a model runs on: shared by MT systems and COMET.

``auto`` picks CUDA, then Apple MPS, then CPU; an explicit device that is absent is a configuration
error reported in preflight, never a traceback after a run has translated everything.
"""

from __future__ import annotations

from bench.errors import BenchError


def pick_device(requested: str, setting: str) -> str:
    """The device for ``requested`` (the value of the config key ``setting``, named in errors)."""
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise BenchError(f"{setting}={requested} is not a device; use auto, cpu, cuda, cuda:N or mps"
                         ) from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available.get(device.type, False):
        raise BenchError(f"{setting}={requested}, but torch {torch.__version__} sees no such device: "
                         f"set {setting}=auto")
    count = torch.cuda.device_count() if device.type == "cuda" else 0
    if device.index is not None and device.type == "cuda" and device.index >= count:
        raise BenchError(f"{setting}={requested}, but torch sees {count} CUDA device(s) (cuda:0 to "
                         f"cuda:{count - 1}): set {setting}=auto or a lower index")
    return requested

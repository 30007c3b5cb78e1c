"""Which device a model runs on: shared by MT systems (transformers and CTranslate2) and COMET.

``auto`` picks CUDA, then Apple MPS, then CPU; an explicit device that is absent is a configuration
error reported in preflight, never a traceback after a run has translated everything.

Importing torch costs about a second, half of a warm run whose translations all come from the cache
(issue 13). So the answer is given without torch whenever it is certain: ``cpu`` is always there, and
a machine with no GPU runtime library at all (no NVIDIA driver, no ROCm, not a Mac) can offer torch
nothing but the CPU. Only where an accelerator is possible is torch asked, since only torch knows
whether its own build can use it.
"""

from __future__ import annotations

import ctypes
import functools
import re
import sys

from bench.core.errors import BenchError

DEVICE_SYNTAX = re.compile(r"(cpu|cuda|mps)(?::(\d+))?")
#: shared libraries whose absence proves torch cannot reach a GPU (NVIDIA driver, AMD ROCm runtime)
GPU_RUNTIMES = ("libcuda.so.1", "libamdhip64.so")


def parse_device(requested: str, setting: str) -> tuple[str, int | None]:
    """``cuda:1`` -> ``("cuda", 1)``; anything but auto/cpu/cuda[:N]/mps is refused naming ``setting``."""
    match = DEVICE_SYNTAX.fullmatch(requested)
    if not match:
        raise BenchError(f"{setting}={requested} is not a device; use auto, cpu, cuda, cuda:N or mps")
    return match[1], int(match[2]) if match[2] is not None else None


@functools.cache
def accelerator_possible() -> bool:
    """False when no GPU runtime can be loaded on this machine: then torch sees only the CPU."""
    if sys.platform == "darwin":
        return True  # MPS: only torch can tell
    for library in GPU_RUNTIMES:
        try:
            ctypes.CDLL(library)
        except OSError:
            continue
        return True
    return False


def pick_device(requested: str, setting: str) -> str:
    """The torch device for ``requested`` (the value of the config key ``setting``, named in errors)."""
    kind, index = (None, None) if requested == "auto" else parse_device(requested, setting)
    if kind == "cpu":
        return requested
    if not accelerator_possible():
        if kind is None:
            return "cpu"
        raise BenchError(f"{setting}={requested}, but this machine has no GPU driver, so torch sees no "
                         f"such device: set {setting}=auto")
    import torch

    if kind is None:
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available[kind]:
        raise BenchError(f"{setting}={requested}, but torch {torch.__version__} sees no such device: "
                         f"set {setting}=auto")
    count = torch.cuda.device_count() if kind == "cuda" else 0
    if index is not None and kind == "cuda" and index >= count:
        raise BenchError(f"{setting}={requested}, but torch sees {count} CUDA device(s) (cuda:0 to "
                         f"cuda:{count - 1}): set {setting}=auto or a lower index")
    return requested

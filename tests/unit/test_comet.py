"""COMET's preflight without a checkpoint: a missing file or an undownloaded model is one line, at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.metrics.comet import Comet


def test_preflight_errors_are_one_line_and_fast(tmp_path: Path):
    start = time.monotonic()
    with pytest.raises(BenchError, match=r"metric\.comet\.checkpoint=.*no such file"):
        Comet(checkpoint=str(tmp_path / "missing.ckpt")).check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"^COMET model bench-tests/not-downloaded is not available offline: "
                                         r"download it on a connected machine or pass "
                                         r"metric\.comet\.checkpoint=PATH/checkpoints/model\.ckpt$"):
        Comet(model="bench-tests/not-downloaded").check([("zh", "kk")])
    assert time.monotonic() - start < 5


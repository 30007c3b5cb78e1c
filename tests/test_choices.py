"""Every plug-in setting with a fixed set of values (a model's backend, dtype, compute type and device,
a metric's precision, mode, scheme, tokenizer...) refused in one line that names the setting and
lists what it takes, before any model file is looked up: no case here has its model on disk.

The valid values each line must list come from the code that defines them, so a value added there
and missing from the message fails here. Commands run in this process (seconds for the whole table).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.helpers import TEST_ENV
from tests.test_malformed_battery import bench_here

DEVICES = ("auto", "cpu", "cuda", "cuda:N", "mps")


def backends() -> Iterable[str]:
    from bench.systems.seq2seq import BACKENDS

    return BACKENDS


def hf_dtypes() -> Iterable[str]:
    from bench.systems.hf import DTYPES

    return ("auto", *DTYPES)


def compute_types() -> Iterable[str]:
    from bench.systems.ct2 import COMPUTE_TYPES

    return COMPUTE_TYPES


def precisions() -> Iterable[str]:
    from bench.metrics.comet import PRECISIONS

    return PRECISIONS


def xcomet_modes() -> Iterable[str]:
    from bench.metrics.xcomet import MODES

    return MODES


def metricx_modes() -> Iterable[str]:
    from bench.metrics.metricx import MODES

    return MODES


def metricx_dtypes() -> Iterable[str]:
    from bench.metrics.metricx import DTYPES

    return DTYPES


def schemes() -> Iterable[str]:
    from bench.metrics.judge import PARSERS

    return PARSERS


def units() -> Iterable[str]:
    from bench.metrics.length import UNITS

    return UNITS


def smoothing() -> Iterable[str]:
    from sacrebleu.metrics.bleu import BLEU

    return BLEU.SMOOTH_DEFAULTS


def tokenizers() -> Iterable[str]:
    from sacrebleu.metrics.bleu import BLEU

    return BLEU.TOKENIZERS


def languages() -> Iterable[str]:
    from bench.languages import LANGUAGES

    return LANGUAGES


NLLB, QWEN = "model=nllb-200-distilled-600M", "model=qwen2.5-7b-instruct"
#: (command line, the setting, its valid values)
CASES: list[tuple[str, str, Callable[[], Iterable[str]]]] = [
    (f"run {NLLB} model.backend=onnx", "model.backend", backends),
    (f"run {NLLB} model.dtype=float8", "model.dtype", hf_dtypes),
    (f"run {QWEN} model.dtype=int4", "model.dtype", hf_dtypes),
    (f"run {NLLB} model.compute_type=int4", "model.compute_type", compute_types),  # also with backend=hf
    (f"run {NLLB} model.backend=ctranslate2 model.compute_type=fp8", "model.compute_type", compute_types),
    (f"run {NLLB} model.device=gpu", "model.device", lambda: DEVICES),
    (f"run {NLLB} model.backend=ctranslate2 model.device=cuda:x", "model.device", lambda: DEVICES),
    (f"run {QWEN} model.device=tpu", "model.device", lambda: DEVICES),
    ("run model=copy metric=[comet] metric.comet.precision=fp8", "metric.comet.precision", precisions),
    ("run model=copy metric=[cometkiwi] metric.cometkiwi.precision=half", "metric.cometkiwi.precision",
     precisions),
    ("run model=copy metric=[xcomet] metric.xcomet.precision=int8", "metric.xcomet.precision", precisions),
    ("run model=copy metric=[comet] metric.comet.device=gpu", "metric.comet.device", lambda: DEVICES),
    ("run model=copy metric=[xcomet_qe] metric.xcomet_qe.device=cuda:one", "metric.xcomet_qe.device",
     lambda: DEVICES),
    ("run model=copy metric=[xcomet] metric.xcomet.mode=both", "metric.xcomet.mode", xcomet_modes),
    ("run model=copy metric=[metricx] metric.metricx.mode=both", "metric.metricx.mode", metricx_modes),
    ("run model=copy metric=[metricx] metric.metricx.dtype=float8", "metric.metricx.dtype", metricx_dtypes),
    ("run model=copy metric=[metricx_qe] metric.metricx_qe.device=npu", "metric.metricx_qe.device",
     lambda: DEVICES),
    ("run model=copy metric=[judge] metric.judge.scheme=likert", "metric.judge.scheme", schemes),
    ("run model=copy metric=[judge_mqm] metric.judge_mqm.scheme=mqm2", "metric.judge_mqm.scheme", schemes),
    ("run model=copy metric=[length_ratio] metric.length_ratio.unit=words", "metric.length_ratio.unit",
     units),
    ("run model=copy metric=[bleu] metric.bleu.smooth_method=laplace", "metric.bleu.smooth_method",
     smoothing),
    ("run model=copy metric=[bleu] metric.bleu.tokenize=jieba", "metric.bleu.tokenize", tokenizers),
    ("run model=copy metric=[off_target] metric.off_target.candidates=[zh,xx]",
     "metric.off_target.candidates", languages),
    ("score metric=[comet] metric.comet.device=gpu", "metric.comet.device", lambda: DEVICES),
]


@pytest.mark.parametrize(("line", "key", "valid"), CASES, ids=[line for line, _, _ in CASES])
def test_a_choice_outside_its_values_is_one_line_naming_it_and_its_values(
        line: str, key: str, valid: Callable[[], Iterable[str]], capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    command, *args = line.split()
    out = bench_here(capsys, command, *args)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith((f"bench {command}: error: {key}=", f"bench {command}: error: {key}:")), \
        out.stderr
    missing = [value for value in valid() if value not in out.stderr]
    assert not missing, f"{missing} not listed: {out.stderr}"
    assert list(tmp_path.iterdir()) == []  # refused before anything was written

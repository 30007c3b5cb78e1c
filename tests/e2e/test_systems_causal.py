"""Chat LLMs: prompts, chatter cleanup, and a tiny Qwen-style model through its chat template."""

from __future__ import annotations

import shutil

import pytest

from bench.core.errors import BenchError
from bench.systems.causal import CausalLM
from bench.tiny.models import default_corpus

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_tiny_chat_model_translates_and_its_chatter_is_cleaned_and_counted(tiny_models):
    system = CausalLM("llm", path=str(tiny_models["causal"]), max_new_tokens=48, batch_tokens=2048)
    system.check([("zh", "kk"), ("zh", "vi")])
    for lang in ("kk", "vi"):
        rows = [(s, t) for s, t, tgt_lang in default_corpus() if tgt_lang == lang]
        assert system.translate([s for s, _ in rows], "zh", lang) == [t for _, t in rows]
    # every fourth training answer was "Here is the ... translation:\n\"...\"" (16 of 64)
    assert system.stats["cleaned_outputs"] == 16
    assert system.stats["cleaned_preamble"] == system.stats["cleaned_quotes"] == 16
    assert system.stats["output_tokens"] > 0


def test_raw_output_without_cleanup(tiny_models):
    system = CausalLM("llm", path=str(tiny_models["causal"]), max_new_tokens=48, cleanup=False)
    [fourth] = system.translate([default_corpus()[3][0]], "zh", "kk")
    assert fourth.startswith("Here is the Kazakh translation:\n") and fourth.endswith("барамыз.\"")
    assert system.stats["output_tokens"] > 0 and "cleaned_outputs" not in system.stats


def test_prompt_is_part_of_the_identity(tiny_models):
    path = str(tiny_models["causal"])
    assert CausalLM("a", path=path).fingerprint() != CausalLM("a", path=path, prompt="{source}").fingerprint()


def test_model_without_chat_template_is_refused(tiny_models, tmp_path):
    folder = tmp_path / "base-model"
    shutil.copytree(tiny_models["causal"], folder)
    (folder / "chat_template.jinja").unlink()
    with pytest.raises(BenchError, match="has no chat template"):
        CausalLM("llm", path=str(folder)).translate(["你好"], "zh", "kk")



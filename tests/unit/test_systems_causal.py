"""Causal (chat) systems without a model: output clean-up, prompt placeholders, language names, and
the shipped configs' prompts."""

from __future__ import annotations

import pytest

from bench.core.errors import BenchError
from bench.systems.causal import DEFAULT_PROMPT, CausalLM, ChatPrompt, clean_translation

# (raw output, source, target language name, cleaned, kinds removed)
CLEANUP_CASES = [
    ('Here is the Kazakh translation:\n"Бүгін ауа райы жақсы."', "今天天气很好。", "Kazakh",
     "Бүгін ауа райы жақсы.", ["preamble", "quotes"]),
    ("Sure! Here's the translation into Vietnamese: Hôm nay trời đẹp.", "今天天气很好。", "Vietnamese",
     "Hôm nay trời đẹp.", ["preamble"]),
    ("Translation: Hôm nay trời đẹp.", "今天天气很好。", "Vietnamese", "Hôm nay trời đẹp.", ["preamble"]),
    ("Kazakh: Сәлем.", "你好。", "Kazakh", "Сәлем.", ["preamble"]),
    ("«Сәлем»", "你好", "Kazakh", "Сәлем", ["quotes"]),
    ('"Сәлем"', '"你好"', "Kazakh", '"Сәлем"', []),  # the source is quoted too: keep
    ('"Сәлем" деді ол "иә"', "你好", "Kazakh", '"Сәлем" деді ол "иә"', []),  # not one wrapping pair
    ('Hôm nay trời đẹp.\n\nNote: "trời đẹp" means nice weather.', "今天天气很好。", "Vietnamese",
     "Hôm nay trời đẹp.", ["explanation"]),
    ("<think>The user wants Vietnamese.</think>\nHôm nay trời đẹp.", "今天天气很好。", "Vietnamese",
     "Hôm nay trời đẹp.", ["think"]),
    ("Here is the plan: we go at nine.", "计划是九点出发。", "English",
     "Here is the plan: we go at nine.", []),  # no "translation": an English sentence, kept
    ("Dòng một.\nDòng hai.", "第一行。\n第二行。", "Vietnamese", "Dòng một.\nDòng hai.", []),
    ("  Hôm nay trời đẹp.  ", "今天天气很好。", "Vietnamese", "Hôm nay trời đẹp.", []),
]


@pytest.mark.parametrize("raw,source,lang,cleaned,removed", CLEANUP_CASES)
def test_cleanup(raw, source, lang, cleaned, removed):
    assert clean_translation(raw, source, lang) == (cleaned, removed)


def test_prompt_placeholders_are_checked_when_the_config_is_built():
    with pytest.raises(BenchError, match=r"model.prompt uses \['lang'\]"):
        ChatPrompt("Translate into {lang}: {source}")
    with pytest.raises(BenchError, match=r"must contain \{source\}"):
        ChatPrompt("Translate into {tgt_lang_name}")
    messages = ChatPrompt("JSON {{ok}}: {source} -> {tgt_lang_name}", system_prompt="Be brief.").messages(
        "你好", "zh", "kk")
    assert messages == [{"role": "system", "content": "Be brief."},
                        {"role": "user", "content": "JSON {ok}: 你好 -> Kazakh"}]


def test_unknown_language_name_fails_at_preflight():
    with pytest.raises(BenchError, match=r"'xx' has no English name.*model.lang_names=\{xx: VALUE\}"):
        CausalLM("llm", path="/nonexistent").check([("zh", "xx")])
    ChatPrompt(lang_names={"xx": "Klingon"}).check([("zh", "xx")])


def test_configs_use_the_prompt_the_tiny_model_was_trained_with():
    from omegaconf import OmegaConf

    from tests.support.cli import ROOT

    for name in ("qwen2.5-7b-instruct", "openai", "vllm"):
        assert OmegaConf.load(ROOT / "configs" / "model" / f"{name}.yaml").prompt == DEFAULT_PROMPT


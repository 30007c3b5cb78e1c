"""Decoder-only LLMs (Qwen, Llama, ...) prompted through their chat templates, and the prompt/cleanup
logic they share with OpenAI-compatible servers (:mod:`bench.systems.http`).

Instruction-tuned models do not always answer with the bare translation: they open with "Here is the
translation:", wrap it in quotes, or add "Note: ..." paragraphs. Scoring that chatter as translation
would punish the model for formatting rather than translating, so :func:`clean_translation` removes it,
conservatively (anchored patterns only), and every removal is logged and counted in ``stats``
(``cleaned_outputs`` plus one counter per kind), so a run shows how much its scores depend on cleanup.

torch is imported only inside methods: the HTTP system imports this module and must stay torch-free.
"""

from __future__ import annotations

import logging
import re
import string
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bench.core.checks import flag
from bench.core.errors import BenchError
from bench.systems import langcodes
from bench.systems.base import optional_str, string_map
from bench.systems.hf import HFSystem

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

DEFAULT_PROMPT = (
    "Translate the following {src_lang_name} text into {tgt_lang_name}. "
    "Reply with the translation only.\n\n{source}"
)
PLACEHOLDERS = {"src_lang_name", "tgt_lang_name", "source"}

_THINK = re.compile(r"^\s*(?:<think>.*?)?</think>", re.S)
_PREAMBLE = (
    r"^\s*(?:(?:sure|certainly|okay|ok|of course)\b[^\n:]{{0,40}}?[.!,]\s*)?"
    r"(?:here(?:'s| is| are)\b[^\n:]{{0,60}}?translat\w*[^\n:]{{0,40}}"
    r"|(?:the\s+)?(?:{lang}\s+)?translation\b[^\n:]{{0,40}}|{lang})\s*:\s*"
)
_EXPLANATION = re.compile(
    r"^\s*\(?\s*(?:notes?|explanation|translation notes?|this translation|literal(?:ly)?|"
    r"alternative(?:ly)?|pinyin)\b", re.I)
_QUOTES = {'"': '"', "“": "”", "«": "»", "„": "“", "'": "'", "‘": "’", "「": "」", "『": "』"}


def clean_translation(text: str, source: str, tgt_lang_name: str) -> tuple[str, list[str]]:
    """Strip LLM chatter around a translation; return the text and what was removed.

    Kinds: ``think`` (a reasoning block), ``preamble`` ("Here is the Kazakh translation:",
    "Translation:", "Kazakh:"), ``explanation`` (a line from the second on that starts with "Note",
    "Explanation", ... and everything after it), ``quotes`` (one pair of quotes around the whole
    output when the source itself is not quoted).
    """
    removed: list[str] = []
    think = _THINK.match(text)
    if think:
        text, removed = text[think.end():], ["think"]
    text = text.strip()
    preamble = re.match(_PREAMBLE.format(lang=re.escape(tgt_lang_name)), text, re.I)
    if preamble and text[preamble.end():].strip():
        text = text[preamble.end():].strip()
        removed.append("preamble")
    lines = text.split("\n")
    cut = next((i for i, line in enumerate(lines) if i and _EXPLANATION.match(line)), None)
    if cut is not None:
        text = "\n".join(lines[:cut]).strip()
        removed.append("explanation")
    close = _QUOTES.get(text[:1])
    if (close and len(text) > 2 and text.endswith(close) and close not in text[1:-1]
            and not source.lstrip().startswith(text[0])):
        text = text[1:-1].strip()
        removed.append("quotes")
    return text, removed


class ChatPrompt:
    """How a chat model is asked to translate, and how its answers are cleaned.

    Shared by the local causal family and the HTTP family, so the same prompt gives the same request
    to a local model and to a served one.
    """

    def __init__(self, prompt: str = DEFAULT_PROMPT, system_prompt: str | None = None,
                 lang_names: Mapping[str, str] | None = None, cleanup: bool = True,
                 setting: str = "model") -> None:
        prompt = optional_str(prompt, f"{setting}.prompt") or ""
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(prompt) if f is not None}
        except ValueError:  # a lone brace
            fields = {"{"}
        unknown = fields - PLACEHOLDERS
        if unknown or "source" not in fields:
            raise BenchError(
                f"{setting}.prompt uses {sorted(unknown) or 'no {source}'}: it must contain {{source}} and "
                "may use {src_lang_name} and {tgt_lang_name}; write literal braces as {{ and }}"
            )
        self.prompt, self.system_prompt = prompt, optional_str(system_prompt, f"{setting}.system_prompt")
        self.cleanup = flag(cleanup, f"{setting}.cleanup")
        self.lang_names = string_map(lang_names, f"{setting}.lang_names")

    def language_name(self, lang: str) -> str:
        return langcodes.lookup("name", lang, self.lang_names)

    def check(self, pairs: list[tuple[str, str]]) -> None:
        for src, tgt in pairs:
            self.language_name(src)
            self.language_name(tgt)

    def messages(self, source: str, src_lang: str, tgt_lang: str) -> list[dict[str, str]]:
        user = self.prompt.format(source=source, src_lang_name=self.language_name(src_lang),
                                  tgt_lang_name=self.language_name(tgt_lang))
        system = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        return [*system, {"role": "user", "content": user}]

    def identity(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "system_prompt": self.system_prompt,
                "lang_names": self.lang_names, "cleanup": self.cleanup}

    def clean(self, outputs: list[str], sources: list[str], tgt_lang: str,
              stats: dict[str, int]) -> list[str]:
        """Apply :func:`clean_translation` to each output; count and log what was removed."""
        if not self.cleanup:
            return [text.strip() for text in outputs]
        name = self.language_name(tgt_lang)
        kinds: Counter[str] = Counter({"outputs": 0})
        cleaned = []
        for text, source in zip(outputs, sources):
            result, removed = clean_translation(text, source, name)
            if removed:
                kinds.update(["outputs", *removed])
                log.debug("cleaned (%s): %r -> %r", ", ".join(removed), text, result)
            cleaned.append(result)
        for kind, count in kinds.items():
            stats[f"cleaned_{kind}"] = stats.get(f"cleaned_{kind}", 0) + count
        if kinds["outputs"]:
            details = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()) if k != "outputs")
            log.info("cleaned %d of %d outputs (%s)", kinds["outputs"], len(outputs), details)
        return cleaned


class CausalLM(HFSystem):
    """A chat-tuned decoder-only model from transformers, prompted through its chat template."""

    auto_model = "AutoModelForCausalLM"
    padding_side = "left"
    tokenizer_files = (("tokenizer.json", "tokenizer.model", "vocab.json"),)

    def __init__(self, name: str, prompt: str = DEFAULT_PROMPT, system_prompt: str | None = None,
                 lang_names: Mapping[str, str] | None = None, cleanup: bool = True,
                 **options: Any) -> None:
        super().__init__(name, **options)
        self.chat = ChatPrompt(prompt, system_prompt, lang_names, cleanup)

    def check_pair(self, src_lang: str, tgt_lang: str) -> None:
        self.chat.check([(src_lang, tgt_lang)])

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), **self.chat.identity()}

    def load(self) -> None:
        super().load()
        if not self.tokenizer.chat_template:
            raise BenchError(f"model {self.name}: its tokenizer has no chat template; use an "
                             "instruction-tuned checkpoint (or add chat_template to tokenizer_config.json)")
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def encode(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[list[int]]:
        return [
            self.tokenizer.apply_chat_template(self.chat.messages(s, src_lang, tgt_lang),
                                               add_generation_prompt=True, tokenize=True)
            for s in sources
        ]

    def generate_options(self, tgt_lang: str) -> dict[str, Any]:
        return {"pad_token_id": self.tokenizer.pad_token_id}

    def new_tokens(self, outputs: torch.Tensor, input_width: int) -> torch.Tensor:
        return outputs[:, input_width:]

    def postprocess(self, outputs: list[str], sources: list[str], tgt_lang: str) -> list[str]:
        return self.chat.clean(outputs, sources, tgt_lang, self.stats)

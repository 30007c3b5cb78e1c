"""Any OpenAI-compatible server as the system under test: the prompt of a causal model
(:class:`~bench.systems.causal.ChatPrompt`) sent through :class:`bench.llm.client.ChatClient`, which
holds the transport, the retries and the handling of the API key (see there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.llm.client import DEFAULT_MAX_ANSWER_BYTES, ChatClient
from bench.systems.base import System
from bench.systems.causal import DEFAULT_PROMPT, ChatPrompt


class OpenAIChat(System):
    """Translations from an OpenAI-compatible ``/chat/completions`` endpoint."""

    def __init__(
        self,
        name: str,
        base_url: str,
        model: str,
        api_key_env: str | None = None,
        prompt: str = DEFAULT_PROMPT,
        system_prompt: str | None = None,
        lang_names: Mapping[str, str] | None = None,
        cleanup: bool = True,
        temperature: float = 0.0,
        max_tokens: int = 512,
        concurrency: int = 4,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        extra_body: Mapping[str, Any] | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    ) -> None:
        super().__init__(name)
        self.chat = ChatPrompt(prompt, system_prompt, lang_names, cleanup)
        self.client = ChatClient(base_url, model, api_key_env, temperature, max_tokens, concurrency, timeout,
                                 max_retries, backoff, max_backoff, extra_body, "model", max_answer_bytes,
                                 stats=self.stats)

    def check(self, pairs: list[tuple[str, str]]) -> None:
        self.chat.check(pairs)
        self.client.check()

    def identity(self) -> dict[str, Any]:
        c = self.client
        return {"base_url": c.base_url, "model": c.model, **self.chat.identity(),
                "temperature": c.temperature, "max_tokens": c.max_tokens, "extra_body": c.extra_body}

    def describe(self) -> dict[str, Any]:
        return {"base_url": self.client.base_url, "model": self.client.model,
                "concurrency": self.client.concurrency}

    def translate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        requests = [self.client.request(self.chat.messages(s, src_lang, tgt_lang)) for s in sources]
        return self.chat.clean(self.client.complete_many(requests), sources, tgt_lang, self.stats)

"""The LLM endpoints' test pieces: the HTTP system and the judge pointed at a URL, and the secret key
the hostile tests hunt for in what bench shows."""

from __future__ import annotations

from pathlib import Path

from bench.llm.client import SHOWN_PIECE
from bench.metrics.judge import Judge
from bench.systems.http import OpenAIChat


def system(url: str, **options) -> OpenAIChat:
    defaults = {"backoff": 0.01, "max_backoff": 2.0, "max_retries": 3, "timeout": 5.0, "concurrency": 1}
    return OpenAIChat("api", base_url=url, model="tiny", **{**defaults, **options})


TEMPLATE = "T={translation}|S={source}|R={reference}|{src_lang_name}->{tgt_lang_name}"


def judge(url: str, tmp_path: Path, **kwargs) -> Judge:
    settings = {"template": TEMPLATE, "base_url": url, "model": "judge-model", "progress": False,
                "cache": str(tmp_path / "judge.sqlite"), "backoff": 0.0, **kwargs}
    return Judge(**settings)


KEY = "sk-Q7vXw2LmT9pRz4Kd8YbN"


PIECES = {KEY[i:i + SHOWN_PIECE] for i in range(len(KEY) - SHOWN_PIECE + 1)}


DEEP = b"[" * 100_000 + b"]" * 100_000  # RecursionError in json.loads

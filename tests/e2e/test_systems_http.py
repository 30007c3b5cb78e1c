"""OpenAI-compatible HTTP system against a fault-injecting loopback server and a real ``transformers
serve`` running the tiny chat model (the pure request/response functions are in
``tests/unit/test_systems_http.py``). Everything stays on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bench.core.errors import BenchError
from bench.llm.client import (
    Reply,
    parse_reply,
)
from bench.systems.http import OpenAIChat
from bench.tiny.models import default_corpus
from tests.support.http import FaultServer, completion, serve_transformers
from tests.support.llm import system

KEY = "sk-SENTINEL-do-not-leak-4242"


# -- pure functions ---------------------------------------------------------------------------------


# -- a server that misbehaves on purpose --------------------------------------------------------------


@pytest.fixture
def serve() -> Iterator:
    servers: list[FaultServer] = []

    def start(*script) -> FaultServer:
        servers.append(FaultServer(list(script)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BENCH_TEST_KEY", KEY)
    return KEY


@pytest.mark.parametrize("fault", [
    (429, {"Retry-After": "0"}, b'{"error": "slow down"}'),
    (500, {}, b"Internal Server Error"),
    (503, {}, b""),
    (200, {}, b"<html>not json</html>"),
    (200, {}, completion("")),
    (200, {"Content-Type": "text/event-stream"}, b'data: {"choices":[{"delta":{"content":"cut'),
])
def test_transient_faults_are_retried_until_success(serve, fault):
    server = serve(fault, (200, {}, completion("Сәлем")))
    chat = system(server.url)
    assert chat.translate(["你好"], "zh", "kk") == ["Сәлем"]
    assert chat.stats["http_retries"] == 1 and len(server.requests) == 2


def test_retry_after_is_honoured(serve):
    server = serve((429, {"Retry-After": "1"}, b"{}"), (200, {}, completion("Сәлем")))
    assert system(server.url).translate(["你好"], "zh", "kk") == ["Сәлем"]
    assert server.times[1] - server.times[0] >= 0.95


def test_timeout_is_retried(serve):
    server = serve(("sleep", 1.5), (200, {}, completion("Сәлем")))
    chat = system(server.url, timeout=0.5)
    assert chat.translate(["你好"], "zh", "kk") == ["Сәлем"]
    assert chat.stats["http_retries"] == 1


def test_persistent_failure_names_url_and_status(serve):
    server = serve((502, {}, b"bad gateway"))
    with pytest.raises(BenchError, match=rf"POST {server.url}/chat/completions failed 4 times, last with "
                                         r"HTTP 502 'bad gateway'.*model.max_retries"):
        system(server.url).translate(["你好"], "zh", "kk")
    assert len(server.requests) == 4  # bounded: 1 try + 3 retries


def test_client_errors_stop_at_once(serve):
    server = serve((404, {}, b'{"error": "model tiny not found"}'))
    with pytest.raises(BenchError, match=r"HTTP 404 .*model tiny not found.*check model.base_url"):
        system(server.url).translate(["你好"], "zh", "kk")
    assert len(server.requests) == 1


def test_empty_answer_after_all_retries_is_kept_and_counted(serve):
    chat = system(serve((200, {}, completion("   "))).url, max_retries=1)
    assert chat.translate(["你好"], "zh", "kk") == [""]
    assert chat.stats["empty_outputs"] == 1


def test_answers_cut_at_max_tokens_are_counted_as_truncated(serve):
    """``finish_reason: length`` means the server stopped at ``max_tokens``: the translation is kept
    (it is what the system produced) and counted, as the in-process systems count theirs."""
    cut = json.dumps({"choices": [{"message": {"content": "Сәлем, әлем және"}, "finish_reason": "length"}]})
    events = (b'data: {"choices":[{"delta":{"content":"Xin"},"finish_reason":"length"}]}\n\n'
              b"data: [DONE]\n\n")
    assert parse_reply(cut.encode()) == Reply("Сәлем, әлем және", None, truncated=True)
    assert parse_reply(events).truncated and not parse_reply(completion("Сәлем")).truncated
    server = serve((200, {}, cut.encode()), (200, {}, completion("Сәлем")))
    chat = system(server.url)
    assert chat.translate(["你好", "早上好"], "zh", "kk") == ["Сәлем, әлем және", "Сәлем"]
    assert chat.stats["truncated"] == 1
    # all of max_tokens spent before any answer (a reasoning model): empty, retried, counted once each
    empty_cut = json.dumps({"choices": [{"message": {"content": ""}, "finish_reason": "length"}]})
    chat = system(serve((200, {}, empty_cut.encode())).url, max_retries=2)
    assert chat.translate(["你好"], "zh", "kk") == [""]
    assert chat.stats["empty_outputs"] == 1 and chat.stats["truncated"] == 1


def test_concurrent_requests_return_in_input_order(serve):
    server = serve((200, {}, completion("x")))
    chat = system(server.url, concurrency=4)
    sources = [f"句子{i}" for i in range(12)]
    assert chat.translate(sources, "zh", "vi") == ["x"] * 12
    asked = sorted(body["messages"][-1]["content"].rsplit("\n", 1)[-1] for _, body in server.requests)
    assert asked == sorted(sources)


def test_the_api_key_is_sent_but_never_shown(serve, key, caplog):
    caplog.set_level(logging.DEBUG)
    server = serve("echo")
    chat = system(server.url, api_key_env="BENCH_TEST_KEY", max_retries=1)
    chat.check([("zh", "kk")])
    with pytest.raises(BenchError) as err:
        chat.translate(["你好"], "zh", "kk")
    headers, _ = server.requests[0]
    assert headers["Authorization"] == f"Bearer {KEY}"  # sent to the server...
    shown = [str(err.value), caplog.text, json.dumps(chat.identity()), json.dumps(chat.describe()),
             repr(vars(chat))]
    assert "bad key Bearer ***" in str(err.value)
    assert all(KEY not in text for text in shown)  # ...and nowhere else
    unauthorised = serve((401, {}, f"key {KEY} is revoked".encode()))
    with pytest.raises(BenchError) as err:
        system(unauthorised.url, api_key_env="BENCH_TEST_KEY").translate(["你好"], "zh", "kk")
    assert KEY not in str(err.value) and "model.api_key_env" in str(err.value)


def test_http_module_does_not_import_torch():
    code = ("import sys, bench.systems.http, bench.systems.files; "
            "print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# -- a real OpenAI-compatible server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def transformers_serve(tiny_models, tmp_path_factory) -> Iterator[str]:
    """``transformers serve --force_model <tiny chat model>`` on loopback (it works offline)."""
    with serve_transformers(tiny_models["causal"], tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


def test_against_transformers_serve(transformers_serve, tiny_models):
    rows = [(s, t) for s, t, lang in default_corpus() if lang == "kk"][:8]
    chat = OpenAIChat("served", base_url=transformers_serve, model=str(tiny_models["causal"]),
                      max_tokens=48, concurrency=2, timeout=60, max_retries=1)
    chat.check([("zh", "kk")])
    assert chat.translate([s for s, _ in rows], "zh", "kk") == [t for _, t in rows]
    assert chat.stats["cleaned_outputs"] == 2  # rows 3 and 7 were trained with a chatty preamble

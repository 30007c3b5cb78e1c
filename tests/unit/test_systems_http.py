"""The HTTP system's pure parts: request bodies, JSON and event-stream answers, malformed answers,
retry timing, and preflight without a key or a server."""

from __future__ import annotations

import socket
import time

import pytest

from bench.core.errors import BenchError
from bench.llm.client import (
    MalformedReply,
    Reply,
    chat_request,
    parse_reply,
    retry_after_seconds,
    retry_delay,
)
from tests.support.http import completion
from tests.support.llm import system


def test_request_body():
    body = chat_request("m", [{"role": "user", "content": "hi"}], 64, 0.0, {"seed": 1})
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 64,
                    "temperature": 0.0, "stream": False, "seed": 1}


def test_parse_json_and_event_stream():
    assert parse_reply(completion("Сәлем", 2)) == Reply("Сәлем", 2)
    assert parse_reply(completion(None)) == Reply("", 3)
    events = (b'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'
              b'data: {"choices":[{"delta":{"content":"Xin "}}]}\n\n'
              b'data: {"choices":[{"delta":{"content":"ch\xc3\xa0o"},"finish_reason":"stop"}]}\n\n'
              b"data: [DONE]\n\n")
    assert parse_reply(events, "text/event-stream; charset=utf-8") == Reply("Xin chào")


@pytest.mark.parametrize("body,why", [
    (b"<html>Bad gateway</html>", "invalid JSON"),
    (b'{"choices": []}', "no choices"),
    (b'{"choices": [{"message": {"content": 5}}]}', "not text"),
    (b"[1, 2]", "expected a JSON object"),
    (b'data: {"choices":[{"delta":{"content":"Xin"}}]}\n\n', "ended before"),
    (b'data: {"error": {"message": "boom"}}\n\n', "error event"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_malformed_answers(body, why):
    with pytest.raises(MalformedReply, match=why):
        parse_reply(body)


def test_retry_timing():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert [retry_delay(a, None, 1.0, 5.0) for a in range(4)] == [1.0, 2.0, 4.0, 5.0]
    assert retry_delay(0, 2.5, 1.0, 60.0) == 2.5 and retry_delay(0, 600.0, 1.0, 60.0) == 60.0


def test_preflight_missing_key_and_unreachable_server(monkeypatch):
    monkeypatch.delenv("BENCH_TEST_KEY", raising=False)
    with pytest.raises(BenchError, match=r"BENCH_TEST_KEY \(model.api_key_env\) is not set"):
        system("http://127.0.0.1:9/v1", api_key_env="BENCH_TEST_KEY").check([("zh", "kk")])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(BenchError, match=rf"cannot reach http://127.0.0.1:{port}/v1 \(.*\): start the server "
                                         r"or set model.base_url"):
        system(f"http://127.0.0.1:{port}/v1").check([("zh", "kk")])
    assert time.perf_counter() - started < 5


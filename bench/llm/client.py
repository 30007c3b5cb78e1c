"""The one client of OpenAI-compatible servers (``POST {base_url}/chat/completions``): vLLM,
``transformers serve``, llama.cpp, hosted APIs. The HTTP system under test
(:class:`bench.systems.http.OpenAIChat`) and the LLM judge (:mod:`bench.metrics.judge`) both talk
through :class:`ChatClient`.

Building the request and reading the answer are pure functions (:func:`chat_request`,
:func:`parse_reply`, :func:`retry_delay`), tested without a server. The answer may be one JSON object
or server-sent events: ``transformers serve`` streams even when asked not to. The transport is the
standard library (no extra dependency); sources are sent by a small thread pool
(``concurrency``; ``model.*`` or ``metric.judge.*`` settings).

Failures split in two. A refused key, an unknown model or a bad request (4xx) will not heal by
waiting, so it stops the run at once. Rate limits (429), server errors (5xx), timeouts, broken
connections, malformed or empty answers are retried with exponential backoff that honours
``Retry-After``, up to ``model.max_retries`` times; after that the run stops with a
:class:`BenchError` naming the URL and the last failure. An answer that stays empty after all retries
is kept as an empty translation (and counted), since that is what the system produced.

Every exchange has a total deadline (``model.timeout``, however slowly the server trickles), a cap on
the answer's size (``model.max_answer_bytes``) and follows redirects only within the origin of
``model.base_url`` (see :mod:`bench.llm.transport`). An answer that is too large, or a redirect to
another origin, stops the run at once. Whatever JSON the server sends (an answer, each streamed event,
``/models``) is read by :func:`~bench.llm.transport.parse_json`: nesting too deep for the parser, an
integer thousands of digits long or a string that is no text is a malformed answer like any other,
never a traceback.

The API key is read from the environment variable named by ``model.api_key_env`` at each request. It
is never stored on the object, in the identity, in logs or in error messages. Servers echo requests
(some proxies repeat the headers in an error page), so whatever a server said is scrubbed of the key
*before* it is cut to an excerpt, and then of any piece of it the cut or the server left (see
:func:`redact`); an answer that repeats the key is refused rather than kept as a translation.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import re
import threading
import time
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timezone
from typing import Any

from bench.core.errors import BenchError
from bench.llm.transport import (
    Answer,
    AnswerTooLarge,
    CrossOriginRedirect,
    UnreadableJSON,
    exchange,
    parse_json,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
PREFLIGHT_TIMEOUT_S = 3.0
DEFAULT_MAX_ANSWER_BYTES = 8 << 20
#: why an answer was kept empty after every retry (an empty one counts once, cut or not)
EMPTY, EMPTY_CUT = "empty answer", "empty answer (cut at max_tokens)"
#: pieces of the key this long are removed from whatever is shown: 15 characters of 16 are a key
SHOWN_PIECE = 4
#: an answer holding a piece of the key this long is refused. Longer than SHOWN_PIECE, so that a
#: translation is not refused for a short word the key happens to contain.
ANSWER_PIECE = 8
#: what an HTTP header value can carry: printable ASCII without spaces (no line break to inject headers)
HEADER_SAFE = re.compile(r"[!-~]+")


def redact(text: str, secret: str | None, piece: int = SHOWN_PIECE) -> str:
    """``text`` with ``secret``, and every run of ``piece`` or more of its characters, as ``***``.

    Applied to short texts only (messages, excerpts): it looks at every position of ``text``.
    """
    if not secret:
        return text
    text = text.replace(secret, "***")
    size = min(piece, len(secret))
    out, i = [], 0
    while i < len(text):
        end = i + size
        if end <= len(text) and text[i:end] in secret:
            while end < len(text) and text[i:end + 1] in secret:
                end += 1
            out.append("***")
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def holds_secret(text: str, secret: str | None, piece: int = ANSWER_PIECE) -> bool:
    """Whether ``text`` contains ``secret`` or any ``piece`` of its characters in a row.

    Only a key that can be a secret is looked for (:func:`placeholder`): an ordinary answer that
    contains the word ``empty`` or ``required`` must not be refused as repeating the key."""
    if not secret or placeholder(secret, piece):
        return False
    size = min(piece, len(secret))
    return any(secret[i:i + size] in text for i in range(len(secret) - size + 1))


#: words of one case joined by - or _: what local servers are given as a key (sk-no-key-required)
_WORDS = re.compile(r"[A-Za-z]+(?:[-_][A-Za-z]+)*")


def placeholder(key: str, piece: int = ANSWER_PIECE) -> bool:
    """A key no one keeps secret: fewer than ``piece`` different characters (``EMPTY``, ``none``), or
    words of one case (``sk-no-key-required``, ``not-needed``), as vLLM, llama.cpp and Ollama are
    given; real keys are random letters of both cases and digits."""
    return len(set(key)) < piece or (key in (key.lower(), key.upper()) and bool(_WORDS.fullmatch(key)))


def excerpt(text: str, secret: str | None = None, limit: int = 200) -> str:
    """What a server said, as one quoted line of at most ``limit`` characters.

    The key is replaced before the cut, so the cut cannot keep most of it (the bug this order fixes
    printed 15 of 16 characters); pieces the cut or the server left are removed after it.
    """
    if secret:
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return repr(redact(text if len(text) <= limit else text[:limit] + "...", secret))


class MalformedReply(ValueError):
    """The server answered 200 with something that is not a chat completion.

    The offending text is kept apart from the reason, so whoever shows it can scrub it first.
    """

    def __init__(self, reason: str, sample: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.sample = reason, sample

    def describe(self, secret: str | None = None) -> str:
        return self.reason if self.sample is None else f"{self.reason}: {excerpt(self.sample, secret)}"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Reply:
    text: str
    output_tokens: int | None = None
    truncated: bool = False  # the server stopped at max_tokens (finish_reason "length")


def chat_request(model: str, messages: list[dict[str, str]], max_tokens: int, temperature: float,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of one chat completion; ``extra`` (``model.extra_body``) adds server options."""
    return {"model": model, "messages": messages, "max_tokens": max_tokens,
            "temperature": temperature, "stream": False, **(extra or {})}


def parse_reply(body: bytes, content_type: str = "application/json") -> Reply:
    """The assistant's text from a chat-completion answer, JSON or server-sent events."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedReply("answer is not UTF-8") from None
    if "text/event-stream" in content_type or text.lstrip().startswith("data:"):
        return _parse_events(text)
    data = _json(text)
    try:
        choice = data["choices"][0]
        content = choice["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise MalformedReply("no choices[0].message", text) from None
    if content is not None and not isinstance(content, str):
        raise MalformedReply("message content is not text", text)
    return Reply(content or "", _completion_tokens(data), choice.get("finish_reason") == "length")


def _parse_events(text: str) -> Reply:
    parts: list[str] = []
    tokens = None
    finished = truncated = False
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            finished = True
            break
        chunk = _json(payload)
        if "error" in chunk:
            raise MalformedReply("error event", payload)
        for content, reason in _event_choices(chunk, payload):
            parts.append(content)
            finished = finished or bool(reason)
            truncated = truncated or reason == "length"
        tokens = _completion_tokens(chunk) or tokens
    if not finished:
        raise MalformedReply("event stream ended before the answer was finished")
    return Reply("".join(parts), tokens, truncated)


def _event_choices(chunk: dict, payload: str) -> list[tuple[str, Any]]:
    """``(content, finish_reason)`` of each choice of one streamed event; any other shape is malformed."""
    choices = chunk.get("choices") or []
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        raise MalformedReply("an event whose choices are not a list of objects", payload)
    deltas = [(c.get("delta") or {}, c.get("finish_reason")) for c in choices]
    if not all(isinstance(d, dict) and isinstance(d.get("content") or "", str) for d, _ in deltas):
        raise MalformedReply("an event whose delta content is not text", payload)
    return [(d.get("content") or "", reason) for d, reason in deltas]


def _json(text: str) -> dict:
    try:
        data = parse_json(text)
    except UnreadableJSON as exc:
        raise MalformedReply(str(exc), text) from None
    if not isinstance(data, dict):
        raise MalformedReply("expected a JSON object", text)
    return data


def _completion_tokens(data: dict) -> int | None:
    usage = data.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and 0 <= tokens < 1 << 31 \
        else None  # a count the server gets wrong is not a count


def listed_models(body: bytes) -> list[str]:
    """The model ids a ``/models`` answer lists; an answer that lists none readably lists none (the
    list only feeds a warning, so it never stops a run)."""
    try:
        data = parse_json(body)
    except UnreadableJSON:
        return []
    listed = data.get("data") if isinstance(data, dict) else None
    return [m["id"] for m in listed if isinstance(m, dict) and isinstance(m.get("id"), str)] \
        if isinstance(listed, list) else []


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: either a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def retry_delay(attempt: int, retry_after: float | None, backoff: float, max_backoff: float) -> float:
    """Seconds before retry number ``attempt`` (0-based): the server's ``Retry-After`` when given,
    else ``backoff * 2**attempt``; never more than ``max_backoff``, so a run cannot stall for hours."""
    wanted = retry_after if retry_after is not None else backoff * 2**attempt
    return min(max_backoff, wanted)


class ChatClient:
    """One model on one OpenAI-compatible server: requests ``concurrency`` at a time, retries, the API
    key read from the environment at each request and kept out of every message. ``stats`` counts what
    the caller reports (retries, output tokens, answers cut at ``max_tokens``, empty answers)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 512,
        concurrency: int = 4,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        extra_body: Mapping[str, Any] | None = None,
        setting: str = "model",
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        stats: dict[str, int] | None = None,
    ) -> None:
        #: where these options live in the config, for error messages (the LLM judge: "metric.judge")
        self.setting = setting
        if concurrency < 1 or max_retries < 0 or timeout <= 0 or max_answer_bytes < 1:
            raise BenchError(f"{setting}: concurrency >= 1, max_retries >= 0, timeout > 0 and "
                             "max_answer_bytes >= 1 are required")
        self.base_url = str(base_url).rstrip("/")
        self.model, self.api_key_env = str(model), api_key_env
        self.temperature, self.max_tokens = float(temperature), int(max_tokens)
        self.concurrency, self.timeout = int(concurrency), float(timeout)
        self.max_retries, self.max_answer_bytes = int(max_retries), int(max_answer_bytes)
        self.backoff, self.max_backoff = float(backoff), float(max_backoff)
        self.extra_body = {str(k): v for k, v in (extra_body or {}).items()}
        self.stats = stats if stats is not None else {}
        self._lock = threading.Lock()
        self.server_models: list[str] | None = None
        self._warm = False

    # -- key handling ------------------------------------------------------------------------
    def _key(self) -> str | None:
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key and not HEADER_SAFE.fullmatch(key):
            # http.client would refuse it with the key in its message
            raise BenchError(f"environment variable {self.api_key_env} ({self.setting}.api_key_env) holds a "
                             "space, line break or non-ASCII character, which an HTTP header cannot carry; "
                             "export the key alone")
        return key

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _fail(self, message: str) -> BenchError:
        return BenchError(redact(message, self._key()))

    # -- preflight ---------------------------------------------------------------------------
    def check(self) -> None:
        """The key is there and the server answers ``/models`` (seconds): run before any work."""
        if self.api_key_env and not self._key():
            raise BenchError(f"environment variable {self.api_key_env} ({self.setting}.api_key_env) is not "
                             f"set: export the API key, or set {self.setting}.api_key_env=null for a server "
                             "without keys")
        url = f"{self.base_url}/models"
        request = urllib.request.Request(url, headers=self._headers(self._key()))
        answer = self._exchange(request, PREFLIGHT_TIMEOUT_S)
        if answer.failure:
            raise self._fail(f"cannot reach {self.base_url} ({answer.failure}): start the server or set "
                             f"{self.setting}.base_url")
        if answer.status in (401, 403):
            raise self._fail(f"{url} refused the API key (HTTP {answer.status}): check ${self.api_key_env}")
        if answer.status != 200:
            raise self._fail(f"GET {url} answered HTTP {answer.status}: is {self.setting}.base_url right "
                             "(OpenAI-compatible servers usually end in /v1)?")
        self.server_models = listed_models(answer.body)
        if self.server_models and self.model not in self.server_models:
            log.warning("%s does not list model %s (it lists %d others); sending requests anyway",
                        self.base_url, self.model, len(self.server_models))

    def complete_many(self, requests: list[dict[str, Any]]) -> list[str]:
        """The answers to chat-completion bodies, in order, ``concurrency`` at a time.

        Retries, key handling and errors as the module docstring describes.
        """
        requests = list(requests)
        outputs: list[str] = []
        if requests and not self._warm:
            # Servers that load the model on the first request (`transformers serve`) fail when several
            # first requests race ("Cannot copy out of meta tensor"); so the very first goes alone.
            outputs.append(self._complete(requests.pop(0)))
            self._warm = True
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="bench-http") as pool:
            futures = [pool.submit(self._complete, body) for body in requests]
            try:
                outputs += [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return outputs

    def _complete(self, body: dict[str, Any]) -> str:
        """One answer, retried as the module docstring describes."""
        url = f"{self.base_url}/chat/completions"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        last = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self._count("http_retries")
            key = self._key()
            request = urllib.request.Request(url, data=data, headers=self._headers(key), method="POST")
            answer = self._exchange(request, self.timeout)
            if answer.failure is None and answer.status == 200:
                try:
                    reply = parse_reply(answer.body, answer.content_type)
                except MalformedReply as exc:
                    last = f"malformed answer ({exc.describe(key)})"
                else:
                    if holds_secret(reply.text, key):
                        raise self._fail(f"POST {url}: the answer repeats the API key (the server echoes "
                                         f"requests?), so it was not kept: check {self.setting}.base_url")
                    if reply.text.strip():
                        self._count("output_tokens", reply.output_tokens or 0)
                        self._count("truncated", int(reply.truncated))  # as the in-process systems count it
                        return reply.text
                    # a reasoning model can spend all of max_tokens before it answers
                    last = EMPTY_CUT if reply.truncated else EMPTY
            elif answer.failure is None and answer.status not in RETRYABLE_STATUS:
                said = excerpt(answer.body.decode("utf-8", "replace"), key)
                hint = _hint(answer.status, self.setting)
                raise self._fail(f"POST {url} answered HTTP {answer.status} {said}: {hint}")
            else:
                said = answer.body.decode("utf-8", "replace").strip()
                last = answer.failure or f"HTTP {answer.status}" + (f" {excerpt(said, key)}" if said else "")
            last = redact(last, key)  # a server may echo the request, key included
            if attempt < self.max_retries:
                delay = retry_delay(attempt, retry_after_seconds(answer.retry_after), self.backoff,
                                    self.max_backoff)
                log.info("%s: %s; retry %d/%d in %.1f s", url, last, attempt + 1, self.max_retries, delay)
                time.sleep(delay)
        if last in (EMPTY, EMPTY_CUT):
            self._count("empty_outputs")
            self._count("truncated", int(last == EMPTY_CUT))
            return ""
        s = self.setting
        raise self._fail(f"POST {url} failed {self.max_retries + 1} times, last with {last}: check the "
                         f"server (and its log), or raise {s}.timeout / {s}.max_retries")

    def _exchange(self, request: urllib.request.Request, timeout: float) -> Answer:
        """One exchange; the two faults no retry can cure become the run's one-line error."""
        method, s = request.get_method(), self.setting
        try:
            return exchange(request, timeout, self.max_answer_bytes)
        except AnswerTooLarge as exc:
            raise self._fail(f"{method} {exc.url}: the answer is larger than {s}.max_answer_bytes="
                             f"{exc.limit}; check the server, or raise {s}.max_answer_bytes") from None
        except CrossOriginRedirect as exc:
            raise self._fail(f"{method} {exc.url} was redirected to another origin ({excerpt(exc.target)}), "
                             f"which bench does not follow, so the API key stays where it belongs: set "
                             f"{s}.base_url to the new address if you trust it") from None

    def request(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        """The chat-completion body for ``messages`` with this client's model and settings."""
        return chat_request(self.model, messages, self.max_tokens, self.temperature, self.extra_body)

    def _count(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self.stats[key] = self.stats.get(key, 0) + amount


def _hint(status: int, setting: str = "model") -> str:
    s = setting
    return {
        400: f"the server rejected the request; check {s}.model, {s}.max_tokens and {s}.extra_body",
        401: f"the API key was refused; check {s}.api_key_env",
        403: f"the API key may not use this model; check {s}.api_key_env and {s}.model",
        404: f"no such endpoint or model; check {s}.base_url (usually ends in /v1) and {s}.model",
    }.get(status, f"check {s}.base_url and {s}.model")

"""One HTTP exchange with limits that a server we do not control cannot get round.

The standard library alone leaves three holes when the server is hostile or broken:

* ``timeout`` bounds each socket operation, not the request, so a server that sends one byte a second
  holds a request (and the run) forever. Here a watchdog shuts the request's socket down when its
  total deadline passes, whatever the server is doing at that moment.
* an answer is read whole into memory, however large. Here it is refused past ``max_bytes``, by its
  ``Content-Length`` before reading and by counting while reading (chunked answers have no length).
* redirects are followed to any host with the request's headers, ``Authorization`` included. Here a
  redirect is followed only within the origin (scheme, host and port) of the request; one to another
  origin is refused, so a key never reaches a host the user did not name. Following it without the
  key would only turn the refusal into a confusing 401 from the other host.

The body is bytes from a server we do not control, and so is any JSON in it. ``json.loads`` alone
raises ``RecursionError`` on deep nesting and ``ValueError`` on integers past Python's digit limit, and
hands back values nested so deep that any later recursion over them (a ``repr``, a ``json.dumps``) fails
far from here; :func:`parse_json` is the one reader of a server's JSON, and any of that is
:class:`UnreadableJSON` with a reason in a few words.

The transport knows nothing of chat completions or configuration keys: it reports what happened
(:class:`Answer`, :class:`AnswerTooLarge`, :class:`CrossOriginRedirect`, :class:`UnreadableJSON`) and
the caller words it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: what a broken connection, a refused one or a garbled answer raises; all worth a retry
TRANSIENT_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_READ_CHUNK = 1 << 16
#: JSON nested deeper than this is no API's answer (a chat completion nests 4 levels, an event 5)
MAX_JSON_DEPTH = 64
#: digits in a JSON integer: token counts and timestamps have a dozen; Python's own limit (4,300) can be
#: lifted by anyone (``PYTHONINTMAXSTRDIGITS=0``), and then one long number costs minutes to convert
MAX_INT_DIGITS = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Answer:
    """One HTTP exchange: the status and body, or the transport failure that replaced them."""

    status: int = 0
    body: bytes = b""
    content_type: str = ""
    retry_after: str | None = None
    failure: str | None = None


class AnswerTooLarge(Exception):
    """The answer is larger than the caller allows; reading stopped at the limit."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(f"{url}: answer larger than {limit} bytes")
        self.url, self.limit = url, limit


class CrossOriginRedirect(Exception):
    """The server redirected the request to another origin; it was not followed."""

    def __init__(self, url: str, target: str) -> None:
        super().__init__(f"{url} redirected to {target}")
        self.url, self.target = url, target


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` with the scheme's default port filled in: what a redirect must keep."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: an origin of its own, equal to nothing valid
        port = -1
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


class _Watchdog:
    """Shuts down every connection of one exchange once its deadline passes.

    ``shutdown`` (unlike ``close``) wakes a thread blocked reading the socket, in plain HTTP and TLS
    alike. Each socket is duplicated when it is made, because TLS takes the original over (detaching
    it); a shutdown through the duplicate still ends the one connection they share.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock.dup())
            if self.expired:
                _shutdown(self._sockets[-1])

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """Mixed into an ``http.client`` connection: its socket is handed to the watchdog when made."""

    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        create = self._create_connection

        def watched(*args: Any, **kwargs: Any) -> socket.socket:
            sock = create(*args, **kwargs)
            watchdog.watch(sock)
            return sock

        self._create_connection = watched


class _HTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _WatchedHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Opens both schemes through watched connections (and so replaces both default handlers)."""

    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req, watchdog=self.watchdog)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req, watchdog=self.watchdog)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if origin(newurl) != origin(req.full_url):
            fp.close()
            raise CrossOriginRedirect(req.full_url, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read(response: Any, url: str, limit: int) -> bytes:
    """The body, refused past ``limit`` bytes. Read in pieces, which (unlike one ``read()``) does not
    notice a connection cut before ``Content-Length``; that is checked here."""
    declared = response.headers.get("Content-Length", "").strip()
    length = int(declared) if declared.isdigit() else None
    if length is not None and length > limit:
        raise AnswerTooLarge(url, limit)
    chunks, size = [], 0
    while chunk := response.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge(url, limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    if length is not None and size < length:
        raise http.client.IncompleteRead(body, length - size)
    return body


def exchange(request: urllib.request.Request, timeout: float, max_bytes: int) -> Answer:
    """Send ``request``; the answer (any status), or the failure, within ``timeout`` seconds in all.

    Raises :class:`AnswerTooLarge` and :class:`CrossOriginRedirect`, which no retry can cure.
    """
    url = request.full_url
    with _Watchdog(timeout) as watchdog:
        opener = urllib.request.build_opener(_WatchedHandler(watchdog), _SameOriginRedirects())
        try:
            try:
                response = opener.open(request, timeout=timeout)
            except urllib.error.HTTPError as err:  # an answer too, with a status >= 400
                response = err
            with response:
                body = _read(response, url, max_bytes)
                if not watchdog.expired:  # else the body may be what came before the cut
                    return Answer(response.status, body, response.headers.get("Content-Type", ""),
                                  response.headers.get("Retry-After"))
        except TRANSIENT_ERRORS as exc:
            if not watchdog.expired:
                reason = getattr(exc, "reason", None) or exc
                return Answer(failure=f"{type(exc).__name__}: {reason}")
        return Answer(failure=f"no complete answer within {timeout:g} s")


class UnreadableJSON(ValueError):
    """A server's bytes that bench does not read as JSON; the message says why in a few words."""


def parse_json(data: bytes | str) -> Any:
    """The value of a server's JSON, or :class:`UnreadableJSON`: never another exception, whatever the
    bytes (the caller bounds their size: :func:`exchange`'s ``max_bytes``)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_int=_bounded_int)
    except UnreadableJSON:
        raise
    except UnicodeDecodeError:
        raise UnreadableJSON("not UTF-8") from None
    except RecursionError:
        raise UnreadableJSON(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise UnreadableJSON(f"invalid JSON ({exc.msg})") from None
    problem = _value_problem(value)
    if problem:
        raise UnreadableJSON(problem)
    return value


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise UnreadableJSON(f"an integer of more than {MAX_INT_DIGITS} digits")
    return int(digits)


def _value_problem(value: Any) -> str | None:
    """Why a parsed value is still no answer: a list or object more than :data:`MAX_JSON_DEPTH` levels
    deep, or a string with half a surrogate pair (``"\\ud800"`` is valid JSON but no text: writing it
    as UTF-8, to a file or a cache, fails). Walked without recursion, so the walk cannot fail as the
    parser does."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return "a string with half a surrogate pair, which is not text"
        elif isinstance(item, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                return f"nested more than {MAX_JSON_DEPTH} levels deep"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None

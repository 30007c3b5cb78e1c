"""Servers that misbehave on purpose, met as users meet them: ``python -m bench run model=openai``.

Each case asserts one line on stderr naming the setting at fault, exit status 2, nothing changed
outside the results folder, and the API key (or any four characters of it in a row) nowhere: not on
the terminal, not in a file. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.llm.client import holds_secret
from tests.support.cli import bench
from tests.support.http import completion
from tests.support.llm import DEEP, KEY, PIECES
from tests.support.refs import write_references

Handler = BaseHTTPRequestHandler
Route = Callable[[Handler], None]


class HostileServer:
    """A loopback server whose answers are functions of the request handler; it records every request
    (method, path, headers) so a test can prove what reached it."""

    def __init__(self, post: Route, get: Route | None = None) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        owner = self

        class Routes(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests.append(("GET", self.path, dict(self.headers)))
                (get or models)(self)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.requests.append(("POST", self.path, dict(self.headers)))
                post(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Routes)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.origin}/v1"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def send(handler: Handler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    try:
        handler.send_response(status)
        for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)),
                            **(headers or {})}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
        pass


def answer(status: int, body: bytes, **headers: str) -> Route:
    return lambda handler: send(handler, status, body, headers)


def models(handler: Handler) -> None:
    send(handler, 200, json.dumps({"data": [{"id": "tiny"}]}).encode())


def redirect(status: int, to: str) -> Route:
    return lambda handler: send(handler, status, b"", {"Location": to})


def trickle(headers_too: bool, seconds: float = 30) -> Route:
    """One byte every 0.1 s for ``seconds``: every socket read succeeds, the answer never ends."""

    def route(handler: Handler) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        start = b"" if headers_too else head
        rest = (head if headers_too else b"") + completion("x" * 200)
        try:
            handler.wfile.write(start)
            handler.wfile.flush()
            deadline = time.monotonic() + seconds
            for byte in rest:
                if time.monotonic() > deadline:
                    break
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        handler.close_connection = True

    return route


def endless_chunks(handler: Handler) -> None:
    """A chunked answer with no Content-Length that does not stop (well, after 64 MiB)."""
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"x" * 65536
        for _ in range(1024):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    handler.close_connection = True


def authorization(handler: Handler) -> str:
    return handler.headers.get("Authorization", "")


@pytest.fixture
def serve() -> Iterator[Callable[..., HostileServer]]:
    servers: list[HostileServer] = []

    def start(post: Route, get: Route | None = None) -> HostileServer:
        servers.append(HostileServer(post, get))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


class World:
    """A folder with a one-row reference set; ``run`` is ``bench run model=openai`` against a server,
    from inside the folder, with the key set, no retries unless asked."""

    def __init__(self, root: Path) -> None:
        self.root, self.results = root, root / "results"
        write_references(root / "references", {"zh-kk": [("你好。", "Сәлем.")]})
        self.before = self.outside()

    def outside(self) -> dict[str, bytes]:
        return {p.relative_to(self.root).as_posix(): p.read_bytes() for p in sorted(self.root.rglob("*"))
                if p.is_file() and self.results not in p.parents}

    def run(self, url: str, *overrides: str, key: str = KEY):
        return bench("run", "model=openai", "model.model=tiny", f"model.base_url={url}",
                     "model.max_retries=0",
                     "model.backoff=0.01", "metric=[chrf]", f"dataset.path={self.root / 'references'}",
                     f"results_dir={self.results}", *overrides, env={"OPENAI_API_KEY": key}, cwd=self.root,
                     timeout=120)

    def failed(self, result, *needles: str) -> str:
        """The one-line error: exit 2, naming ``needles``; nothing outside results/ changed; no key."""
        lines = result.stderr.splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert lines[0].startswith("bench run: error: ")
        for needle in needles:
            assert needle in lines[0], (needle, lines[0])
        assert self.outside() == self.before
        self.no_key(result.stdout + result.stderr)
        return lines[0]

    def no_key(self, shown: str) -> None:
        assert not [piece for piece in PIECES if piece in shown], shown
        for path in self.root.rglob("*"):
            if path.is_file():
                assert not holds_secret(path.read_bytes().decode("utf-8", "replace"), KEY), path


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


# -- the key never leaves its origin ------------------------------------------------------------


@pytest.mark.parametrize("status", [302, 307])
def test_a_translation_redirected_to_another_origin_is_refused(status, serve, world):
    elsewhere = serve(answer(200, completion("stolen")))
    server = serve(redirect(status, f"{elsewhere.url}/chat/completions"))
    line = world.failed(world.run(server.url), "model.base_url", "another origin", elsewhere.origin)
    assert "/chat/completions" in line
    assert elsewhere.requests == []  # the other host saw nothing, so neither did it see the key
    # the key went to the named server only: the preflight and the one translation
    assert [h.get("Authorization") for _, _, h in server.requests] == [f"Bearer {KEY}"] * 2


def test_the_preflight_redirected_to_another_origin_is_refused(serve, world):
    elsewhere = serve(answer(200, completion("stolen")))
    server = serve(answer(200, completion("Сәлем.")), get=redirect(301, f"{elsewhere.url}/models"))
    world.failed(world.run(server.url), "GET", "model.base_url", "another origin")
    assert elsewhere.requests == []


def test_a_redirect_within_the_origin_is_followed(serve, world):
    def moved(handler: Handler) -> None:
        if handler.path == "/v1/models":
            return redirect(308, "/v1/models/")(handler)
        models(handler)

    server = serve(answer(200, completion("Сәлем.")), get=moved)
    result = world.run(server.url)
    assert result.returncode == 0, result.stderr
    assert [path for method, path, _ in server.requests if method == "GET"] == ["/v1/models", "/v1/models/"]


# -- a total deadline, a cap on size ---------------------------------------------------------------


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "status-line"])
def test_a_server_trickling_one_byte_at_a_time_hits_the_deadline(headers_too, serve, world):
    server = serve(trickle(headers_too))
    started = time.monotonic()
    result = world.run(server.url, "model.timeout=1")
    world.failed(result, "no complete answer within 1 s", "model.timeout")
    assert time.monotonic() - started < 25  # the server would trickle for 30 s per request


@pytest.mark.parametrize("route", [
    answer(200, completion("x" * 5000)),
    answer(500, b"e" * 5000),
    endless_chunks,
], ids=["declared", "error-page", "chunked"])
def test_an_oversized_answer_is_refused(route, serve, world):
    server = serve(route)
    world.failed(world.run(server.url, "model.max_answer_bytes=4096"), "model.max_answer_bytes=4096")


def test_the_default_cap_is_eight_mebibytes(serve, world):
    server = serve(endless_chunks)
    world.failed(world.run(server.url), f"model.max_answer_bytes={8 << 20}")


# -- an echoing server ------------------------------------------------------------------------------


def test_an_error_page_echoing_the_key_is_scrubbed(serve, world):
    server = serve(lambda h: send(h, 500, f"bad key {authorization(h)}".encode()))
    line = world.failed(world.run(server.url), "failed 1 times", "model.max_retries")
    assert "bad key Bearer ***" in line


def test_a_translation_echoing_the_key_is_refused_not_stored(serve, world):
    server = serve(lambda h: send(h, 200, completion(f"Сәлем. {authorization(h)}")))
    world.failed(world.run(server.url), "repeats the API key", "model.base_url")
    hypotheses = list(world.results.rglob("hypotheses/*.txt"))
    assert all(KEY[:8] not in p.read_text() for p in hypotheses)


@pytest.mark.parametrize("body", [
    pytest.param(lambda h: "x" * 190 + authorization(h), id="cut-by-the-excerpt"),
    pytest.param(lambda h: f"denied for {authorization(h)[:22]}", id="cut-by-the-server"),
    pytest.param(lambda h: f"key={authorization(h)[7:]}" + " x" * 300, id="long-page"),
])
def test_a_key_cut_in_an_error_excerpt_leaves_no_piece(body, serve, world):
    server = serve(lambda h: send(h, 400, body(h).encode()))
    world.failed(world.run(server.url), "HTTP 400", "model.model")


def test_a_malformed_answer_echoing_the_key_is_scrubbed(serve, world):
    server = serve(lambda h: send(h, 200, ("<html>" + "y" * 180 + authorization(h)[:20]).encode()))
    world.failed(world.run(server.url), "malformed answer (invalid JSON", "model.max_retries")


def test_an_event_stream_error_echoing_the_key_is_scrubbed(serve, world):
    def events(handler: Handler) -> None:
        payload = json.dumps({"error": {"message": f"who is {authorization(handler)}"}})
        send(handler, 200, f"data: {payload}\n\n".encode(), {"Content-Type": "text/event-stream"})

    world.failed(world.run(serve(events).url), "error event", "model.max_retries")


def test_a_preflight_refusal_echoing_the_key_is_scrubbed(serve, world):
    server = serve(answer(200, completion("Сәлем.")), get=lambda h: send(h, 401, authorization(h).encode()))
    world.failed(world.run(server.url), "refused the API key (HTTP 401)", "OPENAI_API_KEY")


@pytest.mark.parametrize("bad", ["\n", " ", "ж"], ids=["newline", "space", "non-ascii"])
def test_a_key_an_http_header_cannot_carry_is_one_line(bad, serve, world):
    server = serve(answer(200, completion("Сәлем.")))
    key = KEY[:10] + bad + KEY[10:]
    result = world.run(server.url, key=key)
    world.failed(result, "OPENAI_API_KEY (model.api_key_env)", "export the key alone")
    assert server.requests == []


# -- JSON that would crash the parser or what comes after it -----------------------------------------

LONG_INT = b'{"choices": [{"message": {"content": "x"}}], "usage": {"completion_tokens": 1%s}}' % (
    b"0" * 5000)  # ValueError in json.loads (Python's 4,300 digits)


def events(*payloads: bytes) -> Route:
    body = b"".join(b"data: " + p + b"\n\n" for p in payloads) + b"data: [DONE]\n\n"
    return answer(200, body, **{"Content-Type": "text/event-stream"})


@pytest.mark.parametrize(("route", "says"), [
    (answer(200, DEEP), "nested more than 64 levels deep"),
    (answer(200, LONG_INT), "an integer of more than 64 digits"),
    (answer(200, b'{"choices": [{"message": {"content": "\\ud800"}}]}'), "half a surrogate pair"),
    (events(b'{"choices": [{"delta": {"content": "x"}}]}', DEEP), "nested more than 64 levels deep"),
    (events(b'{"choices": 5}'), "choices are not a list of objects"),
    (events(b'{"choices": [{"delta": "x", "finish_reason": "stop"}]}'), "delta content is not text"),
    (events(b'{"choices": [{"delta": {"content": [1]}, "finish_reason": "stop"}]}'), "not text"),
], ids=["deep-answer", "long-integer", "surrogate", "deep-event", "choices-number", "delta-text",
        "content-list"])
def test_json_that_breaks_the_parser_is_a_malformed_answer(route, says, serve, world):
    """One line naming the fault and the setting, and the run marked interrupted, not left running."""
    line = world.failed(world.run(serve(route).url), "malformed answer", says, "model.max_retries")
    assert "Traceback" not in line
    (record,) = world.results.rglob("run.json")
    assert json.loads(record.read_text())["status"] == "interrupted"


@pytest.mark.parametrize("listing", [DEEP, b'{"data": [{"id": 1%s}]}' % (b"0" * 5000), b'{"data": 5}',
                                     b'{"data": [5, "x", {"id": ["tiny"]}]}', b"\xff"],
                         ids=["deep", "long-integer", "data-number", "odd-entries", "not-utf8"])
def test_a_models_listing_that_cannot_be_read_lists_nothing_and_the_run_goes_on(listing, serve, world):
    server = serve(answer(200, completion("Сәлем.")), get=answer(200, listing))
    result = world.run(server.url)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr


def test_a_judge_answer_that_breaks_the_parser_is_one_line(serve, world):
    server = serve(answer(200, DEEP))
    result = bench("run", "model=reference", "metric=[judge]", f"metric.judge.base_url={server.url}",
                   "metric.judge.model=tiny", "metric.judge.max_retries=0",
                   f"dataset.path={world.root / 'references'}", f"results_dir={world.results}",
                   cwd=world.root, timeout=120)
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "nested more than 64 levels deep" in lines[0] and "metric.judge.max_retries" in lines[0]


# -- the scrubbing rules themselves ------------------------------------------------------------------



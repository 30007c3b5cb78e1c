"""Endpoints on loopback: a scripted fake chat-completions server, a real ``transformers serve``, and
a port nothing listens on (an unreachable Hub)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once (an unreachable Hub)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve_transformers(model_dir: Path, log: Path, *flags: str, start_s: float = 120) -> Iterator[str]:
    """``transformers serve --force_model model_dir`` on loopback (offline, one torch thread, its output
    in ``log``, ``flags`` added); yields the API root once ``/models`` answers, and stops the server."""
    origin = closed_port_url()
    url = f"{origin}/v1"
    cli = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    with open(log, "wb") as out:
        process = subprocess.Popen([str(cli), "serve", "--force_model", str(model_dir), "--device", "cpu",
                                    "--host", "127.0.0.1", "--port", origin.rsplit(":", 1)[1], *flags],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + start_s
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"transformers serve did not start:\n{log.read_text()[-3000:]}"
                                       ) from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def completion(text: str | None, tokens: int = 3) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}],
                       "usage": {"completion_tokens": tokens}}).encode()


class FaultServer:
    """Loopback server answering chat completions from a script, one step per request.

    A step is ``(status, headers, body)``, or ``("sleep", seconds)`` (answer late: a timeout), or
    ``"echo"`` (HTTP 500 whose body repeats the request's Authorization header). The last step repeats.
    """

    def __init__(self, script: list) -> None:
        self.script, self.requests, self.times = list(script), [], []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                owner.reply(self, 200, {}, json.dumps({"data": [{"id": "tiny"}]}).encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append((dict(self.headers), body))
                owner.times.append(time.monotonic())
                step = owner.script.pop(0) if len(owner.script) > 1 else owner.script[0]
                if step == "echo":
                    step = (500, {}, f"bad key {self.headers.get('Authorization')}".encode())
                if step[0] == "sleep":
                    time.sleep(step[1])
                    step = (200, {}, completion("late"))
                owner.reply(self, *step)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @staticmethod
    def reply(handler: BaseHTTPRequestHandler, status: int, headers: dict, body: bytes) -> None:
        try:
            handler.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


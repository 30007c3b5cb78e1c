"""Helpers shared by tests that drive the command line the way users do."""

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

from bench.refset.store import Segment, canonical_sha256
from bench.store.io import atomic_write_json, atomic_write_text, jsonl_text

ROOT = Path(__file__).resolve().parent.parent
#: offline like this machine, quiet progress bars, and one torch thread: the tiny models' matrices are
#: too small to split, and two spinning OpenMP threads on a busy machine made runs 9x slower.
TEST_ENV = {"HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}


def bench(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
          cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m bench ARGS`` in a subprocess and capture its output."""
    full_env = {**os.environ, **TEST_ENV, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def segments_of(pair: str, rows: list[tuple[str, str]], doc_id: str = "doc") -> list[Segment]:
    """Rows of ``(src, ref)`` as the segments of one document."""
    src_lang, tgt_lang = pair.split("-")
    return [Segment(id=f"{doc_id}-{i:03d}", doc_id=doc_id, seg=i, src_lang=src_lang, tgt_lang=tgt_lang,
                    src=src, ref=ref, kind="body", date="2021-01-08", source="example.org", bead="1-1")
            for i, (src, ref) in enumerate(rows)]


def write_reference_set(folder: Path, segments: dict[str, list[Segment]], manifest: dict | None = None,
                        report: str | None = None) -> Path:
    """A reference set as ``build`` writes it: pair files, MANIFEST.json (``manifest`` adds keys),
    and, when given, build_report.md."""
    files = {}
    for pair, rows in segments.items():
        atomic_write_text(folder / f"{pair}.jsonl", jsonl_text(s.to_row() for s in rows))
        files[f"{pair}.jsonl"] = {"rows": len(rows), "sha256": canonical_sha256(rows)}
    atomic_write_json(folder / "MANIFEST.json", {**(manifest or {}), "files": files})
    if report is not None:
        atomic_write_text(folder / "build_report.md", report)
    return folder


def write_references(folder: Path, pairs: dict[str, list[tuple[str, str]]]) -> dict[str, list[Segment]]:
    """A small reference set from ``{pair: [(src, ref), ...]}``; returns its segments."""
    segments = {pair: segments_of(pair, rows) for pair, rows in pairs.items()}
    write_reference_set(folder, segments)
    return segments


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


def stored_scores(run_dir: Path) -> dict[str, dict[str, dict]]:
    """``{pair: {metric: score as stored}}`` of a run's scores.json, read through bench's own reader."""
    from bench.store.runs import load_run

    return {pair: {name: score.to_json() for name, score in held.metrics.items()}
            for pair, held in load_run(run_dir).scores().pairs.items()}


def write_run_record(folder: Path, system: str, pairs: dict[str, tuple[str, int]], *,
                     status: str = "complete", created: str = "2026-01-01T00:00:00+00:00",
                     fingerprint: str | None = None, versions: dict | None = None,
                     git_commit: str | None = None) -> Path:
    """``run.json`` as ``bench run`` writes it, for a run folder a test makes by hand;
    ``pairs`` is ``{pair: (sha256 of the test-set version, rows)}``."""
    from bench.core.pair import Pair
    from bench.store.runs import PairRecord, Run, RunRecord

    record = RunRecord(run_id=folder.name, system=system, fingerprint=fingerprint or f"fp-{system}",
                       system_class="bench.systems.baselines.Copy", identity={}, testset="local:references",
                       pairs={Pair(p): PairRecord(sha, rows) for p, (sha, rows) in pairs.items()},
                       metrics=[], created=created, status=status, versions=versions or {},
                       git_commit=git_commit)
    Run(folder, record).save_record()
    return folder / "run.json"


def write_run_scores(folder: Path, scores: dict[str, dict[str, Score]]) -> None:  # noqa: F821
    """``scores.json`` for a hand-made run folder, tied to the hypotheses it holds now."""
    from bench.store.runs import PairScores, RunScores, load_run

    run = load_run(folder)
    run.save_scores(RunScores({pair: PairScores(run.hypotheses_sha256(pair), metrics)
                               for pair, metrics in scores.items()}))

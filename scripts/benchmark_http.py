"""Requests/s of the HTTP system (``model=openai``/``vllm``) by concurrency, against loopback servers.

    .venv/bin/python scripts/benchmark_http.py                 # fake server + transformers serve
    .venv/bin/python scripts/benchmark_http.py --fake-only     # seconds; no model, no torch

A batching server (vLLM, TGI, ``transformers serve --continuous_batching``) decodes every request in
flight in the same steps, so its throughput grows with the requests it is given until its batch is
full; the client has to keep that many in flight (``model.concurrency``). Two servers answer here:

* the fault server of tests/support/http.py, answering every request after a fixed delay however many are
  in flight: an ideal batching server, which shows what the client itself sustains;
* a real ``transformers serve`` with the project's tiny chat model on CPU: the only serving engine the
  pinned environment runs (vLLM needs its own torch and a GPU; ``--continuous_batching`` fails on CPU
  in transformers 4.57, sizing its paged cache from a GPU's free memory).

Every run sends the same requests through ``bench.systems.http.OpenAIChat.translate``, the path a run
takes (thread pool, retries, answer parsing); the first request of a system goes alone, as in a run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.systems.http import OpenAIChat  # noqa: E402
from bench.tiny.models import default_corpus  # noqa: E402
from tests.support.http import FaultServer, serve_transformers  # noqa: E402

CONCURRENCY = (1, 4, 16, 64)


def requests_per_second(url: str, model: str, concurrency: int, count: int) -> float:
    """Requests/s for ``count`` translations at ``concurrency`` (the warm-up request not counted)."""
    sources = [src for src, _, lang in default_corpus() if lang == "kk"]
    batch = [sources[i % len(sources)] for i in range(count)]
    system = OpenAIChat("bench", base_url=url, model=model, concurrency=concurrency, max_tokens=32)
    system.translate(batch[:1], "zh", "kk")  # the first request goes alone; not timed
    started = time.perf_counter()
    outputs = system.translate(batch, "zh", "kk")
    seconds = time.perf_counter() - started
    if len(outputs) != count:
        raise RuntimeError(f"{len(outputs)} answers for {count} requests")
    return count / seconds


@contextmanager
def fake_server(delay: float) -> Iterator[str]:
    server = FaultServer([("sleep", delay)])
    server.server.socket.listen(256)  # http.server's backlog of 5 would drop connections beyond it
    try:
        yield server.url
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fake-only", action="store_true", help="only the fixed-delay fake server")
    parser.add_argument("--delay", type=float, default=0.2, help="the fake server's answer delay (s)")
    parser.add_argument("--requests", type=int, default=64, help="requests per measurement")
    args = parser.parse_args()
    fake = f"fake server (tests/support/http.py), every answer after {args.delay:.2f} s"
    servers = [(fake, lambda: fake_server(args.delay), "tiny")]
    if not args.fake_only:
        from bench.tiny.models import build

        model_dir = build("causal", ROOT / ".cache" / "tiny-models")
        log = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "serve.log"
        served = "transformers serve, tiny chat model, CPU"
        servers.append((served, lambda: serve_transformers(model_dir, log), str(model_dir)))
    print(f"{args.requests} requests per cell; requests/s (speed-up over concurrency 1)\n")
    print("| server | " + " | ".join(f"concurrency {c}" for c in CONCURRENCY) + " |")
    print("| --- |" + " ---: |" * len(CONCURRENCY))
    for label, start, model in servers:
        with start() as url:
            rates = [requests_per_second(url, model, c, args.requests) for c in CONCURRENCY]
        cells = " | ".join(f"{r:.1f} ({r / rates[0]:.1f}x)" for r in rates)
        print(f"| {label} | {cells} |", flush=True)


if __name__ == "__main__":
    main()

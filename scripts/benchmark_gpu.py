"""GPU translation throughput of the NLLB-200-distilled-600M shape, next to what memory bandwidth allows.

    python scripts/benchmark_gpu.py                    # bf16 and fp32, 1024 segments x 64 new tokens
    python scripts/benchmark_gpu.py --quick            # fewer segments, bf16 only
    python scripts/benchmark_gpu.py --json out.json    # also save the rows

Greedy decoding of a 600M encoder-decoder is memory-bound: every decoding step reads the whole decoder
and the 256k-row output layer once, whatever the batch size, and computes little with each weight. So
the ceiling for output tokens/s is ``batch rows x bandwidth / bytes read per step``. This script
measures the bandwidth on the spot (a device-to-device copy, bytes read plus written), counts the bytes
of one step from the loaded model, and prints, for the naive one-sentence-at-a-time loop and for
``bench``'s token-budgeted batches, the tokens/s reached, the ceiling for the batch sizes used, and the
weight traffic actually achieved. The ceiling ignores the key/value caches and activations, so it is an
upper bound; kernel-launch and Python overhead per step are what keep real numbers below it.

The model and the rule that every output is exactly ``max_new_tokens`` long are those of
scripts/benchmark_translation.py (random weights, nothing downloaded).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark_translation import naive_loop, realistic_nllb, sample_sentences  # noqa: E402

from bench.systems.seq2seq import NLLB  # noqa: E402

NEW_TOKENS = 64


def copy_bandwidth(gib: int = 2, repeats: int = 20) -> float:
    """Device memory bandwidth in bytes/s, from timed device-to-device copies (read + write counted)."""
    import torch

    source = torch.empty(gib << 30, dtype=torch.uint8, device="cuda")
    target = torch.empty_like(source)
    for _ in range(3):
        target.copy_(source)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        target.copy_(source)
    end.record()
    torch.cuda.synchronize()
    seconds = start.elapsed_time(end) / 1000
    del source, target
    torch.cuda.empty_cache()
    return 2 * (gib << 30) * repeats / seconds


def step_bytes(model) -> int:
    """Bytes one decoding step reads: decoder layers and norms, plus the full output layer.

    The decoder's input embedding is tied to the output layer and only a few rows of it are looked up,
    so it is counted once, as the output layer.
    """
    decoder = model.get_decoder()
    body = sum(p.numel() * p.element_size() for name, p in decoder.named_parameters()
               if not name.startswith("embed_tokens"))
    head = model.get_output_embeddings().weight
    return body + head.numel() * head.element_size()


def measure(system: NLLB, sentences: list[str], naive: bool) -> tuple[list[str], float, int]:
    """(outputs, seconds, decoding steps) for one path over ``sentences``."""
    import torch

    torch.cuda.synchronize()
    started = time.perf_counter()
    if naive:
        outputs = naive_loop(system.model, system.tokenizer, sentences, NEW_TOKENS)
        steps = len(sentences) * NEW_TOKENS
    else:
        before = system.stats.get("batches", 0)
        outputs = system.translate(sentences, "zh", "kk")
        steps = (system.stats["batches"] - before) * NEW_TOKENS
    torch.cuda.synchronize()
    return outputs, time.perf_counter() - started, steps


def gpu_rows(model_dir: Path, dtype: str, segments: int, naive_segments: int, budgets: list[int],
             bandwidth: float) -> list[dict]:
    """Naive loop and batched runs at each token budget, for one dtype, on the same loaded weights."""
    sentences = sample_sentences(segments)
    system = NLLB("nllb", path=str(model_dir), num_beams=1, max_new_tokens=NEW_TOKENS, device="cuda",
                  dtype=dtype)
    system.load()
    per_step = step_bytes(system.model)
    measure(system, sentences[:8], naive=False)  # warm-up: CUDA context, kernels, allocator
    naive_out, seconds, steps = measure(system, sentences[:naive_segments], naive=True)
    rows = [row(f"naive loop, {dtype}", naive_segments, seconds, steps, per_step, bandwidth)]
    for budget in budgets:
        system.batch_tokens = budget
        outputs, seconds, steps = measure(system, sentences, naive=False)
        same = sum(a == b for a, b in zip(naive_out, outputs)) / naive_segments
        rows.append(row(f"bench batched, {dtype}, batch_tokens={budget}", segments, seconds, steps,
                        per_step, bandwidth, identical=same))
    system.close()
    return rows


def row(path: str, segments: int, seconds: float, steps: int, per_step: int, bandwidth: float,
        identical: float | None = None) -> dict:
    """One table row: throughput, the bandwidth ceiling for the mean batch, and achieved weight traffic."""
    tokens = segments * NEW_TOKENS
    mean_batch = tokens / steps
    return {"path": path, "segments": segments, "seconds": seconds, "tokens_per_s": tokens / seconds,
            "mean_batch": mean_batch, "ceiling_tokens_per_s": mean_batch * bandwidth / per_step,
            "weight_traffic_bytes_per_s": steps * per_step / seconds, "step_bytes": per_step,
            "identical_to_naive": identical}


def table(rows: list[dict], bandwidth: float) -> str:
    lines = [f"measured copy bandwidth: {bandwidth / 1e12:.2f} TB/s", "",
             "| path | segments | output tokens/s | mean batch | ceiling tokens/s | share of ceiling | "
             "weight traffic TB/s | identical to naive |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        same = "-" if r["identical_to_naive"] is None else f"{r['identical_to_naive']:.0%}"
        share = r["tokens_per_s"] / r["ceiling_tokens_per_s"]
        lines.append(f"| {r['path']} | {r['segments']} | {r['tokens_per_s']:,.0f} | {r['mean_batch']:.1f} | "
                     f"{r['ceiling_tokens_per_s']:,.0f} | {share:.1%} | "
                     f"{r['weight_traffic_bytes_per_s'] / 1e12:.2f} | {same} |")
    return "\n".join(lines)


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="256 segments, bf16 only")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("benchmark_gpu.py: torch sees no CUDA device; run it on a GPU machine")
    dtypes = ["bfloat16"] if args.quick else ["bfloat16", "float32"]
    segments = 256 if args.quick else 1024
    bandwidth = copy_bandwidth()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-nllb-shape-") as work:
        model_dir = realistic_nllb(Path(work) / "model")
        for dtype in dtypes:
            rows += gpu_rows(model_dir, dtype, segments, 32, [4096, 32768], bandwidth)
    gpu = torch.cuda.get_device_name(0)
    print(f"{gpu}, torch {torch.__version__}; NLLB-600M shape (random weights), greedy, "
          f"{NEW_TOKENS} new tokens per segment; step reads {rows[0]['step_bytes'] / 1e9:.2f} GB in "
          f"{dtypes[0]}\n")
    print(table(rows, bandwidth))
    if args.json:
        args.json.write_text(json.dumps({"gpu": gpu, "torch": torch.__version__, "bandwidth": bandwidth,
                                         "rows": rows}, indent=2))


if __name__ == "__main__":
    main()

"""GPU translation throughput of the NLLB-200-distilled-600M shape, next to what memory bandwidth allows.

    python scripts/benchmark_gpu.py                    # bf16 and fp32, 1024 segments x 64 new tokens
    python scripts/benchmark_gpu.py --quick            # fewer segments, bf16 only
    python scripts/benchmark_gpu.py --json out.json    # also save the rows
    python scripts/benchmark_gpu.py --profile          # also profile one batched bf16 run

Greedy decoding of a 600M encoder-decoder is memory-bound: every decoding step reads the whole decoder
and the 256k-row output layer once, whatever the batch size, and computes little with each weight. So
the ceiling for output tokens/s is ``batch rows x bandwidth / bytes read per step``, until batches are
large enough for the arithmetic (about ``2 x parameters read`` FLOPs per token) to bound it instead.
This script measures both peaks on the spot (a device-to-device copy, bytes read plus written; a large
matrix product in the run's dtype), counts the bytes of one step from the loaded model, and prints, for
the naive one-sentence-at-a-time loop and for ``bench``'s token-budgeted batches, the tokens/s reached,
the lower of the two ceilings for the batch sizes used, and the weight traffic actually achieved. The
ceilings ignore the key/value caches, attention and the encoder, so they are upper bounds; kernel-launch
and Python overhead per step are what keep real numbers below them. ``--profile`` adds the top CUDA
operators of one batched bf16 run, to see where a step's time goes.

CTranslate2 (``model.backend=ctranslate2``) runs the same weights in float16 and int8_float16 at the
same budgets, against the same ceilings (2 and 1 bytes per weight); its rows are skipped, with the
reason printed, when ctranslate2 is not installed or sees no CUDA device.

The model and the rule that every output is exactly ``max_new_tokens`` long are those of
scripts/benchmark_translation.py (random weights, nothing downloaded).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark_translation import naive_loop, realistic_nllb, sample_sentences  # noqa: E402

from bench.systems.seq2seq import NLLB  # noqa: E402

NEW_TOKENS = 64
CT2_TYPES = {"float16": 2, "int8_float16": 1}  # CTranslate2 compute type: bytes per weight


def cuda_seconds(work: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Seconds ``repeats`` calls of ``work`` take on the GPU (CUDA events, after ``warmup`` calls)."""
    import torch

    for _ in range(warmup):
        work()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        work()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1000


def copy_bandwidth(gib: int = 2, repeats: int = 20) -> float:
    """Device memory bandwidth in bytes/s, from timed device-to-device copies (read + write counted)."""
    import torch

    source = torch.empty(gib << 30, dtype=torch.uint8, device="cuda")
    target = torch.empty_like(source)
    return 2 * (gib << 30) * repeats / cuda_seconds(lambda: target.copy_(source), repeats)


def matmul_flops(dtype: str, size: int = 8192, repeats: int = 10) -> float:
    """Dense matrix-product FLOP/s in ``dtype`` (torch's defaults: no TF32 for float32)."""
    import torch

    a = torch.randn(size, size, device="cuda", dtype=getattr(torch, dtype))
    b = torch.randn_like(a)
    return 2 * size**3 * repeats / cuda_seconds(lambda: a @ b, repeats)


def step_params(model) -> int:
    """Weights one decoding step reads: decoder layers and norms, plus the full output layer.

    The decoder's input embedding is tied to the output layer and only a few rows of it are looked up,
    so it is counted once, as the output layer.
    """
    decoder = model.get_decoder()
    body = sum(p.numel() for name, p in decoder.named_parameters() if not name.startswith("embed_tokens"))
    return body + model.get_output_embeddings().weight.numel()


def measure(system: NLLB, sentences: list[str], naive: bool) -> tuple[list[str], float, int]:
    """(outputs, seconds, decoding steps) for one path over ``sentences``."""
    import torch

    torch.cuda.synchronize()
    started = time.perf_counter()
    if naive:
        outputs = naive_loop(system.model, system.tokenizer, sentences, NEW_TOKENS)
        steps = len(sentences) * NEW_TOKENS
    else:
        before = dict(system.stats)
        outputs = system.translate(sentences, "zh", "kk")
        steps = (system.stats["batches"] - before.get("batches", 0)) * NEW_TOKENS
        produced = system.stats["output_tokens"] - before.get("output_tokens", 0)
        if produced != len(sentences) * NEW_TOKENS:  # the equal-work rule of benchmark_translation.py
            raise RuntimeError(f"expected {len(sentences) * NEW_TOKENS} output tokens, got {produced}")
    torch.cuda.synchronize()
    return outputs, time.perf_counter() - started, steps


def gpu_rows(model_dir: Path, dtype: str, segments: int, naive_segments: int, budgets: list[int],
             bandwidth: float, flops: float) -> list[dict]:
    """Naive loop and batched runs at each token budget, for one dtype, on the same loaded weights."""
    import torch

    sentences = sample_sentences(segments)
    system = NLLB("nllb", path=str(model_dir), num_beams=1, max_new_tokens=NEW_TOKENS, device="cuda",
                  dtype=dtype)
    system.load()
    per_step = step_params(system.model)
    system.batch_tokens = max(budgets)
    measure(system, sentences[:256], naive=False)  # warm-up: CUDA context, kernels, allocator
    naive_out, seconds, steps = measure(system, sentences[:naive_segments], naive=True)
    peaks = (per_step, system.model.dtype.itemsize, bandwidth, flops)
    rows = [row(f"naive loop, {dtype}", naive_segments, seconds, steps, peaks, outputs=naive_out)]
    for budget in budgets:
        system.batch_tokens = budget
        outputs, seconds, steps = measure(system, sentences, naive=False)
        same = sum(a == b for a, b in zip(naive_out, outputs)) / naive_segments
        rows.append(row(f"bench batched, {dtype}, batch_tokens={budget}", segments, seconds, steps, peaks,
                        identical=same))
    if dtype == "bfloat16":  # what loading undoes (bench/systems/hf.py): PyTorch's own choice of kernel
        torch.backends.cuda.enable_cudnn_sdp(True)
        system.batch_tokens = min(budgets)
        _, seconds, steps = measure(system, sentences, naive=False)
        rows.append(row(f"same, cuDNN attention left on (torch's default), batch_tokens={min(budgets)}",
                        segments, seconds, steps, peaks))
        torch.backends.cuda.enable_cudnn_sdp(False)
    system.close()
    return rows


def ct2_rows(model_dir: Path, compute_type: str, segments: int, budgets: list[int], per_step: int,
             bandwidth: float, flops: float, naive_out: list[str]) -> list[dict]:
    """CTranslate2 batched runs at each token budget (converted once, into the model's folder)."""
    sentences = sample_sentences(segments)
    system = NLLB("nllb", path=str(model_dir), num_beams=1, max_new_tokens=NEW_TOKENS, device="cuda",
                  backend="ctranslate2", compute_type=compute_type, convert_dir=str(model_dir / "ct2"))
    system.load()
    system.batch_tokens = max(budgets)
    measure(system, sentences[:256], naive=False)  # warm-up
    peaks = (per_step, CT2_TYPES[compute_type], bandwidth, flops)
    rows = []
    for budget in budgets:
        system.batch_tokens = budget
        outputs, seconds, steps = measure(system, sentences, naive=False)
        same = sum(a == b for a, b in zip(naive_out, outputs)) / len(naive_out)
        rows.append(row(f"CTranslate2 batched, {compute_type}, batch_tokens={budget}", segments, seconds,
                        steps, peaks, identical=same))
    system.close()
    return rows


def ct2_missing() -> str | None:
    """Why the CTranslate2 rows cannot run here, or None."""
    try:
        import ctranslate2
    except ImportError:
        return "ctranslate2 is not installed (pip install 'bench[ct2]')"
    if ctranslate2.get_cuda_device_count() == 0:
        return (f"ctranslate2 {ctranslate2.__version__} sees no CUDA device (a CPU-only build, or the CUDA "
                "12 libraries it loads are missing)")
    return None


def row(path: str, segments: int, seconds: float, steps: int, peaks: tuple[int, int, float, float],
        identical: float | None = None, outputs: list[str] | None = None) -> dict:
    """One table row: throughput, the lower ceiling for the mean batch, and achieved weight traffic.

    ``peaks`` is (weights read per step, bytes per weight, bandwidth in bytes/s, FLOP/s in that dtype).
    """
    params, element, bandwidth, flops = peaks
    per_step = params * element
    tokens = segments * NEW_TOKENS
    mean_batch = tokens / steps
    memory_bound = mean_batch * bandwidth / per_step
    compute_bound = flops / (2 * params)
    return {"path": path, "segments": segments, "seconds": seconds, "tokens_per_s": tokens / seconds,
            "mean_batch": mean_batch, "ceiling_tokens_per_s": min(memory_bound, compute_bound),
            "bound": "memory" if memory_bound < compute_bound else "compute",
            "weight_traffic_bytes_per_s": steps * per_step / seconds, "step_bytes": per_step,
            "step_params": params, "identical_to_naive": identical, "outputs": outputs}


def table(rows: list[dict], bandwidth: float, flops: dict[str, float]) -> str:
    lines = [f"measured copy bandwidth: {bandwidth / 1e12:.2f} TB/s; matrix products: "
             + ", ".join(f"{k} {v / 1e12:.0f} TFLOP/s" for k, v in flops.items()), "",
             "| path | segments | output tokens/s | mean batch | ceiling tokens/s (bound) | "
             "share of ceiling | weight traffic TB/s | identical to naive |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        same = "-" if r["identical_to_naive"] is None else f"{r['identical_to_naive']:.0%}"
        share = r["tokens_per_s"] / r["ceiling_tokens_per_s"]
        lines.append(f"| {r['path']} | {r['segments']} | {r['tokens_per_s']:,.0f} | {r['mean_batch']:.1f} | "
                     f"{r['ceiling_tokens_per_s']:,.0f} ({r['bound']}) | {share:.1%} | "
                     f"{r['weight_traffic_bytes_per_s'] / 1e12:.2f} | {same} |")
    return "\n".join(lines)


def profile(model_dir: Path, top: int = 15) -> str:
    """The CUDA operators that take the time of one batched bf16 run (256 segments, one batch)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    system = NLLB("nllb", path=str(model_dir), num_beams=1, max_new_tokens=16, device="cuda",
                  dtype="bfloat16", batch_tokens=32768)
    system.load()
    sentences = sample_sentences(256)
    system.translate(sentences, "zh", "kk")
    with torch_profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        system.translate(sentences, "zh", "kk")
    system.close()
    return prof.key_averages().table(sort_by="self_device_time_total", row_limit=top)


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="256 segments, bf16 only")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--profile", action="store_true", help="also profile one batched bf16 run")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("benchmark_gpu.py: torch sees no CUDA device; run it on a GPU machine")
    dtypes = ["bfloat16"] if args.quick else ["bfloat16", "float32"]
    segments = 256 if args.quick else 1024
    bandwidth = copy_bandwidth()
    torch.cuda.empty_cache()  # hand the copy buffers back before the model loads
    flops = {dtype: matmul_flops(dtype) for dtype in dtypes}
    skipped = ct2_missing()
    half_flops = None if skipped else matmul_flops("float16")  # CTranslate2's ceiling, int8 included
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-nllb-shape-") as work:
        model_dir = realistic_nllb(Path(work) / "model")
        for dtype in dtypes:
            rows += gpu_rows(model_dir, dtype, segments, 32, [4096, 32768], bandwidth, flops[dtype])
        if half_flops:
            naive_out = rows[0]["outputs"]  # the first dtype's naive loop
            for compute_type in CT2_TYPES:
                rows += ct2_rows(model_dir, compute_type, segments, [4096, 32768], rows[0]["step_params"],
                                 bandwidth, half_flops, naive_out)
        profiled = profile(model_dir) if args.profile else None
    gpu = torch.cuda.get_device_name(0)
    print(f"{gpu}, torch {torch.__version__}; NLLB-600M shape (random weights), greedy, "
          f"{NEW_TOKENS} new tokens per segment; step reads {rows[0]['step_bytes'] / 1e9:.2f} GB in "
          f"{dtypes[0]}\n")
    print(table(rows, bandwidth, flops))
    if skipped:
        print(f"\nCTranslate2 rows skipped: {skipped}")
    if profiled:
        print(f"\none batched bf16 run, 256 segments x 16 new tokens:\n{profiled}")
    if args.json:
        args.json.write_text(json.dumps({"gpu": gpu, "torch": torch.__version__, "bandwidth": bandwidth,
                                         "flops": flops, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()

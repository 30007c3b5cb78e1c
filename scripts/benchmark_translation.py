"""Translation speed: the engines against each other, and batching against a naive loop.

    .venv/bin/python scripts/benchmark_translation.py                  # engines, 2 threads
    .venv/bin/python scripts/benchmark_translation.py --threads 1      # engines, 1 thread (CPU time)
    .venv/bin/python scripts/benchmark_translation.py --naive          # bench batched vs a naive loop
    .venv/bin/python scripts/benchmark_translation.py --quick          # 2+2 layers, fewer sentences

**Engines** (``model.backend``): transformers batched, as bench runs it, against CTranslate2 float32
and int8, on the same converted weights, sentences and batches, greedy; each row gives wall and CPU
time (the process's, all threads), the ratio to transformers, and the share of outputs identical to
it. **Batching**: the bench batched path against a one-sentence-at-a-time transformers loop, both on
the same model object. In both, every path does the same work in the same process, so the ratios
mean something even where absolute times do not travel between machines. The model has the real
NLLB-200-distilled-600M shape (M2M-100 architecture, d_model 1024, 12+12 layers, 16 heads, FFN 4096,
vocabulary 256,206: about 615M parameters), built from a config with random weights, since nothing can
be downloaded here.

The tokenizer is a small locally trained SentencePiece NLLB tokenizer (~1,000 ids). The output layer
shares its weights with the embeddings, so zeroing embedding rows pins those logits at 0 while the
decodable ids get random logits whose maximum is positive: zeroing the rows of the ~255,000 ids the
tokenizer lacks keeps argmax on decodable ids (comparing output *strings* is meaningful), and zeroing
the end-of-sentence row means no output stops early: every one is exactly ``max_new_tokens`` long, so
both paths do the same work. (Forcing the length with ``min_new_tokens`` instead adds a logits
processor that scans the whole 256k vocabulary at every step, ~60 ms here, which would inflate the
one-at-a-time cost and flatter batching.) The output layer still computes all 256,206 logits.
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

from bench.tiny.models import default_corpus  # noqa: E402
from bench.tiny.spm import train_spm  # noqa: E402

NLLB_600M = dict(  # facebook/nllb-200-distilled-600M config.json, the fields that set its size
    vocab_size=256206, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
    decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, max_position_embeddings=1024,
    activation_function="relu", scale_embedding=True, dropout=0.1, attention_dropout=0.1,
    activation_dropout=0.0, tie_word_embeddings=True,
)


def realistic_nllb(folder: Path, quick: bool = False) -> Path:
    """Save (once) an NLLB-600M-shaped model with random weights and a small NLLB tokenizer to ``folder``.

    ``quick`` keeps the width and the vocabulary but only 2+2 layers. Loadable as
    ``model=nllb-200-distilled-600M model.path=<folder>``.
    """
    import torch
    from transformers import AutoTokenizer, M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    folder = Path(folder)
    if (folder / "config.json").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    spm = train_spm([t for row in default_corpus() for t in row[:2]], folder / "spm.model", 600)
    NllbTokenizer(vocab_file=str(spm)).save_pretrained(folder)
    spm.unlink()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.save_pretrained(folder)  # adds tokenizer.json: loads fast next time
    layers = {"encoder_layers": 2, "decoder_layers": 2} if quick else {}
    config = M2M100Config(**{**NLLB_600M, **layers}, pad_token_id=tokenizer.pad_token_id,
                          bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                          decoder_start_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)
    model = M2M100ForConditionalGeneration(config).eval()
    with torch.no_grad():  # see the module docstring
        model.get_input_embeddings().weight[len(tokenizer):] = 0
        model.get_input_embeddings().weight[tokenizer.eos_token_id] = 0
    model.generation_config.max_length = None
    model.save_pretrained(folder)
    return folder


def sample_sentences(count: int) -> list[str]:
    """``count`` Chinese segments of 1 to 3 corpus sentences each: lengths vary as in real test sets."""
    base = [src for src, _, lang in default_corpus() if lang == "kk"]
    return ["".join(base[(i + k) % len(base)] for k in range(1 + i % 3)) for i in range(count)]


def naive_loop(model, tokenizer, sentences: list[str], max_new_tokens: int) -> list[str]:
    """What a first script does (the model card's snippet in a loop): one sentence per generate call."""
    tokenizer.src_lang = "zho_Hans"
    target = tokenizer.convert_tokens_to_ids("kaz_Cyrl")
    outputs = []
    for sentence in sentences:
        inputs = tokenizer(sentence, return_tensors="pt").to(model.device)
        tokens = model.generate(**inputs, forced_bos_token_id=target, max_new_tokens=max_new_tokens,
                                num_beams=1, do_sample=False)
        outputs.append(tokenizer.batch_decode(tokens, skip_special_tokens=True)[0])
    return outputs


def timed(fn) -> tuple[object, float, float]:
    """``fn()``, its wall time and the CPU time of this process (every thread) it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


#: engine rows: (label, model options, what it should reach against transformers batched)
ENGINES = [
    ("transformers batched (`model.backend=hf`)", {}, None),
    ("CTranslate2 float32 (`model.backend=ctranslate2`)",
     {"backend": "ctranslate2", "compute_type": "float32"}, "wall >= 1.2x"),
    ("CTranslate2 int8 (`model.compute_type=int8`)", {"backend": "ctranslate2", "compute_type": "int8"},
     "wall >= 2.5x, CPU >= 3x"),
]


def engine_cases(quick: bool, threads: int) -> list[dict]:
    """One row per engine: the NLLB system translating the same segments, equal work checked."""
    import torch

    from bench.systems.seq2seq import NLLB

    count, new_tokens = (16, 16) if quick else (64, 64)
    sentences = sample_sentences(count)
    torch.set_num_threads(threads)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as work:
        folder = realistic_nllb(Path(work) / "model", quick)
        for label, options, target in ENGINES:
            system = NLLB("nllb", path=str(folder), num_beams=1, max_new_tokens=new_tokens,
                          intra_threads=threads, convert_dir=str(Path(work) / "ct2"), **options)
            system.load()  # loading and converting are not timed
            system.translate(sentences[:2], "zh", "kk")  # warm-up: first-call allocations
            system.stats.clear()
            outputs, wall, cpu = timed(lambda s=system: s.translate(sentences, "zh", "kk"))
            produced = system.stats["output_tokens"]
            if produced != count * new_tokens:  # the docstring's claim of equal work
                raise RuntimeError(f"{label}: expected {count * new_tokens} output tokens, got {produced}")
            system.close()
            base = rows[0] if rows else None
            rows.append({
                "case": label, "wall_s": wall, "cpu_s": cpu, "segments_per_s": count / wall,
                "wall_ratio": base["wall_s"] / wall if base else 1.0,
                "cpu_ratio": base["cpu_s"] / cpu if base else 1.0,
                "identical": sum(a == b for a, b in zip(outputs, base["outputs"])) / count if base else None,
                "target": target, "outputs": outputs, "batches": system.stats["batches"],
            })
    shape = "NLLB-600M shape, 2+2 layers" if quick else "NLLB-600M shape (615M parameters)"
    setup = (f"{shape}, {count} segments x {new_tokens} new tokens, greedy, CPU, {threads} thread(s), "
             f"batch_tokens=4096 ({rows[0]['batches']} batches)")
    for row in rows:
        row["setup"] = setup
        del row["outputs"]
    return rows


def translation_cases(quick: bool) -> list[dict]:
    """Rows for scripts/benchmark.py: the NLLB system (default token budget) vs the naive loop."""
    from bench.systems.seq2seq import NLLB

    count, new_tokens = (16, 16) if quick else (64, 64)
    sentences = sample_sentences(count)
    shape = "NLLB-600M shape, 2+2 layers" if quick else "NLLB-600M shape"
    with tempfile.TemporaryDirectory(prefix="bench-nllb-shape-") as work:
        system = NLLB("nllb", path=str(realistic_nllb(Path(work) / "model", quick)), num_beams=1,
                      max_new_tokens=new_tokens)
        system.load()
        model, tokenizer = system.model, system.tokenizer  # the naive loop runs the same weights

        started = time.perf_counter()
        naive = naive_loop(model, tokenizer, sentences, new_tokens)
        naive_s = time.perf_counter() - started
        started = time.perf_counter()
        batched = system.translate(sentences, "zh", "kk")
        bench_s = time.perf_counter() - started
    produced = system.stats["output_tokens"]
    if produced != count * new_tokens:  # the docstring's claim of equal work
        raise RuntimeError(f"expected {count * new_tokens} output tokens, got {produced}")
    same = sum(a == b for a, b in zip(naive, batched)) / count
    setup = f"{shape}, {count} segments x {new_tokens} new tokens, greedy, {system.describe()['device']}"
    batches = f"batch_tokens={system.batch_tokens}, {system.stats['batches']} batches"
    return [{
        "case": f"translation: batched ({batches}) vs one at a time; {setup}; {same:.0%} identical outputs",
        "baseline_s": naive_s, "bench_s": bench_s, "ratio": naive_s / bench_s,
        "target": ">= 4x faster", "better": "higher",
        "setup": setup, "batches": batches, "identical": same,
        "segments_per_s": count / bench_s, "baseline_segments_per_s": count / naive_s,
    }]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2+2 layers, 16 segments x 16 tokens")
    parser.add_argument("--threads", type=int, default=2, help="threads per engine (torch, CTranslate2)")
    parser.add_argument("--naive", action="store_true",
                        help="batched vs a one-at-a-time loop instead (slow: 12-19 minutes on 2 cores)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = translation_cases(args.quick) if args.naive else engine_cases(args.quick, args.threads)
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.naive:
        for row in rows:
            print(f"{row['setup']}\n")
            print("| path | segments/s | seconds | speed-up | identical outputs |")
            print("| --- | ---: | ---: | ---: | ---: |")
            print(f"| naive loop, one sentence per `generate` | {row['baseline_segments_per_s']:.2f} | "
                  f"{row['baseline_s']:.1f} | 1.00x | - |")
            print(f"| bench, batched ({row['batches']}) | {row['segments_per_s']:.2f} | "
                  f"{row['bench_s']:.1f} | {row['ratio']:.2f}x | {row['identical']:.0%} |")
    else:
        print(f"{rows[0]['setup']}\n")
        print("| engine | segments/s | wall s | CPU s | wall speed-up | CPU speed-up | identical outputs "
              "| target |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for row in rows:
            same = "-" if row["identical"] is None else f"{row['identical']:.0%}"
            print(f"| {row['case']} | {row['segments_per_s']:.2f} | {row['wall_s']:.1f} | "
                  f"{row['cpu_s']:.1f} | {row['wall_ratio']:.2f}x | {row['cpu_ratio']:.2f}x | {same} | "
                  f"{row['target'] or '-'} |")


if __name__ == "__main__":
    main()

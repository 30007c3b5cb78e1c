"""Scoring performance: COMET across systems, and the cost of bootstrap confidence intervals.

    .venv/bin/python scripts/benchmark_scoring.py            # about 15 minutes on 2 CPU cores
    .venv/bin/python scripts/benchmark_scoring.py --quick    # smaller sizes, a smoke test

(a) COMET for 5 systems on one test set: ``python -m bench score metric=[comet]`` (one process, one
    model load, source/reference embeddings shared) against ``comet-score`` run once per system on the
    same checkpoint, both as subprocesses, so start-up and loading count on both sides. The checkpoint
    is a wmt22-comet-da-shaped model (its 3072/1024 estimator) on a 128-wide, 4-layer XLM-R encoder
    with random weights (real weights cannot be downloaded here; XLM-R large would take hours on 2
    cores). ``comet-score`` always runs in half precision (it calls ``model.half()``, even on CPU,
    where fp16 is slow); bench runs fp32. Two informational rows separate the effects: one
    ``comet-score`` call for all systems, and COMET's own ``predict`` in fp32, one process per system.
(b) The cost of a 1000-sample bootstrap interval relative to scoring once, for BLEU, chrF and COMET.

``scoring_cases(quick)`` returns the rows for ``scripts/benchmark.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.io import atomic_write_json  # noqa: E402
from bench.metrics import load_metric  # noqa: E402
from bench.metrics.bootstrap import Bootstrap, with_confidence_interval  # noqa: E402
from bench.refset.store import canonical_sha256  # noqa: E402
from bench.runs import write_hypotheses  # noqa: E402
from bench.tiny.comet import SAMPLE_LINES, build_tiny_comet  # noqa: E402
from tests.helpers import write_references  # noqa: E402

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
COMET_SCORE = Path(sys.executable).parent / "comet-score"
SYSTEMS = 5


def corpus(rows: int, seed: int = 0) -> tuple[list[str], list[str], list[list[str]]]:
    """Sources, references and ``SYSTEMS`` outputs of decreasing quality, 8 to 40 words a line."""
    rng = np.random.default_rng(seed)
    words = " ".join(SAMPLE_LINES[3:9]).split()
    han = [ch for ch in "".join(SAMPLE_LINES[:3]) if ch.isalpha()]
    refs = [" ".join(rng.choice(words, size=rng.integers(8, 40))) + f" {i}." for i in range(rows)]
    srcs = ["".join(rng.choice(han, size=rng.integers(15, 60))) + f"{i}。" for i in range(rows)]
    systems = [[" ".join(w if rng.random() > 0.1 + 0.15 * k else str(rng.choice(words)) for w in r.split())
                for r in refs] for k in range(SYSTEMS)]
    return srcs, refs, systems


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def write_runs(work: Path, srcs: list[str], refs: list[str], systems: list[list[str]]) -> tuple[Path, Path]:
    """A reference set and one complete run folder per system, as ``bench run`` leaves them."""
    segments = write_references(work / "references", {"zh-kk": list(zip(srcs, refs))})["zh-kk"]
    sha = canonical_sha256(segments)
    results = work / "results"
    for k, hyps in enumerate(systems):
        run_dir = results / "runs" / f"system{k}" / "run"
        write_hypotheses(run_dir, "zh-kk", hyps)
        atomic_write_json(run_dir / "run.json", {
            "status": "complete", "system": {"name": f"system{k}"},
            "testset": {"name": "local", "pairs": {"zh-kk": {"sha256": sha, "rows": len(refs)}}}})
    return work / "references", results


#: a script that scores one system with COMET's Python API in fp32, as a fresh process would
PREDICT_ONCE = """
import sys
from comet import load_from_checkpoint
ckpt, src, hyp, ref = sys.argv[1:]
lines = [open(f, encoding="utf-8").read().splitlines() for f in (src, hyp, ref)]
model = load_from_checkpoint(ckpt, local_files_only=True)
model.predict([{"src": s, "mt": h, "ref": r} for s, h, r in zip(*lines)], batch_size=16, gpus=0,
              progress_bar=False)
"""


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fastest(rounds: int, commands: dict[str, list[str]]) -> dict[str, float]:
    """Best wall time of each command over ``rounds`` interleaved rounds.

    The minimum, not the mean: on a shared machine other processes only ever add time, and
    interleaving keeps a busy spell from landing on one side of a comparison only.
    """
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(wall(cmd))
    return {name: min(values) for name, values in times.items()}


def comet_cases(work: Path, quick: bool) -> list[dict]:
    rows, hidden, layers, rounds = (40, 64, 2, 1) if quick else (200, 128, 4, 2)
    srcs, refs, systems = corpus(rows)
    checkpoint = build_tiny_comet(work / "comet", texts=srcs + refs, hidden=hidden, layers=layers, heads=4)
    references, results = write_runs(work, srcs, refs, systems)
    src, ref = write_lines(work / "src.txt", srcs), write_lines(work / "ref.txt", refs)
    hyps = [write_lines(work / f"hyp{k}.txt", lines) for k, lines in enumerate(systems)]
    base = [str(COMET_SCORE), "-s", str(src), "-r", str(ref), "--model", str(checkpoint), "--gpus", "0",
            "--quiet", "--only_system"]
    commands = {"bench": [sys.executable, "-m", "bench", "score", f"results_dir={results}",
                          f"dataset.path={references}", "metric=[comet]",
                          f"metric.comet.checkpoint={checkpoint}", "score_cache.enabled=false", "force=true",
                          "metric.comet.progress=false"]}
    commands.update({f"comet-score {k}": [*base, "-t", str(h)] for k, h in enumerate(hyps)})
    if not quick:
        commands["comet-score all"] = [*base, "-t", *map(str, hyps)]
        commands.update({f"predict {k}": [sys.executable, "-c", PREDICT_ONCE, str(checkpoint), str(src),
                                          str(h), str(ref)] for k, h in enumerate(hyps)})
    best = fastest(rounds, commands)
    bench_s = best["bench"]
    per_system = sum(best[f"comet-score {k}"] for k in range(SYSTEMS))
    size = f"{rows} segments, {SYSTEMS} systems, XLM-R {hidden}x{layers}"
    out = [{"case": f"COMET: bench score vs comet-score once per system ({size})",
            "baseline_s": per_system, "bench_s": bench_s, "ratio": per_system / bench_s,
            "target": ">= 2.5x faster", "better": "higher"}]
    if quick:
        return out
    api_fp32 = sum(best[f"predict {k}"] for k in range(SYSTEMS))
    one_call = best["comet-score all"]
    return out + [
        {"case": f"COMET: bench score vs one comet-score call, all systems ({size})",
         "baseline_s": one_call, "bench_s": bench_s, "ratio": one_call / bench_s,
         "target": "informational", "better": "higher"},
        {"case": f"COMET: bench score vs COMET predict in fp32, one process per system ({size})",
         "baseline_s": api_fp32, "bench_s": bench_s, "ratio": api_fp32 / bench_s, "target": "informational",
         "better": "higher"},
    ]


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cold_score(metric, srcs: list[str], hyps: list[str], refs: list[str]):
    """Score once as a first system would: for COMET, model loaded but no sentence embedded yet."""
    from bench.metrics.comet import Comet

    if isinstance(metric, Comet):
        metric.loaded().embeddings.clear()
    return metric.score(srcs, hyps, refs, src_lang="zh", tgt_lang="kk")


def bootstrap_cases(work: Path, quick: bool) -> list[dict]:
    from bench.metrics.comet import Comet

    rows = 200 if quick else 1000
    srcs, refs, systems = corpus(rows, seed=1)
    hyps = systems[1]
    checkpoint = build_tiny_comet(work / "comet", texts=srcs + refs, hidden=64, layers=2, heads=4)
    metrics = {"bleu": load_metric("bleu"), "chrf": load_metric("chrf"),
               "comet": Comet(checkpoint=str(checkpoint), progress=False)}
    bootstrap = Bootstrap(samples=1000)
    out = []
    for name, metric in metrics.items():
        repeat = 1 if isinstance(metric, Comet) else 3  # COMET: seconds per call, steady enough
        score_s, score = median_time(lambda m=metric: cold_score(m, srcs, hyps, refs), repeat)
        ci_s, _ = median_time(lambda m=metric, s=score: with_confidence_interval(s, m, bootstrap), 5)
        out.append({"case": f"bootstrap CI, 1000 samples, {name} ({rows} segments): scoring + CI vs scoring",
                    "baseline_s": score_s, "bench_s": score_s + ci_s, "ratio": (score_s + ci_s) / score_s,
                    "target": "<= 2x", "better": "lower"})
    return out


def scoring_cases(quick: bool) -> list[dict]:
    """Rows for ``scripts/benchmark.py``: (a) COMET across systems, (b) bootstrap cost."""
    work = Path(tempfile.mkdtemp(prefix="bench-scoring-"))
    try:
        return comet_cases(work, quick) + bootstrap_cases(work, quick)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    rows = scoring_cases(parser.parse_args().quick)
    print("| case | baseline (s) | bench (s) | ratio | target |\n| --- | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['case']} | {r['baseline_s']:.3f} | {r['bench_s']:.3f} | {r['ratio']:.2f} "
              f"| {r['target']} |")


if __name__ == "__main__":
    main()

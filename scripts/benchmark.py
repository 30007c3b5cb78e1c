"""Every performance claim of the project, measured in one process, printed as one table of ratios.

    .venv/bin/python scripts/benchmark.py            # full run (several minutes on 2 CPU cores)
    .venv/bin/python scripts/benchmark.py --quick    # smaller sizes, for a smoke test

Each row compares ``bench`` with a baseline measured in the same process on the same machine, so the
ratio means something even when absolute times do not travel between machines. Rows:

* translation: batched path vs a naive one-sentence-at-a-time loop (scripts/benchmark_translation.py)
* warm vs cold: the same ``bench run`` twice; the second finds every translation in the cache
* batches: rows per batch of ``bench run`` itself at batch_tokens 4,096 and 32,768 with chunk_size 64
* align: a second ``bench align`` of the same files (embeddings kept by default) vs the first
* scaling: ``bench run`` on a synthetic test set of 1x and 10x segments (ideal ratio: 10)
* scoring: COMET for 5 systems vs ``comet-score`` per system; bootstrap CI cost (benchmark_scoring.py)
* scale: BLEU/chrF of 50 systems x 2 pairs x 2,000 segments with shared references and bootstrap draws
  vs without; with ``--baseline REV`` also the sweep, ``score`` and ``leaderboard`` against REV's tree
* start-up: ``--help``, ``build`` and ``leaderboard`` against a bare ``python -c "import hydra"``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark_scoring import scale_cases, scoring_cases  # noqa: E402
from benchmark_translation import realistic_nllb, translation_cases  # noqa: E402

from bench.tiny.models import build_tiny_models  # noqa: E402
from tests.support.refs import write_references  # noqa: E402

GROUPS = ["translation", "runs", "batches", "align", "scoring", "scale", "startup"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}


def timed(cmd: list[str], repeat: int = 1) -> float:
    """Median wall time of a command, in seconds; the command must succeed."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=ENV, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench", *args]


def synthetic_references(folder: Path, rows: int) -> Path:
    """A zh-kk test set of ``rows`` distinct segments, recycled from a few real sentences."""
    base = [("实现贫困人口如期脱贫。", "Кедейлерді уағында кедейліктен арылту."),
            ("责任重于泰山,各级党委和政府必须不辱使命。", "Жауапкершілік Тайшань тауынан да ауыр."),
            ("截至2019年4月,全国累计选派300多万干部。", "2019 жылы сәуірге дейін 3 миллионнан астам кадр.")]
    data = [(f"{src}({i})", f"{ref} ({i})") for i in range(rows) for src, ref in [base[i % len(base)]]]
    write_references(folder, {"zh-kk": data})
    return folder


def startup_cases(work: Path, repeat: int) -> list[dict]:
    results = work / "startup-results"
    refs = ROOT / "references"
    subprocess.run(bench_cmd("run", "model=copy", "metric=[bleu,chrf]", f"results_dir={results}"),
                   cwd=ROOT, env=ENV, check=True, capture_output=True)
    baseline = timed([sys.executable, "-c", "import hydra"], repeat)
    rows = []
    for label, args in [("--help", ["--help"]),
                        ("build", ["build", f"out_dir={work / 'built'}"]),
                        ("leaderboard", ["leaderboard", f"results_dir={results}", f"dataset.path={refs}"])]:
        seconds = timed(bench_cmd(*args), repeat)
        rows.append({"case": f"start-up: {label} vs `python -c 'import hydra'`",
                     "baseline_s": baseline, "bench_s": seconds, "ratio": seconds / baseline,
                     "target": "informational", "better": "lower"})
    return rows


def run_cases(work: Path, quick: bool) -> list[dict]:
    """Warm vs cold and 1x vs 10x scaling, through the real command line."""
    model_dir = realistic_nllb(work / "nllb-shape", quick=quick)
    refs = synthetic_references(work / "refs-warm", 16 if quick else 32)
    common = ["model=nllb-200-distilled-600M", f"model.path={model_dir}", f"dataset.path={refs}",
              "metric=[bleu,chrf]", "model.max_new_tokens=32", f"results_dir={work / 'warm'}"]
    cold = timed(bench_cmd("run", *common))
    warm = timed(bench_cmd("run", *common))
    rows = [{"case": "warm re-run vs cold run (NLLB-600M shape, random weights)", "baseline_s": cold,
             "bench_s": warm, "ratio": cold / warm, "target": ">= 20x faster", "better": "higher"}]

    tiny = build_tiny_models(work / "tiny")["nllb"]
    base = 40 if quick else 100
    timings = {}
    for factor in (1, 10):
        refs = synthetic_references(work / f"refs-{factor}x", base * factor)
        timings[factor] = timed(bench_cmd("run", "model=nllb-200-distilled-600M", f"model.path={tiny}",
                                          f"dataset.path={refs}", "metric=[bleu,chrf]",
                                          "translation_cache.enabled=false", f"results_dir={work / 'scale'}"))
    rows.append({"case": f"scaling: {base * 10} vs {base} segments (tiny NLLB, no cache)",
                 "baseline_s": timings[1], "bench_s": timings[10], "ratio": timings[10] / timings[1],
                 "target": "<= 10 (linear or better)", "better": "lower"})
    return rows


def batch_cases(work: Path, quick: bool) -> list[dict]:
    """Rows per batch of ``bench run`` itself with a GPU-sized token budget: the batch must not be
    capped by ``chunk_size`` (the cache unit), and tokens/s are the command's own."""
    tiny = build_tiny_models(work / "tiny")["nllb"]
    refs = synthetic_references(work / "refs-batches", 100 if quick else 400)
    rows = []
    for budget in (4096, 32768):
        results = work / f"batches-{budget}"
        command = bench_cmd("run", "model=nllb-200-distilled-600M", f"model.path={tiny}",
                            f"dataset.path={refs}", "metric=[chrf]", "chunk_size=64",
                            f"model.batch_tokens={budget}", "translation_cache.enabled=false",
                            f"results_dir={results}")
        subprocess.run(command, cwd=ROOT, env=ENV, check=True, capture_output=True)
        [record] = results.glob("runs/*/*/run.json")
        run = json.loads(record.read_text(encoding="utf-8"))
        stats, [work_of_pair] = run["system_stats"], run["work"].values()
        per_batch = work_of_pair["translated"] / stats["batches"]
        rows.append({"case": f"bench run, batch_tokens={budget}, chunk_size=64: rows per batch "
                             f"(bench column) vs chunk_size (baseline); {stats['batches']} batches, "
                             f"{run['timing'].get('tokens_per_s')} output tokens/s",
                     "baseline_s": 64.0, "bench_s": per_batch, "ratio": per_batch / 64,
                     "target": "> 1 at the large budget", "better": "higher"})
    return rows


def align_cases(work: Path, quick: bool) -> list[dict]:
    """A second ``bench align`` of the same files, with the embedding cache on by default."""
    count = 100 if quick else 400
    zh = [f"第{i}条:截至2019年4月,全国累计选派{300 + i}万干部驻村帮扶。" for i in range(count)]
    kk = [f"{i}-бап: 2019 жылғы сәуірге дейін {300 + i} миллионнан астам кадр ауылдарға жіберілді." for i in
          range(count)]
    folder = work / "align"
    folder.mkdir()
    (folder / "a.zh").write_text("\n".join(zh) + "\n", encoding="utf-8")
    (folder / "a.kk").write_text("\n".join(kk) + "\n", encoding="utf-8")
    command = bench_cmd("align", "src=a.zh", "tgt=a.kk", "src_lang=zh", "tgt_lang=kk", "out=beads.txt")
    times = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run(command, cwd=folder, env=ENV, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return [{"case": f"second `bench align` of {count} x {count} sentences vs the first (embeddings kept "
                     "in results/cache by default)", "baseline_s": times[0], "bench_s": times[1],
             "ratio": times[0] / times[1], "target": "seconds, not minutes", "better": "higher"}]


def describe_machine() -> str:
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {device}; Python {platform.python_version()}, "
            f"torch {torch.__version__}")


def table(rows: list[dict]) -> str:
    head = "| case | baseline (s) | bench (s) | ratio | target |\n| --- | ---: | ---: | ---: | --- |\n"
    body = "".join(f"| {r['case']} | {r['baseline_s']:.3f} | {r['bench_s']:.3f} | {r['ratio']:.2f} | "
                   f"{r['target']} |\n" for r in rows)
    return head + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    parser.add_argument("--only", choices=GROUPS, nargs="*",
                        help="run only these groups")
    parser.add_argument("--baseline", help="scale: also time the commands from this commit's tree")
    args = parser.parse_args()
    groups = set(args.only or GROUPS)
    work = Path(tempfile.mkdtemp(prefix="bench-benchmark-"))
    rows: list[dict] = []
    try:
        if "translation" in groups:
            rows += translation_cases(quick=args.quick)
        if "runs" in groups:
            rows += run_cases(work, args.quick)
        if "batches" in groups:
            rows += batch_cases(work, args.quick)
        if "align" in groups:
            rows += align_cases(work, args.quick)
        if "scoring" in groups:
            rows += scoring_cases(quick=args.quick)
        if "scale" in groups:
            rows += scale_cases(10 if args.quick else 50, 500 if args.quick else 2000, args.baseline)
        if "startup" in groups:
            rows += startup_cases(work, repeat=3 if args.quick else 5)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {describe_machine()}")
    print(table(rows))


if __name__ == "__main__":
    main()

"""Scoring performance: COMET across systems, the cost of bootstrap intervals, and 50 systems at once.

    .venv/bin/python scripts/benchmark_scoring.py            # about 15 minutes on 2 CPU cores
    .venv/bin/python scripts/benchmark_scoring.py --quick    # smaller sizes, a smoke test
    .venv/bin/python scripts/benchmark_scoring.py --systems 50 --segments 2000 [--baseline REV]

(a) COMET for 5 systems on one test set: ``python -m bench score metric=[comet]`` (one process, one
    model load, source/reference embeddings shared) against ``comet-score`` run once per system on the
    same checkpoint, both as subprocesses, so start-up and loading count on both sides. The checkpoint
    is a wmt22-comet-da-shaped model (its 3072/1024 estimator) on a 128-wide, 4-layer XLM-R encoder
    with random weights (real weights cannot be downloaded here; XLM-R large would take hours on 2
    cores). ``comet-score`` always runs in half precision (it calls ``model.half()``, even on CPU,
    where fp16 is slow); bench runs fp32. Two informational rows separate the effects: one
    ``comet-score`` call for all systems, and COMET's own ``predict`` in fp32, one process per system.
(b) The cost of a 1000-sample bootstrap interval relative to scoring once, for BLEU, chrF and COMET.

(c) ``--systems N --segments M``: a synthetic zh-kk + zh-vi test set of M segments each and N ``file``
    systems. In this process: BLEU and chrF of every system with the prepared references and the
    bootstrap counts shared, against the same calls with both caches emptied before each (what every
    call did before they existed), with a check that the statistics and intervals are identical.
    With ``--baseline REV``, the same commands run from the tree of commit REV (``git archive``) and
    from this working tree (or the tree of ``--candidate REV``), one after the other; with
    ``--baseline-paths P ...`` the baseline is the candidate with only those files taken from REV,
    so other work committed in between does not count. Commands: the sweep
    ``bench -m run model=file`` over the N systems, ``bench score force=true`` over their runs,
    ``bench leaderboard``, and the board's ``collect`` alone (re-derived scores and intervals,
    paired-bootstrap ranks, no rendering).

``scoring_cases(quick)`` and ``scale_cases(...)`` return the rows for ``scripts/benchmark.py``.
"""

from __future__ import annotations

import argparse
import os
import resource
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

from bench.core.score import Bootstrap  # noqa: E402
from bench.metrics import load_metric  # noqa: E402
from bench.metrics.bootstrap import with_confidence_interval  # noqa: E402
from bench.refset.store import canonical_sha256  # noqa: E402
from bench.store.io import atomic_write_json  # noqa: E402
from bench.store.runs import write_hypotheses  # noqa: E402
from bench.tiny.comet import SAMPLE_LINES, build_tiny_comet  # noqa: E402
from tests.support.refs import write_references  # noqa: E402

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


def pseudo_words(rng: np.random.Generator, letters: str, count: int) -> list[str]:
    return ["".join(rng.choice(list(letters), size=rng.integers(2, 9))) for _ in range(count)]


#: target-side letters of the two synthetic pairs; words are drawn Zipf-like from 6,000 of them
LETTERS = {"zh-kk": "абвгдежзийклмнопрстуфхцчшыіэюяәғқңөұүһ",
           "zh-vi": "abcdeghiklmnopqrstuvxyàáâãèéêìíòóôõùúýăđơưạảấầẩậắằẳặẹẻẽếềểễệỉịọỏốồổộớờởợụủứừửữựỳỷỹ"}


def scale_corpus(systems: int, segments: int, seed: int = 0
                 ) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[list[str]]]]:
    """``{pair: [(src, ref)]}`` and ``{pair: [hypotheses of system k]}``: 8 to 40 words a line, each
    system swapping a larger share of words (5% to 60%) and dropping some, so scores differ."""
    rng = np.random.default_rng(seed)
    han = [ch for ch in "".join(SAMPLE_LINES[:3]) if ch.isalpha()]
    rows, outputs = {}, {}
    for pair, letters in LETTERS.items():
        vocab = pseudo_words(rng, letters, 6000)
        weights = 1.0 / np.arange(1, len(vocab) + 1)
        weights /= weights.sum()
        refs = [" ".join(rng.choice(vocab, size=rng.integers(8, 40), p=weights)) + "."
                for _ in range(segments)]
        srcs = ["".join(rng.choice(han, size=rng.integers(15, 60))) + f"{i}。" for i in range(segments)]
        rows[pair] = list(zip(srcs, refs))
        outputs[pair] = []
        for k in range(systems):
            swap = 0.05 + 0.55 * k / max(systems - 1, 1)
            outputs[pair].append([noisy(rng, ref.split(), vocab, swap) for ref in refs])
    return rows, outputs


def noisy(rng: np.random.Generator, words: list[str], vocab: list[str], swap: float) -> str:
    """``words`` with a share ``swap`` replaced by random ones and a fifth of that share dropped."""
    draw, other = rng.random(len(words)), rng.integers(len(vocab), size=len(words))
    kept = [vocab[o] if d < swap else w for w, d, o in zip(words, draw, other) if d < 1 - swap / 5]
    return " ".join(kept) or "."


def write_scale_inputs(work: Path, systems: int, segments: int) -> list[str]:
    """``work/references`` and ``work/systems/sNN/<pair>.txt``; returns the system names."""
    rows, outputs = scale_corpus(systems, segments)
    write_references(work / "references", rows)
    names = [f"s{k:02d}" for k in range(systems)]
    for pair, per_system in outputs.items():
        for name, lines in zip(names, per_system):
            (work / "systems" / name).mkdir(parents=True, exist_ok=True)
            write_lines(work / "systems" / name / f"{pair}.txt", lines)
    return names


def empty_caches() -> None:
    """Forget prepared references and count matrices: every call then works as before they existed."""
    from bench.metrics.bootstrap import _shared_counts
    from bench.metrics.sacre import REFERENCES

    REFERENCES.clear()
    _shared_counts.cache_clear()


def in_process_cases(work: Path, systems: int, segments: int) -> list[dict]:
    """Every system's BLEU and chrF with interval, caches emptied before each call vs kept."""
    refs = {pair: [s.ref for s in segs] for pair, segs in _read_references(work / "references").items()}
    hyps = {pair: [(work / "systems" / f"s{k:02d}" / f"{pair}.txt").read_text(encoding="utf-8").splitlines()
                   for k in range(systems)] for pair in refs}
    bootstrap = Bootstrap()
    out = []
    for name in ("bleu", "chrf"):
        metric = load_metric(name)

        def one(pair: str, k: int, m=metric):
            score = m.score([""] * len(refs[pair]), hyps[pair][k], refs[pair], src_lang="zh",
                            tgt_lang=pair.split("-")[1])
            return with_confidence_interval(score, m, bootstrap)

        jobs = [(pair, k) for k in range(systems) for pair in sorted(refs)]  # the order of a sweep
        before, start = [], time.process_time()
        for job in jobs:
            empty_caches()
            before.append(one(*job))
        before_s = time.process_time() - start
        empty_caches()
        start = time.process_time()
        after = [one(*job) for job in jobs]
        after_s = time.process_time() - start
        same = all(a.to_json() == b.to_json() for a, b in zip(before, after))
        out.append({"case": f"{name} + 1000-sample CI of {systems} systems x 2 pairs x {segments} segments, "
                            f"one process, CPU time: shared vs unshared references and counts "
                            f"(identical: {'yes' if same else 'NO'})",
                    "baseline_s": before_s, "bench_s": after_s, "ratio": before_s / after_s,
                    "target": "informational", "better": "higher"})
    return out


def _read_references(folder: Path) -> dict:
    from bench.refset.store import LocalReferences

    references = LocalReferences(folder)
    return {pair: references.load(pair) for pair in references.pairs()}


#: times the board's collect (scores and intervals re-derived, ranks) in the tree it is run from
#: (trees before the board's own ranking took a ``rank`` callable; later ones rank by themselves)
COLLECT_ONCE = """
import functools, inspect, sys, time
from bench.board.collect import Policy, collect
from bench.metrics import load_metric
from bench.metrics.significance import rank_clusters
from bench.refset.store import LocalReferences
from bench.store.runs import discover_runs
runs, _ = discover_runs(sys.argv[1])
references = LocalReferences(sys.argv[2])
current = {pair: references.sha256(pair) for pair in references.pairs()}
ranker = {"rank": rank_clusters} if "rank" in inspect.signature(collect).parameters else {}
wall, cpu = time.perf_counter(), time.process_time()
board = collect(runs, current, Policy(), metric=functools.cache(load_metric), **ranker)
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def tree_of(rev: str, folder: Path, paths_from: tuple[str, list[str]] | None = None) -> Path:
    """The files of commit ``rev`` (``git archive``), to run the same commands with; ``paths_from``
    ``(other_rev, paths)`` replaces those files with ``other_rev``'s."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    other, paths = paths_from or ("", [])
    for path in paths:
        old = subprocess.run(["git", "show", f"{other}:{path}"], cwd=ROOT, check=True, capture_output=True)
        (folder / path).write_bytes(old.stdout)
    return folder


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_seconds(tree: Path, work: Path, results: Path, names: list[str]) -> dict[str, tuple[float, float]]:
    """``(wall, CPU)`` seconds of the sweep, the rescoring, the leaderboard and collect alone, with
    ``tree``'s bench. CPU time is what a shared machine does not inflate much; wall time is what a
    user waits.

    Commands run in ``work`` (whose ``references/`` is the default test set of old and new configs)
    with ``tree`` first on the path, so ``python -m bench`` is that tree's.
    """
    env = {**ENV, "PYTHONPATH": str(tree)}
    bench = [sys.executable, "-m", "bench"]
    common = [f"results_dir={results}", "metric=[bleu,chrf]"]
    commands = {
        "sweep": [*bench, "-m", "run", "model=file", f"model.name={','.join(names)}",
                  f"model.path={work / 'systems'}/${{model.name}}", *common],
        "score": [*bench, "score", *common, "force=true", "score_cache.enabled=false"],
        "leaderboard": [*bench, "leaderboard", f"results_dir={results}"],
    }
    seconds = {}
    for label, cmd in commands.items():
        wall, cpu = time.perf_counter(), children_cpu()
        done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        seconds[label] = (time.perf_counter() - wall, children_cpu() - cpu)
        if done.returncode:
            raise SystemExit(f"{label} failed in {tree}:\n{done.stderr[-2000:]}")
    done = subprocess.run([sys.executable, "-c", COLLECT_ONCE, str(results), str(work / "references")],
                          cwd=work, env=env, check=True, capture_output=True, text=True)
    wall, cpu = map(float, done.stdout.split())
    seconds["collect"] = (wall, cpu)
    return seconds


def scale_cases(systems: int, segments: int, baseline: str | None, candidate: str | None = None,
                baseline_paths: list[str] | None = None) -> list[dict]:
    """Rows (c): in-process sharing, and with ``baseline`` the commands before and after."""
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        names = write_scale_inputs(work, systems, segments)
        rows = in_process_cases(work, systems, segments)
        if baseline is None:
            return rows
        if baseline_paths:
            old_tree = tree_of(candidate or "HEAD", work / "baseline-tree", (baseline, baseline_paths))
            before = f"{candidate or 'HEAD'} with {', '.join(baseline_paths)} of {baseline}"
        else:
            old_tree, before = tree_of(baseline, work / "baseline-tree"), baseline
        old = cli_seconds(old_tree, work, work / "results-baseline", names)
        tree = tree_of(candidate, work / "candidate-tree") if candidate else ROOT
        new = cli_seconds(tree, work, work / "results-bench", names)
        size = f"{systems} systems x 2 pairs x {segments} segments, bleu+chrf"
        print(f"baseline: {before}; bench: {candidate or 'the working tree'}", flush=True)
        labels = {"sweep": f"`bench -m run model=file` sweep, per run ({size})",
                  "score": f"`bench score force=true score_cache.enabled=false`, per run ({size})",
                  "leaderboard": f"`bench leaderboard` ({size})",
                  "collect": f"board collect alone: re-derived scores + CIs, ranks ({size})"}
        for key, label in labels.items():
            share = systems if key in ("sweep", "score") else 1
            (old_wall, old_cpu), (new_wall, new_cpu) = old[key], new[key]
            walls = f"wall {old_wall / share:.2f} -> {new_wall / share:.2f} s"
            rows.append({"case": f"{label}, CPU time ({walls})",
                         "baseline_s": old_cpu / share, "bench_s": new_cpu / share,
                         "ratio": old_cpu / new_cpu, "target": "informational", "better": "higher"})
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    parser.add_argument("--systems", type=int, help="the 50-system mode (c): this many file systems")
    parser.add_argument("--segments", type=int, default=2000, help="segments per pair in mode (c)")
    parser.add_argument("--baseline", help="mode (c): also run the commands from this commit's tree")
    parser.add_argument("--candidate", help="mode (c): compare that with this commit's tree, not the "
                        "working tree")
    parser.add_argument("--baseline-paths", nargs="+", help="mode (c): the baseline is the candidate "
                        "with only these files from --baseline")
    args = parser.parse_args()
    if args.systems:
        rows = scale_cases(args.systems, args.segments, args.baseline, args.candidate, args.baseline_paths)
    else:
        rows = scoring_cases(args.quick)
    print("| case | baseline (s) | bench (s) | ratio | target |\n| --- | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['case']} | {r['baseline_s']:.3f} | {r['bench_s']:.3f} | {r['ratio']:.2f} "
              f"| {r['target']} |")


if __name__ == "__main__":
    main()

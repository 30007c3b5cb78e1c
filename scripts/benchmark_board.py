"""How big ``leaderboard.html`` gets, and how long ``bench leaderboard`` takes, at 50 systems.

    .venv/bin/python scripts/benchmark_board.py [--systems 50] [--segments 2000] [--outputs alike]
                                                [--keep DIR]

Builds a synthetic results folder to the run folder contract: two pairs (zh-kk, zh-vi) of
``--segments`` rows, ``--systems`` file-like systems and the ``copy`` baseline. No model runs, so the
figures are the board's own cost. ``--outputs``:

* ``alike``: each output is the reference with a few per-system deletions and substitutions drawn
  from the pair's 40 words (mostly alike, never identical), with two segment-level metrics
  (``comet``, ``cometkiwi``: made-up segment scores with the stored shape) and off-target flags;
* ``less-alike``: the outputs of ``scripts/benchmark_scoring.py --systems N`` (5% to 60% of the words
  replaced by any of 6,000, a fifth of that share dropped: outputs that differ as real systems' do),
  scored with real BLEU and chrF and their intervals, as that script's sweep scores them.

``--keep DIR`` builds there, or reuses what an earlier call built there. Prints the page's size, the
segment data as plain JSON (how the page embedded it before it was packed) and their ratio, the
command's wall and CPU time, and deflate at each level: the bytes and CPU seconds it takes on this page's
segment data.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.board.drilldown import deflated, from_text  # noqa: E402
from bench.core.pair import Pair  # noqa: E402
from bench.core.score import Bootstrap, Score  # noqa: E402
from bench.metrics import load_metric  # noqa: E402
from bench.metrics.bootstrap import with_confidence_interval  # noqa: E402
from bench.refset.store import Segment, canonical_sha256  # noqa: E402
from bench.store.io import atomic_write_json, atomic_write_text, jsonl_text  # noqa: E402
from bench.store.runs import PairRecord, PairScores, Run, RunRecord, RunScores, write_hypotheses  # noqa: E402
from scripts.benchmark_scoring import scale_corpus  # noqa: E402

TEXT = {
    "kk": "бүгін ауа райы өте жақсы біз ертең бейжіңге барамыз бұл кітап қызықты ол университетте "
          "экономика оқиды екі ел ынтымақтастық туралы келісімге қол қойды кездесу келесі аптада өтеді "
          "қытай мен қазақстан жақсы көршілер жаңа теміржол желісі ашылды сауда көлемі пайызға өсті",
    "vi": "hôm nay thời tiết rất đẹp ngày mai chúng tôi đi bắc kinh cuốn sách này thú vị anh ấy học "
          "kinh tế ở trường đại học hai nước đã ký thỏa thuận hợp tác cuộc họp sẽ diễn ra vào tuần tới "
          "tuyến đường sắt mới được khai trương kim ngạch thương mại tăng phần trăm",
}
WORDS = {lang: text.split() for lang, text in TEXT.items()}
HANZI = ("今天天气很好我们明天去北京这本书非常有意思他在大学学习经济学"
         "两国签署了合作协议会议将于下周举行新的铁路线已经开通")


def sentence(rng: random.Random, words: list[str], length: int) -> str:
    text = " ".join(rng.choice(words) for _ in range(length))
    if rng.random() < 0.3:
        text += f" {rng.randint(1, 2030)}"
    return text[0].upper() + text[1:] + "."


def segment(pair: Pair, i: int, src: str, ref: str) -> Segment:
    return Segment(id=f"doc{i // 50:03d}-{i % 50:03d}", doc_id=f"doc{i // 50:03d}", seg=i % 50,
                   src_lang=pair.src, tgt_lang=pair.tgt, src=src, ref=ref, kind="body", date="2021-01-08",
                   source="example.org", bead="1-1")


def segments(pair: Pair, rows: int, rng: random.Random) -> list[Segment]:
    out = []
    for i in range(rows):
        length = rng.randint(6, 28)
        src = "".join(rng.choice(HANZI) for _ in range(length * 2)) + "。"
        out.append(segment(pair, i, src, sentence(rng, WORDS[pair.tgt], length)))
    return out


def system_output(ref: str, rng: random.Random, words: list[str], quality: float) -> str:
    """The reference with some words dropped or replaced: the better ``quality``, the fewer."""
    kept = []
    for word in ref.split():
        roll = rng.random()
        if roll < (1 - quality) / 2:
            continue
        kept.append(rng.choice(words) if roll < 1 - quality else word)
    return " ".join(kept) or ref


def write_refs(folder: Path, sets: dict[Pair, list[Segment]]) -> None:
    files = {}
    for pair, rows in sets.items():
        atomic_write_text(folder / f"{pair}.jsonl", jsonl_text(s.to_row() for s in rows))
        files[f"{pair}.jsonl"] = {"rows": len(rows), "sha256": canonical_sha256(rows)}
    atomic_write_json(folder / "MANIFEST.json", {"files": files})


def made_up(name: str, values: list[float], signature: str) -> Score:
    """A score with one statistic per segment (COMET's segment score, the off-target flag) in the
    stored shape, with the score and interval the board re-derives from it."""
    metric = load_metric(name)
    stats = [[v] for v in values]
    score = Score(metric=name, score=metric.aggregate(stats), signature=signature, stats=stats,
                  segments=metric.segment_scores(stats))
    return with_confidence_interval(score, metric, Bootstrap(samples=200))


def made_up_scores(index: int, rng: random.Random):
    """Per pair: made-up COMET and CometKiwi segment scores and off-target flags, better for a higher
    ``index``."""
    def scores(pair: Pair, lines: list[str]) -> dict[str, Score]:
        comet = [round(min(1.0, max(0.0, rng.gauss(0.55 + index / 200, 0.12))), 4) for _ in lines]
        kiwi = [round(min(1.0, max(0.0, c + rng.gauss(0, 0.05))), 4) for c in comet]
        flags = [float(rng.random() < 0.02) for _ in lines]
        return {"comet": made_up("comet", comet, "model:Unbabel/wmt22-comet-da|synthetic"),
                "cometkiwi": made_up("cometkiwi", kiwi, "model:Unbabel/wmt22-cometkiwi-da|synthetic"),
                "off_target": made_up("off_target", flags, "off_target|synthetic")}
    return scores


def real_scores(sets: dict[Pair, list[Segment]]):
    """Per pair: BLEU and chrF with their 1000-sample intervals, as ``bench score`` stores them."""
    metrics = {name: load_metric(name) for name in ("bleu", "chrf")}

    def scores(pair: Pair, lines: list[str]) -> dict[str, Score]:
        rows = sets[pair]
        return {name: with_confidence_interval(
            metric.score([s.src for s in rows], lines, [s.ref for s in rows], src_lang=pair.src,
                         tgt_lang=pair.tgt), metric, Bootstrap()) for name, metric in metrics.items()}
    return scores


def write_system(results: Path, name: str, index: int, sets: dict[Pair, list[Segment]],
                 outputs: dict[Pair, list[str]], scored) -> None:
    """One complete run folder: ``outputs`` per pair, scored by ``scored(pair, lines)``."""
    folder = results / "runs" / name / f"20261201-0000{index:02d}-bench{index:02d}"
    for pair, lines in outputs.items():
        write_hypotheses(folder, pair, lines)
    scores = {pair: scored(pair, lines) for pair, lines in outputs.items()}
    record = RunRecord(run_id=folder.name, system=name, fingerprint=f"fp-{name}",
                       system_class="bench.systems.files.TranslationFiles", identity={},
                       testset="local:references",
                       pairs={p: PairRecord(canonical_sha256(rows), len(rows)) for p, rows in sets.items()},
                       metrics=sorted(next(iter(scores.values()))),
                       created=f"2026-12-01T00:{index:02d}:00+00:00", status="complete")
    run = Run(folder, record)
    run.save_record()
    run.save_scores(RunScores({pair: PairScores(run.hypotheses_sha256(pair), found)
                               for pair, found in scores.items()}))


def build_alike(results: Path, references: Path, systems: int, rows: int) -> None:
    rng = random.Random(20261201)
    sets = {p: segments(p, rows, rng) for p in (Pair("zh-kk"), Pair("zh-vi"))}
    write_refs(references, sets)
    for index in range(systems):
        quality = 0.55 + 0.4 * index / max(1, systems - 1)
        outputs = {p: [system_output(s.ref, rng, WORDS[p.tgt], quality) for s in rows_]
                   for p, rows_ in sets.items()}
        write_system(results, f"system-{index:02d}", index, sets, outputs, made_up_scores(index, rng))
    write_system(results, "copy", systems, sets, {p: [s.src for s in r] for p, r in sets.items()},
                 made_up_scores(systems, rng))


def build_less_alike(results: Path, references: Path, systems: int, rows: int) -> None:
    pairs, outputs = scale_corpus(systems, rows)
    sets = {Pair(p): [segment(Pair(p), i, src, ref) for i, (src, ref) in enumerate(found)]
            for p, found in pairs.items()}
    write_refs(references, sets)
    scored = real_scores(sets)
    for index in range(systems):
        lines = {Pair(p): outputs[p][index] for p in pairs}
        write_system(results, f"s{index:02d}", index, sets, lines, scored)
    write_system(results, "copy", systems, sets, {p: [s.src for s in r] for p, r in sets.items()}, scored)


BUILDS = {"alike": build_alike, "less-alike": build_less_alike}


def deflate_levels(page: str) -> list[tuple[str, int, float]]:
    """``(how, bytes, seconds)`` of deflate over the page's segment data: the JSON heads and the steps
    as the page stores them (the steps without back-references) at each level, and the steps with
    back-references at the default level."""
    meta = {p["pair"]: p for p in json.loads(re.search(
        r'<script type="application/json" id="board-data">(.*?)</script>', page, re.S).group(1))["pairs"]}
    blocks = re.findall(r'<script type="application/octet-stream" id="segments-([^"]+)">(.*?)</script>', page,
                        re.S)
    heads, steps = [], []
    for pair, text in blocks:
        sizes = meta[pair]["bytes"]
        data = from_text(text, sum(sizes))
        heads.append(zlib.decompress(data[:sizes[0]]))
        steps.append(zlib.decompress(data[sizes[0]:sizes[0] + sizes[1]]))

    def timed(how: str, parts: list[bytes], level: int, strategy: int) -> tuple[str, int, float]:
        started = time.process_time()
        size = sum(len(deflated(p, level, strategy)) for p in parts)
        return how, size, time.process_time() - started

    rows = [timed(f"deflate level {level}: heads + steps", heads, level, zlib.Z_DEFAULT_STRATEGY)
            for level in range(1, 10)]
    rows = [(how, size + steps_size, s + steps_s) for (how, size, s), (_, steps_size, steps_s)
            in zip(rows, (timed("", steps, level, zlib.Z_RLE) for level in range(1, 10)))]
    return rows + [timed("steps with back-references, level 6", steps, 6, zlib.Z_DEFAULT_STRATEGY),
                   timed("steps without (the page's), level 6", steps, 6, zlib.Z_RLE)]


def plain_segment_json(results: Path, references: Path) -> int:
    """Bytes of the segment data embedded as plain JSON, as the page did before (outputs, sources,
    references and segment scores of every system), for the ratio column."""
    total = 0
    for pair_file in sorted(references.glob("*.jsonl")):
        pair = pair_file.stem
        rows = [json.loads(line) for line in pair_file.read_text(encoding="utf-8").splitlines()]
        data = {"sources": [r["src"] for r in rows], "references": [r["ref"] for r in rows],
                "ids": [r["id"] for r in rows], "outputs": {}, "scores": {}}
        for hyp in sorted(results.glob(f"runs/*/*/hypotheses/{pair}.txt")):
            run = hyp.parent.parent
            data["outputs"][run.parent.name] = hyp.read_text(encoding="utf-8").splitlines()
            stored = json.loads((run / "scores.json").read_text(encoding="utf-8"))["pairs"][pair]["metrics"]
            data["scores"][run.parent.name] = {m: s["segments"] for m, s in stored.items() if "segments" in s}
        total += len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", type=int, default=50)
    parser.add_argument("--segments", type=int, default=2000, help="rows per pair (two pairs)")
    parser.add_argument("--outputs", choices=sorted(BUILDS), default="alike",
                        help="how much the systems' outputs differ (see above)")
    parser.add_argument("--keep", type=Path, help="build the results here and keep them; reuse them if an "
                        "earlier call built them there")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-board-"))
    results, references = work / "results", work / "references"
    started = time.perf_counter()
    if not (references / "MANIFEST.json").is_file():
        BUILDS[args.outputs](results, references, args.systems, args.segments)
    built = time.perf_counter() - started
    started, cpu = time.perf_counter(), children_cpu()
    out = subprocess.run([sys.executable, "-m", "bench", "leaderboard", f"results_dir={results}",
                          f"dataset.path={references}"], cwd=ROOT, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - started, children_cpu() - cpu
    if out.returncode:
        sys.exit(out.stderr)
    page = (results / "leaderboard.html").read_text(encoding="utf-8")
    size = len(page.encode("utf-8"))
    plain = plain_segment_json(results, references)
    mb = 1_000_000
    rows = [("leaderboard.html", f"{size / mb:.2f} MB"),
            ("segment data as plain JSON", f"{plain / mb:.2f} MB"),
            ("page / plain segment data", f"{size / plain:.3f}"),
            ("bench leaderboard wall time", f"{seconds:.1f} s"),
            ("bench leaderboard CPU time", f"{cpu:.1f} s"),
            ("(building the synthetic runs)", f"{built:.1f} s")]
    rows += [(how, f"{n / mb:.3f} MB {s:5.2f} s") for how, n, s in deflate_levels(page)]
    print(f"{args.systems} systems + copy x 2 pairs x {args.segments} segments, outputs {args.outputs} "
          f"({work})")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value:>16}")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()

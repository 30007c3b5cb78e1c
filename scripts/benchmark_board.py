"""How big ``leaderboard.html`` gets, and how long ``bench leaderboard`` takes, at 50 systems.

    .venv/bin/python scripts/benchmark_board.py [--systems 50] [--segments 2000] [--keep DIR]

Builds a synthetic results folder to the run folder contract: two pairs (zh-kk, zh-vi) of
``--segments`` rows, ``--systems`` file-like systems whose outputs are the reference with per-system
deletions and substitutions (so systems differ the way real ones do: mostly alike, never identical),
the ``copy`` baseline, and per system two segment-level metrics (``comet``, ``cometkiwi``: made-up
segment scores with the stored shape) and the off-target flags. No model runs, so the figures are
the board's own cost. Prints one table: page size, the segment data as plain JSON (how the page
embedded it before it was compressed), their ratio, and the command's wall time.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.io import atomic_write_json, atomic_write_text, jsonl_text  # noqa: E402
from bench.metrics import load_metric  # noqa: E402
from bench.metrics.base import Score  # noqa: E402
from bench.metrics.bootstrap import Bootstrap, with_confidence_interval  # noqa: E402
from bench.pair import Pair  # noqa: E402
from bench.refset.store import Segment, canonical_sha256  # noqa: E402
from bench.runs import PairRecord, PairScores, Run, RunRecord, RunScores, write_hypotheses  # noqa: E402

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


def segments(pair: Pair, rows: int, rng: random.Random) -> list[Segment]:
    out = []
    for i in range(rows):
        length = rng.randint(6, 28)
        src = "".join(rng.choice(HANZI) for _ in range(length * 2)) + "。"
        out.append(Segment(id=f"doc{i // 50:03d}-{i % 50:03d}", doc_id=f"doc{i // 50:03d}", seg=i % 50,
                           src_lang=pair.src, tgt_lang=pair.tgt, src=src,
                           ref=sentence(rng, WORDS[pair.tgt], length), kind="body", date="2021-01-08",
                           source="example.org", bead="1-1"))
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


def write_system(results: Path, name: str, index: int, sets: dict[Pair, list[Segment]],
                 outputs: dict[Pair, list[str]], rng: random.Random) -> None:
    folder = results / "runs" / name / f"20261201-0000{index:02d}-bench{index:02d}"
    for pair, lines in outputs.items():
        write_hypotheses(folder, pair, lines)
    record = RunRecord(run_id=folder.name, system=name, fingerprint=f"fp-{name}",
                       system_class="bench.systems.files.TranslationFiles", identity={},
                       testset="local:references",
                       pairs={p: PairRecord(canonical_sha256(rows), len(rows)) for p, rows in sets.items()},
                       metrics=["comet", "cometkiwi", "off_target"],
                       created=f"2026-12-01T00:{index:02d}:00+00:00", status="complete")
    run = Run(folder, record)
    run.save_record()
    scores = {}
    for pair, lines in outputs.items():
        comet = [round(min(1.0, max(0.0, rng.gauss(0.55 + index / 200, 0.12))), 4) for _ in lines]
        kiwi = [round(min(1.0, max(0.0, c + rng.gauss(0, 0.05))), 4) for c in comet]
        flags = [float(rng.random() < 0.02) for _ in lines]
        scores[pair] = PairScores(run.hypotheses_sha256(pair), {
            "comet": made_up("comet", comet, "model:Unbabel/wmt22-comet-da|synthetic"),
            "cometkiwi": made_up("cometkiwi", kiwi, "model:Unbabel/wmt22-cometkiwi-da|synthetic"),
            "off_target": made_up("off_target", flags, "off_target|synthetic"),
        })
    run.save_scores(RunScores(scores))


def build(results: Path, references: Path, systems: int, rows: int) -> None:
    rng = random.Random(20261201)
    sets = {p: segments(p, rows, rng) for p in (Pair("zh-kk"), Pair("zh-vi"))}
    write_refs(references, sets)
    for index in range(systems):
        quality = 0.55 + 0.4 * index / max(1, systems - 1)
        outputs = {p: [system_output(s.ref, rng, WORDS[p.tgt], quality) for s in rows_]
                   for p, rows_ in sets.items()}
        write_system(results, f"system-{index:02d}", index, sets, outputs, rng)
    write_system(results, "copy", systems, sets, {p: [s.src for s in r] for p, r in sets.items()}, rng)


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
            data["scores"][run.parent.name] = {m: s["segments"] for m, s in stored.items()}
        total += len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", type=int, default=50)
    parser.add_argument("--segments", type=int, default=2000, help="rows per pair (two pairs)")
    parser.add_argument("--keep", type=Path, help="build the results here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-board-"))
    results, references = work / "results", work / "references"
    started = time.perf_counter()
    build(results, references, args.systems, args.segments)
    built = time.perf_counter() - started
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "bench", "leaderboard", f"results_dir={results}",
                          f"dataset.path={references}"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if out.returncode:
        sys.exit(out.stderr)
    page = (results / "leaderboard.html").stat().st_size
    plain = plain_segment_json(results, references)
    mb = 1_000_000
    rows = [("leaderboard.html", f"{page / mb:.2f} MB"),
            ("segment data as plain JSON", f"{plain / mb:.2f} MB"),
            ("page / plain segment data", f"{page / plain:.3f}"),
            ("bench leaderboard wall time", f"{seconds:.1f} s"),
            ("(building the synthetic runs)", f"{built:.1f} s")]
    print(f"{args.systems} systems + copy x 2 pairs x {args.segments} segments ({work})")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value:>10}")


if __name__ == "__main__":
    main()

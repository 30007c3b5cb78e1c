"""The leaderboard scenario: what a real ``results/`` accumulates (systems run twice, a tie, baselines, a
run on an older test set, an interrupted run, markup in a hypothesis), and ``bench leaderboard`` on it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.core.score import Bootstrap, Score
from bench.metrics import load_metric
from bench.metrics.bootstrap import with_confidence_interval
from bench.refset.store import Segment, canonical_sha256
from bench.store.io import atomic_write_json
from bench.store.runs import write_hypotheses
from tests.support.cli import bench
from tests.support.refs import write_references
from tests.support.runs import write_run_record, write_run_scores

ROWS = {
    "zh-kk": [("今天天气很好。", "Бүгін ауа райы өте жақсы."),
              ("我们明天去北京。", "Біз ертең Бейжіңге барамыз."),
              ("这本书非常有意思。", "Бұл кітап өте қызықты."),
              ("他在大学学习经济学。", "Ол университетте экономика оқиды."),
              ("两国签署了合作协议。", "Екі ел ынтымақтастық туралы келісімге қол қойды."),
              ("会议将于下周举行。", "Кездесу келесі аптада өтеді."),
              ("中国和哈萨克斯坦是好邻居。", "Қытай мен Қазақстан жақсы көршілер."),
              ("新的铁路线已经开通。", "Жаңа теміржол желісі ашылды."),
              ("学生们参观了博物馆。", "Студенттер мұражайды аралады."),
              ("这个城市有很多公园。", "Бұл қалада саябақтар көп."),
              ("农民今年获得了丰收。", "Диқандар биыл мол өнім алды."),
              ("2021年贸易额增长了百分之二十。", "2021 жылы сауда көлемі жиырма пайызға өсті.")],
    "zh-vi": [("今天天气很好。", "Hôm nay thời tiết rất đẹp."),
              ("我们明天去北京。", "Ngày mai chúng tôi đi Bắc Kinh."),
              ("这本书非常有意思。", "Cuốn sách này rất thú vị."),
              ("他在大学学习经济学。", "Anh ấy học kinh tế ở trường đại học."),
              ("两国签署了合作协议。", "Hai nước đã ký thỏa thuận hợp tác."),
              ("会议将于下周举行。", "Cuộc họp sẽ diễn ra vào tuần tới."),
              ("越南和中国是邻国。", "Việt Nam và Trung Quốc là hai nước láng giềng."),
              ("新的铁路线已经开通。", "Tuyến đường sắt mới đã được khai trương."),
              ("学生们参观了博物馆。", "Các sinh viên đã tham quan bảo tàng."),
              ("这个城市有很多公园。", "Thành phố này có nhiều công viên."),
              ("农民今年获得了丰收。", "Năm nay nông dân được mùa."),
              ("2021年贸易额增长了百分之二十。", "Năm 2021, kim ngạch thương mại tăng hai mươi phần trăm.")],
}


XSS = "<script>alert(1)</script> <img src=x onerror=alert(1)>"


OLD_SHA = "0" * 64


def close(ref: str, i: int) -> str:
    """A good translation: the reference, with the last word dropped on every third row."""
    return ref.rsplit(" ", 1)[0] + "." if i % 3 == 0 else ref


def weak(ref: str, i: int) -> str:
    """A weak translation: every other word of the reference."""
    return " ".join(ref.split()[::2])


def off_target(segment: Segment, output: str) -> bool:
    """Stand-in for language identification: Chinese characters or Russian words in the output."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in output) or "Сегодня" in output


def scores_for(segments: list[Segment], outputs: list[str]) -> dict[str, Score]:
    """chrF as the real metric computes it; COMET and off-target made up, with the stored shapes and
    intervals that follow from their statistics (the board re-derives them)."""
    refs = [s.ref for s in segments]
    chrf_metric = load_metric("chrf")
    chrf = chrf_metric.score([s.src for s in segments], outputs, refs, src_lang="zh",
                             tgt_lang=segments[0].tgt_lang)
    chrf = with_confidence_interval(chrf, chrf_metric, Bootstrap(samples=200))
    comet_segments = [round(0.3 + 0.6 * c / 100, 4) for c in chrf.segments]
    comet = Score(metric="comet", score=sum(comet_segments) / len(comet_segments),
                  signature="Unbabel/wmt22-comet-da|synthetic", stats=[[c] for c in comet_segments],
                  segments=comet_segments)
    comet = with_confidence_interval(comet, load_metric("comet"), Bootstrap(samples=200))
    flags = [float(off_target(s, o)) for s, o in zip(segments, outputs)]
    share = Score(metric="off_target", score=100 * sum(flags) / len(flags), signature="off_target|synthetic",
                  stats=[[f] for f in flags], segments=flags)
    return {s.metric: s for s in (chrf, comet, share)}


def write_run(results: Path, system: str, run_id: str, day: str, outputs: dict[str, list[str]],
              refs: dict[str, list[Segment]], *, sha: dict[str, str] | None = None,
              status: str = "complete", fingerprint: str | None = None) -> Path:
    """A run folder as ``python -m bench run`` leaves it."""
    folder = results / "runs" / system / run_id
    for pair, lines in outputs.items():
        write_hypotheses(folder, pair, lines)
    write_run_record(folder, system, {p: ((sha or {}).get(p) or canonical_sha256(refs[p]), len(o))
                                      for p, o in outputs.items()},
                     status=status, created=f"{day}T10:00:00+00:00", fingerprint=fingerprint,
                     versions={"bench": "0.1.0", "sacrebleu": "2.6.0", "torch": None}, git_commit="abc1234")
    write_run_scores(folder, {p: scores_for(refs[p], o) for p, o in outputs.items()})
    return folder


@dataclass
class Scenario:
    results: Path
    references: Path


def scenario(tmp_path: Path) -> Scenario:
    refs_dir = tmp_path / "references"
    refs = write_references(refs_dir, ROWS)
    results = tmp_path / "results"

    def each(make) -> dict[str, list[str]]:
        return {p: [make(s, i) for i, s in enumerate(segs)] for p, segs in refs.items()}

    good = each(lambda s, i: close(s.ref, i))
    write_run(results, "nllb-200-1.3B", "20261101-090000-aaaaaa", "2026-11-01",
              each(lambda s, i: weak(s.ref, i)), refs)
    write_run(results, "nllb-200-1.3B", "20261120-090000-bbbbbb", "2026-11-20", good, refs)
    write_run(results, "madlad400-3b-mt", "20261121-090000-cccccc", "2026-11-21", good, refs)
    m2m = each(lambda s, i: weak(s.ref, i))
    m2m["zh-kk"][1] = XSS
    m2m["zh-kk"][0] = "Сегодня хорошая погода."
    write_run(results, "m2m100_418M", "20261119-090000-dddddd", "2026-11-19", m2m, refs)
    write_run(results, "copy", "20261118-090000-eeeeee", "2026-11-18", each(lambda s, i: s.src), refs)
    write_run(results, "reference", "20261118-090000-ffffff", "2026-11-18", each(lambda s, i: s.ref), refs)
    write_run(results, "opus-mt-zh-kk", "20260901-090000-gggggg", "2026-09-01",
              {"zh-kk": good["zh-kk"]}, refs, sha={"zh-kk": OLD_SHA})
    write_run(results, "m2m100_1.2B", "20261122-090000-hhhhhh", "2026-11-22", good, refs, status="running")
    return Scenario(results, refs_dir)


def leaderboard(s: Scenario, *overrides: str) -> subprocess.CompletedProcess:
    return bench("leaderboard", f"results_dir={s.results}", f"dataset.path={s.references}", *overrides)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def add_error_spans(s: Scenario) -> list[str]:
    """xCOMET scores with error spans for madlad400-3b-mt on zh-kk: a fitting span on row 0, one past
    the end of its output on row 1 and one of an unknown severity on row 2 (both to be dropped).
    Returns the outputs."""
    run = s.results / "runs" / "madlad400-3b-mt" / "20261121-090000-cccccc"
    outputs = (run / "hypotheses" / "zh-kk.txt").read_text(encoding="utf-8").splitlines()
    first = outputs[0].split()[0]
    spans = [[] for _ in outputs]
    spans[0] = [{"text": first, "start": 0, "end": len(first), "severity": "major", "confidence": 0.8123}]
    spans[1] = [{"text": "x", "start": 0, "end": len(outputs[1]) + 5, "severity": "minor", "confidence": 0.5}]
    spans[2] = [{"text": "x", "start": 0, "end": 2, "severity": "fatal", "confidence": 0.5}]
    values = [0.9 - 0.01 * i for i in range(len(outputs))]
    xcomet = with_confidence_interval(
        Score(metric="xcomet", score=sum(values) / len(values), signature="model:Unbabel/XCOMET-XL|synthetic",
              stats=[[v] for v in values], segments=values, extra={"error_spans": spans}),
        load_metric("xcomet"), Bootstrap(samples=200))
    scores = json.loads((run / "scores.json").read_text())
    scores["pairs"]["zh-kk"]["metrics"]["xcomet"] = xcomet.to_json()
    atomic_write_json(run / "scores.json", scores)
    return outputs


def add_judge_scores(s: Scenario) -> None:
    """LLM-judge (ESA) scores for madlad400-3b-mt on zh-kk whose row 1 answer did not read as a score:
    its statistics row is [0, 0], and the segment is left out of the score."""
    run = s.results / "runs" / "madlad400-3b-mt" / "20261121-090000-cccccc"
    rows = len((run / "hypotheses" / "zh-kk.txt").read_text(encoding="utf-8").splitlines())
    values: list[float | None] = [80.0 - i for i in range(rows)]
    values[1] = None
    readable = [v for v in values if v is not None]
    judge = with_confidence_interval(
        Score(metric="judge", score=sum(readable) / len(readable), signature="judge:synthetic",
              stats=[[v, 1.0] if v is not None else [0.0, 0.0] for v in values], segments=None,
              extra={"answers": rows, "unparsable": 1}),
        load_metric("judge"), Bootstrap(samples=200))
    scores = json.loads((run / "scores.json").read_text())
    scores["pairs"]["zh-kk"]["metrics"]["judge"] = judge.to_json()
    atomic_write_json(run / "scores.json", scores)


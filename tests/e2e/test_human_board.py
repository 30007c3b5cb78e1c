"""Human judgments on the leaderboard: the agreement numbers against an independent computation (sacrebleu
and scipy on the files themselves), the trust table, the warning, the human column and rank_by=human."""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest
import sacrebleu

from bench.core.score import Score
from tests.support.cli import bench
from tests.support.human import PAIR, expected_mqm, make_world, mqm_tsv

stats = pytest.importorskip("scipy.stats")

#: the humans' order is the reverse of chrF's for good and bad (WMT.bad's errors go to the best system)
REVERSED = "systems={WMT.good:bad,WMT.mid:mid,WMT.weak:weak,WMT.bad:good}"


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("trust")
    world = make_world(root)
    tsv = mqm_tsv(root / "mqm.tsv")
    done = bench("human", "import", "format=mqm", f"path={tsv}", REVERSED, *world.args())
    assert done.returncode == 0, done.stderr
    out = bench("leaderboard", *world.args())
    assert out.returncode == 0, out.stderr
    return world, out


def human_means(world) -> dict[str, float]:
    names = {"WMT.good": "bad", "WMT.mid": "mid", "WMT.weak": "weak", "WMT.bad": "good"}
    return {run: float(np.mean([expected_mqm(wmt, i) for i in range(len(world.segments))]))
            for wmt, run in names.items()}


def test_system_agreement_equals_scipy_on_sacrebleu_chrf(board):
    world, _ = board
    records = json.loads((world.results / "results.json").read_text())["human_agreement"]
    found = {(r["metric"], r["level"], r["statistic"]): r for r in records}
    systems = ["bad", "good", "mid", "weak"]
    refs = [s.ref for s in world.segments]
    chrf = []
    for name in systems:
        hyps = (next((world.results / "runs" / name).iterdir()) / "hypotheses" / f"{PAIR}.txt").read_text()
        chrf.append(sacrebleu.corpus_chrf(hyps.splitlines(), [refs]).score)
    human = [human_means(world)[s] for s in systems]
    pearson, kendall = found[("chrf", "system", "pearson")], found[("chrf", "system", "kendall")]
    assert pearson["value"] == pytest.approx(stats.pearsonr(chrf, human)[0], abs=1e-6)
    assert kendall["value"] == pytest.approx(stats.kendalltau(chrf, human)[0], abs=1e-6)
    assert kendall["ci_low"] <= kendall["value"] <= kendall["ci_high"]
    assert {r["n"] for r in records if r["statistic"] != "contradicted_orderings"} == {12}
    assert {(r["metric"], r["level"]) for r in records} >= {("comet", "system"), ("comet", "segment"),
                                                            ("chrf", "segment")}
    assert set(records[0]) == {"testset", "pair", "metric", "level", "statistic", "value", "ci_low",
                               "ci_high", "n"}
    reversed_ = found[("comet", "system", "contradicted_orderings")]
    assert reversed_["value"] >= 1 and reversed_["n"] >= reversed_["value"]


def test_markdown_and_html_show_the_trust_table_the_warning_and_the_human_column(board):
    world, _ = board
    page = (world.results / "leaderboard.md").read_text()
    assert f"## Metric trust: {PAIR}" in page and "| `chrf` |" in page
    assert "the ranking metric comet disagrees with the humans" in page
    assert "Ranked by comet" in page and "| human" in page.split("## Metric trust")[0]
    html = (world.results / "leaderboard.html").read_text()
    assert f"<h2>Metric trust: {PAIR}</h2>" in html and "disagrees with the humans" in html
    rows = json.loads((world.results / "results.json").read_text())["results"]
    assert {r["system"] for r in rows if r["metric"] == "human"} == {"bad", "good", "mid", "weak"}


def test_rank_by_human_ranks_in_human_clusters(board):
    world, _ = board
    out = bench("leaderboard", "rank_by=[human,comet,chrf]", *world.args())
    assert out.returncode == 0, out.stderr
    data = json.loads((world.results / "results.json").read_text())
    rows = [r for r in data["results"] if r["metric"] == "human"]
    means = human_means(world)
    assert {r["rank_metric"] for r in rows} == {"human"}
    by_rank = sorted(rows, key=lambda r: (r["rank"], -r["score"]))
    assert [r["system"] for r in by_rank] == sorted(means, key=lambda s: -means[s])
    assert all(r["score"] == pytest.approx(means[r["system"]]) for r in rows)
    assert "Ranked by human" in (world.results / "leaderboard.md").read_text()


def test_partial_judgments_give_a_trust_table_but_no_human_column_or_ranking(tmp_path):
    world = make_world(tmp_path)
    esa = tmp_path / "esa.csv"
    judged = ["mid", "weak", "bad"]
    esa.write_text("".join(f"{s},{seg.id},{60 + 10 * n - i % 3}\n" for n, s in enumerate(judged)
                           for i, seg in enumerate(world.segments)), encoding="utf-8")
    assert bench("human", "import", "format=esa", f"path={esa}", *world.args()).returncode == 0
    out = bench("leaderboard", "rank_by=[human,comet,chrf]", *world.args())
    assert out.returncode == 0, out.stderr
    page = (world.results / "leaderboard.md").read_text()
    assert "Ranked by comet" in page and "not judged: good" in page
    rows = json.loads((world.results / "results.json").read_text())["results"]
    assert not [r for r in rows if r["metric"] == "human"]
    records = json.loads((world.results / "results.json").read_text())["human_agreement"]
    assert {r["n"] for r in records if r["level"] == "segment"} == {12}


def test_damaged_or_stale_judgments_are_notes_and_the_board_is_still_written(tmp_path):
    world = make_world(tmp_path)
    damaged = world.results / "human" / "old" / f"{PAIR}.jsonl"
    damaged.parent.mkdir(parents=True)
    damaged.write_text('{"schema_version": 1, "score": "high"}\n', encoding="utf-8")
    tsv = mqm_tsv(tmp_path / "mqm.tsv")
    assert bench("human", "import", "format=mqm", f"path={tsv}", REVERSED, "testset=wmt", *world.args()) \
        .returncode == 0
    stale = world.results / "human" / "wmt" / f"{PAIR}.jsonl"
    rows = [json.loads(line) for line in stale.read_text().splitlines()]
    stale.write_text("".join(json.dumps({**r, "sha256": "0" * 64}) + "\n" for r in rows), encoding="utf-8")
    out = bench("leaderboard", *world.args())
    assert out.returncode == 0, out.stderr
    page = (world.results / "leaderboard.md").read_text()
    assert "not a bench human-judgment row" in page and "made on another version of zh-en" in page
    assert "## Metric trust" not in page
    assert json.loads((world.results / "results.json").read_text())["human_agreement"] == []


def judge_score(n: int, quality: float) -> Score:
    """LLM-judge ESA scores, whose answer on segment 1 did not read as a score (statistics [0, 0])."""
    values = [quality - i for i in range(n)]
    stats_ = [[v, 1.0] if i != 1 else [0.0, 0.0] for i, v in enumerate(values)]
    readable = [v for i, v in enumerate(values) if i != 1]
    return Score("judge", sum(readable) / len(readable), "judge:synthetic", stats=stats_)


def test_a_segment_the_judge_could_not_score_is_left_out_of_its_segment_agreement(tmp_path):
    world = make_world(tmp_path, extra={s: {"judge": judge_score(12, 90 - 10 * k)}
                                        for k, s in enumerate(["good", "mid", "weak", "bad"])})
    tsv = mqm_tsv(tmp_path / "mqm.tsv")
    assert bench("human", "import", "format=mqm", f"path={tsv}", REVERSED, *world.args()).returncode == 0
    out = bench("leaderboard", *world.args())
    assert out.returncode == 0, out.stderr
    records = json.loads((world.results / "results.json").read_text())["human_agreement"]
    judge = {(r["level"], r["statistic"]): r for r in records if r["metric"] == "judge"}
    assert judge[("segment", "acc_eq")]["n"] == 11 and judge[("system", "kendall")]["n"] == 12


#: independent of bench's table: (category, severity) -> weight, as the WMT MQM papers give them
WEIGHTS = {("Accuracy/Mistranslation", "Major"): 5, ("Non-translation!", "Major"): 25,
           ("Accuracy/Omission", "Minor"): 1, ("Fluency/Punctuation", "Minor"): 0.1,
           ("Style/Awkward", "Neutral"): 0}


def test_thirteen_systems_agree_with_scipy_to_1e6(tmp_path):
    """A WMT-style MQM file for 13 systems (random errors, 3 raters) and 13 system outputs: every
    system-level number equals scipy's, and acc_eq a pair-by-pair count, to 1e-6."""
    systems = {f"sys{k:02d}": k % 7 for k in range(13)}
    world = make_world(tmp_path, systems=systems)
    rng = random.Random(5)
    lines = ["system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"]
    per_rater: dict[tuple[str, int], list[float]] = {}
    for name in systems:
        for i, seg in enumerate(world.segments):
            for rater in ("r1", "r2", "r3"):
                errors = rng.sample(sorted(WEIGHTS), rng.randint(0, 3))
                per_rater.setdefault((name, i), []).append(-sum(WEIGHTS[e] for e in errors))
                lines += [f"W-{name}\td\t{i}\t{i + 1}\t{rater}\t{seg.src}\tt\t{category}\t{severity}\n"
                          for category, severity in errors or [("No-error", "No-error")]]
    (tmp_path / "mqm.tsv").write_text("".join(lines), encoding="utf-8")
    mapping = "systems={" + ",".join(f"W-{n}:{n}" for n in systems) + "}"
    done = bench("human", "import", "format=mqm", f"path={tmp_path / 'mqm.tsv'}", "match=row", mapping,
                 *world.args())
    assert done.returncode == 0, done.stderr
    assert bench("leaderboard", *world.args()).returncode == 0
    found = {(r["metric"], r["level"], r["statistic"]): r["value"]
             for r in json.loads((world.results / "results.json").read_text())["human_agreement"]}
    names = sorted(systems)
    segment_human = np.array([[np.mean(per_rater[(n, i)]) for i in range(12)] for n in names])
    human = segment_human.mean(axis=1)
    refs = [s.ref for s in world.segments]
    outputs = {n: (next((world.results / "runs" / n).iterdir()) / "hypotheses" / f"{PAIR}.txt").read_text()
               .splitlines() for n in names}
    chrf = [sacrebleu.corpus_chrf(outputs[n], [refs]).score for n in names]
    assert found[("chrf", "system", "pearson")] == pytest.approx(stats.pearsonr(chrf, human)[0], abs=1e-6)
    assert found[("chrf", "system", "kendall")] == pytest.approx(stats.kendalltau(chrf, human)[0], abs=1e-6)
    pairs = list(itertools.combinations(range(13), 2))
    agree = np.mean([np.sign(chrf[a] - chrf[b]) == np.sign(human[a] - human[b]) for a, b in pairs])
    assert found[("chrf", "system", "pairwise_accuracy")] == pytest.approx(agree, abs=1e-6)
    sentence = np.array([[sacrebleu.sentence_chrf(o, [r]).score for o, r in zip(outputs[n], refs)]
                         for n in names])
    metric_signs = np.array([[np.sign(sentence[a, i] - sentence[b, i]) for a, b in pairs] for i in range(12)])
    human_signs = np.array([[np.sign(segment_human[a, i] - segment_human[b, i]) for a, b in pairs]
                            for i in range(12)])
    acc = (metric_signs == human_signs).mean(axis=1).mean()
    assert found[("chrf", "segment", "acc_eq")] == pytest.approx(acc, abs=1e-6)

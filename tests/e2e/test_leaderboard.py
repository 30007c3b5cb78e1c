"""``python -m bench leaderboard`` over synthetic run folders written to the run folder contract.

The scenario (:func:`scenario`) has what a real ``results/`` accumulates: several systems, a system run
twice, two systems with identical output (a tie), the ``reference`` baseline, a run on an older test
set, an interrupted run, and a hypothesis that tries to inject markup into the HTML page.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bench.board.drilldown import unpacked
from bench.metrics import load_metric
from bench.refset.store import Segment
from bench.store.io import atomic_write_json
from tests.support.board import (
    ROWS,
    XSS,
    Scenario,
    add_error_spans,
    add_judge_scores,
    close,
    leaderboard,
    read_csv,
    scenario,
    write_run,
)
from tests.support.cli import ROOT, bench
from tests.support.refs import write_references

FILES = ("leaderboard.md", "leaderboard.csv", "leaderboard.html", "results.json")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, subprocess.CompletedProcess, float]:
    s = scenario(tmp_path_factory.mktemp("board"))
    start = time.perf_counter()
    out = leaderboard(s)
    return s, out, time.perf_counter() - start


def test_writes_the_three_files_and_notes_the_interrupted_run(built):
    s, out, seconds = built
    assert out.returncode == 0, out.stderr
    for name in FILES:
        assert (s.results / name).is_file()
    skipped = [line for line in out.stderr.splitlines() if "m2m100_1.2B" in line]
    assert len(skipped) == 1 and "not finished" in skipped[0]
    assert seconds < 30


def test_markdown_has_one_ranked_table_per_pair_with_intervals(built):
    s, _, _ = built
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert md.count("| rank | system | comet | chrf | off-target | run date |") == 2
    assert "## zh-kk" in md and "## zh-vi" in md
    row = next(line for line in md.splitlines() if line.startswith("| 1 | nllb-200-1.3B"))
    assert "[" in row and "–" in row and row.endswith("| 2026-11-20 |")
    assert "Signatures:" in md and "`Unbabel/wmt22-comet-da|synthetic`" in md
    assert "Versions (all runs):" in md and "sacrebleu 2.6.0" in md


def test_reference_baseline_is_left_out_and_copy_kept(built):
    s, _, _ = built
    rows = read_csv(s.results / "leaderboard.csv")
    systems = {r["system"] for r in rows}
    assert "reference" not in systems and "copy" in systems
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert "| reference |" not in md and "| reference (baseline) |" not in md and "- reference:" not in md


def test_csv_is_tidy_with_the_newest_run_of_each_system(built):
    s, _, _ = built
    rows = read_csv(s.results / "leaderboard.csv")
    assert list(rows[0]) == ["pair", "system", "metric", "score", "ci_low", "ci_high", "signature", "run_id",
                             "rank", "rank_metric", "segments", "role", "testset"]
    keys = [(r["pair"], r["system"], r["metric"]) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * 4 * 3  # pairs x (3 ranked systems + copy) x metrics
    nllb = {r["run_id"] for r in rows if r["system"] == "nllb-200-1.3B"}
    assert nllb == {"20261120-090000-bbbbbb"}
    chrf = next(r for r in rows if r["system"] == "copy" and r["metric"] == "chrf" and r["pair"] == "zh-vi")
    assert float(chrf["ci_low"]) <= float(chrf["score"]) <= float(chrf["ci_high"])


def test_identical_systems_share_a_rank_and_the_copy_baseline_is_never_ranked(built):
    """Changed by issue 14: ``copy`` used to be ranked last; a baseline is now a reference line after
    the ranked systems, with no rank (the CSV says ``role=baseline``)."""
    s, _, _ = built
    rows = read_csv(s.results / "leaderboard.csv")
    for pair in ROWS:
        rank = {r["system"]: r["rank"] for r in rows if r["pair"] == pair}
        role = {r["system"]: r["role"] for r in rows if r["pair"] == pair}
        assert rank["nllb-200-1.3B"] == rank["madlad400-3b-mt"] == "1"
        assert rank["copy"] == "" and role["copy"] == "baseline" and role["nllb-200-1.3B"] == "system"
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    ranked = md.split("## zh-vi")[1].split("| rank | system |")[1].split("\n\n")[0]
    table = [line for line in ranked.splitlines() if line.startswith("| ")][1:]
    assert table[-1].startswith("| – | copy (baseline) |") and len(table) == 4


def test_runs_on_an_older_test_set_are_listed_apart(built):
    s, _, _ = built
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    ranked, stale = md.split("### zh-kk: stale runs (not ranked)")
    assert "made on an older version of the test set" in stale
    assert "opus-mt-zh-kk" in stale.split("## zh-vi")[0]
    assert "opus-mt-zh-kk" not in ranked
    assert "opus-mt-zh-kk" not in {r["system"] for r in read_csv(s.results / "leaderboard.csv")}


def test_output_is_a_pure_function_of_the_runs(built):
    s, _, _ = built
    before = {name: (s.results / name).read_bytes() for name in FILES}
    again = leaderboard(s)
    assert again.returncode == 0, again.stderr
    assert before == {n: (s.results / n).read_bytes() for n in before}


def segment_texts(page: str, pair: str) -> str:
    """Every text of a pair's packed segment data, as the page's script decodes it."""
    doc = packed_document(page, pair)
    outputs = [text for column in doc["outputs"] for text in column]
    return "\n".join([*doc["sources"], *doc["references"], *outputs])


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's parser would see them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_self_contained_and_escapes_model_output(built):
    s, _, _ = built
    page = (s.results / "leaderboard.html").read_text(encoding="utf-8")
    tags = Tags(page).tags
    names = [name for name, _ in tags]
    assert names.count("script") == 2 + len(ROWS) and "img" not in names and "link" not in names
    assert not [a for _, attrs in tags for a in attrs if a in ("src", "href") and "//" in (attrs[a] or "")]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert "alert(1)" not in page  # the outputs travel compressed, and are shown as text when opened
    assert XSS in segment_texts(page, "zh-kk")
    assert sum(name == "svg" for name in names) == 2 * 2  # one chart per metric column per pair


def test_no_runs_is_one_line_and_writes_nothing(tmp_path: Path):
    refs = tmp_path / "references"
    write_references(refs, ROWS)
    results = tmp_path / "results"
    out = bench("leaderboard", f"results_dir={results}", f"dataset.path={refs}")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "no complete runs under" in out.stderr and "python -m bench run model=copy" in out.stderr
    assert not results.exists() or not any(results.glob("leaderboard.*"))


def test_ranking_falls_back_to_chrf_when_comet_is_missing(tmp_path: Path):
    s = scenario(tmp_path)
    run = s.results / "runs" / "m2m100_418M" / "20261119-090000-dddddd" / "scores.json"
    scores = json.loads(run.read_text())
    for pair in scores["pairs"].values():
        del pair["metrics"]["comet"]
    atomic_write_json(run, scores)
    out = leaderboard(s, "significance.method=ar")
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert "Ranked by chrf" in md and "comet is missing for m2m100_418M" in md
    assert "approximate randomization" in md


def test_two_configurations_under_one_name_are_noted(tmp_path: Path):
    s = scenario(tmp_path)
    refs = {p: [Segment.from_row(json.loads(line), "t") for line in (s.references / f"{p}.jsonl").open()]
            for p in ROWS}
    outputs = {p: [seg.ref for seg in segs] for p, segs in refs.items()}
    write_run(s.results, "openai", "20261121-100000-ffff01", "2026-11-21", outputs, refs, fingerprint="a")
    write_run(s.results, "openai", "20261121-110000-ffff02", "2026-11-21", outputs, refs, fingerprint="b")
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert "runs of 2 different configurations are all named openai" in md


def test_does_not_import_torch(built):
    s, _, _ = built
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "bench", "leaderboard",
                          f"results_dir={s.results}", f"dataset.path={s.references}"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert not {name for name in imported if name == "torch" or name.startswith("torch.")}


def test_damaged_runs_unknown_metrics_and_mixed_signatures_are_noted(tmp_path: Path):
    s = scenario(tmp_path)
    runs = s.results / "runs"
    (runs / "copy" / "20261118-090000-eeeeee" / "scores.json").write_text("{not json", encoding="utf-8")
    m2m = runs / "m2m100_418M" / "20261119-090000-dddddd" / "scores.json"
    scores = json.loads(m2m.read_text())
    vi = scores["pairs"]["zh-vi"]["metrics"]
    vi["bertscore"] = {**vi["chrf"], "metric": "bertscore"}
    vi["chrf"]["signature"] += "|tok:other"
    atomic_write_json(m2m, scores)
    other = write_references(tmp_path / "other", {"zh-ru": [("你好。", "Привет.")]})
    write_run(s.results, "nllb-200-1.3B", "20261121-090000-iiiiii", "2026-11-21", {"zh-ru": ["Привет."]},
              other)

    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    left_out = md.split("## Runs left out")[1]
    assert "\n- copy/20261118-090000-eeeeee/scores.json: invalid JSON" in left_out
    assert str(tmp_path) not in md
    assert "zh-ru: 1 run(s), but the pair is not in the current test set" in left_out
    assert "Note: bertscore not shown: bench ships no metric of that name" in md
    assert "- chrf (differs between systems: not comparable):" in md.split("## zh-vi")[1]
    assert "copy" not in {r["system"] for r in read_csv(s.results / "leaderboard.csv")}
    assert sum("left out:" in line for line in out.stderr.splitlines()) == 3  # and the interrupted run


def rescore_chrf(run: Path, refs: Path, **settings) -> None:
    """Replace a stored run's chrF with chrF computed under other ``settings`` (as a user overriding
    ``metric.chrf.*`` at scoring time would leave it)."""
    metric = load_metric("chrf", **settings)
    scores = json.loads((run / "scores.json").read_text())
    for pair, held in scores["pairs"].items():
        segments = [Segment.from_row(json.loads(line), "t") for line in (refs / f"{pair}.jsonl").open()]
        outputs = (run / "hypotheses" / f"{pair}.txt").read_text(encoding="utf-8").splitlines()
        held["metrics"]["chrf"] = metric.score([s.src for s in segments], outputs, [s.ref for s in segments],
                                               src_lang="zh", tgt_lang=pair[3:]).to_json()
    atomic_write_json(run / "scores.json", scores)


@pytest.mark.parametrize(("settings", "rescored", "reason"), [
    ({"char_order": 4}, "one run", "chrf was computed with different signatures"),
    # sacrebleu's chrF signature does not record beta: only re-aggregating the statistics tells
    ({"beta": 1}, "every run", "chrf is missing for every system"),
])
def test_ranking_refuses_chrf_scored_with_other_settings(tmp_path: Path, settings, rescored, reason):
    s = scenario(tmp_path)
    runs = sorted((s.results / "runs").glob("*/*/scores.json"))
    for run in [r for r in runs if "m2m100_418M" in str(r)] if rescored == "one run" else runs:
        rescore_chrf(run.parent, s.references, **settings)
    out = leaderboard(s, "rank_by=[chrf,comet]")
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert "Ranked by comet" in md and "Ranked by chrf" not in md
    assert "Note: ranked by comet: chrf" in md and reason in md
    assert "python -m bench score metric=[chrf] force=true" in md

    out = leaderboard(s, "rank_by=[chrf]")
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert "not ranked: no metric of rank_by (chrf) can rank every system" in md and reason in md


def test_ranking_uses_chrf_when_every_run_follows_the_config(tmp_path: Path):
    s = scenario(tmp_path)
    out = leaderboard(s, "rank_by=[chrf,comet]")
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert "Ranked by chrf" in md and "ranked by comet" not in md


def mark_baseline(run: Path) -> None:
    """``run.json`` as ``bench run model=file model.baseline=true`` writes it."""
    record = json.loads((run / "run.json").read_text())
    record["system"]["baseline"] = True
    atomic_write_json(run / "run.json", record)


def test_baselines_are_never_ranked_and_off_target_systems_rank_after_those_that_translate(tmp_path: Path):
    s = scenario(tmp_path)
    refs = {p: [Segment.from_row(json.loads(line), "t") for line in (s.references / f"{p}.jsonl").open()]
            for p in ROWS}
    # the references with two rows in Russian: better scores than m2m100, but 2/12 off-target (> 10%)
    mixed = {p: ["Сегодня хорошая погода." if i < 2 else seg.ref for i, seg in enumerate(segs)]
             for p, segs in refs.items()}
    write_run(s.results, "mixed-up", "20261123-090000-kkkkkk", "2026-11-23", mixed, refs)
    perfect = {p: [seg.ref for seg in segs] for p, segs in refs.items()}
    mark_baseline(write_run(s.results, "dictionary", "20261123-090000-llllll", "2026-11-23", perfect, refs))
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    table = md.split("## zh-kk")[1].split("| rank | system |")[1].split("\n\n")[0].splitlines()[2:]
    assert [row.split(" | ")[:2] for row in table] == [
        ["| 1", "madlad400-3b-mt"], ["| 1", "nllb-200-1.3B"], ["| 3", "m2m100_418M"],
        ["| 4", "mixed-up (off-target above 10%)"], ["| –", "dictionary (baseline)"],
        ["| –", "copy (baseline)"]]
    comet = {row.split(" | ")[1]: float(row.split(" | ")[2].split()[0]) for row in table}
    assert comet["mixed-up (off-target above 10%)"] > comet["m2m100_418M"]
    assert comet["dictionary (baseline)"] > comet["madlad400-3b-mt"]
    rows = read_csv(s.results / "leaderboard.csv")
    role = {r["system"]: (r["role"], r["rank"]) for r in rows if r["pair"] == "zh-kk"}
    assert role["dictionary"] == ("baseline", "") and role["mixed-up"] == ("flagged", "4")
    assert "with more than 10% off-target outputs are flagged and ranked after" in md
    assert "Holm's correction for multiple comparisons" in md

    out = leaderboard(s, "off_target_threshold=20", "significance.correction=none")
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert "mixed-up (off-target" not in md and "no correction for multiple comparisons" in md
    for bad, line in [("off_target_threshold=110", "a percentage between 0 and 100"),
                      ("significance.correction=bonferroni", "choose one of holm, none"),
                      ("significance.alpha=0", "a significance level between 0 and 1")]:
        out = leaderboard(s, bad)
        assert out.returncode == 2 and f"{bad}: {line}" in out.stderr and out.stderr.count("\n") == 1


def test_a_checkpoint_that_is_not_public_or_is_tiny_says_so_in_its_column_head(tmp_path: Path):
    s = scenario(tmp_path)
    for scores_json in (s.results / "runs").glob("*/*/scores.json"):
        scores = json.loads(scores_json.read_text())
        for pair, name in [("zh-kk", "my-finetune"), ("zh-vi", "tiny-comet-0123456789abcdef")]:
            if pair in scores["pairs"]:
                scores["pairs"][pair]["metrics"]["comet"]["signature"] = f"model:{name}|ckpt:0123456789ab"
        atomic_write_json(scores_json, scores)
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    kk, vi = md.split("\n## zh-vi")
    assert "| rank | system | comet (not a known public checkpoint) | chrf |" in kk
    assert "| rank | system | comet (tiny local checkpoint) | chrf |" in vi
    assert "**Metrics from tiny local checkpoints: comet (tiny-comet-0123456789abcdef)." in md
    page = (s.results / "leaderboard.html").read_text(encoding="utf-8")
    assert '<small class="ckpt">tiny local checkpoint</small>' in page


def test_each_pair_says_what_its_segments_resolve_and_warns_when_systems_are_closer(tmp_path: Path):
    s = scenario(tmp_path)
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8") if leaderboard(s).returncode == 0 else ""
    assert "12 segments; resolves differences of ±" in md and "Too few segments" not in md
    refs = {p: [Segment.from_row(json.loads(line), "t") for line in (s.references / f"{p}.jsonl").open()]
            for p in ROWS}
    for k in range(3):  # three more systems, each a word away from the best ones
        near = {p: [close(seg.ref, i) + ("" if i != k else " ok") for i, seg in enumerate(segs)]
                for p, segs in refs.items()}
        write_run(s.results, f"near-{k}", f"20261124-09000{k}-nnnnnn", "2026-11-24", near, refs)
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    md = (s.results / "leaderboard.md").read_text(encoding="utf-8")
    assert md.count("**Warning:** Too few segments to separate these systems: 12 segments resolve") == 2
    page = (s.results / "leaderboard.html").read_text(encoding="utf-8")
    assert page.count('class="warn resolution"') == 2


def test_results_json_holds_the_flat_table_for_pandas_and_the_human_agreement(built):
    import pandas as pd

    s, _, _ = built
    data = json.loads((s.results / "results.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 2 and data["human_agreement"] == []  # no human judgments here
    frame = pd.DataFrame(data["results"])
    rows = read_csv(s.results / "leaderboard.csv")
    assert len(frame) == len(rows) and set(frame.columns) == set(rows[0])
    ranked = frame[frame["rank"].notna()]
    assert set(ranked["rank_metric"]) == {"comet"} and set(frame["segments"]) == {len(ROWS["zh-kk"])}
    nllb = frame[(frame.system == "nllb-200-1.3B") & (frame.pair == "zh-kk") & (frame.metric == "chrf")]
    assert nllb["run_id"].item() == "20261120-090000-bbbbbb"


def test_a_segment_the_judge_could_not_score_is_null_not_the_worst_score(tmp_path: Path):
    s = scenario(tmp_path)
    add_judge_scores(s)
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    doc = packed_document((s.results / "leaderboard.html").read_text(encoding="utf-8"), "zh-kk")
    [column] = [m["systems"] for m in doc["metrics"] if m["name"] == "judge"]
    assert len(column) == 1
    scale = next(m["scale"] for m in doc["metrics"] if m["name"] == "judge")
    judged = [row[0] for row in doc["scores"]["judge"]]
    assert judged[1] is None and judged[0] == 80 * scale and judged[2] == 78 * scale


def packed_document(page: str, pair: str) -> dict:
    data = json.loads(re.search(r'<script type="application/json" id="board-data">(.*?)</script>', page,
                                re.S).group(1))
    meta = next(p for p in data["pairs"] if p["pair"] == pair)
    text = re.search(f'<script type="application/octet-stream" id="segments-{pair}">(.*?)</script>', page,
                     re.S).group(1)
    return {**meta, **unpacked(meta, text)}


def test_error_spans_travel_to_the_page_checked_against_their_outputs(tmp_path: Path):
    s = scenario(tmp_path)
    outputs = add_error_spans(s)
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    doc = packed_document((s.results / "leaderboard.html").read_text(encoding="utf-8"), "zh-kk")
    madlad = str([m["name"] for m in doc["systems"]].index("madlad400-3b-mt"))
    assert list(doc["spans"]) == ["xcomet"] and list(doc["spans"]["xcomet"]) == [madlad]
    column = doc["spans"]["xcomet"][madlad]
    assert column[0] == [[0, len(outputs[0].split()[0]), 1, 0.81]]
    assert column[1] == [] and column[2] == [] and len(column) == len(outputs)


def test_runs_on_another_test_set_never_replace_the_board_with_an_empty_one(tmp_path: Path):
    """Issue 18: runs on one's own test set, then ``leaderboard`` without ``dataset.path=``, wrote a board
    of the shipped set with no run on it over the user's board, and exited 0."""
    refs, results = tmp_path / "mine", tmp_path / "results"
    write_references(refs, {"zh-kk": ROWS["zh-kk"][:4]})
    assert bench("run", "model=copy", f"dataset.path={refs}", f"results_dir={results}", "metric=[chrf]",
                 cwd=tmp_path).returncode == 0
    board = bench("leaderboard", f"dataset.path={refs}", f"results_dir={results}", cwd=tmp_path)
    assert board.returncode == 0, board.stderr
    files = {p: p.read_bytes() for p in results.iterdir() if p.is_file()}
    assert len(files) == 5  # the board, its page, CSV, JSON and leaderboard.sha256

    other = bench("leaderboard", f"results_dir={results}", cwd=tmp_path)  # the shipped test set
    assert other.returncode == 2 and other.stderr.count("\n") == 1, other.stderr
    assert f"the runs were made on local:{refs} (1 run): pass dataset.path={refs}" in other.stderr

    write_references(refs, {"zh-kk": ROWS["zh-kk"][:3]})  # the same folder, rebuilt: every run is older
    older = bench("leaderboard", f"dataset.path={refs}", f"results_dir={results}", cwd=tmp_path)
    assert older.returncode == 2 and "an older version of it" in older.stderr
    assert {p: p.read_bytes() for p in results.iterdir() if p.is_file()} == files

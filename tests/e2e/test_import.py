"""``python -m bench import``: a user's pre-aligned test set, FLORES+ and WMT24++ in their published
layouts (built here, small, exactly as published), become reference folders that run, score and rank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.metrics.base import NFC
from bench.refset.store import LocalReferences
from bench.store.io import read_json
from bench.testsets import READERS
from bench.testsets.output import write
from tests.support.cli import bench
from tests.support.importing import (
    EN1,
    EN2,
    KK,
    VI,
    ZH,
    damage,
    flores_file,
    lines,
    text_request,
    wmt_row,
)


def test_a_bad_input_writes_nothing_and_a_taken_folder_is_refused(text_set: dict[str, Path], tmp_path: Path):
    out = tmp_path / "out"
    args = ["import", "name=talks", "src_lang=zh", "tgt_lang=en", f"src={text_set['src']}",
            f"refs=[{text_set['ref1']},{text_set['ref2']}]", f"out_dir={out}"]
    damage(text_set, "empty")
    result = bench(*args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"{text_set['ref1']}:2: empty line" in result.stderr and not out.exists()
    lines(text_set["ref1"], EN1)
    assert bench(*args).returncode == 0
    manifest = (out / "MANIFEST.json").read_bytes()
    again = bench(*args)  # the same pair again: a duplicate
    assert again.returncode == 2 and "already has zh-en" in again.stderr
    other = bench(*[a for a in args if not a.startswith("name=")], "name=other")
    assert other.returncode == 2 and "holds test set talks, not other" in other.stderr
    assert (out / "MANIFEST.json").read_bytes() == manifest


# -- FLORES+ and WMT24++ in their published layouts -------------------------------------------------


def test_flores_plus_folder_imports_joined_on_id_and_runs_offline(tmp_path: Path):
    flores = tmp_path / "flores_plus"
    flores_file(flores, "devtest", "cmn_Hans", ZH)
    flores_file(flores, "devtest", "kaz_Cyrl", list(reversed(KK)), ids=[4, 3, 2, 1])  # any row order
    flores_file(flores, "devtest", "eng_Latn", EN1)
    out = tmp_path / "flores-devtest"
    for tgt in ("kk", "en"):
        result = bench("import", "format=flores_plus", f"path={flores}", "src_lang=zh", f"tgt_lang={tgt}",
                       "name=flores-devtest", f"out_dir={out}")
        assert result.returncode == 0, result.stderr
    refs = LocalReferences(out)
    assert refs.pairs() == ["zh-en", "zh-kk"]
    kk = refs.load("zh-kk")
    assert [(s.id, s.src, s.ref, s.source) for s in kk] == \
        [(f"devtest-{i + 1:03d}", z, k, "wikinews") for i, (z, k) in enumerate(zip(ZH, KK))]
    origin = refs.manifest().testset.pairs["zh-kk"]
    assert origin.source_side == "translated"
    assert [f["path"] for f in origin.origin["files"]] == \
        ["devtest/cmn_Hans.parquet", "devtest/kaz_Cyrl.parquet"]
    run = bench("run", "model=copy", f"dataset.path={out}", "metric=[chrf]", f"results_dir={tmp_path}/res")
    assert run.returncode == 0, run.stderr
    assert "zh-kk" in run.stdout and "zh-en" in run.stdout


def test_wmt24pp_folder_imports_without_bad_sources_and_runs_offline(tmp_path: Path):
    wmt = tmp_path / "wmt24pp"
    wmt.mkdir()
    rows = [wmt_row(i, en, vi, bad=(i == 2)) for i, (en, vi) in enumerate(zip(EN1, VI))]
    lines(wmt / "en-vi_VN.jsonl", [json.dumps(r, ensure_ascii=False) for r in rows])
    out = tmp_path / "wmt"
    result = bench("import", "format=wmt24pp", f"path={wmt}", "lp=en-vi_VN", "name=wmt24pp", f"out_dir={out}")
    assert result.returncode == 0, result.stderr
    assert "1 segment(s) marked is_bad_source left out" in result.stdout
    segments = LocalReferences(out).load("en-vi")
    assert [(s.doc_id, s.seg, s.src, s.ref) for s in segments] == \
        [(r["document_id"], r["segment_id"], r["source"], r["target"]) for r in rows
         if not r["is_bad_source"]]
    manifest = read_json(out / "MANIFEST.json")["testset"]["pairs"]["en-vi"]
    assert manifest["left_out"] == {"is_bad_source": 1} and manifest["source_side"] == "original"
    run = bench("run", "model=copy", f"dataset.path={out}", "metric=[chrf]", f"results_dir={tmp_path}/res")
    assert run.returncode == 0, run.stderr


def test_hub_dataset_not_cached_offline_is_one_line_naming_the_download(tmp_path: Path):
    result = bench("import", "format=wmt24pp", "repo_id=google/wmt24pp", "lp=en-vi_VN", "name=w",
                   f"out_dir={tmp_path / 'out'}", env={"HF_HOME": str(tmp_path / "hf")})
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "HF_HUB_OFFLINE=1 is set" in result.stderr
    assert "hf download google/wmt24pp en-vi_VN.jsonl --repo-type dataset" in result.stderr
    assert not (tmp_path / "out").exists()


# -- several references: scored as sacrebleu scores them, the others by the mean rule ------------------

SYSTEMS = {"close": EN1, "mixed": [EN2[0], "Weather.", EN2[2], "We need time."]}


def run_systems(tmp_path: Path, refs: list[Path], name: str) -> dict[str, dict]:
    """Import the set with ``refs``, run every system of :data:`SYSTEMS` on it; their scores.json."""
    src = lines(tmp_path / "src.zh", ZH)
    out, results = tmp_path / name, tmp_path / f"{name}-results"
    assert bench("import", f"name={name}", "src_lang=zh", "tgt_lang=en", f"src={src}",
                 f"refs=[{','.join(map(str, refs))}]", f"out_dir={out}").returncode == 0
    scores = {}
    for system, outputs in SYSTEMS.items():
        folder = tmp_path / "systems" / system
        folder.mkdir(parents=True, exist_ok=True)
        lines(folder / "zh-en.txt", outputs)
        result = bench("run", "model=file", f"model.path={folder}", f"model.name={system}",
                       f"dataset.path={out}", "metric=[bleu,chrf,ter,length_ratio]", f"results_dir={results}")
        assert result.returncode == 0, result.stderr
        (run,) = (results / "runs" / system).iterdir()
        scores[system] = read_json(run / "scores.json")["pairs"]["zh-en"]["metrics"]
        if len(refs) > 1:
            samples = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
            assert [s["references"] for s in samples] == [list(p) for p in zip(EN1, EN2)]
    return scores


def test_several_references_score_as_sacrebleu_and_the_mean_rule(tmp_path: Path):
    import sacrebleu

    ref1, ref2 = lines(tmp_path / "ref1.en", EN1), lines(tmp_path / "ref2.en", EN2)
    for refs, streams in (([ref1], [EN1]), ([ref1, ref2], [EN1, EN2])):
        scores = run_systems(tmp_path, refs, f"set{len(refs)}")
        for system, outputs in SYSTEMS.items():
            got = scores[system]
            expected = {"bleu": sacrebleu.corpus_bleu(outputs, streams, tokenize="13a").score,
                        "chrf": sacrebleu.corpus_chrf(outputs, streams).score,
                        "ter": sacrebleu.corpus_ter(outputs, streams).score}
            for metric, value in expected.items():
                assert got[metric]["score"] == pytest.approx(value, abs=1e-9), (system, metric)
                assert f"nrefs:{len(refs)}|" in got[metric]["signature"]
            hyp = sum(len(h) for h in outputs)
            ref = sum(sum(len(r[i]) for r in streams) / len(streams) for i in range(len(ZH)))
            assert got["length_ratio"]["score"] == pytest.approx(hyp / ref)
            assert ("|nrefs:2|refs:mean" in got["length_ratio"]["signature"]) == (len(refs) == 2)
    assert scores["close"]["bleu"]["score"] == pytest.approx(100.0)  # one reference matched in full


def test_comet_with_several_references_is_the_mean_of_its_scores_against_each(tiny_comet: Path):
    from bench.metrics.comet import Comet

    metric = Comet(checkpoint=str(tiny_comet), progress=False)
    hyps = SYSTEMS["mixed"]
    alone = [metric.score(ZH, hyps, refs, src_lang="zh", tgt_lang="en") for refs in (EN1, EN2)]
    both = metric.score_references(ZH, hyps, [EN1, EN2], src_lang="zh", tgt_lang="en")
    assert alone[0].segments != alone[1].segments  # the references differ, so the rule is seen
    assert both.segments == pytest.approx([(a + b) / 2 for a, b in zip(alone[0].segments, alone[1].segments)])
    assert both.score == pytest.approx((alone[0].score + alone[1].score) / 2)
    assert both.signature == alone[0].signature.removesuffix(NFC) + "|nrefs:2|refs:mean" + NFC
    assert both.extra["per_reference"] == [alone[0].score, alone[1].score]


def test_bench_list_shows_the_user_s_own_sets_and_pairs(text_set: dict[str, Path], tmp_path: Path):
    assert bench("import", "name=talks", "src_lang=zh", "tgt_lang=en", f"src={text_set['src']}",
                 f"refs=[{text_set['ref1']},{text_set['ref2']}]", cwd=tmp_path).returncode == 0
    listed = bench("list", "testsets", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert ["talks", "zh-en", "4", "2", "unknown", "testsets/talks"] in rows
    assert any(row[:2] == ["references", "zh-kk"] for row in rows)  # the seed set beside it
    pairs = bench("list", "pairs", "testsets/talks", cwd=tmp_path)
    assert pairs.returncode == 0 and "zh-en  4     Chinese -> English" in pairs.stdout


def test_a_set_with_two_references_publishes_and_reads_back_from_the_export(text_set: dict[str, Path],
                                                                           tmp_path: Path):
    from bench.refset.hub import HubReferences

    out, export = tmp_path / "talks", tmp_path / "export"
    write(out, "talks", READERS["text"](text_request(text_set)))
    result = bench("publish", "repo_id=me/talks", f"dataset.path={out}", f"export_dir={export}")
    assert result.returncode == 0, result.stderr
    local, hub = LocalReferences(out), HubReferences(str(export))
    assert hub.load("zh-en") == local.load("zh-en") and hub.sha256("zh-en") == local.sha256("zh-en")
    assert hub.load("zh-en")[1].refs == (EN1[1], EN2[1])


def test_the_seed_set_and_an_imported_set_share_a_results_folder_with_a_board_each(text_set: dict[str, Path],
                                                                                   tmp_path: Path):
    import csv

    results, talks = tmp_path / "results", tmp_path / "talks"
    write(talks, "talks", READERS["text"](text_request(text_set)))
    for dataset in ([], [f"dataset.path={talks}"]):
        run = bench("run", "model=copy", "metric=[chrf]", f"results_dir={results}", *dataset)
        assert run.returncode == 0, run.stderr
    board = bench("leaderboard", f"results_dir={results}", "rank_by=chrf")
    assert board.returncode == 0, board.stderr
    rows = list(csv.DictReader((results / "leaderboard.csv").open(encoding="utf-8")))
    assert {(r["testset"], r["pair"]) for r in rows} == {("references", "zh-kk"), ("references", "zh-vi"),
                                                         ("talks", "zh-en")}
    assert {r["testset"] for r in read_json(results / "results.json")["results"]} == {"references", "talks"}
    md = (results / "leaderboard.md").read_text(encoding="utf-8")
    seed, mine = md.split("Test set: **talks**")
    assert "Test set: **references**" in seed and "## zh-en" not in seed and "## zh-kk" not in mine
    assert "zh-en: source unknown (text: src.zh, ref1.en, ref2.en)" in mine
    first, second = ((results / name).read_text() for name in ("leaderboard.html", "leaderboard-talks.html"))
    assert '<a href="leaderboard-talks.html">talks</a>' in first and "<b>references</b>" in first
    assert '<a href="leaderboard.html">references</a>' in second and "<b>talks</b>" in second



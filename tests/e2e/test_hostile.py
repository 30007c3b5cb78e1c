"""Files you did not write can never hurt you: results folders, reference sets and settings from other
people, tried as an attacker would.

Every case ends in one of two ways. A bad input to a command is one line on stderr, exit 2, and the
tree around it unchanged (:func:`unchanged`). A damaged run in a shared results folder is skipped
with a line naming its folder while the other runs are still scored and ranked.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bench.metrics import load_metric
from tests.support.cli import ROOT, bench, one_line
from tests.support.files import read_only, snapshot
from tests.support.refs import write_references

ROWS = {
    "zh-kk": [("今天天气很好。", "Бүгін ауа райы өте жақсы."),
              ("我们明天去北京。", "Біз ертең Бейжіңге барамыз."),
              ("这本书非常有意思。", "Бұл кітап өте қызықты."),
              ("会议将于下周举行。", "Кездесу келесі аптада өтеді.")],
}
GOOD = "reference-copy"  # the one honest run every damaged-results case keeps next to the damaged ones


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A user's folder: references, a results folder and a file of their own that must survive."""
    write_references(tmp_path / "references", ROWS)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("years of work\n")
    return tmp_path


def run(home: Path, *args: str, cwd: Path | None = None):
    return bench("run", f"dataset.path={home / 'references'}", f"results_dir={home / 'results'}", *args,
                 cwd=cwd or ROOT)


# --- run: names that become paths, folders bench did not make, caches that are not caches ----------

def _bad_model_dir(home: Path) -> list[str]:
    return ["model=nllb-200-distilled-600M", f"model.path={home / 'typo'}", "metric=[bleu]"]


def _sqlite_of_another_program(home: Path) -> Path:
    db = sqlite3.connect(home / "mine" / "places.sqlite")
    db.execute("CREATE TABLE bookmarks (url TEXT)")
    db.execute("INSERT INTO bookmarks VALUES ('https://example.org')")
    db.commit()
    db.close()
    return home / "mine" / "places.sqlite"


RUN_CASES: dict[str, tuple[Callable[[Path], list[str]], tuple[str, ...]]] = {
    "system name climbing out of results": (
        lambda h: ["model=copy", "model.name=../../escaped", "metric=[bleu]"],
        ("model.name", "../../escaped")),
    "system name with a separator": (
        lambda h: ["model=copy", "model.name=org/sys", "metric=[bleu]"], ("model.name", "org/sys")),
    "system name starting with a dot": (
        lambda h: ["model=copy", "model.name=.hidden", "metric=[bleu]"], ("model.name",)),
    "system name too long": (lambda h: ["model=copy", f"model.name={'x' * 101}", "metric=[bleu]"],
                             ("model.name",)),
    "cache path is the user's folder": (
        lambda h: ["model=file", f"model.path={h / 'hyps'}", f"translation_cache.path={h / 'mine'}",
                   "metric=[bleu]"], ("translation_cache.path", "folder")),
    "score cache path is the user's folder": (
        lambda h: ["model=copy", f"score_cache.path={h / 'mine'}", "metric=[bleu]"], ("score_cache.path",)),
    "cache path is the user's text file": (
        lambda h: ["model=copy", f"score_cache.path={h / 'mine' / 'thesis.txt'}", "metric=[bleu]"],
        ("score_cache.path", "not an SQLite file")),
    "cache path is another program's database": (
        lambda h: ["model=copy", f"score_cache.path={_sqlite_of_another_program(h)}", "metric=[bleu]"],
        ("score_cache.path", "another program")),
    "results folder is a file": (
        lambda h: ["model=copy", f"results_dir={h / 'mine' / 'thesis.txt'}", "metric=[bleu]"],
        ("thesis.txt", "is a file")),
}


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_bad_run_settings_are_one_line_and_touch_nothing(home: Path, case: str):
    make_args, needles = RUN_CASES[case]
    (home / "hyps").mkdir()
    (home / "hyps" / "zh-kk.txt").write_text("".join(f"{ref}\n" for _, ref in ROWS["zh-kk"]))
    args = make_args(home)
    before = snapshot(home)
    one_line(run(home, *args), *needles)
    assert snapshot(home) == before
    assert not (home.parent / "escaped").exists()


def without_hydra_files(tree: dict[str, bytes | str]) -> dict[str, bytes | str]:
    return {k: v for k, v in tree.items() if ".hydra" not in Path(k).parts}


@pytest.mark.parametrize("where", ["the working directory", "a folder of the user's"])
def test_a_failed_run_in_a_folder_bench_did_not_make_deletes_nothing(home: Path, where: str):
    """``hydra.run.dir`` names the user's folder: Hydra writes its ``.hydra/`` there (the user asked
    for output there); bench's clean-up must not remove the folder or anything in it."""
    work = home / "mine"
    before = snapshot(home)
    target = "." if where == "the working directory" else str(work)
    one_line(run(home, *_bad_model_dir(home), f"hydra.run.dir={target}", cwd=work), "typo")
    assert without_hydra_files(snapshot(home)) == before


def test_a_failed_run_removes_only_the_folders_it_created(home: Path):
    (home / "results" / "runs" / "nllb-200-distilled-600M").mkdir(parents=True)
    one_line(run(home, *_bad_model_dir(home)), "typo")
    assert [p.name for p in (home / "results" / "runs").iterdir()] == ["nllb-200-distilled-600M"]
    assert not any((home / "results" / "runs" / "nllb-200-distilled-600M").iterdir())


def test_read_only_results_folder_is_one_line(home: Path):
    (home / "results").mkdir()
    with read_only(home / "results"):
        before = snapshot(home)
        one_line(run(home, "model=copy", "metric=[bleu]"), "results: cannot create folders here")
        one_line(bench("leaderboard", f"results_dir={home / 'results'}"), "no complete runs")
        assert snapshot(home) == before


# --- reference sets from elsewhere --------------------------------------------------------------

def _manifest(home: Path, change: Callable[[dict], None]) -> None:
    file = home / "references" / "MANIFEST.json"
    data = json.loads(file.read_text())
    change(data)
    file.write_text(json.dumps(data))


def _rename_pair(home: Path, name: str) -> None:
    _manifest(home, lambda m: m.__setitem__("files", {name: m["files"]["zh-kk.jsonl"]}))


def _link_pair_outside(home: Path) -> None:
    file = home / "references" / "zh-kk.jsonl"
    shutil.move(file, home / "mine" / "zh-kk.jsonl")
    file.symlink_to(Path("..") / "mine" / "zh-kk.jsonl")


def _edit_row(home: Path, key: str, value: object) -> None:
    file = home / "references" / "zh-kk.jsonl"
    rows = [json.loads(line) for line in file.read_text().splitlines()]
    rows[0][key] = value
    file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    from bench.store.io import sha256_file

    _manifest(home, lambda m: m["files"]["zh-kk.jsonl"].__setitem__("sha256", sha256_file(file)))


REFERENCE_CASES: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "pair name climbing out": (lambda h: _rename_pair(h, "../../evil.jsonl"), ("MANIFEST.json", "evil")),
    "pair name with a folder": (lambda h: _rename_pair(h, "zh-kk/x.jsonl"),
                                ("MANIFEST.json", "not a language pair")),
    "pair name upper-case": (lambda h: _rename_pair(h, "ZH-KK.jsonl"), ("MANIFEST.json",)),
    "pair file not jsonl": (lambda h: _rename_pair(h, "zh-kk.sh"), ("MANIFEST.json", "<pair>.jsonl")),
    "files is a list": (lambda h: _manifest(h, lambda m: m.__setitem__("files", [])), ("MANIFEST.json",)),
    "manifest is a string": (lambda h: (h / "references" / "MANIFEST.json").write_text('"files"'),
                             ("MANIFEST.json", "manifest")),
    "negative row count": (lambda h: _manifest(h, lambda m: m["files"]["zh-kk.jsonl"].__setitem__(
        "rows", -1)), ("MANIFEST.json", "row count")),
    "sha256 not a digest": (lambda h: _manifest(h, lambda m: m["files"]["zh-kk.jsonl"].__setitem__(
        "sha256", "../../x")), ("MANIFEST.json", "sha256")),
    "pair file linked outside the set": (_link_pair_outside, ("zh-kk.jsonl", "outside")),
    "row field of the wrong type": (lambda h: _edit_row(h, "seg", "first"), ("zh-kk.jsonl", "seg")),
    "row source not text": (lambda h: _edit_row(h, "src", ["a", "b"]), ("zh-kk.jsonl", "src")),
    "row of another pair": (lambda h: _edit_row(h, "tgt_lang", "vi"), ("zh-kk.jsonl", "another pair")),
}


@pytest.mark.parametrize("case", sorted(REFERENCE_CASES))
def test_untrusted_reference_sets_are_one_line_and_write_nothing(home: Path, case: str):
    damage, needles = REFERENCE_CASES[case]
    damage(home)
    before = snapshot(home)
    one_line(run(home, "model=copy", "metric=[bleu]"), *needles)
    assert snapshot(home) == before


# --- results folders from elsewhere: the damaged run is skipped, the honest one still ranked --------

def _json(path: Path, change: Callable[[dict], object]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _bleu(data: dict) -> dict:
    return data["pairs"]["zh-kk"]["metrics"]["bleu"]


def _move(folder: Path, system: str) -> None:
    """Put a run under another system's folder, with its record saying so (as a crafted run would)."""
    target = folder.parent.parent / system / folder.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(folder, target)
    _json(target / "run.json", lambda d: d["system"].__setitem__("name", system))


#: damage -> (what to do to a copy of a complete run, what the note must say)
RESULT_CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "run.json is a list": (lambda r: (r / "run.json").write_text("[]"), "must be an object"),
    "run.json invalid JSON": (lambda r: (r / "run.json").write_text("{"), "invalid JSON"),
    "run.json without schema version": (lambda r: _json(r / "run.json", lambda d: d.pop("schema_version")),
                                        "schema_version"),
    "system name with traversal": (lambda r: _json(r / "run.json", lambda d: d["system"].__setitem__(
        "name", "../../x")), "system.name"),
    "pair with traversal in run.json": (lambda r: _json(r / "run.json", lambda d: d["testset"].__setitem__(
        "pairs", {"../zh-kk": d["testset"]["pairs"]["zh-kk"]})), "not a language pair"),
    "rows not a number": (lambda r: _json(r / "run.json", lambda d: d["testset"]["pairs"][
        "zh-kk"].__setitem__("rows", "4")), "rows"),
    "status unknown": (lambda r: _json(r / "run.json", lambda d: d.__setitem__("status", "done")), "status"),
    "created in the future": (lambda r: _json(r / "run.json", lambda d: d.__setitem__(
        "created", "9999-12-31T00:00:00+00:00")), "created"),
    "created not a time": (lambda r: _json(r / "run.json", lambda d: d.__setitem__("created", "zzz")),
                           "created"),
    "created without its offset": (lambda r: _json(r / "run.json", lambda d: d.__setitem__(
        "created", "2026-01-01T00:00:00")), "created"),
    "created before year 1 in UTC": (lambda r: _json(r / "run.json", lambda d: d.__setitem__(
        "created", "0001-01-01T00:00:00+01:00")), "created"),
    "score a huge integer": (lambda r: _json(r / "scores.json", lambda d: _bleu(d).__setitem__(
        "score", 10**400)), "finite"),
    "record names another folder": (lambda r: _json(r / "run.json", lambda d: d.__setitem__("run_id", "x")),
                                    "lies in"),
    "scores.json score Infinity": (lambda r: _json(r / "scores.json", lambda d: _bleu(d).__setitem__(
        "score", float("inf"))), "finite"),
    "scores.json score null": (lambda r: _json(r / "scores.json", lambda d: _bleu(d).__setitem__(
        "score", None)), "score"),
    "scores.json ragged stats": (lambda r: _json(r / "scores.json", lambda d: _bleu(d)["stats"][0].pop()),
                                 "stats"),
    "scores.json stats for fewer rows": (lambda r: _json(r / "scores.json",
                                                         lambda d: _bleu(d)["stats"].pop()), "stats"),
    "scores.json metric name with traversal": (lambda r: _json(r / "scores.json", lambda d: d["pairs"][
        "zh-kk"]["metrics"].__setitem__("../../mine/evil", _bleu(d))), "not a metric name"),
    "scores.json pair not translated": (lambda r: _json(r / "scores.json", lambda d: d["pairs"].__setitem__(
        "zh-vi", d["pairs"]["zh-kk"])), "a pair the run translated"),
    "scores.json absurd bootstrap": (lambda r: _json(r / "scores.json", lambda d: _bleu(d)["extra"][
        "bootstrap"].__setitem__("samples", 10**9)), "bootstrap"),
    "scores.json older schema": (lambda r: _json(r / "scores.json", lambda d: d.pop("schema_version")),
                                 "schema_version"),
    "hypotheses replaced by a folder": (lambda r: (shutil.rmtree(r / "hypotheses"),
                                                   (r / "hypotheses" / "zh-kk.txt").mkdir(parents=True)),
                                        "zh-kk.txt"),
}


@pytest.fixture(scope="module")
def shared_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One results folder with an honest run and one damaged copy of it per case, each under its own
    system name; and, in ``mine/``, an ``evil.yaml`` that instantiates code if it were ever loaded."""
    home = tmp_path_factory.mktemp("shared")
    write_references(home / "references", ROWS)
    out = bench("run", "model=copy", f"model.name={GOOD}", "metric=[bleu,chrf,ter]",
                f"dataset.path={home / 'references'}", f"results_dir={home / 'results'}")
    assert out.returncode == 0, out.stderr
    [good] = (home / "results" / "runs" / GOOD).iterdir()
    (home / "mine").mkdir()
    sentinel = home / "mine" / "PWNED"
    (home / "mine" / "evil.yaml").write_text(
        f"_target_: pathlib.Path.touch\nself: {{_target_: pathlib.Path, _args_: ['{sentinel}']}}\n")
    for i, (_, (damage, _)) in enumerate(sorted(RESULT_CASES.items())):
        folder = home / "results" / "runs" / f"damaged-{i:02d}" / good.name
        shutil.copytree(good, folder)
        _json(folder / "run.json", lambda d, i=i: d["system"].__setitem__("name", f"damaged-{i:02d}"))
        damage(folder)
    return home, good


def test_leaderboard_skips_each_damaged_run_and_ranks_the_rest(shared_results):
    home, _ = shared_results
    before = snapshot(home / "mine")
    out = bench("leaderboard", f"results_dir={home / 'results'}", f"dataset.path={home / 'references'}")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    md = (home / "results" / "leaderboard.md").read_text()
    assert f"| – | {GOOD} (baseline) |" in md  # model=copy: a baseline, listed but never ranked
    text = out.stderr + md
    for i, (case, (_, needle)) in enumerate(sorted(RESULT_CASES.items())):
        lines = [line for line in text.splitlines() if f"damaged-{i:02d}" in line]
        assert lines and any(needle in line for line in lines), (case, lines)
        assert f"| damaged-{i:02d} |" not in md, case
    assert snapshot(home / "mine") == before and not (home / "mine" / "PWNED").exists()


def test_score_skips_each_damaged_run_and_scores_the_rest(shared_results, tmp_path: Path):
    home, good = shared_results
    results = tmp_path / "results"
    shutil.copytree(home / "results", results)
    out = bench("score", f"results_dir={results}", f"dataset.path={home / 'references'}", "metric=[chrf]",
                "force=true")
    assert out.returncode == 0, out.stderr
    assert f"{GOOD}  {good.name}  zh-kk" in out.stdout
    assert "Traceback" not in out.stderr + out.stdout


def _tamper(folder: Path, change: Callable[[dict], None]) -> None:
    _json(folder / "scores.json", change)


def _ci(d: dict) -> None:
    _bleu(d)["ci_high"] = 99.0


TAMPERED: dict[str, tuple[Callable[[Path], None], str]] = {
    "BLEU raised": (lambda f: _tamper(f, lambda d: _bleu(d).__setitem__("score", 99.0)),
                    "bleu of tampered (tampered/"),
    "interval widened": (lambda f: _tamper(f, _ci), "confidence interval that does not follow"),
    "TER lowered": (lambda f: _tamper(f, lambda d: d["pairs"]["zh-kk"]["metrics"]["ter"].__setitem__(
        "score", 0.0)), "ter of tampered"),
    "interval without its settings": (lambda f: _tamper(f, lambda d: _bleu(d)["extra"].pop("bootstrap")),
                                      "without its bootstrap settings"),
    "hypotheses edited after scoring": (
        lambda f: (f / "hypotheses" / "zh-kk.txt").write_text("x\ny\nz\nw\n"), "hypotheses changed"),
}


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_edited_numbers_are_never_published(shared_results, tmp_path: Path, case: str):
    home, good = shared_results
    results = tmp_path / "results"
    shutil.copytree(good, results / "runs" / GOOD / good.name)
    shutil.copytree(good, results / "runs" / "tampered" / good.name)
    _json(results / "runs" / "tampered" / good.name / "run.json",
          lambda d: d["system"].__setitem__("name", "tampered"))
    damage, needle = TAMPERED[case]
    damage(results / "runs" / "tampered" / good.name)
    out = bench("leaderboard", f"results_dir={results}", f"dataset.path={home / 'references'}")
    assert out.returncode == 0, out.stderr
    md = (results / "leaderboard.md").read_text()
    assert needle in md
    assert "99.0" not in (results / "leaderboard.csv").read_text()
    if case == "hypotheses edited after scoring":
        assert "| tampered |" in md.split("stale runs (not ranked)")[1]


def test_run_times_are_compared_in_utc(shared_results):
    """The board keeps each system's newest run by ``created``: times with another UTC offset are
    read as UTC, so 10:00+05:00 is older than 06:00+00:00 although it sorts after it as text."""
    from bench.store.runs import RunRecord

    _, good = shared_results
    data = json.loads((good / "run.json").read_text())
    early = RunRecord.parse({**data, "created": "2026-06-01T10:00:00+05:00"}, "run.json")
    late = RunRecord.parse({**data, "created": "2026-06-01T06:00:00+00:00"}, "run.json")
    assert early.created == "2026-06-01T05:00:00+00:00" and early.created < late.created


def test_score_refuses_a_run_whose_row_count_was_edited(shared_results, tmp_path: Path):
    home, good = shared_results
    results = tmp_path / "results"
    folder = results / "runs" / GOOD / good.name
    shutil.copytree(good, folder)
    (folder / "scores.json").unlink()
    (folder / "hypotheses" / "zh-kk.txt").write_text("".join(f"{r}\n" for _, r in ROWS["zh-kk"][:3]))
    _json(folder / "run.json", lambda d: d["testset"]["pairs"]["zh-kk"].__setitem__("rows", 3))
    out = bench("score", f"results_dir={results}", f"dataset.path={home / 'references'}", "metric=[bleu]")
    assert out.returncode == 0, out.stderr
    assert "records 3 rows for zh-kk, the test set has 4" in out.stdout
    assert not (folder / "scores.json").exists()


def test_stats_survive_the_round_trip_exactly(shared_results):
    """What the board re-derives equals what was stored: an honest run is never dropped for noise."""
    _, good = shared_results
    from bench.store.runs import load_run

    held = load_run(good).scores().get("zh-kk")
    for name, score in held.items():
        metric = load_metric(name)
        assert np.isclose(metric.aggregate(np.asarray(score.stats, dtype=np.float64)), score.score)


@pytest.mark.parametrize(("setting", "needle"), [("rank_by=[nope]", "rank_by=nope"),
                                                 ("rank_by=[../../mine/evil]", "rank_by="),
                                                 ("+colour=red", "colour: not a setting")])
def test_bad_leaderboard_settings_are_one_line(shared_results, setting: str, needle: str):
    home, _ = shared_results
    before = snapshot(home)
    one_line(bench("leaderboard", f"results_dir={home / 'results'}", f"dataset.path={home / 'references'}",
                   setting), needle)
    assert snapshot(home) == before


# --- found by an outside attack on the above (red team): links, caches, FIFOs, nesting ----------------

def test_a_linked_hypotheses_folder_never_aims_the_temp_sweep_elsewhere(shared_results, tmp_path: Path):
    home, good = shared_results
    victim = tmp_path / "victim"
    victim.mkdir()
    stale = victim / ".report.1-deadbeef.x.tmp"  # bench's temp-name pattern, two hours old
    stale.write_text("precious\n")
    os.utime(stale, (stale.stat().st_mtime - 7200,) * 2)
    results = tmp_path / "results"
    folder = results / "runs" / GOOD / good.name
    shutil.copytree(good, folder)
    shutil.rmtree(folder / "hypotheses")
    (folder / "hypotheses").symlink_to(victim)
    out = bench("leaderboard", f"results_dir={results}", f"dataset.path={home / 'references'}")
    assert "Traceback" not in out.stderr
    assert stale.read_text() == "precious\n"


def test_linked_run_and_cache_folders_are_refused(home: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (home / "results" / "runs").mkdir(parents=True)
    (home / "results" / "runs" / "copy").symlink_to(elsewhere)
    one_line(run(home, "model=copy", "metric=[bleu]"), "is a link")
    (home / "results" / "runs" / "copy").unlink()
    (home / "results" / "cache").mkdir()
    (home / "results" / "cache" / "scores.sqlite").symlink_to(elsewhere / "planted.db")
    one_line(run(home, "model=copy", "metric=[bleu]"), "score_cache.path", "is a link")
    assert not any(elsewhere.iterdir())


def test_a_score_cache_from_someone_else_is_never_believed(shared_results, tmp_path: Path):
    """Cache entries carry a MAC under the user's own key: another user's (or a forged) entry is a miss,
    so `score force=true` recomputes instead of taking planted numbers."""
    home, good = shared_results
    results = tmp_path / "results"
    shutil.copytree(good, results / "runs" / GOOD / good.name)
    args = ("score", f"results_dir={results}", f"dataset.path={home / 'references'}", "metric=[bleu]",
            "force=true")
    first = bench(*args, env={"XDG_CONFIG_HOME": str(tmp_path / "theirs")})
    assert "1 scores computed" in first.stdout, first.stdout
    mine = bench(*args, env={"XDG_CONFIG_HOME": str(tmp_path / "mine")})
    assert "1 scores computed, 0 from the score cache" in mine.stdout, mine.stdout
    again = bench(*args, env={"XDG_CONFIG_HOME": str(tmp_path / "mine")})
    assert "0 scores computed, 1 from the score cache" in again.stdout, again.stdout


@pytest.mark.parametrize("damage", ["fifo run.json", "nested run.json", "nested scores.json",
                                    "huge integer", "absurd pid"])
def test_files_that_would_hang_or_crash_the_parser_are_skipped(shared_results, tmp_path: Path, damage: str):
    home, good = shared_results
    results = tmp_path / "results"
    shutil.copytree(good, results / "runs" / GOOD / good.name)
    bad = results / "runs" / "bad" / good.name
    shutil.copytree(good, bad)
    _json(bad / "run.json", lambda d: d["system"].__setitem__("name", "bad"))
    if damage == "fifo run.json":
        (bad / "run.json").unlink()
        os.mkfifo(bad / "run.json")
    elif damage == "nested run.json":
        (bad / "run.json").write_text("[" * 100_000 + "]" * 100_000)
    elif damage == "nested scores.json":
        (bad / "scores.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    elif damage == "huge integer":
        _json(bad / "run.json", lambda d: d["testset"]["pairs"]["zh-kk"].__setitem__("rows", 10 ** 4000))
    else:
        import socket

        _json(bad / "run.json", lambda d: d.update(status="running", pid=10 ** 20, host=socket.gethostname()))
    out = bench("leaderboard", f"results_dir={results}", f"dataset.path={home / 'references'}", timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert f"| {GOOD} (baseline) |" in (results / "leaderboard.md").read_text()  # copy: a baseline row
    assert any("bad/" in line for line in out.stderr.splitlines())



"""A battery of malformed inputs across the commands: every one is refused in one line.

Each case is a command line, and where needed a file or folder made malformed first. Every case must
end the way a user can act on: exit status 2, exactly one line on stderr beginning with
``bench <command>: error:`` (and naming what is at fault), no traceback, and nothing written, changed
or removed anywhere in the user's folder (references, results, caches, raw documents, exports). The
commands run in this process (:func:`bench_here`), each in a fresh copy of one small user folder, so
the whole battery costs seconds; a case that hangs is stopped by ``faulthandler``'s timeout.
"""

from __future__ import annotations

import faulthandler
import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.__main__ import main
from tests.support.cli import ROOT, TEST_ENV, bench_here
from tests.support.files import snapshot
from tests.support.refs import write_references

#: seconds one case may take before the battery calls it a hang and dumps every thread's stack
HANG_S = 120


# --- the user's folder --------------------------------------------------------------------------

ROWS = {"zh-kk": [("今天天气很好。", "Бүгін ауа райы өте жақсы."),
                  ("我们明天去北京。", "Біз ертең Бейжіңге барамыз."),
                  ("这本书非常有意思。", "Бұл кітап өте қызықты.")],
        "zh-vi": [("今天天气很好。", "Hôm nay thời tiết rất đẹp."),
                  ("我们明天去北京。", "Ngày mai chúng tôi đi Bắc Kinh.")]}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """References, raw documents, two files to align, and a results folder holding one scored run."""
    root = tmp_path_factory.mktemp("home")
    write_references(root / "references", ROWS)
    seeds = ROOT / "bench" / "references" / "raw"
    shutil.copytree(seeds, root / "raw")
    (root / "a.zh").write_text("今天天气很好。\n我们明天去北京。\n", encoding="utf-8")
    (root / "a.kk").write_text("Бүгін ауа райы өте жақсы.\nБіз ертең Бейжіңге барамыз.\n", encoding="utf-8")
    old = Path.cwd()
    os.chdir(root)
    try:
        with pytest.MonkeyPatch.context() as env:
            for name, value in TEST_ENV.items():
                env.setenv(name, value)
            codes = [main(["run", f"model={model}", "metric=[bleu]"]) for model in ("reference", "copy")]
    finally:
        os.chdir(old)
    assert codes == [0, 0] and len(list(root.glob("results/runs/*/*/scores.json"))) == 2
    return root


# --- what a case makes malformed first (each gets the fresh folder) ------------------------------

def write(relative: str, data: str | bytes) -> Callable[[Path], None]:
    def make(home: Path) -> None:
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return make


def folder(relative: str) -> Callable[[Path], None]:
    return lambda home: (home / relative).mkdir(parents=True, exist_ok=True)


def remove(relative: str) -> Callable[[Path], None]:
    return lambda home: (home / relative).unlink()


def link(relative: str, target: str) -> Callable[[Path], None]:
    return lambda home: (home / relative).symlink_to(target)


def edit_json(relative: str, change: Callable[[object], object]) -> Callable[[Path], None]:
    def make(home: Path) -> None:
        path = home / relative
        path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    return make


def in_run(name: str, change: Callable[[object], object], system: str = "reference"
           ) -> Callable[[Path], None]:
    """Edit a JSON file of a stored run (``run.json``, ``scores.json``)."""
    def make(home: Path) -> None:
        (run,) = (home / "results" / "runs" / system).iterdir()
        edit_json(str((run / name).relative_to(home)), change)(home)
    return make


def every_run(name: str, change: Callable[[object], object]) -> Callable[[Path], None]:
    def make(home: Path) -> None:
        for system in ("reference", "copy"):
            in_run(name, change, system)(home)
    return make


def in_copy_run(name: str, data: str | bytes) -> Callable[[Path], None]:
    """Replace a file of the stored ``copy`` run with ``data``."""
    def make(home: Path) -> None:
        (run,) = (home / "results" / "runs" / "copy").iterdir()
        write(str((run / name).relative_to(home)), data)(home)
    return make


def other_program_db(relative: str) -> Callable[[Path], None]:
    def make(home: Path) -> None:
        db = sqlite3.connect(home / relative)
        db.execute("CREATE TABLE places (url TEXT)")
        db.commit()
        db.close()
    return make


def comet_checkpoint(hparams: str | None, ckpt_is_zip: bool = True) -> Callable[[Path], None]:
    """A COMET checkpoint folder with a damaged part (``hparams.yaml`` text, or a checkpoint that is
    not a zip archive)."""
    def make(home: Path) -> None:
        ckpt = home / "comet" / "checkpoints" / "model.ckpt"
        ckpt.parent.mkdir(parents=True)
        if ckpt_is_zip:
            with zipfile.ZipFile(ckpt, "w") as archive:
                archive.writestr("data.pkl", b"x")
        else:
            ckpt.write_bytes(b"not a checkpoint")
        if hparams is not None:
            (home / "comet" / "hparams.yaml").write_text(hparams, encoding="utf-8")
    return make


def files_system(lines: dict[str, str]) -> Callable[[Path], None]:
    def make(home: Path) -> None:
        for pair, text in lines.items():
            write(f"mine/{pair}.txt", text)(home)
    return make


def manifest(change: Callable[[dict], object]) -> Callable[[Path], None]:
    return edit_json("references/MANIFEST.json", change)


def pair_row(text: str) -> Callable[[Path], None]:
    def make(home: Path) -> None:
        path = home / "references" / "zh-vi.jsonl"
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join([lines[0], text, *lines[2:]]) + "\n", encoding="utf-8")
    return make


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    needle: str
    setup: Callable[[Path], None] | None = None

    @property
    def command(self) -> str:
        return next(a for a in self.args if not a.startswith("-"))


def case(name: str, args: str, needle: str, setup: Callable[[Path], None] | None = None) -> Case:
    return Case(name, tuple(args.split()), needle, setup)


RUN = "run model=reference metric=[bleu]"
COMET = "run model=reference metric=[comet] metric.comet.checkpoint=comet/checkpoints/model.ckpt"
JUDGE = "run model=reference metric=[judge] metric.judge.model=j metric.judge.base_url=http://127.0.0.1:9/v1"
CASES = [
    # run: settings
    case("unknown pair", f"{RUN} pairs=[xx-yy]", "pairs="),
    case("no pair", f"{RUN} pairs=[]", "pairs=[]"),
    case("limit zero", f"{RUN} limit=0", "limit"),
    case("limit negative", f"{RUN} limit=-1", "limit"),
    case("limit a word", f"{RUN} limit=abc", "limit"),
    case("chunk size zero", f"{RUN} chunk_size=0", "chunk_size"),
    case("chunk size a word", f"{RUN} chunk_size=abc", "chunk_size"),
    case("no resamples", f"{RUN} bootstrap.samples=0", "bootstrap.samples"),
    case("a billion resamples", f"{RUN} bootstrap.samples=1000000000", "bootstrap.samples"),
    case("resamples a word", f"{RUN} bootstrap.samples=many", "bootstrap.samples"),
    case("negative seed", f"{RUN} bootstrap.seed=-1", "bootstrap.seed"),
    case("confidence above 1", f"{RUN} bootstrap.confidence=1.5", "bootstrap.confidence"),
    case("confidence a word", f"{RUN} bootstrap.confidence=high", "bootstrap.confidence"),
    case("unknown metric", "run model=reference metric=[nosuch]", "nosuch"),
    case("unknown model", "run model=nosuch", "nosuch"),
    case("no model", "run metric=[bleu]", "model=NAME"),
    case("model name a path", f"{RUN} model.name=a/b", "model.name"),
    case("model name dot dot", f"{RUN} model.name=..", "model.name"),
    case("model name empty", f"{RUN} model.name=''", "model.name"),
    case("results dir empty", f"{RUN} results_dir=''", "results_dir"),
    case("results dir a file", f"{RUN} results_dir=notes.txt", "notes.txt", write("notes.txt", "mine")),
    case("unknown key", f"{RUN} +foo=1", "foo"),
    case("misspelt key", f"{RUN} +model.batch_size=8", "model.batch_size"),
    case("override syntax", f"{RUN} pairs=[zh-kk", "override"),
    case("sweep and cfg", f"-m {RUN} --cfg job", "--cfg"),
    case("experiment without -m", "run +experiment=leaderboard", "experiment"),
    case("cache enabled maybe", f"{RUN} translation_cache.enabled=maybe", "translation_cache.enabled"),
    case("cache path a folder", f"{RUN} translation_cache.path=results", "translation_cache.path"),
    case("cache of another program", f"{RUN} score_cache.path=places.sqlite", "another program",
         other_program_db("places.sqlite")),
    case("cache a text file", f"{RUN} translation_cache.path=notes.txt", "not an SQLite file",
         write("notes.txt", "my notes")),
    case("score cache a text file", f"{RUN} score_cache.path=notes.txt", "score_cache.path",
         write("notes.txt", "my notes")),
    case("score cache a link", f"{RUN} score_cache.path=s.sqlite", "link", link("s.sqlite", "/etc/passwd")),
    # run: the test set
    case("no reference set", f"{RUN} dataset.path=nowhere", "nowhere"),
    case("reference set a file", f"{RUN} dataset.path=notes.txt", "notes.txt", write("notes.txt", "x")),
    case("manifest not JSON", RUN, "MANIFEST.json", write("references/MANIFEST.json", "{")),
    case("manifest a list", RUN, "MANIFEST.json", write("references/MANIFEST.json", "[]")),
    case("manifest without files", RUN, "MANIFEST.json", manifest(lambda m: {})),
    case("manifest pair a path", RUN, "MANIFEST.json",
         manifest(lambda m: {"files": {"../x.jsonl": m["files"]["zh-kk.jsonl"]}})),
    case("manifest rows a word", RUN, "row count",
         manifest(lambda m: {"files": {**m["files"], "zh-kk.jsonl": {**m["files"]["zh-kk.jsonl"],
                                                                      "rows": "3"}}})),
    case("pair file missing", RUN, "zh-kk.jsonl", remove("references/zh-kk.jsonl")),
    case("pair row not JSON", RUN, "zh-vi.jsonl", pair_row("{not json")),
    case("pair row a list", RUN, "zh-vi.jsonl", pair_row("[1, 2]")),
    case("pair row edited", RUN, "zh-vi", pair_row(json.dumps(
        {"id": "doc-001", "doc_id": "doc", "seg": 1, "src_lang": "zh", "tgt_lang": "vi", "src": "改了",
         "ref": "x", "kind": "body", "date": "2021-01-08", "source": "example.org", "bead": "1-1"}))),
    case("pair file not UTF-8", RUN, "zh-vi.jsonl", write("references/zh-vi.jsonl", b"\xff\xfe\x00")),
    # run: systems and metrics
    case("file system folder missing", "run model=file model.path=nowhere metric=[bleu]", "nowhere"),
    case("file system short file", "run model=file model.path=mine metric=[bleu] pairs=[zh-kk]", "zh-kk",
         files_system({"zh-kk": "one line\n"})),
    case("file system missing pair", "run model=file model.path=mine metric=[bleu]", "zh-vi",
         files_system({"zh-kk": "a\nb\nc\n"})),
    case("model folder missing", "run model=nllb-200-distilled-600M model.path=nowhere metric=[bleu]",
         "nowhere"),
    case("model folder empty", "run model=nllb-200-distilled-600M model.path=empty metric=[bleu]",
         "empty", folder("empty")),
    case("comet batch size zero", "run model=reference metric=[comet] metric.comet.batch_size=0",
         "metric.comet.batch_size"),
    case("comet precision", "run model=reference metric=[comet] metric.comet.precision=fp8",
         "metric.comet.precision"),
    case("comet checkpoint missing", "run model=reference metric=[comet] metric.comet.checkpoint=nowhere",
         "metric.comet.checkpoint"),
    case("comet hparams a list", COMET, "hparams.yaml", comet_checkpoint("- a\n- b\n")),
    case("comet hparams not YAML", COMET, "hparams.yaml", comet_checkpoint("a: [unclosed\n")),
    case("comet hparams missing", COMET, "hparams.yaml", comet_checkpoint(None)),
    case("comet checkpoint not a zip", COMET, "checkpoint", comet_checkpoint("{}", ckpt_is_zip=False)),
    case("judge without model", "run model=reference metric=[judge]", "metric.judge.model"),
    case("judge scheme", f"{JUDGE} metric.judge.scheme=stars", "metric.judge.scheme"),
    case("judge chunk size", f"{JUDGE} metric.judge.chunk_size=0", "metric.judge.chunk_size"),
    case("judge template", f"{JUDGE} metric.judge.template='x{{source}}'", "metric.judge.template"),
    case("judge concurrency", f"{JUDGE} metric.judge.concurrency=0", "metric.judge"),
    case("judge server down", JUDGE, "metric.judge"),
    case("metricx batch size", "run model=reference metric=[metricx] metric.metricx.batch_size=0",
         "metric.metricx.batch_size"),
    case("metricx checkpoint missing", "run model=reference metric=[metricx] "
         "metric.metricx.checkpoint=nowhere", "metric.metricx"),
    # score
    case("score without runs", "score metric=[bleu] results_dir=empty", "no complete runs", folder("empty")),
    case("score no metric", "score metric=[]", "metric=[]"),
    case("score unknown metric", "score metric=[nosuch]", "nosuch"),
    case("score no resamples", "score metric=[chrf] bootstrap.samples=0", "bootstrap.samples"),
    case("score force maybe", "score metric=[chrf] force=maybe", "force"),
    case("score cache a folder", "score metric=[chrf] score_cache.path=results", "score_cache.path"),
    case("score results dir empty", "score metric=[chrf] results_dir=''", "results_dir"),
    case("score no reference set", "score metric=[chrf] dataset.path=nowhere", "nowhere"),
    case("score unknown key", "score metric=[chrf] +foo=1", "foo"),
    # leaderboard
    case("board without runs", "leaderboard results_dir=empty", "no complete runs", folder("empty")),
    case("board alpha", "leaderboard significance.alpha=2", "significance.alpha"),
    case("board alpha a word", "leaderboard significance.alpha=low", "significance.alpha"),
    case("board rank by unknown", "leaderboard rank_by=[nosuch]", "rank_by"),
    case("board rank by nothing", "leaderboard rank_by=[]", "rank_by"),
    case("board method", "leaderboard significance.method=vote", "significance.method"),
    case("board correction", "leaderboard significance.correction=none2", "significance.correction"),
    case("board threshold", "leaderboard off_target_threshold=abc", "off_target_threshold"),
    case("board include reference maybe", "leaderboard include_reference=maybe", "include_reference"),
    case("board results dir a file", "leaderboard results_dir=notes.txt", "notes.txt",
         write("notes.txt", "x")),
    case("board no reference set", "leaderboard dataset.path=nowhere", "nowhere"),
    case("board runs on another test set", "leaderboard", "test set", every_run("run.json", lambda r: {
        **r, "testset": {**r["testset"], "pairs": {p: {**v, "sha256": "0" * 64}
                                                   for p, v in r["testset"]["pairs"].items()}}})),
    # build
    case("build confidence a word", "build min_confidence=abc raw_dir=raw", "min_confidence"),
    case("build confidence above 1", "build min_confidence=2 raw_dir=raw", "min_confidence"),
    case("build no languages", "build languages=[] raw_dir=raw", "languages"),
    case("build languages a word", "build languages=kk raw_dir=raw", "languages"),
    case("build unknown language", "build languages=[xx] raw_dir=raw", "xx"),
    case("build max sentences", "build max_sentences=0 raw_dir=raw", "max_sentences"),
    case("build embeddings maybe", "build embeddings=maybe raw_dir=raw", "embeddings"),
    case("build no raw folder", "build raw_dir=nowhere", "nowhere"),
    case("build raw folder a file", "build raw_dir=notes.txt", "notes.txt", write("notes.txt", "x")),
    case("build raw folder empty", "build raw_dir=empty", "empty", folder("empty")),
    case("build seeds missing", "build seeds_dir=nowhere raw_dir=raw", "nowhere"),
    case("build encoder missing", "build encoder=nowhere embeddings=true raw_dir=raw", "nowhere"),
    case("build record check maybe", "build record_check=maybe raw_dir=raw", "record_check"),
    # align
    case("align no files", "align src_lang=zh tgt_lang=kk", "src"),
    case("align source missing", "align src=nowhere tgt=a.kk src_lang=zh tgt_lang=kk", "nowhere"),
    case("align target a folder", "align src=a.zh tgt=references src_lang=zh tgt_lang=kk", "references"),
    case("align unknown language", "align src=a.zh tgt=a.kk src_lang=zh tgt_lang=xx", "xx"),
    case("align not UTF-8", "align src=bad.zh tgt=a.kk src_lang=zh tgt_lang=kk", "bad.zh",
         write("bad.zh", b"\xff\xfe\xfa\n")),
    case("align max sentences", "align src=a.zh tgt=a.kk src_lang=zh tgt_lang=kk max_sentences=0",
         "max_sentences"),
    case("align embeddings maybe", "align src=a.zh tgt=a.kk src_lang=zh tgt_lang=kk embeddings=maybe",
         "embeddings"),
    # publish (written locally: dry_run or export_dir)
    case("publish no repo", "publish dry_run=true", "repo_id"),
    case("publish repo without owner", "publish repo_id=solo dry_run=true", "repo_id"),
    case("publish repo dot dot", "publish repo_id=a/.. dry_run=true", "repo_id"),
    case("publish repo double dash", "publish repo_id=a/b--c dry_run=true", "repo_id"),
    case("publish repo deep", "publish repo_id=a/b/c dry_run=true", "repo_id"),
    case("publish license", "publish repo_id=a/b dry_run=true license='CC BY'", "license"),
    case("publish license name", "publish repo_id=a/b dry_run=true license_name=null", "license_name"),
    case("publish license details", "publish repo_id=a/b dry_run=true license_details=''",
         "license_details"),
    case("publish to the root", "publish repo_id=a/b export_dir=/", "export_dir"),
    case("publish into a file", "publish repo_id=a/b export_dir=notes.txt", "notes.txt",
         write("notes.txt", "x")),
    case("publish over my files", "publish repo_id=a/b export_dir=mine", "notes.txt",
         write("mine/notes.txt", "keep")),
    case("publish through a link", "publish repo_id=a/b export_dir=out", "link", link("out", "raw")),
    case("publish no reference set", "publish repo_id=a/b dry_run=true dataset.path=nowhere", "nowhere"),
    case("publish private maybe", "publish repo_id=a/b dry_run=true private=maybe", "private"),
    case("publish unknown key", "publish repo_id=a/b dry_run=true +foo=1", "foo"),
    case("publish export dir empty", "publish repo_id=a/b export_dir=''", "export_dir"),
    case("publish from the hub", "publish repo_id=a/b dry_run=true dataset=hub dataset.repo_id=x/y", "local"),
    # sweeps and the command line itself
    case("sweep of no jobs", f"-m {RUN} hydra/launcher=parallel hydra.launcher.n_jobs=0", "n_jobs"),
    case("model name with an escape", f"{RUN} model.name=a\x1b[2Jb", "model.name"),
    case("build out dir a file", "build raw_dir=raw out_dir=notes.txt", "notes.txt", write("notes.txt", "x")),
    case("cfg without its value", "run --cfg", "--cfg"),
    case("info of nothing", "score --info nosuch", "--info"),
    case("list nothing", "list", "what to list"),
    case("list something else", "list nosuch", "what to list"),
    case("list pairs of no reference set", "list pairs nowhere", "nowhere"),
]

#: a run in a shared results folder that cannot be read: documented as skipped with a line naming it,
#: while the other runs are still scored and drawn (exit 0)
DAMAGED_RUNS = [
    ("scores not JSON", in_copy_run("scores.json", "{")),
    ("scores a list", in_copy_run("scores.json", "[]")),
    ("scores of another schema", in_run("scores.json", lambda d: {**d, "schema_version": 99}, "copy")),
    ("score not a number", in_run("scores.json", lambda d: json.loads(json.dumps(d).replace(
        '"score": ', '"score": "x" or ', 1).replace('"x" or ', '"x", "was": ')), "copy")),
    ("statistics of the wrong length", in_run("scores.json", lambda d: {**d, "pairs": {
        p: {**v, "metrics": {m: {**s, "stats": s["stats"][:1]} for m, s in v["metrics"].items()}}
        for p, v in d["pairs"].items()}}, "copy")),
    ("run record not JSON", in_copy_run("run.json", "{")),
    ("run record of another run", in_run("run.json", lambda r: {**r, "run_id": "elsewhere"}, "copy")),
    ("run record in the future", in_run("run.json", lambda r: {**r, "created": "2999-01-01T00:00:00+00:00"},
                                        "copy")),
    ("hypotheses cut short", in_copy_run("hypotheses/zh-kk.txt", "one line\n")),
    ("hypotheses not UTF-8", in_copy_run("hypotheses/zh-kk.txt", b"\xff\xfe\n\xff\n\xff\n")),
]


@pytest.fixture
def home(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(template, copy, symlinks=True)
    monkeypatch.chdir(copy)
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))  # nothing downloaded here
    return copy


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_malformed_input_is_one_line_and_changes_nothing(case: Case, home: Path, tmp_path: Path, capsys):
    if case.setup:
        case.setup(home)
    before = snapshot(home)
    with open(tmp_path / "hang-traceback.txt", "w") as hang:  # where a hang's stacks go before exiting
        faulthandler.dump_traceback_later(HANG_S, exit=True, file=hang)
        try:
            result = bench_here(capsys, *case.args)
        finally:
            faulthandler.cancel_dump_traceback_later()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"bench {case.command}: error: "), result.stderr
    assert case.needle in lines[0], lines[0]
    assert snapshot(home) == before  # nothing written, changed or removed


@pytest.mark.parametrize("setup", [s for _, s in DAMAGED_RUNS], ids=[n for n, _ in DAMAGED_RUNS])
@pytest.mark.parametrize("command", ["leaderboard", "score metric=[chrf]"])
def test_a_damaged_run_is_left_out_by_name_and_the_others_go_on(setup, command: str, home: Path, capsys):
    setup(home)
    extra = ["include_reference=true"] if command == "leaderboard" else []  # the good run is a baseline
    result = bench_here(capsys, *command.split(), *extra)
    assert result.returncode == 0 and "Traceback" not in result.stderr + result.stdout, result.stderr
    (damaged,) = (home / "results" / "runs" / "copy").iterdir()
    said = result.stderr + result.stdout
    assert f"copy/{damaged.name}" in said, said  # the run left out is named...
    if command == "leaderboard":  # ...and the good one is on the board
        assert "| reference |" in (home / "results" / "leaderboard.md").read_text(encoding="utf-8")
    else:
        scored = json.loads(next(home.glob("results/runs/reference/*/scores.json")).read_text())["pairs"]
        assert all("chrf" in held["metrics"] for held in scored.values())


def test_the_battery_is_large_and_covers_every_command():
    assert len(CASES) >= 100 and len({c.name for c in CASES}) == len(CASES)
    assert {c.command for c in CASES} == {"run", "score", "leaderboard", "build", "align", "publish", "list"}

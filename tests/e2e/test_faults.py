"""The fault suite: damaged files and bad inputs are recovered or refused in one line, never a
traceback, never silently wrong scores, and nothing half-written is left behind."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import bench
from tests.support.http import FaultServer, completion
from tests.support.refs import write_references
from tests.support.runs import stored_scores

ROWS = {
    "zh-kk": [("实现贫困人口如期脱贫。", "Кедейлерді уағында кедейліктен арылту керек."),
              ("责任重于泰山。", "Жауапкершілік Тайшань тауынан да ауыр."),
              ("截至2019年4月,选派干部300多万人。", "2019 жылы сәуірге дейін 3 миллионнан астам кадр.")],
}


@dataclass
class World:
    """A project folder for one test: references, results, and a scratch area."""

    root: Path

    @property
    def refs(self) -> Path:
        return self.root / "references"

    @property
    def results(self) -> Path:
        return self.root / "results"

    def run(self, *args: str, **kwargs) -> object:
        dataset = [] if any(a.startswith("dataset=") for a in args) else [f"dataset.path={self.refs}"]
        return bench("run", *dataset, f"results_dir={self.results}", *args, **kwargs)

    def files(self) -> dict[str, bytes]:
        """Every file under results/ (caches excluded), to prove a failure changed nothing."""
        if not self.results.exists():
            return {}
        return {str(p.relative_to(self.results)): p.read_bytes() for p in sorted(self.results.rglob("*"))
                if p.is_file() and "cache" not in p.parts}


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    write_references(w.refs, ROWS)
    return w


def one_line_error(result, *needles: str) -> str:
    """The failure was reported as exactly one line that names what it must name."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def completed_run(world: World, model: str = "copy", metrics: str = "[bleu,chrf]") -> Path:
    out = world.run(f"model={model}", f"metric={metrics}")
    assert out.returncode == 0, out.stderr
    [run] = list((world.results / "runs" / model).iterdir())
    return run


# --- bad inputs: one line naming the file or setting and the fix, non-zero exit, nothing written ---

def _hyp_file(world: World, content: bytes) -> list[str]:
    folder = world.root / "hyps"
    folder.mkdir()
    (folder / "zh-kk.txt").write_bytes(content)
    return ["model=file", f"model.path={folder}", "metric=[bleu]"]


def _damaged_comet(world: World) -> list[str]:
    folder = world.root / "comet"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "checkpoints" / "model.ckpt").write_bytes(b"PK\x03\x04 truncated download")
    (folder / "hparams.yaml").write_text("class_identifier: regression_metric\n")
    return ["model=copy", "metric=[comet]", f"metric.comet.checkpoint={folder}/checkpoints/model.ckpt"]


BAD_RUNS: dict[str, tuple[Callable[[World], list[str]], tuple[str, ...]]] = {
    "unknown model": (lambda w: ["model=nope"], ("nope", "copy")),
    "unknown pair": (lambda w: ["model=copy", "pairs=[zh-xx]", "metric=[bleu]"], ("zh-xx", "zh-kk")),
    "unknown metric": (lambda w: ["model=copy", "metric=[blue]"], ("blue", "bleu")),
    "missing reference set": (lambda w: ["model=copy", f"dataset.path={w.root / 'none'}", "metric=[bleu]"],
                              ("MANIFEST.json", "python -m bench build")),
    "bad chunk size": (lambda w: ["model=copy", "chunk_size=0", "metric=[bleu]"], ("chunk_size",)),
    "bad bootstrap samples": (lambda w: ["model=copy", "bootstrap.samples=many", "metric=[bleu]"],
                              ("bootstrap.samples",)),
    "bad bootstrap confidence": (lambda w: ["model=copy", "bootstrap.confidence=95", "metric=[bleu]"],
                                 ("bootstrap.confidence", "0.95")),
    "bad bootstrap seed": (lambda w: ["model=copy", "bootstrap.seed=abc", "metric=[bleu]"],
                           ("bootstrap.seed",)),
    "experiment without -m": (lambda w: ["+experiment=leaderboard"], ("-m", "+experiment=")),
    "hub dataset without repo": (lambda w: ["model=copy", "dataset=hub", "metric=[bleu]"],
                                 ("dataset.repo_id",)),
    "unknown model option": (lambda w: ["model=copy", "+model.temperature=0.5", "metric=[bleu]"],
                             ("temperature",)),
    "misspelt setting": (lambda w: ["model=copy", "chunk_sise=8", "metric=[bleu]"],
                         ("chunk_sise", "did you mean chunk_size")),
    "misspelt model setting": (lambda w: ["model=nllb-200-distilled-600M", "model.batch_size=8",
                                          "metric=[bleu]"],
                               ("model.batch_size", "did you mean model.batch_tokens")),
    "misspelt model setting added": (lambda w: ["model=nllb-200-distilled-600M", "+model.batch_size=8",
                                                "metric=[bleu]"], ("model.batch_size", "model.batch_tokens")),
    "misspelt metric setting": (lambda w: ["model=copy", "metric=[bleu]", "+metric.bleu.tokenise=zh"],
                                ("metric.bleu.tokenise", "metric.bleu.tokenize")),
    "unknown top-level setting": (lambda w: ["model=copy", "+device=cuda", "metric=[bleu]"],
                                  ("device", "not a setting of `bench run`")),
    "metrics as a list and added": (lambda w: ["model=copy", "metric=[bleu]", "+metric=ter"],
                                    ("metric=[...]", "one list")),
    "unparsable override": (lambda w: ["model=copy", "pairs=[zh-kk", "metric=[bleu]"],
                            ("cannot parse an override", "[zh-kk", "brackets")),
    "interpolation that does not resolve": (lambda w: ["model=copy", "chunk_size=${oops}", "metric=[bleu]"],
                                            ("oops", "chunk_size")),
    "COMET checkpoint missing": (lambda w: ["model=copy", "metric=[comet]",
                                            f"metric.comet.checkpoint={w.root / 'no.ckpt'}"], ("no.ckpt",)),
    "COMET checkpoint damaged": (_damaged_comet, ("model.ckpt", "not a readable")),
    "COMET not downloaded": (lambda w: ["model=copy", "metric=[comet]"],
                             ("Unbabel/wmt22-comet-da", "metric.comet.checkpoint")),
    "file system: wrong line count": (lambda w: _hyp_file(w, b"one line\n"),
                                      ("zh-kk.txt", "1", "3")),
    "file system: empty file": (lambda w: _hyp_file(w, b""), ("zh-kk.txt", "0", "3")),
    "file system: invalid UTF-8": (lambda w: _hyp_file(w, b"a\n\xff\xfe broken\nc\n"),
                                   ("zh-kk.txt", "UTF-8")),
    "file system: missing folder": (lambda w: ["model=file", f"model.path={w.root / 'nowhere'}",
                                               "metric=[bleu]"], ("nowhere",)),
    "local model folder missing": (lambda w: ["model=nllb-200-distilled-600M",
                                              f"model.path={w.root / 'no-model'}", "metric=[bleu]"],
                                   ("no-model",)),
    "model not downloaded, offline": (lambda w: ["model=nllb-200-distilled-600M", "metric=[bleu]"],
                                      ("nllb-200-distilled-600M", "model.path")),
}


@pytest.mark.parametrize("case", sorted(BAD_RUNS))
def test_bad_run_input_is_one_line_and_writes_nothing(world: World, case: str):
    make_args, needles = BAD_RUNS[case]
    before = world.files()
    one_line_error(world.run(*make_args(world)), *needles)
    assert world.files() == before
    assert not (world.results / "runs").exists()


def test_bom_and_crlf_in_a_translation_file_are_accepted(world: World):
    lines = [ref for _, ref in ROWS["zh-kk"]]
    clean = world.root / "clean"
    clean.mkdir()
    (clean / "zh-kk.txt").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    windows = world.root / "windows"
    windows.mkdir()
    (windows / "zh-kk.txt").write_bytes(("\ufeff" + "".join(x + "\r\n" for x in lines)).encode("utf-8"))
    scores = []
    for folder in (clean, windows):
        out = world.run("model=file", f"model.path={folder}", "metric=[chrf]", f"model.name=f-{folder.name}")
        assert out.returncode == 0, out.stderr
        [run] = list((world.results / "runs" / f"f-{folder.name}").iterdir())
        scores.append(stored_scores(run)["zh-kk"]["chrf"]["score"])
    assert scores[0] == scores[1] == 100.0


def test_edited_reference_file_is_refused(world: World):
    path = world.refs / "zh-kk.jsonl"
    path.write_text(path.read_text().replace("ауыр", "жеңіл"))
    one_line_error(world.run("model=copy", "metric=[bleu]"), "zh-kk.jsonl", "python -m bench build")


def test_damaged_manifest_is_refused(world: World):
    (world.refs / "MANIFEST.json").write_text('{"files": {"zh-kk.jsonl": ')
    one_line_error(world.run("model=copy", "metric=[bleu]"), "MANIFEST.json")


def test_missing_and_empty_raw_dir_fail_build_writing_nothing(tmp_path: Path):
    empty = tmp_path / "raw"
    empty.mkdir()
    for raw in (tmp_path / "absent", empty):
        one_line_error(bench("build", f"raw_dir={raw}", f"out_dir={tmp_path / 'out'}"), str(raw))
        assert not (tmp_path / "out").exists()


# --- damaged run folders: recovered or refused with a clear message, never wrong scores ---

def test_truncated_run_json_is_skipped_by_leaderboard_and_score(world: World):
    good = completed_run(world)
    broken = good.parent / "20000101-000000-bad000"
    shutil.copytree(good, broken)
    text = (broken / "run.json").read_text()
    (broken / "run.json").write_text(text[: len(text) // 2])
    board = bench("leaderboard", f"results_dir={world.results}", f"dataset.path={world.refs}")
    assert board.returncode == 0, board.stderr
    assert "Traceback" not in board.stderr and "run.json" in board.stderr
    scored = bench("score", f"results_dir={world.results}", f"dataset.path={world.refs}", "metric=[bleu]")
    assert scored.returncode == 0, scored.stderr
    assert "Traceback" not in scored.stderr and "run.json" in (scored.stderr + scored.stdout)


def test_half_written_hypothesis_file_is_refused_by_score(world: World):
    run = completed_run(world, metrics="[bleu]")
    hyp = run / "hypotheses" / "zh-kk.txt"
    hyp.write_text(hyp.read_text().splitlines()[0] + "\n")
    scores_before = (run / "scores.json").read_bytes()
    out = bench("score", f"results_dir={world.results}", f"dataset.path={world.refs}", "metric=[chrf]")
    assert "Traceback" not in out.stderr
    assert "zh-kk.txt" in out.stderr + out.stdout
    assert "chrf" not in stored_scores(run)["zh-kk"]
    assert (run / "scores.json").read_bytes() == scores_before


def test_runs_from_an_older_test_set_are_not_scored_or_ranked(world: World):
    run = completed_run(world)
    write_references(world.refs, {"zh-kk": ROWS["zh-kk"][:2]})  # the test set changes under the run
    out = bench("score", f"results_dir={world.results}", f"dataset.path={world.refs}", "metric=[ter]")
    assert out.returncode == 0, out.stderr
    assert "skipped" in out.stdout + out.stderr
    assert "ter" not in stored_scores(run)["zh-kk"]
    board = bench("leaderboard", f"results_dir={world.results}", f"dataset.path={world.refs}")
    # no run was made on the current version: refused in one line, never an empty board
    assert board.returncode == 2 and board.stderr.count("\n") == 1, board.stderr
    assert "older version" in board.stderr and not (world.results / "leaderboard.md").exists()


# --- secrets: an API key never reaches disk or logs ---

def test_api_key_never_appears_in_results_or_logs(world: World):
    """The server echoes the key back in a 500 (as some proxies do) before answering; the run retries,
    succeeds, and the key is in no file under results/ and not in the output. Then a server that
    only ever echoes it: the one-line error does not carry it either."""
    key = "sk-SENTINEL-never-on-disk-9731"
    flaky = FaultServer(["echo", (200, {}, completion("Сәлем әлем."))])
    broken = FaultServer(["echo"])
    try:
        common = ["model=openai", "model.model=tiny", "model.backoff=0.01", "model.max_retries=2",
                  "metric=[chrf]"]
        env = {"OPENAI_API_KEY": key}
        ok = world.run(*common, f"model.base_url={flaky.url}", env=env)
        assert ok.returncode == 0, ok.stderr
        assert any(key in h.get("Authorization", "") for h, _ in flaky.requests)  # it was sent
        failed = world.run(*common, f"model.base_url={broken.url}", "model.name=broken", env=env)
        assert failed.returncode == 2 and broken.url.split("/v1")[0] in failed.stderr
    finally:
        flaky.close()
        broken.close()
    for result in (ok, failed):
        assert key not in result.stdout + result.stderr
    written = [p for p in world.results.rglob("*") if p.is_file()]
    assert any(p.name == "run.json" for p in written)
    assert not [p for p in written if key.encode() in p.read_bytes()]

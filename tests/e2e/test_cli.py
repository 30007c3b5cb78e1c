"""The command line as users meet it: help, unknown commands and config choices."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.support.cli import ROOT, bench
from tests.support.refs import write_references


def test_help_lists_every_command_with_one_line():
    result = bench("--help")
    assert result.returncode == 0
    for name in ("build", "run", "score", "leaderboard", "publish"):
        lines = [line for line in result.stdout.splitlines() if line.strip().startswith(name + " ")]
        assert len(lines) == 1, (name, result.stdout)


def test_unknown_command_is_one_line_naming_the_valid_ones():
    result = bench("frobnicate")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    from bench.__main__ import COMMANDS, PLAIN

    assert "frobnicate" in result.stderr and ", ".join([*COMMANDS, *PLAIN]) in result.stderr


def test_unknown_model_is_one_line_listing_the_valid_ones():
    result = bench("run", "model=no-such-model")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no-such-model" in result.stderr and "copy" in result.stderr


def test_run_without_a_model_says_how_to_choose_one():
    result = bench("run")
    assert result.returncode == 2
    assert "model=NAME" in result.stderr


def test_help_does_not_import_torch():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "bench", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "torch" not in imported and "hydra" not in imported


@pytest.mark.parametrize("args, needle", [
    (["-m", "run", "model=copy,reference", "--cfg", "job"], "-m (a sweep) and --cfg cannot be combined"),
    (["run", "model=copy", "--cfg", "job", "--info"], "--cfg and --info cannot be combined"),
    (["run", "model=copy", "--resolve"], "--resolve works only with --cfg"),
    (["run", "model=copy", "--cfg", "bogus"], "argument --cfg/-c: invalid choice: 'bogus'"),
    (["run", "model=copy", "--cfg"], "argument --cfg/-c: expected one argument"),
])
def test_hydra_flags_that_cannot_work_are_one_line(args: list[str], needle: str):
    result = bench(*args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("bench run: error: ") and needle in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [
    ["run", "model=copy", "--cfg", "job", "pairs=[zh-kk]"],  # an override after a flag
    ["--cfg", "job", "run", "model=copy", "pairs=[zh-kk]"],  # a flag before the command
])
def test_cfg_job_prints_the_configuration_wherever_it_is(args: list[str]):
    result = bench(*args)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert config["pairs"] == ["zh-kk"] and config["model"]["name"] == "copy"


#: (command line, the setting the one-line refusal names): yes/no settings take yes/no words only,
#: choice settings their choices, path settings no empty text; each is refused before anything is written
REFUSED = [
    (["build", "record_check=maybe"], "record_check"),
    (["build", "embeddings=maybe"], "embeddings"),
    (["build", "raw_dir="], "raw_dir"),
    (["run", "model=copy", "translation_cache.enabled=maybe"], "translation_cache.enabled"),
    (["run", "model=copy", "metric=[bleu]", "metric.bleu.lowercase=perhaps"], "metric.bleu.lowercase"),
    (["run", "model=nllb-200-distilled-600M", "model.trust_remote_code=nah"], "model.trust_remote_code"),
    (["run", "model=file", "model.path=out", "model.baseline=sometimes"], "model.baseline"),
    (["run", "model=file", "model.path="], "model.path"),
    (["run", "model=copy", "pairs=[]"], "pairs"),
    (["run", "model=copy", "results_dir="], "results_dir"),
    (["-m", "run", "model=copy", "results_dir="], "results_dir"),
    (["score", "force=1"], "force"),
    (["leaderboard", "include_reference=maybe"], "include_reference"),
    (["leaderboard", "off_target_metric=bleu"], "off_target_metric"),
    (["leaderboard", "significance.correction=bonferroni"], "significance.correction"),
    (["leaderboard", "results_dir= "], "results_dir"),
    (["publish", "repo_id=org/name", "private=maybe"], "private"),
    (["publish", "repo_id=org/name", "license=bogus"], "license"),  # the Hub shows it as no license at all
    (["-m", "run", "model=copy", "hydra/launcher=parallel", "hydra.launcher.n_jobs=0"],
     "hydra.launcher.n_jobs"),
    (["align", "src=a.txt", "tgt=b.txt", "src_lang=xx", "tgt_lang=en"], "src_lang"),
]


@pytest.mark.parametrize(("args", "key"), REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_a_setting_outside_its_values_is_one_line_naming_it(args: list[str], key: str, tmp_path):
    out = bench(*args, cwd=tmp_path)
    command = next(a for a in args if not a.startswith("-"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith(f"bench {command}: error: {key}="), out.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_yes_no_words_mean_what_they_say(tmp_path):
    """``record_check=no`` used to be the text "no", true in Python: the build recorded that a person
    had read every alignment."""
    from tests.support.build import ENGLISH

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "en_last_mile.txt").write_text(ENGLISH, encoding="utf-8")
    built = bench("build", f"raw_dir={raw}", f"out_dir={out}", "record_check=no", "embeddings=no")
    assert built.returncode == 0, built.stderr
    assert not (raw / "checked.json").exists()
    assert "NOT CHECKED" in (out / "build_report.md").read_text(encoding="utf-8")
    checked = bench("build", f"raw_dir={raw}", f"out_dir={out}", "record_check=yes", "embeddings=no")
    assert checked.returncode == 0 and (raw / "checked.json").is_file()


def test_a_results_folder_where_nothing_can_be_made_is_one_line(tmp_path):
    for args in (["run"], ["-m", "run"]):
        out = bench(*args, "model=copy", "results_dir=/proc/bench-results", "metric=[]", cwd=tmp_path)
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
        assert "/proc: cannot create folders here" in out.stderr and "results_dir" in out.stderr


@pytest.mark.parametrize("setting", ["score_cache.path", "translation_cache.path"])
def test_a_cache_in_a_place_where_no_folder_can_be_made_is_one_line(setting: str, tiny_models, tmp_path):
    """``/proc`` passes a permission check for root, yet no folder can be made in it: creating the
    cache's folder was a traceback. A translating system, so that the translation cache is opened."""
    write_references(tmp_path / "references", {"zh-kk": [("今天天气很好。", "Бүгін ауа райы өте жақсы.")]})
    out = bench("run", "model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}", "metric=[chrf]",
                f"{setting}=/proc/bench-cache/c.sqlite", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith(f"bench run: error: {setting}=/proc/bench-cache/c.sqlite: cannot create its "
                                 "folder /proc/bench-cache"), out.stderr
    assert not (tmp_path / "results" / "runs").exists()  # the run never started: nothing of it is kept

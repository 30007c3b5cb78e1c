"""The command line as users meet it: help, unknown commands and config choices."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.helpers import ROOT, bench


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

"""Help and discovery where people look for it: ``--help`` per command, ``bench list``, ``--cfg job`` and
``--hydra-help`` without a model, and shell completion through the one ``bench`` program."""

from __future__ import annotations

import pytest

from bench.__main__ import COMMANDS
from tests.helpers import ROOT, bench


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_explains_itself(command: str):
    out = bench(command, "--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"usage: bench {command}")
    assert COMMANDS[command] in out.stdout
    assert "settings:" in out.stdout


def test_run_help_lists_the_choices_without_a_model():
    out = bench("run", "--help")
    models = sorted(p.stem for p in (ROOT / "configs" / "model").glob("*.yaml"))
    line = next(x for x in out.stdout.splitlines() if x.strip().startswith("model=NAME"))
    assert "required" in line and all(m in line for m in models)
    assert "chunk_size=" in out.stdout and "Segments sent to the system per call" in out.stdout


@pytest.mark.parametrize(("what", "expected"), [("models", "nllb-200-distilled-600M"), ("metrics", "chrfpp"),
                                                ("pairs", "Chinese -> Kazakh")])
def test_list(what: str, expected: str):
    out = bench("list", what)
    assert out.returncode == 0, out.stderr
    assert expected in out.stdout


def test_list_without_a_subject_is_one_line():
    out = bench("list", "systems")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "models|metrics|pairs" in out.stderr


def test_cfg_job_and_hydra_help_work_without_a_model():
    shown = bench("run", "--cfg", "job")
    assert shown.returncode == 0, shown.stderr
    assert "name: copy" in shown.stdout and "translation_cache:" in shown.stdout
    assert bench("run", "--hydra-help").returncode == 0
    chosen = bench("run", "model=reference", "--cfg", "job")
    assert "name: reference" in chosen.stdout


@pytest.mark.parametrize(("line", "expected"), [
    ("bench ru", "run"),
    ("bench run model=nllb-200-d", "model=nllb-200-distilled-600M"),
    ("bench leaderboard include_r", "include_reference="),
])
def test_shell_completion_through_the_bench_program(line: str, expected: str):
    out = bench("-sc", "query=bash", env={"COMP_LINE": line, "COMP_POINT": str(len(line))})
    assert out.returncode == 0, out.stderr
    assert expected in out.stdout.split()


def test_completion_script_registers_the_bench_program():
    out = bench("-sc", "install=bash")
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip().endswith("-F hydra_bash_completion bench")

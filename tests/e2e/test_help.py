"""Help and discovery where people look for it: ``--help`` per command, ``bench list``, ``--cfg job`` and
``--hydra-help`` without a model, and shell completion through the one ``bench`` program."""

from __future__ import annotations

import pytest

from bench.__main__ import COMMANDS
from tests.support.cli import ROOT, bench


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
    assert "chunk_size=" in out.stdout and "Segments per cached chunk" in out.stdout


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


def composed_model(name: str) -> list[str]:
    """The settings of ``model=NAME`` as Hydra composes them (what ``--help`` must list)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from bench.cli.app import CONFIG_DIR

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("run", overrides=[f"model={name}"])
    finally:
        GlobalHydra.instance().clear()
    return [str(k) for k in cfg.model if not str(k).startswith("_")]


@pytest.mark.parametrize("model", ["nllb-200-distilled-600M", "file", "openai"])
def test_run_help_lists_the_chosen_model_s_settings(model: str):
    out = bench("run", f"model={model}", "--help")
    assert out.returncode == 0, out.stderr
    section = out.stdout.split(f"model settings (model={model}; they depend on model=):")[1].split("\n\n")[0]
    listed = [line.split("=")[0].strip() for line in section.strip().splitlines()]
    assert listed == [f"model.{key}" for key in composed_model(model)]


def test_run_help_without_a_model_says_which_settings_each_model_has():
    out = bench("run", "--help")
    assert "model settings depend on model=" in out.stdout
    by_model = out.stdout.split("model settings depend on model=")[1]
    for key in ("model.path=", "model.num_beams=", "model.batch_tokens=", "model.backend="):
        assert key in by_model
    assert "model.backend=" in bench("run", "model=m2m100_418M", "--help").stdout
    bad = bench("run", "model=no-such-model", "--help")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no-such-model" in bad.stderr


@pytest.mark.parametrize("what", ["models", "metrics"])
def test_list_describes_each_choice_in_whole_sentences(what: str):
    out = bench("list", what)
    folder = ROOT / "configs" / ("model" if what == "models" else "metric")
    rows = {line.split()[0]: line.split(None, 1)[1] for line in out.stdout.splitlines()[1:]}
    assert set(rows) == {p.stem for p in folder.glob("*.yaml")}
    for name, text in rows.items():
        header = [line.lstrip("# ") for line in (folder / f"{name}.yaml").read_text().splitlines()
                  if line.startswith("#") and not line.startswith("# @package")]
        assert text.endswith((".", "!", "?")) and text.startswith(header[0].split(". ")[0]), (name, text)
        assert text in " ".join(header)


def test_version_prints_the_version():
    from bench import __version__

    out = bench("--version")
    assert out.returncode == 0 and out.stdout == f"bench {__version__}\n"

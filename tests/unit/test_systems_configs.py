"""Every system config composes with the run config and instantiates without loading anything."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import open_dict

from bench.systems.base import System
from bench.systems.hf import HFSystem
from tests.support.cli import ROOT

# Values the configs leave required (???), as a user would pass them.
REQUIRED = {"openai": ["model.base_url=https://api.example.org/v1", "model.model=gpt-x"],
            "vllm": ["model.model=Qwen/Qwen2.5-7B-Instruct"], "file": ["model.path=outputs/x"]}
MINE = sorted(p.stem for p in (ROOT / "configs" / "model").glob("*.yaml")
              if p.stem not in ("copy", "reference"))


@pytest.mark.parametrize("name", MINE)
def test_model_config_instantiates(name):
    with initialize_config_dir(str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("run", overrides=[f"model={name}", *REQUIRED.get(name, [])])
    with open_dict(cfg.model):  # as bench run does: model.baseline is for the board, not the class
        cfg.model.pop("baseline", None)
    system = instantiate(cfg.model)
    assert isinstance(system, System) and system.name == cfg.model.name
    if isinstance(system, HFSystem):
        assert system.model is None  # weights load on the first translate, not before


def test_marian_config_declares_its_pair():
    with initialize_config_dir(str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("run", overrides=["model=opus-mt-zh-vi"])
    assert instantiate(cfg.model).pairs == ["zh-vi"]

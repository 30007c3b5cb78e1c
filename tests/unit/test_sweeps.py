"""The sweep configs compose in process: every job of the official sweep, and the Slurm launcher."""

from __future__ import annotations


def test_the_official_sweep_composes_every_job():
    """``+experiment=leaderboard`` pins models x pairs x metrics; every job composes and instantiates."""
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from bench.core.configs import CONFIG_DIR
    from bench.metrics import instantiate_metrics

    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        sweep = compose("run", overrides=["+experiment=leaderboard", "model=copy"], return_hydra_config=True)
        models = sweep.hydra.sweeper.params.model.split(",")
        assert len(models) == 8 and "copy" in models
        for name in models:
            job = compose("run", overrides=["+experiment=leaderboard", f"model={name}"])
            assert job.pairs is None  # every pair each model supports
            assert set(job.metric) == {"bleu", "chrf", "comet", "off_target"}
            assert instantiate(job.model).name == name  # constructing a system loads nothing
        assert set(instantiate_metrics(job.metric)) == {"bleu", "chrf", "comet", "off_target"}


def test_the_slurm_launcher_config_composes():
    """``hydra/launcher=slurm`` resolves to submitit's SLURM launcher with the shipped settings."""
    from hydra import compose, initialize_config_dir

    from bench.core.configs import CONFIG_DIR

    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=["model=copy", "hydra/launcher=slurm", "hydra.launcher.partition=gpu"],
                      return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert launcher.partition == "gpu" and launcher.gpus_per_node == 1
    assert str(launcher.submitit_folder).endswith("/slurm/%j")


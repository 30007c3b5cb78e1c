"""Stage 3: metrics. One class per metric behind :class:`bench.metrics.base.Metric`; one YAML per
metric under ``configs/metric/``, several chosen at once (``metric=[bleu,chrf,comet]``).

Only light modules are imported here: sacrebleu metrics, the leaderboard and ``bench score
metric=[bleu]`` never import torch; COMET and lingua are imported when first used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.errors import BenchError
from bench.metrics.base import Metric


def instantiate_metrics(nodes: Mapping[str, Any]) -> dict[str, Metric]:
    """``cfg.metric`` (one node per chosen metric, keyed by its config name) -> metric objects.

    The config name is passed as the metric's ``name``: it is the key in ``scores.json``.
    """
    from hydra.utils import instantiate

    return {name: instantiate(node, name=name) for name, node in nodes.items()}


def load_metric(name: str, **overrides: Any) -> Metric:
    """The metric of ``configs/metric/<name>.yaml`` with ``overrides`` applied, outside any Hydra app.

    The leaderboard uses it for :meth:`Metric.aggregate` and ``higher_is_better``; nothing heavy is
    loaded until the metric scores.
    """
    from omegaconf import OmegaConf

    from bench.cli import CONFIG_DIR

    file = CONFIG_DIR / "metric" / f"{name}.yaml"
    if not file.is_file():
        known = ", ".join(sorted(p.stem for p in file.parent.glob("*.yaml")))
        raise BenchError(f"unknown metric '{name}' (no {file}); valid: {known}")
    node = OmegaConf.merge(OmegaConf.load(file), overrides)
    return instantiate_metrics({name: node})[name]

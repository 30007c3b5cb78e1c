"""Stage 3: metrics. One class per metric behind :class:`bench.metrics.base.Metric`; one YAML per
metric under ``configs/metric/``, several chosen at once (``metric=[bleu,chrf,comet]``).

Only light modules are imported here: sacrebleu metrics, the leaderboard and ``bench score
metric=[bleu]`` never import torch; COMET and lingua are imported when first used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.core.configs import CONFIG_DIR, shipped
from bench.core.errors import BenchError
from bench.metrics.base import Metric


def instantiate_metrics(nodes: Mapping[str, Any]) -> dict[str, Metric]:
    """``cfg.metric`` (one node per chosen metric, keyed by its config name) -> metric objects.

    The config name is passed as the metric's ``name``: it is the key in ``scores.json``.
    """
    from hydra.utils import instantiate

    return {name: instantiate(node, name=name) for name, node in nodes.items()}


def shipped_metrics() -> list[str]:
    """The metric names bench has a config for (``configs/metric/*.yaml``)."""
    return shipped("metric")


def load_metric(name: str, **overrides: Any) -> Metric:
    """The metric of ``configs/metric/<name>.yaml`` with ``overrides`` (from code, never from data)
    applied, outside any Hydra app.

    The leaderboard uses it for :meth:`Metric.aggregate` and ``higher_is_better``; nothing heavy is
    loaded until the metric scores. ``name`` comes from files other people write (``scores.json``),
    so it is looked up among the shipped names, never joined into a path as it is.
    """
    from omegaconf import OmegaConf

    known = shipped_metrics()
    if name not in known:
        raise BenchError(f"unknown metric {name!r}; valid: {', '.join(known)}")
    found = known[known.index(name)]
    node = OmegaConf.merge(OmegaConf.load(CONFIG_DIR / "metric" / f"{found}.yaml"), overrides)
    return instantiate_metrics({found: node})[found]

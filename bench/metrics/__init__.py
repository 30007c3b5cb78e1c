"""Stage 3: metrics. One class per metric behind :class:`bench.metrics.base.Metric`; one YAML per
metric under ``configs/metric/``, several chosen at once (``metric=[bleu,chrf,comet]``)."""

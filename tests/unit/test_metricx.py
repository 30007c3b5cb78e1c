"""MetricX-24's input format, without a model."""

from __future__ import annotations

from bench.metrics.metricx import metricx_input


def test_input_format_is_metricx24s():
    assert metricx_input("S", "H", "R") == "source: S candidate: H reference: R"
    assert metricx_input("S", "H", None) == "source: S candidate: H"


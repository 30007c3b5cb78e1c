"""The parallel sentences the metric tests score (``tests/data/metrics``)."""

from __future__ import annotations

import json

from tests.support.cli import ROOT

DATA = ROOT / "tests" / "data" / "metrics"


PARALLEL = json.loads((DATA / "parallel.json").read_text(encoding="utf-8"))


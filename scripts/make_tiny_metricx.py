"""Build a tiny MetricX-24 checkpoint (mT5 vocabulary, random small model) and print its folder.

    .venv/bin/python scripts/make_tiny_metricx.py [--out .cache/tiny-models] [--width 16] [--layers 2]
    python -m bench score 'metric=[metricx]' metric.metricx.checkpoint=<folder> \
        metric.metricx.tokenizer=<folder>

For trying MetricX scoring end to end on a machine without the real model; its scores mean nothing.
The folder holds both the model and its tokenizer, so it is given for both settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tiny.metricx import build_tiny_metricx  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".cache" / "tiny-models")
    parser.add_argument("--width", type=int, default=16, help="d_model of the mT5 model (default 16)")
    parser.add_argument("--layers", type=int, default=2, help="encoder and decoder layers (default 2)")
    args = parser.parse_args()
    print(build_tiny_metricx(args.out, width=args.width, layers=args.layers))


if __name__ == "__main__":
    main()

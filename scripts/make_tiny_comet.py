"""Build a tiny COMET checkpoint (wmt22-comet-da layout, random small encoder) and print its path.

    .venv/bin/python scripts/make_tiny_comet.py [--out .cache/tiny-comet] [--hidden 32] [--layers 2]
                                               [--text FILE ...] [--xcomet]
    python -m bench score 'metric=[comet]' metric.comet.checkpoint=<printed path>
    python -m bench score 'metric=[xcomet]' metric.xcomet.checkpoint=<path printed with --xcomet>

For trying COMET scoring end to end on a machine without the real model; its scores mean nothing.
``--text`` files (one sentence per line) train the tokenizer; the default is a few built-in lines.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tiny.comet import build_tiny_comet, build_tiny_xcomet  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".cache" / "tiny-comet")
    parser.add_argument("--hidden", type=int, default=32, help="XLM-R hidden size (default 32)")
    parser.add_argument("--layers", type=int, default=2, help="XLM-R layers (default 2)")
    parser.add_argument("--heads", type=int, default=2, help="attention heads (divides --hidden)")
    parser.add_argument("--text", type=Path, action="append", default=[],
                        help="a text file whose lines train the tokenizer (repeatable)")
    parser.add_argument("--xcomet", action="store_true",
                        help="an XCOMET-XL-shaped checkpoint (error spans) instead of wmt22-comet-da")
    args = parser.parse_args()
    texts = [line for file in args.text for line in file.read_text(encoding="utf-8").splitlines()]
    build = build_tiny_xcomet if args.xcomet else build_tiny_comet
    print(build(args.out, texts=texts or None, hidden=args.hidden, layers=args.layers, heads=args.heads))


if __name__ == "__main__":
    main()

"""Train the tiny models of every family the harness loads and print where they are.

    .venv/bin/python scripts/make_tiny_models.py --out .cache/tiny-models
    .venv/bin/python scripts/make_tiny_models.py --out /tmp/tiny --kinds nllb causal
    .venv/bin/python scripts/make_tiny_models.py --out /tmp/tiny --references references --limit 40

Each folder loads with ``from_pretrained`` and plugs into any config of its family, e.g.
``python -m bench run model=nllb-200-distilled-600M model.path=<nllb folder> model.num_beams=1``.
Training takes 10-30 s per model on 2 CPU cores; a folder that already exists for the same corpus and
settings is reused at once. By default the models learn the built-in toy corpus
(``bench.tiny.models.default_corpus``); ``--references`` trains on the first ``--limit`` rows of each
pair of a built reference set instead (tiny models memorise a few dozen rows, not thousands).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.core.errors import BenchError  # noqa: E402
from bench.refset.store import LocalReferences  # noqa: E402
from bench.tiny.models import BUILDERS, Corpus, build  # noqa: E402


def reference_corpus(folder: Path, limit: int) -> Corpus:
    """``(source, reference, target language)`` from the first ``limit`` rows of each pair."""
    references = LocalReferences(folder)
    return [(s.src, s.ref, s.tgt_lang) for pair in references.pairs() for s in references.load(pair)[:limit]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to keep the models in")
    parser.add_argument("--kinds", nargs="+", choices=sorted(BUILDERS), default=sorted(BUILDERS))
    parser.add_argument("--references", type=Path, help="train on a built reference set instead")
    parser.add_argument("--limit", type=int, default=32, help="rows per pair with --references")
    args = parser.parse_args()
    try:
        corpus = reference_corpus(args.references, args.limit) if args.references else None
    except BenchError as exc:
        sys.exit(f"make_tiny_models: error: {exc}")
    print(json.dumps({kind: str(build(kind, args.out, corpus)) for kind in args.kinds}, indent=2))


if __name__ == "__main__":
    main()

"""``bench list testsets [DIR ...]``: the test sets at hand, the user's own included.

Listed: the default reference set (``./references`` or the one bench ships), every set ``import``
wrote under ``./testsets/`` (its default ``out_dir``), and the folders named on the command line.
"""

from __future__ import annotations

from pathlib import Path

from bench.core.console import table
from bench.refset.store import MANIFEST, LocalReferences, default_references

#: where ``python -m bench import`` writes a set by default (configs/import.yaml: out_dir)
IMPORTED = Path("testsets")


def folders(named: list[str]) -> list[Path]:
    """The default set, the imported ones, then those named; each once."""
    found = [default_references(), *sorted(p.parent for p in IMPORTED.glob(f"*/{MANIFEST}")),
             *map(Path, named)]
    unique: dict[Path, Path] = {}
    for folder in found:
        unique.setdefault(folder.resolve(), folder)
    return list(unique.values())


def rows(folder: Path) -> list[list[str]]:
    """One row per pair of the set in ``folder``: name, pair, segments, references, source side."""
    refs = LocalReferences(folder)
    info = refs.manifest().testset
    out = []
    for pair in refs.pairs():
        segments = refs.load(pair)
        side = info.pairs[pair].source_side if info and pair in info.pairs else "original"
        out.append([refs.title(), pair, str(len(segments)), str(len(segments[0].refs) if segments else 0),
                    side, str(folder)])
    return out


def list_testsets(named: list[str]) -> None:
    """Print the table; a named folder that holds no readable set is a :class:`BenchError`."""
    found = [["testset", "pair", "segments", "refs", "source", "dataset.path"]]
    for folder in folders(named):
        found += rows(folder)
    print(table(found))

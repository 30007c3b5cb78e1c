"""An imported pair written as a reference folder: ``<pair>.jsonl`` and ``MANIFEST.json``.

The folder is what ``dataset.path=DIR`` reads, so ``run``, ``score``, ``leaderboard`` and ``publish``
take it as they take the built seed set. One folder holds one test set; pairs imported one at a time
under the same name join it (FLORES+ zh-kk, then zh-vi). Everything is checked before anything is
written, and the manifest, which commits the set, is written last.
"""

from __future__ import annotations

from pathlib import Path

from bench.core.errors import BenchError
from bench.refset.store import MANIFEST, Manifest, SetInfo
from bench.store.io import atomic_write_json, atomic_write_text, jsonl_text, read_json, sha256_text
from bench.testsets.base import Imported

#: what makes an imported manifest: its pair files and the test set's record
IMPORTER_VERSION = "1"


def write(out_dir: Path, name: str, imported: Imported) -> Path:
    """Add ``imported`` to the test set ``name`` in ``out_dir``; return the pair file written."""
    manifest = _existing(out_dir, name)
    pair = imported.pair
    if manifest is not None and pair in manifest.files:
        raise BenchError(f"out_dir={out_dir}: test set {name} already has {pair}; import into a new out_dir, "
                         "or delete that folder first")
    text = jsonl_text(s.to_row() for s in imported.segments)
    files = {p: {"rows": e.rows, "sha256": e.sha256} for p, e in (manifest.files.items() if manifest else ())}
    files[pair] = {"rows": len(imported.segments), "sha256": sha256_text(text)}
    origins = dict(manifest.testset.pairs) if manifest else {}
    origins[pair] = imported.origin
    record = {"files": {f"{p}.jsonl": entry for p, entry in sorted(files.items())},
              "importer_version": IMPORTER_VERSION, "testset": SetInfo(name, origins).to_json()}
    Manifest.parse(record, "the manifest to write")  # the contract readers will check, checked first
    path = out_dir / f"{pair}.jsonl"
    atomic_write_text(path, text)
    atomic_write_json(out_dir / MANIFEST, record)
    return path


def _existing(out_dir: Path, name: str) -> Manifest | None:
    """The test set already in ``out_dir`` (None: a new or empty folder); anything else is refused."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise BenchError(f"out_dir={out_dir}: not a folder; choose a new folder for the test set")
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return None
    file = out_dir / MANIFEST
    if not file.is_file():
        raise BenchError(f"out_dir={out_dir}: holds other files; choose a new folder for the test set")
    manifest = Manifest.parse(read_json(file), str(file))
    if manifest.testset is None:
        raise BenchError(f"out_dir={out_dir}: holds a reference set made by `bench build`; choose a new "
                         "folder for the imported set")
    if manifest.testset.name != name:
        raise BenchError(f"out_dir={out_dir}: holds test set {manifest.testset.name}, not {name}; one folder "
                         f"holds one test set: choose another out_dir, or name={manifest.testset.name} to "
                         "add a pair to it")
    return manifest

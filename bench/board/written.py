"""The board's files replaced as one set, and a way to tell that they are one.

``leaderboard.md``, ``.csv``, ``results.json`` and the pages are read together (a page links the CSV, a
script reads the JSON beside the Markdown someone committed). Written one after another, a kill or a
full disk in between would leave a new Markdown beside an old CSV. So every file is first written in
full to a temporary file beside it (:func:`bench.store.io.staged_write`: a full disk fails there, before
anything is replaced), and only then are they renamed into place, one quick rename each, the
manifest last.

The manifest, ``leaderboard.sha256``, lists each file's SHA-256 in ``sha256sum`` format: ``sha256sum
-c leaderboard.sha256`` (in the results folder) says whether the files on disk are the set that was
written together. A kill between two renames leaves the previous manifest, which the renamed files
no longer match, so a mixed set is always recognisable.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bench.core.errors import BenchError
from bench.store.io import staged_write

MANIFEST = "leaderboard.sha256"


def write_board(files: dict[Path, str]) -> Path:
    """Replace ``files`` (path -> text, all in one folder) as a set, with their manifest; return it."""
    folders = {path.parent for path in files}
    if len(folders) != 1:
        raise ValueError(f"the board's files must share one folder, not {sorted(map(str, folders))}")
    manifest = folders.pop() / MANIFEST
    data = {path: text.encode("utf-8") for path, text in sorted(files.items())}
    data[manifest] = "".join(f"{hashlib.sha256(blob).hexdigest()}  {path.name}\n"
                             for path, blob in data.items()).encode("utf-8")
    staged: dict[Path, Path] = {}
    try:
        for path, blob in data.items():
            staged[path] = staged_write(path, blob)
        for path in data:  # the manifest last: until it is renamed, the old one names the old set
            os.replace(staged.pop(path), path)
    except OSError as exc:
        raise BenchError(f"{manifest.parent}: cannot replace the board's files ({exc.strerror}); make "
                         f"the folder writable and run again ({MANIFEST} tells which files are one set)"
                         ) from None
    finally:
        for tmp in staged.values():  # a failure before the renames: nothing was replaced
            tmp.unlink(missing_ok=True)
    return manifest

"""Watching a user's folder: a snapshot proves a command changed nothing, ``read_only`` makes a path
unwritable (even for root)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.store.io import temp_prefix


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file, folder and link under ``root``, to prove that a command changed nothing there."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            found[key] = "dir"
        else:
            found[key] = path.read_bytes()
    return found


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` cannot be written, even by root (who ignores modes): ``chattr +i`` where the test runs
    as root, a mode without write permission otherwise."""
    if os.geteuid() == 0:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)]).returncode:
            pytest.skip("root, and no chattr +i on this file system: nothing is read-only for root")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)


PAGE = ("扶贫工作取得了决定性进展。今年有三百万人脱贫。\n\n"
        "Poverty work has made decisive progress. This year three million people left poverty.\n")


SECRET = "machine example.org login me password hunter2\n"


#: what someone else can leave in a folder of documents -> what the one line must say about it
ENTRIES: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "link to a private file": (lambda entry, secret: entry.symlink_to(secret), "is a link"),
    "dangling link": (lambda entry, secret: entry.symlink_to(entry.parent / "gone.txt"), "is a link"),
    "link loop": (lambda entry, secret: entry.symlink_to(entry), "is a link"),
    "folder named .txt": (lambda entry, secret: entry.mkdir(), "is a folder"),
    "fifo": (lambda entry, secret: os.mkfifo(entry), "is a FIFO"),
}


def planted_folder(tmp_path: Path, kind: str) -> Path:
    """A folder with one good page and ``b.txt`` made as ``kind`` says."""
    folder, secret = tmp_path / "docs", tmp_path / "netrc"
    folder.mkdir()
    secret.write_text(SECRET)
    (folder / "a.txt").write_text(PAGE, encoding="utf-8")
    ENTRIES[kind][0](folder / "b.txt", secret)
    return folder


#: this machine as bench's temporary names write it (``.<name>.<pid>-<host>.<random>.tmp``)
HOST = temp_prefix("x").rstrip(".").rsplit("-", 1)[1]


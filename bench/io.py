"""Atomic file writes and strict readers.

Every file ``bench`` produces is a contract between two stages, so a crash must never leave a
half-written one behind: writes go to a temporary file in the same folder and are renamed into place
(``os.replace`` is atomic on POSIX and Windows). Readers raise :class:`BenchError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bench.errors import BenchError

log = logging.getLogger(__name__)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a mix.

    ``mkstemp`` creates files readable by the owner only; they get the usual mode (0666 less the
    umask) so exported datasets and leaderboards can be shared like any other file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write UTF-8 text with ``\\n`` line endings on every platform."""
    atomic_write_bytes(path, text.encode("utf-8"))


def dumps_json(obj: Any) -> str:
    """The one JSON style of the project: stable key order, readable, non-ASCII kept as is."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, dumps_json(obj))


def jsonl_text(rows: Iterable[dict]) -> str:
    """One compact JSON object per line; keys keep the order the caller gave (the schema order)."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def read_text(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file strictly; undecodable bytes are the user's to fix, not ours to guess."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BenchError(f"{path}: file not found") from None
    except OSError as exc:
        raise BenchError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BenchError(
            f"{path}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        ) from None


def read_json(path: str | os.PathLike) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchError(
            f"{path}: invalid JSON at line {exc.lineno} ({exc.msg}); the file is damaged, "
            "delete it or restore it"
        ) from None


def iter_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BenchError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise BenchError(f"{path}:{lineno}: expected a JSON object per line")
        yield row


def inside(folder: str | os.PathLike, name: str) -> Path:
    """``folder/name``, proven to stay inside ``folder`` once symlinks are resolved.

    File names derived from data (a pair, a system or metric name) are validated where they are read;
    this is the second wall, so that a symlink planted in a shared folder cannot redirect a write
    (or a read) to somewhere else on the machine.
    """
    base = Path(folder)
    path = base / name
    root = base.resolve()
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise BenchError(f"{path}: cannot be resolved (a symlink loop?); remove the link") from None
    if resolved != root and root not in resolved.parents:
        raise BenchError(f"{path}: leads outside {base} (through a symlink?); remove the link")
    return path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def open_sqlite(path: str | os.PathLike, schema: str) -> sqlite3.Connection:
    """Open a cache database shared by concurrent processes, replacing it if it is damaged.

    WAL mode and a long busy timeout let parallel sweep jobs write at once. Caches only hold what
    can be recomputed, so a damaged file (a crash of the file system, a stray write) is moved aside
    with a warning and a new one started, rather than failing the run that needed it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _connect_sqlite(path, schema)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{path}{suffix}")
            if part.exists():
                part.rename(f"{aside}{suffix}")
        log.warning("cache %s was damaged (%s); moved it to %s and started a new one", path, exc, aside)
        return _connect_sqlite(path, schema)


def _connect_sqlite(path: Path, schema: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=60, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 60000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(schema)
    if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
        raise sqlite3.DatabaseError("quick_check failed")
    return db

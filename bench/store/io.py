"""Atomic file writes and strict readers.

Every file ``bench`` produces is a contract between two stages, so a crash must never leave a
half-written one behind: writes go to a temporary file in the same folder and are renamed into place
(``os.replace`` is atomic on POSIX and Windows). Readers raise :class:`BenchError` naming the file.
A writer killed with ``kill -9`` leaves its temporary file behind; the next write to that folder
removes it (:func:`sweep_stale_temp`).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import socket
import sqlite3
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bench.core.errors import BenchError

log = logging.getLogger(__name__)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()
#: this machine, in temporary names: a process id means something only on the machine that made it
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
#: bench's temporary files and folders, ``.<name>.<pid>-<host>.<random>.tmp`` (see :func:`temp_prefix`)
_TEMP = re.compile(r"\..+\.(?P<pid>[0-9]+)-(?P<host>[0-9a-f]{8})\.[a-z0-9_]+\.tmp")
#: a temporary file this old is stale whoever made it: no write of bench's takes an hour
STALE_TEMP_S = 3600.0
_swept: set[Path] = set()


def temp_prefix(name: str) -> str:
    """How a temporary name for ``name`` starts (``mkstemp(prefix=..., suffix=".tmp")``): it names its
    owner, so that the next command can tell a writer that was killed from one still at work."""
    return f".{name}.{os.getpid()}-{_HOST}."


def sweep_stale_temp(folder: str | os.PathLike) -> list[Path]:
    """Remove what killed bench processes left in ``folder``; return what was removed.

    Only names of bench's own pattern are touched, and only when the process that made them is gone
    (on this machine) or they are older than :data:`STALE_TEMP_S` (from any machine sharing the
    folder). Anything else, a live writer's file included, is never touched. Errors are ignored:
    sweeping must not make a write fail.
    """
    removed: list[Path] = []
    if Path(folder).is_symlink():  # a planted link would aim the sweep at someone else's folder
        return removed
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = _TEMP.fullmatch(entry.name)
        try:
            if not match or entry.is_symlink():
                continue
            dead = match["host"] == _HOST and not alive(int(match["pid"]))
            if not dead and now - entry.stat(follow_symlinks=False).st_mtime < STALE_TEMP_S:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a pid no kernel hands out: no)."""
    if not 0 < pid < 1 << 22:
        return False
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and is someone else's
        pass
    return True


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a mix.

    ``mkstemp`` creates files readable by the owner only; they get the usual mode (0666 less the
    umask) so exported datasets and leaderboards can be shared like any other file. The first write
    of a process to a folder sweeps it of stale temporary files.
    """
    path = Path(path)
    tmp = staged_write(path, data)
    try:
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BenchError(f"{path}: cannot write ({exc.strerror}); choose another place") from None
        raise


def staged_write(path: Path, data: bytes) -> Path:
    """``data`` in full in a temporary file beside ``path`` (named for its owner, synced to disk, with
    the usual mode), for the caller to rename into place; a full disk fails here, in one line, and
    leaves nothing. Several files staged first and renamed after are replaced together."""
    if path.parent not in _swept:
        _swept.add(path.parent)
        sweep_stale_temp(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise BenchError(f"{path}: cannot write ({exc.strerror}); make its folder writable or choose "
                         "another place") from None
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BenchError(f"{path}: cannot write ({exc.strerror}); free space or choose another "
                             "place") from None
        raise
    return Path(tmp)


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


#: the largest contract file bench reads (a reference set or run of millions of segments is smaller)
MAX_READ_BYTES = 1 << 30


def _loads(text: str) -> Any:
    """``json.loads`` that also refuses what makes the parser itself fail (nesting that exhausts the
    stack, integers beyond Python's digit limit), as :class:`ValueError`."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read_text(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file strictly; undecodable bytes are the user's to fix, not ours to guess."""
    path = Path(path)
    try:
        kind = path.stat()
        if not stat.S_ISREG(kind.st_mode):  # a FIFO or device would block or never end
            raise BenchError(f"{path}: not a regular file; replace it with the file it should be")
        if kind.st_size > MAX_READ_BYTES:
            raise BenchError(f"{path}: {kind.st_size} bytes, more than bench reads from one file "
                             f"({MAX_READ_BYTES}); the file is damaged or not bench's")
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
        return _loads(text)
    except json.JSONDecodeError as exc:
        raise BenchError(
            f"{path}: invalid JSON at line {exc.lineno} ({exc.msg}); the file is damaged, "
            "delete it or restore it"
        ) from None
    except ValueError as exc:
        raise BenchError(f"{path}: unreadable JSON ({exc}); the file is damaged, delete it or restore it") \
            from None


def iter_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = _loads(line)
        except json.JSONDecodeError as exc:
            raise BenchError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
        except ValueError as exc:
            raise BenchError(f"{path}:{lineno}: unreadable JSON ({exc})") from None
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


SQLITE_HEADER = b"SQLite format 3\x00"


def check_cache_file(path: str | os.PathLike, setting: str) -> Path:
    """``path`` if it can be a cache database: absent, empty, or an SQLite file in a real folder. A
    folder, a link, a device, another kind of file or an unwritable place is refused in one line
    naming ``setting``: bench never renames or writes into something it cannot tell it made."""
    path = Path(path)
    fix = f"point {setting} at a new file, e.g. {setting}=results/cache/{path.name or 'cache.sqlite'}"
    if path.is_symlink() or path.parent.is_symlink():
        raise BenchError(f"{setting}={path}: is a link (or in a linked folder); a planted link would send "
                         f"the cache's writes elsewhere; {fix}")
    if path.is_dir():
        raise BenchError(f"{setting}={path}: is a folder, not a cache file; {fix}")
    if path.exists() and not path.is_file():
        raise BenchError(f"{setting}={path}: is not a regular file; {fix}")
    if path.is_file():
        try:
            with open(path, "rb") as handle:
                head = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise BenchError(f"{setting}={path}: cannot read ({exc.strerror}); {fix}") from None
        if head and head != SQLITE_HEADER[:len(head)]:
            raise BenchError(f"{setting}={path}: not a bench cache (not an SQLite file); {fix}")
    writable_folder(path.parent, setting)
    return path


def writable_folder(folder: str | os.PathLike, setting: str) -> None:
    """``folder`` exists as a writable folder, or can be created below one; else one line."""
    existing = Path(folder).absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise BenchError(f"{setting}: {existing} is a file, not a folder; choose another place")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BenchError(f"{setting}: {existing} is not writable; make it writable or choose another place")


def open_sqlite(path: str | os.PathLike, schema: str, setting: str) -> sqlite3.Connection:
    """Open a cache database shared by concurrent processes (WAL mode and a long busy timeout let
    parallel sweep jobs write at once).

    A cache lives in a results folder, which people share, so what is in it is untrusted: a database
    whose tables are not exactly bench's, or that holds triggers or views (which could rewrite what
    bench stores), is refused in one line, and so is a damaged one; bench does not rename or repair a
    file it cannot prove it made. Entries themselves carry a MAC under this user's key
    (:func:`cache_mac`), so entries someone else wrote are misses, never answers.
    """
    path = check_cache_file(path, setting)
    try:  # a folder that looks writable may still refuse one (``/proc``, a read-only mount)
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(f"{setting}={path}: cannot create its folder {path.parent} ({exc.strerror}); "
                         f"point {setting} at a file in a writable folder") from None
    with sqlite_errors(setting, path):
        return _connect_sqlite(path, schema, setting, DAMAGED_CACHE_FIX.format(setting=setting))


#: seconds a cache write waits for another process's write lock before it gives up
SQLITE_BUSY_S = 60
DAMAGED_CACHE_FIX = "delete it (a cache holds only what can be recomputed) or point {setting} at a new file"


@contextlib.contextmanager
def sqlite_errors(setting: str, path: Path) -> Iterator[None]:
    """SQLite's errors on a cache as one line each. A write lock held past :data:`SQLITE_BUSY_S` and a
    full disk are not damage: deleting the cache would not help (and would lose finished work), so
    they say what would."""
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL:
            raise BenchError(f"{setting}={path}: the disk is full ({exc}); free some space and run again "
                             "(finished work is kept)") from None
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise BenchError(f"{setting}={path}: another process has held the cache's write lock for over "
                             f"{SQLITE_BUSY_S} s ({exc}); wait for the other run, score or sweep job to "
                             f"finish, or point {setting} at another file") from None
        if code is not None and code & 0xFF == sqlite3.SQLITE_IOERR:
            raise BenchError(f"{setting}={path}: cannot write ({exc}); check that its disk has space and "
                             f"is writable, or point {setting} at another file") from None
        raise BenchError(f"{setting}={path}: a damaged cache ({exc}); "
                         f"{DAMAGED_CACHE_FIX.format(setting=setting)}") from None


def _connect_sqlite(path: Path, schema: str, setting: str, fix: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=SQLITE_BUSY_S, isolation_level=None)
    try:
        table = re.search(r"CREATE TABLE IF NOT EXISTS (\w+)", schema).group(1)
        wanted = [c.split()[0] for c in re.search(r"\((.*)\)", schema, re.DOTALL).group(1).split(",")]
        found = {name: kind for kind, name in db.execute("SELECT type, name FROM sqlite_master")
                 if not name.startswith("sqlite_")}
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")] if table in found else []
        holds = ", ".join(f"{kind} {name}" for name, kind in sorted(found.items()))
        if found and table not in found:
            raise BenchError(f"{setting}={path}: an SQLite database of another program (it holds {holds}); "
                             f"point {setting} at a new file")
        if (found and set(found) != {table}) or (columns and columns != wanted):
            raise BenchError(f"{setting}={path}: not a cache of this bench version (it holds {holds}); {fix}")
        db.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_S * 1000)}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(schema)
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("quick_check failed")
    except BaseException:
        db.close()
        raise
    return db


#: the length of this user's cache key; a key file of any other length was cut short or is not bench's
KEY_BYTES = 32


def _key_file() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "bench" / "cache.key"


def _user_key() -> bytes:
    """This user's cache key: :data:`KEY_BYTES` random bytes in ``$XDG_CONFIG_HOME/bench/cache.key``,
    made once. It never enters a results folder, so no one who shares one can forge an entry.

    Every MAC rests on it, so the file is believed only when it can be nothing but the key bench made
    for this user (:func:`_read_key`); and it is made so that no process ever reads it half-written.
    """
    file = _key_file()
    return _read_key(file) or _make_key(file)


def _make_key(file: Path) -> bytes:
    """Write a new key to a private temporary file, ``fsync`` it, then link it into place.

    ``os.link`` fails if the name exists, so of processes racing to make the key exactly one wins and
    none replaces another's; as the file is complete before it has its name, every loser (and every
    reader) reads the winner's whole key. A full disk fails the write, never leaves a short key.
    """
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep_stale_temp(file.parent)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(file.name), suffix=".tmp", dir=file.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: its key is complete too
            os.link(tmp, file)
    finally:
        os.unlink(tmp)
    key = _read_key(file)
    if key is None:
        raise BenchError(f"{file}: the cache key vanished as it was made; run the command again")
    return key


def _read_key(file: Path) -> bytes | None:
    """The key in ``file`` (None: there is none yet); anything that cannot be the key is one line.

    Opened without following a link and without blocking (a FIFO would hang every command), then
    checked on the open file itself: a regular file of this user's, closed to everyone else, of
    exactly :data:`KEY_BYTES` bytes. A key of 0 bytes (a full disk when it was made) would make every
    MAC one anybody can compute.
    """
    fix = "delete it (bench makes a new one; cached entries are then computed again)"
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        what = "is a link" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})"
        raise BenchError(f"{file}: the cache key {what}; {fix}") from None
    try:
        problem = _key_problem(os.fstat(fd))
        data = b"" if problem else os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if not problem and len(data) != KEY_BYTES:
        problem = f"holds {len(data)} bytes, not {KEY_BYTES}"
    if problem:
        raise BenchError(f"{file}: the cache key {problem}; {fix}")
    return data


def _key_problem(info: os.stat_result) -> str | None:
    """Why a key file with these attributes cannot be this user's key (None: it can)."""
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if info.st_uid != os.geteuid():
        return f"belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o077:
        return f"may be read or written by others (mode {stat.S_IMODE(info.st_mode):04o})"
    if info.st_size != KEY_BYTES:
        return f"holds {info.st_size} bytes, not {KEY_BYTES}"
    return None


@functools.cache
def _key() -> bytes:
    try:
        return _user_key()
    except OSError as exc:  # a home that cannot be written (a CI container), a full disk: this process's key
        log.warning("cannot keep a cache key in %s (%s); cached entries are trusted by this process "
                    "only: set XDG_CONFIG_HOME to a writable folder", _key_file().parent, exc.strerror)
        return secrets.token_bytes(KEY_BYTES)


def cache_mac(*parts: str) -> str:
    """HMAC-SHA256 of ``parts`` under this user's key: what a cache entry must carry to be believed."""
    return hmac.new(_key(), "\x1f".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()

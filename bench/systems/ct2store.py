"""Converted CTranslate2 models, kept where others may write: signed when made, checked before use.

A conversion lives in ``model.convert_dir/<key>`` (by default under ``${results_dir}/cache``), a folder
shared with everyone who shares the results folder, and its key hashes public facts (the weights'
identity, the quantisation, versions). Whoever can write there can put a folder under the key of a
model someone else will run; loaded as it is, its weights would translate for them, and the
translations would be cached under the genuine model's fingerprint and signed with their own key.

So a conversion is believed only when:

- it is a real folder (not a link), owned by this user and writable by no one else, so nobody else
  can change its files between the check and the load;
- its manifest (:data:`MANIFEST`) lists the sha256 of every other file in it, and carries an HMAC
  under this user's cache key (:func:`bench.store.io.cache_mac`) over the key and those hashes: a manifest
  cannot be forged, nor a genuine one moved under another model's key;
- it holds exactly the files the manifest lists;
- before loading, every file's sha256 is the manifest's (sha256 ran at 574 MB/s on the busy 2-core
  VM of this change: about 4 s for the 2.5 GB of NLLB-600M in float32, on the way to its load).

The digest of the manifest's hashes is part of the system's identity (the translation-cache key), so
translations of one conversion are never served for another. Reading the manifest alone costs
milliseconds: a run whose translations are all cached hashes no weights.

A folder that fails is never loaded: :func:`discard` moves it aside and removes it (the caller then
converts again); one this user cannot move is refused in one line. CTranslate2 then reads the checked
folder through its open descriptor (``/proc/self/fd/N``, where the system has it), so it is the folder
that was checked even if someone renames another into its place meanwhile.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from bench.core.errors import BenchError
from bench.store.io import cache_mac, sha256_text, temp_prefix

MANIFEST = "bench-conversion.json"
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
#: a FIFO planted as a file must not block the open (the type is checked once it is open)
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
_PROC_FD = Path("/proc/self/fd")


@dataclass(frozen=True)
class Manifest:
    """The sha256 of every file of one conversion, by file name."""

    files: dict[str, str]

    @property
    def digest(self) -> str:
        """One hash of the whole conversion: what the system's identity carries."""
        return sha256_text(_canonical(self.files))


def folder_name(key: str) -> str:
    """The folder of the conversion ``key`` for this user: named by a MAC under this user's key, so no
    one else can know the name before the folder exists, and two users sharing a results folder
    keep a conversion each rather than replacing each other's."""
    return cache_mac("ctranslate2-folder", key)[:16]


def _canonical(files: dict[str, str]) -> str:
    return json.dumps(sorted(files.items()))


def _mac(key: str, files: dict[str, str]) -> str:
    return cache_mac("ctranslate2-conversion", key, _canonical(files))


def sign(folder: Path, key: str) -> Manifest:
    """Write the manifest of a conversion just made in ``folder`` (a private temporary folder, before it
    is renamed to ``key``): every file's sha256 and this user's MAC over them and ``key``."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink() or not path.is_file():
            raise BenchError(f"the CTranslate2 converter wrote {path.name}, not a plain file: use "
                             "model.backend=hf")
        files[path.name] = _sha256(os.open(path, _FILE_FLAGS))
    (folder / MANIFEST).write_text(json.dumps({"files": files, "mac": _mac(key, files)}, indent=2),
                                   encoding="utf-8")
    return Manifest(files)


class Checked:
    """A conversion folder that passed :func:`check`, held open: :attr:`path` names that very folder
    until :meth:`close`."""

    def __init__(self, fd: int, folder: Path, manifest: Manifest) -> None:
        self.fd, self.manifest = fd, manifest
        self.path = str(_PROC_FD / str(fd)) if _PROC_FD.is_dir() else str(folder)

    def close(self) -> None:
        os.close(self.fd)


def check(folder: Path, key: str, contents: bool) -> Checked | None:
    """``folder`` held open if it is this user's signed conversion for ``key`` (with ``contents``, every
    file's hash checked too), else None. The caller closes what it gets."""
    try:
        fd = os.open(folder, _FOLDER_FLAGS)
    except OSError:  # absent, a link, not a folder
        return None
    try:
        manifest = _signed(fd, key)
        if manifest is not None and (not contents or all(
                _sha256(os.open(name, _FILE_FLAGS, dir_fd=fd)) == digest
                for name, digest in manifest.files.items())):
            return Checked(fd, folder, manifest)
    except (OSError, ValueError, RecursionError):  # unreadable, damaged or nested beyond reason
        pass
    os.close(fd)
    return None


def signed(folder: Path, key: str) -> Manifest | None:
    """The manifest if ``folder`` is this user's private, signed conversion for ``key`` (no file hashed)."""
    held = check(folder, key, contents=False)
    if held is None:
        return None
    held.close()
    return held.manifest


def _signed(fd: int, key: str) -> Manifest | None:
    """The manifest of the open folder ``fd``, if it is private, this user's and signed for ``key``."""
    info = os.fstat(fd)
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    with os.fdopen(os.open(MANIFEST, _FILE_FLAGS, dir_fd=fd), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = json.loads(handle.read(1 << 20))
    files, mac = (data.get("files"), data.get("mac")) if isinstance(data, dict) else (None, None)
    if not (isinstance(files, dict) and isinstance(mac, str)
            and all(isinstance(v, str) for v in files.values())):
        return None
    if sorted(os.listdir(fd)) != sorted([*files, MANIFEST]):
        return None
    return Manifest(files) if hmac.compare_digest(mac, _mac(key, files)) else None


def _sha256(fd: int) -> str:
    """sha256 of the regular file open as ``fd`` (closed after); ValueError for anything else."""
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file")
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discard(folder: Path, setting: str) -> None:
    """Move a conversion that failed :func:`check` out of the way and remove it (a link is removed, not
    followed); one line if this user may not move it."""
    aside = folder.with_name(f"{temp_prefix(folder.name)}{secrets.token_hex(4)}.tmp")
    try:
        os.replace(folder, aside)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BenchError(f"{setting}: {folder} holds a CTranslate2 conversion this user did not sign, and "
                         f"it cannot be removed ({exc.strerror}): delete it, or point {setting} at a folder "
                         "only you write") from None
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)

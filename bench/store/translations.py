"""The translation cache: an embedded SQLite database shared by every run.

Keyed by system fingerprint (model, revision or content hash, generation parameters, prompt) +
language pair + source text, so a translation is reused only when it would come out the same.
Translations are stored as each chunk finishes: a killed run resumes where it stopped, and re-running
a finished run loads no model. WAL mode and a busy timeout make concurrent writers (parallel sweep
jobs) safe. Entries carry a MAC under this user's key (:func:`bench.store.io.cache_mac`), so a cache that
came with someone else's results folder can never supply a translation: its entries are misses.
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from bench.store.io import cache_mac, open_sqlite, sha256_text, sqlite_errors

SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    src_lang TEXT NOT NULL,
    tgt_lang TEXT NOT NULL,
    source TEXT NOT NULL,
    output TEXT NOT NULL,
    mac TEXT NOT NULL
)
"""
_BATCH = 500  # SQLite caps the number of host parameters per statement


def cache_key(fingerprint: str, src_lang: str, tgt_lang: str, source: str) -> str:
    return sha256_text("\x1f".join((fingerprint, src_lang, tgt_lang, source)))


class TranslationCache:
    """``get_many``/``put_many`` over one SQLite file; ``path=None`` disables caching."""

    def __init__(self, path: str | Path | None, setting: str = "translation_cache.path") -> None:
        self.path = Path(path) if path is not None else None
        self.setting = setting
        self._db: sqlite3.Connection | None = None
        if self.path is not None:
            self._db = open_sqlite(self.path, SCHEMA, setting)

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def get_many(self, fingerprint: str, src_lang: str, tgt_lang: str,
                 sources: Iterable[str]) -> dict[str, str]:
        """Cached outputs for those ``sources`` that have one, as ``{source: output}``."""
        if self._db is None:
            return {}
        keys = {cache_key(fingerprint, src_lang, tgt_lang, s): s for s in sources}
        found: dict[str, str] = {}
        key_list = list(keys)
        for start in range(0, len(key_list), _BATCH):
            chunk = key_list[start:start + _BATCH]
            marks = ",".join("?" * len(chunk))
            with sqlite_errors(self.setting, self.path):
                rows = self._db.execute(f"SELECT key, output, mac FROM translations WHERE key IN ({marks})",
                                        chunk).fetchall()
            for key, output, mac in rows:
                if hmac.compare_digest(mac, cache_mac(key, output)):  # else not this user's: a miss
                    found[keys[key]] = output
        return found

    def put_many(self, fingerprint: str, src_lang: str, tgt_lang: str,
                 items: Iterable[tuple[str, str]]) -> None:
        """Store ``(source, output)`` pairs in one transaction (all or nothing); a full disk or a lock
        held too long by another writer is one line (:func:`bench.store.io.sqlite_errors`)."""
        if self._db is None:
            return
        keyed = [(cache_key(fingerprint, src_lang, tgt_lang, s), s, o) for s, o in items]
        rows = [(k, fingerprint, src_lang, tgt_lang, s, o, cache_mac(k, o)) for k, s, o in keyed]
        with sqlite_errors(self.setting, self.path), self._db:  # BEGIN ... COMMIT, rolled back on error
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

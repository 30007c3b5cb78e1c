"""A score cache on disk, so that scoring stored runs a second time is instant.

One row per (metric signature, pair contents): the key is the SHA-256 of the signature and of the
source, hypothesis and reference lines of the whole pair. Whole pairs rather than single segments,
because every metric here scores a pair in one batch and stores corpus-level statistics; a cache hit
then needs one lookup, and a changed line (or a changed metric setting, which changes the signature)
is simply a miss. The stored value is the :class:`Score` without confidence interval, which is
recomputed from its statistics in milliseconds under the current bootstrap settings.

The cache sits in a results folder that people share, so each entry carries a MAC under this user's
key (:func:`bench.store.io.cache_mac`): an entry written by anyone else is a miss and is recomputed.
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path

from bench.core.errors import BenchError
from bench.core.score import Score
from bench.store.io import cache_mac, open_sqlite, sha256_text, sqlite_errors

SCHEMA = ("CREATE TABLE IF NOT EXISTS scores "
          "(key TEXT PRIMARY KEY, signature TEXT NOT NULL, score TEXT NOT NULL, mac TEXT NOT NULL)")


def contents_key(sources: list[str], hypotheses: list[str], references: list[str] | list[list[str]]) -> str:
    """SHA-256 of the pair's lines; JSON keeps line boundaries unambiguous."""
    return sha256_text(json.dumps([sources, hypotheses, references], ensure_ascii=False))


class ScoreCache:
    """``${results_dir}/cache/scores.sqlite``; safe for several processes (SQLite locking, WAL)."""

    def __init__(self, path: str | Path, setting: str = "score_cache.path") -> None:
        self.path, self.setting = Path(path), setting
        self._db = open_sqlite(self.path, SCHEMA, setting)

    @staticmethod
    def _key(signature: str, contents: str) -> str:
        return sha256_text(f"{signature}\n{contents}")

    def get(self, signature: str, contents: str, rows: int) -> Score | None:
        """The cached score, checked like a stored one (the cache lives in a shared results folder);
        an entry that does not fit is treated as a miss and recomputed."""
        from bench.store.runs import parse_score

        key = self._key(signature, contents)
        with sqlite_errors(self.setting, self.path):
            row = self._db.execute("SELECT score, mac FROM scores WHERE key = ?", (key,)).fetchone()
        if row is None or not hmac.compare_digest(row[1], cache_mac(key, row[0])):  # not this user's
            return None
        try:
            data = json.loads(row[0])
            return parse_score(data, str(data.get("metric")), rows, str(self.path))
        except (ValueError, AttributeError, BenchError):
            return None

    def put(self, signature: str, contents: str, score: Score) -> None:
        with sqlite_errors(self.setting, self.path), self._db:
            self._db.execute("BEGIN IMMEDIATE")
            key, text = self._key(signature, contents), json.dumps(score.to_json(), ensure_ascii=False)
            self._db.execute("INSERT OR REPLACE INTO scores (key, signature, score, mac) VALUES (?, ?, ?, ?)",
                             (key, signature, text, cache_mac(key, text)))

    def close(self) -> None:
        self._db.close()

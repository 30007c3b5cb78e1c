"""The translation cache: exact reuse, concurrent writers, recovery from a damaged file."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.systems.cache import TranslationCache


def test_hits_only_for_same_fingerprint_pair_and_source(tmp_path: Path):
    cache = TranslationCache(tmp_path / "c.sqlite")
    cache.put_many("fp1", "zh", "kk", [("你好", "сәлем"), ("谢谢", "рақмет")])
    assert cache.get_many("fp1", "zh", "kk", ["你好", "谢谢", "再见"]) == {"你好": "сәлем", "谢谢": "рақмет"}
    assert cache.get_many("fp2", "zh", "kk", ["你好"]) == {}
    assert cache.get_many("fp1", "zh", "vi", ["你好"]) == {}


def test_disabled_cache_stores_nothing(tmp_path: Path):
    cache = TranslationCache(None)
    cache.put_many("fp", "zh", "kk", [("a", "b")])
    assert not cache.enabled and cache.get_many("fp", "zh", "kk", ["a"]) == {}


def _writer(path: str, worker: int) -> None:
    cache = TranslationCache(path)
    for start in range(0, 200, 20):
        cache.put_many("fp", "zh", "kk", [(f"{worker}-{i}", f"out {worker}-{i}")
                                          for i in range(start, start + 20)])
        cache.put_many("fp", "zh", "kk", [("shared", "same output")])
    cache.close()


def test_four_processes_write_at_once_and_nothing_is_lost(tmp_path: Path):
    path = str(tmp_path / "c.sqlite")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(path, w)) for w in range(4)]
    for proc in workers:
        proc.start()
    for proc in workers:
        proc.join(120)
        assert proc.exitcode == 0
    wanted = [f"{w}-{i}" for w in range(4) for i in range(200)] + ["shared"]
    found = TranslationCache(path).get_many("fp", "zh", "kk", wanted)
    assert len(found) == len(wanted)
    assert found["3-199"] == "out 3-199" and found["shared"] == "same output"


def test_damaged_database_is_refused_and_left_as_it_is(tmp_path: Path):
    path = tmp_path / "c.sqlite"
    made = TranslationCache(path)
    made.put_many("fp", "zh", "kk", [(f"source {i}", "output " * 50) for i in range(200)])
    made.close()
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # an SQLite header, then garbage: a damaged cache
    path.write_bytes(bytes(data))
    with pytest.raises(BenchError, match="a damaged cache .*delete it"):
        TranslationCache(path)
    assert path.read_bytes() == bytes(data) and sorted(p.name for p in tmp_path.iterdir()) == ["c.sqlite"]


def test_entries_written_under_another_users_key_are_misses(tmp_path: Path, monkeypatch):
    """A cache that came with someone else's results folder cannot supply translations."""
    path = tmp_path / "c.sqlite"
    mine = TranslationCache(path)
    mine.put_many("fp", "zh", "kk", [("a", "mine")])
    assert mine.get_many("fp", "zh", "kk", ["a"]) == {"a": "mine"}
    mine._db.execute("UPDATE translations SET output = 'ATTACKER TEXT'")  # forged without the key
    assert mine.get_many("fp", "zh", "kk", ["a"]) == {}
    mine.close()


@pytest.mark.parametrize("planted", ["trigger", "view", "other columns"])
def test_a_cache_with_anything_but_benchs_table_is_refused(tmp_path: Path, planted: str):
    path = tmp_path / "c.sqlite"
    TranslationCache(path).close()
    db = sqlite3.connect(path)
    if planted == "trigger":
        db.execute("CREATE TRIGGER t AFTER INSERT ON translations BEGIN "
                   "UPDATE translations SET output = 'x' WHERE key = NEW.key; END")
    elif planted == "view":
        db.execute("CREATE VIEW v AS SELECT * FROM translations")
    else:
        db.execute("DROP TABLE translations")
        db.execute("CREATE TABLE translations (x TEXT)")
    db.commit()
    db.close()
    with pytest.raises(BenchError, match="not a cache of this bench version"):
        TranslationCache(path)


def test_without_a_writable_home_the_key_lives_in_the_process(tmp_path: Path, monkeypatch):
    from bench import io

    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "not-a-folder"))
    io._key.cache_clear()
    try:
        cache = TranslationCache(tmp_path / "c.sqlite")
        cache.put_many("fp", "zh", "kk", [("a", "b")])
        assert cache.get_many("fp", "zh", "kk", ["a"]) == {"a": "b"}
        cache.close()
    finally:
        io._key.cache_clear()

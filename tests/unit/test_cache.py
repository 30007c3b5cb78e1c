"""The translation cache in one process: hits by fingerprint, pair and source, what it refuses (damaged,
foreign, another user's entries), and the per-user key file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.store.translations import TranslationCache
from tests.support.cache import KEY_FIX, key_file


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
    from bench.store import io

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


def test_the_key_is_made_once_private_and_whole(config_home: Path):
    from bench.store import io

    key = io._user_key()
    info = key_file(config_home).stat()
    assert len(key) == 32 and key_file(config_home).read_bytes() == key
    assert info.st_mode & 0o777 == 0o600 and info.st_uid == os.geteuid()
    assert io._user_key() == key
    assert sorted(p.name for p in key_file(config_home).parent.iterdir()) == ["cache.key"]  # no temp left


def _plant(kind: str, file: Path, elsewhere: Path) -> None:
    file.parent.mkdir(parents=True)
    good = os.urandom(32)
    if kind == "empty":
        file.write_bytes(b"")
    elif kind == "one byte":
        file.write_bytes(b"k")
    elif kind == "33 bytes":
        file.write_bytes(good + b"\n")
    elif kind == "link to /dev/null":
        file.symlink_to("/dev/null")
    elif kind == "link to a key":
        (elsewhere / "key").write_bytes(good)
        (elsewhere / "key").chmod(0o600)
        file.symlink_to(elsewhere / "key")
    elif kind == "fifo":
        os.mkfifo(file, 0o600)
    elif kind == "folder":
        file.mkdir()
    else:  # a mode that lets others read or write it
        file.write_bytes(good)
        file.chmod(int(kind.split()[1], 8))
        return
    if file.is_file() and not file.is_symlink():
        file.chmod(0o600)


@pytest.mark.parametrize(("kind", "says"), [
    ("empty", "holds 0 bytes, not 32"),
    ("one byte", "holds 1 bytes, not 32"),
    ("33 bytes", "holds 33 bytes, not 32"),
    ("link to /dev/null", "is a link"),
    ("link to a key", "is a link"),
    ("fifo", "is not a regular file"),
    ("folder", "is not a regular file"),
    ("mode 0666", "may be read or written by others (mode 0666)"),
    ("mode 0620", "may be read or written by others (mode 0620)"),
    ("mode 0604", "may be read or written by others (mode 0604)"),
])
def test_a_key_file_that_cannot_be_the_key_is_one_line_and_left_alone(config_home: Path, tmp_path: Path,
                                                                      kind: str, says: str):
    from bench.store import io

    file = key_file(config_home)
    _plant(kind, file, tmp_path)
    before = os.lstat(file)
    with pytest.raises(BenchError) as raised:
        io._user_key()
    assert str(raised.value) == f"{file}: the cache key {says}; {KEY_FIX}"
    after = os.lstat(file)
    assert (after.st_mode, after.st_size, after.st_mtime_ns) == \
        (before.st_mode, before.st_size, before.st_mtime_ns)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_key_file_of_another_user_is_refused(config_home: Path):
    from bench.store import io

    file = key_file(config_home)
    file.parent.mkdir(parents=True)
    file.write_bytes(os.urandom(32))
    file.chmod(0o600)
    os.chown(file, 12345, 12345)
    with pytest.raises(BenchError, match=r"belongs to another user \(uid 12345\); delete it"):
        io._user_key()


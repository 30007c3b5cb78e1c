"""The translation cache: exact reuse, concurrent writers, recovery from a damaged file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

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


def test_damaged_database_is_moved_aside_and_replaced(tmp_path: Path, caplog):
    path = tmp_path / "c.sqlite"
    made = TranslationCache(path)
    made.put_many("fp", "zh", "kk", [(f"source {i}", "output " * 50) for i in range(200)])
    made.close()
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # an SQLite header, then garbage: a damaged cache
    path.write_bytes(bytes(data))
    cache = TranslationCache(path)
    assert cache.get_many("fp", "zh", "kk", ["a"]) == {}
    cache.put_many("fp", "zh", "kk", [("a", "b")])
    assert cache.get_many("fp", "zh", "kk", ["a"]) == {"a": "b"}
    assert any(p.name.startswith("c.sqlite.corrupt-") for p in tmp_path.iterdir())
    assert "damaged" in caplog.text

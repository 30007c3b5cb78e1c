"""The translation cache: exact reuse, concurrent writers, recovery from a damaged file."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from bench.store.translations import TranslationCache
from tests.support.cache import KEY_FIX, key_file


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


# -- the per-user key every cache entry's MAC rests on -------------------------------------------


def test_a_fifo_key_is_one_line_from_the_command_not_a_hang(tmp_path: Path):
    from tests.support.cli import bench

    config = tmp_path / "config"
    key_file(config).parent.mkdir(parents=True)
    os.mkfifo(key_file(config), 0o600)
    args = ("run", "model=copy", "metric=[chrf]", "limit=2", f"results_dir={tmp_path / 'results'}")
    refused = bench(*args, env={"XDG_CONFIG_HOME": str(config)}, timeout=120)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip() == \
        f"bench run: error: {key_file(config)}: the cache key is not a regular file; {KEY_FIX}"
    key_file(config).unlink()  # the fix the line names
    fixed = bench(*args, env={"XDG_CONFIG_HOME": str(config)}, timeout=120)
    assert fixed.returncode == 0, fixed.stderr
    assert key_file(config).stat().st_size == 32


def _race(root: str, start, out) -> None:
    from bench.store import io

    os.environ["XDG_CONFIG_HOME"] = root
    start.wait()
    try:
        out.put(io._user_key().hex())
    except BaseException as exc:  # the parent reports what went wrong
        out.put(f"{type(exc).__name__}: {exc}")


def test_processes_racing_to_make_the_key_all_read_the_same_whole_key(config_home: Path):
    """No process reads a key another is still writing (77 of 900 did), and none replaces another's."""
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Barrier(12), ctx.Queue()
    workers = [ctx.Process(target=_race, args=(str(config_home), start, out)) for _ in range(12)]
    for proc in workers:
        proc.start()
    keys = [out.get(timeout=60) for _ in workers]
    for proc in workers:
        proc.join(60)
    assert len(set(keys)) == 1 and len(bytes.fromhex(keys[0])) == 32, keys
    assert key_file(config_home).read_bytes().hex() == keys[0]
    assert sorted(p.name for p in key_file(config_home).parent.iterdir()) == ["cache.key"]

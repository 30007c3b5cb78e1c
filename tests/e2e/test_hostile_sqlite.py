"""The caches' SQLite files when the machine, not the file, is the problem: another process holding the
write lock past the busy timeout, and a disk that fills up while a run stores its translations.

Neither is damage, so neither may say "damaged cache, delete it" (deleting would lose finished work and
not help): each is one line saying what would help, the run is left resumable (``interrupted``), and
what was finished is kept. A real tiny model translates, in this process, so the busy timeout and the
size of the database can be made small (a held lock waits 0.2 s, not 60).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import bench.store.io
from bench.store.translations import TranslationCache
from tests.support.cli import TEST_ENV, bench_here
from tests.support.refs import write_references

pytestmark = pytest.mark.usefixtures("one_torch_thread")

#: rows enough to need more pages than an empty database has, so one held at its size is full at once
ROWS = {"zh-vi": [(f"第{i}句：" + "今天天气很好，我们明天去北京。" * 4, "Hôm nay thời tiết rất đẹp.")
                  for i in range(24)]}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_references(tmp_path / "references", ROWS)
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(bench.store.io, "SQLITE_BUSY_S", 0.2)
    TranslationCache(tmp_path / "results" / "cache" / "translations.sqlite").close()  # made, in WAL mode
    return tmp_path


def translate(world: Path, tiny_models, capsys):
    return bench_here(capsys, "run", "model=opus-mt-zh-vi", f"model.path={tiny_models['marian']}",
                      "metric=[bleu]", "model.max_new_tokens=8", f"dataset.path={world / 'references'}",
                      f"results_dir={world / 'results'}")


def stopped(result, world: Path, *needles: str) -> None:
    """One line naming the cache and the fix, nothing about damage, and the run left resumable."""
    errors = [line for line in result.stderr.splitlines() if line.strip() and " I bench" not in line]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(errors) == 1 and errors[0].startswith("bench run: error: translation_cache.path="), errors
    assert "damaged" not in errors[0] and "delete it" not in errors[0], errors[0]
    for needle in needles:
        assert needle in errors[0], errors[0]
    (record,) = (world / "results" / "runs").glob("*/*/run.json")
    assert json.loads(record.read_text())["status"] == "interrupted"


def test_a_write_lock_held_past_the_busy_timeout_is_one_line(world, tiny_models, capsys):
    holder = sqlite3.connect(world / "results" / "cache" / "translations.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run, score or sweep job in the middle of a write
    try:
        stopped(translate(world, tiny_models, capsys), world, "another process has held the cache's write "
                "lock for over 0.2 s", "wait for the other run")
    finally:
        holder.close()
    assert translate(world, tiny_models, capsys).returncode == 0  # once it is let go, the run goes on


def test_a_disk_that_fills_up_while_translations_are_stored_is_one_line(world, tiny_models, capsys,
                                                                        monkeypatch):
    connect = bench.store.io._connect_sqlite

    def full_disk(path, *args):
        """The database may not grow by one page: what SQLite meets on a full disk (SQLITE_FULL)."""
        db = connect(path, *args)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(bench.store.io, "_connect_sqlite", full_disk)
    stopped(translate(world, tiny_models, capsys), world, "the disk is full", "free some space")

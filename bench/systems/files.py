"""Pre-computed translations read from a folder: ``<path>/<src>-<tgt>.txt``, one line per reference row.

This is how outputs of systems the harness cannot run (a commercial API used elsewhere, a human
translator, another toolkit) are scored alongside the rest. Lines are matched to reference rows by
position, so the line count must equal the row count exactly; a file that is off by one would score
every line against the wrong reference, which is why :meth:`prepare` refuses it rather than guessing.
Files saved by Windows editors are accepted (UTF-8 byte-order mark, CRLF line ends); other encodings
are refused with the file and line named.
"""

from __future__ import annotations

import codecs
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.refset.parse import read_untrusted
from bench.refset.store import Segment
from bench.store.io import MAX_READ_BYTES, sha256_file
from bench.systems.base import System


def read_lines(file: Path) -> list[str]:
    """The lines of a translation file: strict UTF-8, BOM dropped, ``\\n`` or ``\\r\\n`` line ends.
    The folder may be someone else's: a link (to any file this user can read) or a FIFO is refused."""
    data = read_untrusted(file, MAX_READ_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BenchError(f"{file}: line {line} is not valid UTF-8 (byte {exc.start}); re-save the file "
                         "as UTF-8") from None
    text = text.removeprefix(codecs.BOM_UTF8.decode("utf-8"))
    if not text:
        return []
    # Only \n separates lines: str.splitlines would also split on characters such as U+2028 that
    # can sit inside a translated sentence.
    return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]


class TranslationFiles(System):
    """The ``file`` system: translations someone else produced, one ``<pair>.txt`` per pair."""

    cacheable = False

    def __init__(self, name: str, path: str) -> None:
        super().__init__(name)
        self.path = Path(path).expanduser()
        self._lines: dict[str, dict[str, list[str]]] = {}
        self._served: dict[str, dict[str, int]] = {}

    def file(self, src_lang: str, tgt_lang: str) -> Path:
        return self.path / f"{Pair.of(src_lang, tgt_lang)}.txt"

    def check(self, pairs: list[tuple[str, str]]) -> None:
        if not self.path.is_dir():
            raise BenchError(f"model.path={self.path}: no such folder; point it at the folder holding "
                             "<src>-<tgt>.txt translation files")
        missing = [self.file(s, t).name for s, t in pairs if not self.file(s, t).is_file()]
        if missing:
            present = ", ".join(sorted(p.name for p in self.path.glob("*.txt"))) or "none"
            raise BenchError(f"{self.path}: missing {', '.join(missing)} (present: {present}); add the "
                             "files or restrict the run with pairs=[...]")

    def identity(self) -> dict[str, Any]:
        # only regular files: a FIFO would block, a link loop or a folder named *.txt would raise
        return {"files": {p.name: sha256_file(p) for p in sorted(self.path.glob("*.txt"))
                          if p.is_file() and not p.is_symlink()}}

    def describe(self) -> dict[str, Any]:
        return {"path": str(self.path.resolve())}

    def prepare(self, src_lang: str, tgt_lang: str, segments: list[Segment]) -> None:
        file = self.file(src_lang, tgt_lang)
        if not file.is_file():
            raise BenchError(f"{file}: file not found; add it or restrict the run with pairs=[...]")
        lines = read_lines(file)
        if len(lines) != len(segments):
            raise BenchError(f"{file}: {len(lines)} lines, but the reference set has {len(segments)} rows "
                             f"for {Pair.of(src_lang, tgt_lang)}; write exactly one line per row, in "
                             "reference order")
        by_source: dict[str, list[str]] = defaultdict(list)
        for segment, line in zip(segments, lines):
            by_source[segment.src].append(line)
        self._lines[Pair.of(src_lang, tgt_lang)] = by_source
        self._served[Pair.of(src_lang, tgt_lang)] = defaultdict(int)

    def translate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        """Look each source up; a source that occurs n times gets its n lines in file order."""
        pair = Pair.of(src_lang, tgt_lang)
        if pair not in self._lines:
            raise RuntimeError(f"translate() before prepare() for {pair}")
        lines, served = self._lines[pair], self._served[pair]
        outputs = []
        for source in sources:
            candidates = lines.get(source)
            if not candidates:
                raise RuntimeError(f"{pair}: source {source[:60]!r} was not among the prepared segments")
            outputs.append(candidates[served[source] % len(candidates)])
            served[source] += 1
        return outputs

"""A raw bilingual page -> its Chinese lines, its translation lines and the page's metadata.

The raw documents are text copied from web pages: a Chinese article and its human translation, one
after the other in either order, with page furniture (breadcrumbs, a category in parentheses, a
``DD-MM-YYYY | site`` line, the title printed twice). Lines are sorted by script, not by position,
so the blocks may come in any order and be separated by a single newline. Furniture becomes
metadata and never a segment.

Only damage whose repair is unambiguous is repaired (odd spaces, a sentence broken across lines
where the next line starts in lower case); every repair is recorded for the build report. Wording is
never changed.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bench.core.errors import BenchError
from bench.refset.langid import is_chinese, islands
from bench.refset.segment import CLOSERS

_ODD_SPACES = re.compile("[\u00a0\u2007\u202f]")
_ZERO_WIDTH = re.compile("[\u200b\ufeff]")
# Control characters (NUL included) are no text of any language: what copying a page let through.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE_RUN = re.compile(" {2,}")

_BREADCRUMB = re.compile(r"^(?:[^>.!?。！？|]{1,40}>\s*)+[^>.!?。！？|]{1,120}$")
_CATEGORY = re.compile(r"^[(（][^()（）]{1,80}[)）]$")
_DATELINE = re.compile(
    r"^(?:(?P<d>\d{1,2})[-./](?P<m>\d{1,2})[-./](?P<y>\d{4})"
    r"|(?P<y2>\d{4})[-./年](?P<m2>\d{1,2})[-./月](?P<d2>\d{1,2})日?)"
    r"\s*(?:\|\s*(?P<site>\S+))?$"
)

SENTENCE_END = ".!?…。！？"
#: the largest raw document read (a web page's article is a few kilobytes; a gigabyte is not a page)
MAX_RAW_BYTES = 64 << 20
_NOT_A_TITLE_END = SENTENCE_END + ",;:，；：、"
# Longest line taken for a title: Chinese titles are short; Latin and Cyrillic ones can be long.
TITLE_MAX_CHARS = {"zh": 40, "other": 160}


@dataclass(frozen=True)
class Line:
    """A line of text with its 1-based line number in the raw file (the first, when joined)."""

    number: int
    text: str
    title: bool = False


@dataclass
class Page:
    """What a raw document holds, before languages are detected and sentences split."""

    zh: list[Line] = field(default_factory=list)
    other: list[Line] = field(default_factory=list)
    date: str | None = None
    source: str | None = None
    furniture: list[str] = field(default_factory=list)  # lines kept out of the segments, and why
    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # suspected damage left as it is
    blocks: int = 0  # runs of same-language lines; 2 for a normal page
    misplaced: list[Line] = field(default_factory=list)  # lines alone in the other block, left out


def read_untrusted(path: Path, limit: int = MAX_RAW_BYTES) -> bytes:
    """The bytes of ``path``, a file in a folder someone else may have filled, if it is a regular file
    of at most ``limit`` bytes: a link (whose target could be any file this user can read, such as
    ``~/.netrc``), a dangling link or a loop, a folder, a FIFO (which would block) or a device is
    refused in one line naming it. The link is refused when opened (``O_NOFOLLOW``) and the kind is
    read from the open file, so nothing can be swapped in between the check and the read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise BenchError(f"{path}: file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BenchError(f"{path}: is a link; links are not followed out of this folder, put the "
                             "file itself there") from None
        raise BenchError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        size = _regular_size(path, os.fstat(fd), limit)
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(size + 1)  # reading ``limit`` bytes would allocate them all at once
    except OSError as exc:
        raise BenchError(f"{path}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > size:
        raise BenchError(f"{path}: grew while it was read; read it again once it is complete")
    return data


def _regular_size(path: Path, info: os.stat_result, limit: int) -> int:
    """The size of the file ``info`` describes, if it is a regular file of at most ``limit`` bytes."""
    if stat.S_ISDIR(info.st_mode):
        raise BenchError(f"{path}: is a folder; remove it or put a regular file there")
    if not stat.S_ISREG(info.st_mode):
        raise BenchError(f"{path}: is a FIFO, socket or device, not a regular file; remove it or put a "
                         "regular file there")
    if info.st_size > limit:
        raise BenchError(f"{path}: {info.st_size} bytes, more than bench reads from one such file ({limit}); "
                         "remove it or split it")
    return info.st_size


def parse_page(text: str) -> Page:
    page = Page()
    lines = _clean_lines(text, page.repairs)
    paired = _parenthesised_on_both_sides(lines)
    content: list[Line] = []
    for line in lines:
        if not _furniture(line, page, paired):
            content.append(line)
    sides = [is_chinese(line.text) for line in content]
    # A line alone inside the other language's block (a caption, a sentence copied out of place) has
    # no place on its own side: sorted there by script, it would be aligned far from where it stood.
    alone = set(islands(sides))
    page.misplaced = [content[i] for i in sorted(alone)]
    content = [line for i, line in enumerate(content) if i not in alone]
    sides = [zh for i, zh in enumerate(sides) if i not in alone]
    page.blocks = sum(1 for i, zh in enumerate(sides) if i == 0 or zh != sides[i - 1])
    for zh_side in (True, False):
        chosen = [line for line, zh in zip(content, sides) if zh == zh_side]
        joined = _join_broken(chosen, page)
        marked = _mark_titles(joined, "zh" if zh_side else "other", page)
        if zh_side:
            page.zh = marked
        else:
            page.other = marked
    return page


def _clean_lines(text: str, repairs: list[str]) -> list[Line]:
    """Non-empty lines, stripped, with odd and doubled spaces and control characters repaired (and
    recorded)."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        repairs.append("line endings: CR/CRLF normalised to LF")
    out = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw
        if found := _ODD_SPACES.findall(line):
            line = _ODD_SPACES.sub(" ", line)
            repairs.append(f"line {number}: {len(found)} non-breaking space(s) replaced by a space")
        if found := _ZERO_WIDTH.findall(line):
            line = _ZERO_WIDTH.sub("", line)
            repairs.append(f"line {number}: {len(found)} zero-width character(s) removed")
        if found := _CONTROL.findall(line):
            line = _CONTROL.sub("", line)
            repairs.append(f"line {number}: {len(found)} control character(s) removed (NUL and the like)")
        line = line.strip()
        if found := _SPACE_RUN.findall(line):
            line = _SPACE_RUN.sub(" ", line)
            repairs.append(f"line {number}: {len(found)} run(s) of doubled spaces collapsed")
        if line:
            out.append(Line(number, line))
    return out


def _parenthesised_on_both_sides(lines: list[Line]) -> bool:
    """Whether both languages have a line in parentheses: then such lines are text with a counterpart
    (``(掌声)`` and ``(Applause)`` in a talk), not a category printed above one side only."""
    return len({is_chinese(line.text) for line in lines if _CATEGORY.match(line.text)}) == 2


def _furniture(line: Line, page: Page, paired: bool) -> bool:
    """Record ``line`` as metadata and return True when it is page furniture; a line in parentheses
    is a category only when the other language has none (``paired`` is False)."""
    text = line.text
    if match := _DATELINE.match(text):
        date = _iso_date(match)
        if date is None:
            page.problems.append(f"line {line.number}: date line with an impossible date: {text!r}")
        page.date = page.date or date
        page.source = page.source or match["site"]
        page.furniture.append(f"line {line.number}: date/site line: {text!r}")
        return True
    if not any(ch.isalpha() for ch in text):
        page.furniture.append(f"line {line.number}: no letters: {text!r}")
        return True
    if _BREADCRUMB.match(text):
        page.furniture.append(f"line {line.number}: breadcrumb: {text!r}")
        return True
    if _CATEGORY.match(text) and not paired:
        page.furniture.append(f"line {line.number}: category: {text!r}")
        return True
    return False


def _iso_date(match: re.Match) -> str | None:
    year, month, day = (match["y"] or match["y2"]), (match["m"] or match["m2"]), (match["d"] or match["d2"])
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


def _join_broken(lines: list[Line], page: Page) -> list[Line]:
    """Join a line that stops mid-sentence with the next when the next starts in lower case.

    A lower-case start after an unfinished line is unambiguous only when the unfinished line is too
    long to be a title; a short one is left alone and reported.
    """
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev and not _ends_sentence(prev.text) and line.text[0].islower():
            if len(prev.text) > TITLE_MAX_CHARS["other"]:
                out[-1] = Line(prev.number, f"{prev.text} {line.text}")
                page.repairs.append(
                    f"lines {prev.number}+{line.number}: sentence broken across lines joined "
                    f"(…{prev.text[-30:]} | {line.text[:30]}…)"
                )
                continue
            page.problems.append(
                f"line {line.number} starts in lower case after line {prev.number}, which does not "
                "end a sentence; not joined because that line may be a title"
            )
        out.append(line)
    return out


def _mark_titles(lines: list[Line], script: str, page: Page) -> list[Line]:
    """Mark short lines without closing punctuation as titles; drop a title printed a second time
    above the body. Below it, a short line said twice (``(Applause)``, ``Thank you``) is text."""
    out: list[Line] = []
    seen: set[str] = set()
    body = False
    for line in lines:
        text = line.text
        stripped = text.rstrip(CLOSERS) or text
        title = len(text) <= TITLE_MAX_CHARS[script] and stripped[-1] not in _NOT_A_TITLE_END
        if title:
            key = " ".join(text.casefold().split())
            if key in seen and not body:
                page.furniture.append(f"line {line.number}: title repeated above the body: {text!r}")
                continue
            seen.add(key)
        body = body or not title
        out.append(Line(line.number, text, title))
    return out

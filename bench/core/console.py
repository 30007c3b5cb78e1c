"""Plain-text tables for the one-screen summaries that ``run`` and ``score`` print, text from other
people's files made safe to print, and library messages made one line long."""

from __future__ import annotations

import re
import sys

#: what a terminal, an editor or a diff acts on instead of showing: C0 and C1 controls (ESC starts the
#: sequences that move the cursor, colour text or retitle the window), DEL, and the bidirectional
#: controls that make a line read backwards
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with each such character shown as its escape (``\\x1b``): a run id or system name from
    a shared results folder is shown as it is, never obeyed."""
    return _HIDDEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def table(rows: list[list[str]]) -> str:
    """Left-aligned columns two spaces apart; the first row is the header. Cells are :func:`printable`."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def flat(text: str) -> str:
    """A multi-line library message as one line."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def first_line(exc: BaseException, limit: int | None = None) -> str:
    """The headline of a library error, cut at ``limit`` characters; the lines below it are context
    for developers."""
    lines = str(exc).strip().splitlines()
    return (lines[0].strip() if lines else type(exc).__name__)[:limit]


def report(command: str, message: str) -> int:
    """The one line every user-fixable error ends as, ``bench <command>: error: <message>``, on stderr;
    the exit status to leave with."""
    print(f"bench {command}: error: {message}", file=sys.stderr, flush=True)
    return 2

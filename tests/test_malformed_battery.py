"""A battery of malformed inputs across the commands: every one is refused in one line.

Each case is a command line (and, where needed, a file or folder made malformed first). Every case
must end the way a user can act on: exit status 2, exactly one line on stderr beginning with
``bench <command>: error:``, no traceback, and nothing written or changed in the folders the command
was pointed at. The commands run in this process (:func:`bench_here`), so 100 cases cost seconds.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass

import pytest

from bench.__main__ import main


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def bench_here(capsys: pytest.CaptureFixture, *args: str) -> Result:
    """``python -m bench ARGS`` in this process: what it exits with and prints. An exception that
    escapes is a traceback as a user would see it (status 1)."""
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception:  # what escapes is what the user would see as a traceback
        print(traceback.format_exc(), file=sys.stderr)
        code = 1
    out = capsys.readouterr()
    return Result(code, out.out, out.err)

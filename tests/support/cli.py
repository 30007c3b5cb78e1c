"""Running bench the way users do: ``bench`` in a subprocess, ``bench_here`` in this process (seconds
instead of a Python start per command)."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
#: offline like this machine, quiet progress bars, and one torch thread: the tiny models' matrices are
#: too small to split, and two spinning OpenMP threads on a busy machine made runs 9x slower.
TEST_ENV = {"HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}


def bench(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
          cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m bench ARGS`` in a subprocess and capture its output."""
    full_env = {**os.environ, **TEST_ENV, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


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


def one_line(result: subprocess.CompletedProcess, *needles: str) -> str:
    """A refusal: exit 2, exactly one line on stderr, no traceback, naming each of ``needles``."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]

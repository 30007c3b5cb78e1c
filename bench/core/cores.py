"""How many CPU threads bench's math libraries use: the cores this process may run on.

torch and CTranslate2 size their thread pools from the machine, not from what the process is allowed:
in a container held to 2 CPUs by a cgroup quota on a 64-core host, or under ``taskset``, they start
dozens of OpenMP threads that take turns on the few cores there are, and OpenMP threads spin while
they wait for each other. On a busy machine that made the tiny models up to 19x slower (issue 18).
So bench counts the cores it may use: the CPU affinity mask (``taskset``, cpusets), capped by the CPU
quota of every cgroup the process is in (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us`` over
``cpu.cfs_period_us``), rounded down: a quota of 1.5 CPUs is one thread, since threads beyond the
quota are throttled in turn.

Counting cores does not help where the cores are there but busy with other work: OpenMP's threads
then spin at every barrier for a core another thread of theirs is waiting for. :func:`calm_openmp`
makes them sleep instead (``OMP_WAIT_POLICY=PASSIVE``); it must run before torch (or CTranslate2) is
first imported, since the OpenMP runtime reads the variable once, when it is loaded. On the 2-core VM
at a load average of 9, the tiny NLLB translated 32 sentences in 2.3-10 s with 2 spinning threads,
0.05-0.33 s with 2 sleeping ones and 0.2-0.3 s with one thread (``docs/performance.md``).

A person's explicit choice wins: a setting (``model.threads``, ``model.intra_threads``), else
``OMP_NUM_THREADS`` (and ``OMP_WAIT_POLICY``). Nothing here fails: a cgroup file that is missing or
unreadable means no quota.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"
#: where cgroup v1 mounts its cpu controller under the root (alone, or joined with cpuacct)
V1_CPU_MOUNTS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")


def usable_cores(cgroup_root: str | os.PathLike = CGROUP_ROOT,
                 proc_cgroup: str | os.PathLike = PROC_CGROUP) -> int:
    """The CPU cores this process may use (at least 1): its affinity mask, capped by cgroup quotas.

    ``cgroup_root`` and ``proc_cgroup`` (the process's ``/proc/self/cgroup``) are parameters so that
    tests can give fake hierarchies.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_quota(Path(cgroup_root), cgroup_paths(Path(proc_cgroup)))
    if quota is not None:
        cores = min(cores, math.floor(quota))
    return max(1, cores)


def cgroup_paths(proc_cgroup: Path) -> tuple[str, str]:
    """The process's cgroup in the v2 hierarchy and in v1's cpu hierarchy (``/`` where not listed).

    Each line of ``/proc/self/cgroup`` is ``id:controllers:path``; v2's has id 0 and no controllers.
    """
    v2 = v1 = "/"
    try:
        lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return v2, v1
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and not parts[1]:
            v2 = parts[2]
        elif "cpu" in parts[1].split(","):
            v1 = parts[2]
    return v2, v1


def cgroup_quota(root: Path, paths: tuple[str, str]) -> float | None:
    """The smallest CPU quota (in CPUs) of the process's cgroups and their ancestors; None: no quota.

    Every ancestor counts (a parent's limit binds its children), and so does each hierarchy's root:
    inside a container the root is often the container's own cgroup while ``/proc/self/cgroup`` still
    names the host's path, which then does not exist under the root and is skipped.
    """
    v2, v1 = paths
    quotas = [_v2_quota(folder) for folder in _ancestors(root, v2)]
    for mount in V1_CPU_MOUNTS:
        quotas += [_v1_quota(folder) for folder in _ancestors(root / mount, v1)]
    found = [q for q in quotas if q is not None]
    return min(found) if found else None


def _ancestors(base: Path, path: str) -> list[Path]:
    """``base/path`` and every folder above it up to ``base`` itself."""
    parts = [p for p in path.split("/") if p and p not in (".", "..")]
    return [base.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def _v2_quota(folder: Path) -> float | None:
    """``cpu.max`` is ``QUOTA PERIOD`` in microseconds, or ``max PERIOD`` for no limit."""
    fields = _read(folder / "cpu.max").split()
    return _ratio(fields[0], fields[1]) if len(fields) == 2 else None


def _v1_quota(folder: Path) -> float | None:
    """``cpu.cfs_quota_us`` (-1: no limit) over ``cpu.cfs_period_us``."""
    return _ratio(_read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us"))


def _ratio(quota: str, period: str) -> float | None:
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # "max", an empty or missing file, anything else: no limit
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def thread_count(setting: int = 0) -> int:
    """Threads for one engine: ``setting`` when it is given (> 0), else ``OMP_NUM_THREADS`` when it
    names a count, else :func:`usable_cores`."""
    if setting > 0:
        return setting
    chosen = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()  # "4,2": nested levels
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    return usable_cores()


def use_torch_threads(setting: int = 0) -> int:
    """Give torch :func:`thread_count` threads for its CPU work (process-wide); return the count."""
    import torch

    threads = thread_count(setting)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def calm_openmp() -> None:
    """Make OpenMP threads sleep, not spin, while they wait (unless ``OMP_WAIT_POLICY`` is set): call it
    before the first import of torch, CTranslate2 or any other OpenMP library (see the module
    docstring)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

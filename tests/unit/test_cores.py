"""How many cores bench may use: cgroup quotas, affinity, an explicit choice, and OpenMP's waiting policy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.core.cores import calm_openmp, thread_count, usable_cores

AFFINITY = len(os.sched_getaffinity(0))


def hierarchy(root: Path, files: dict[str, str], membership: str = "0::/\n") -> int:
    """``usable_cores`` over a fake cgroup tree of ``{relative path: content}``."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "self-cgroup").write_text(membership)
    return usable_cores(root / "fs", root / "self-cgroup")


@pytest.mark.parametrize(("files", "membership", "expected"), [
    ({"fs/cpu.max": "max 100000\n"}, "0::/\n", AFFINITY),
    ({"fs/cpu.max": "100000 100000\n"}, "0::/\n", 1),
    ({"fs/cpu.max": "150000 100000\n"}, "0::/\n", 1),  # 1.5 CPUs: one thread, not two throttled ones
    ({"fs/cpu.max": "50000 100000\n"}, "0::/\n", 1),  # below one CPU: still one thread
    # a parent's quota binds its children
    ({"fs/a/cpu.max": "100000 100000", "fs/a/b/cpu.max": "max 100000"}, "0::/a/b\n", 1),
    # the host's path in /proc, the container's own cgroup mounted as the root
    ({"fs/cpu.max": "100000 100000"}, "0::/docker/0123abcd\n", 1),
    # cgroup v1, the cpu controller mounted with cpuacct, the process in a child group
    ({"fs/cpu,cpuacct/job/cpu.cfs_quota_us": "100000", "fs/cpu,cpuacct/job/cpu.cfs_period_us": "100000"},
     "4:memory:/x\n2:cpu,cpuacct:/job\n0::/\n", 1),
    ({"fs/cpu/cpu.cfs_quota_us": "-1", "fs/cpu/cpu.cfs_period_us": "100000"}, "1:cpu:/\n", AFFINITY),
    # what is not a quota is no quota
    ({"fs/cpu.max": "lots of them", "fs/cpu/cpu.cfs_quota_us": "0", "fs/cpu/cpu.cfs_period_us": "0"},
     "garbage\n", AFFINITY),
], ids=["v2-no-limit", "v2-one", "v2-fraction", "v2-below-one", "v2-parent", "v2-container", "v1-joined",
        "v1-no-limit", "garbage"])
def test_a_cgroup_quota_caps_the_affinity(tmp_path, files, membership, expected):
    assert hierarchy(tmp_path, files, membership) == expected


@pytest.mark.skipif(AFFINITY < 2, reason="needs two cores to tell a quota of two from the affinity")
def test_the_smallest_quota_wins_and_affinity_caps_a_large_one(tmp_path):
    assert hierarchy(tmp_path, {"fs/cpu.max": "200000 100000", "fs/cpu/cpu.cfs_quota_us": "900000",
                                "fs/cpu/cpu.cfs_period_us": "100000"}, "1:cpu:/\n0::/\n") == 2
    assert hierarchy(tmp_path / "big", {"fs/cpu.max": f"{100000 * (AFFINITY + 8)} 100000"}) == AFFINITY


def test_without_cgroup_files_the_affinity_counts(tmp_path):
    assert usable_cores(tmp_path / "absent", tmp_path / "absent-too") == AFFINITY


def test_an_explicit_choice_wins(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert thread_count(5) == 5 and thread_count(0) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "7,2")  # nested levels: the outer one
    assert thread_count() == 7
    for unusable in ("", "0", "abc"):
        monkeypatch.setenv("OMP_NUM_THREADS", unusable)
        assert thread_count() == usable_cores()


def test_openmp_threads_sleep_while_they_wait_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    calm_openmp()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    calm_openmp()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


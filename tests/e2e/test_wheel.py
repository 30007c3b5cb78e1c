"""A built wheel is the product: installed into a fresh environment, ``bench`` runs the main job from an
empty folder, with the configs and the seed reference set it carries inside the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import ROOT, TEST_ENV

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the wheel; its dependencies come from this environment through a ``.pth``
    (so nothing is downloaded), which does not run this environment's editable install of bench."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(root / "dist"), str(ROOT)], check=True, capture_output=True)
    [wheel] = (root / "dist").glob("bench-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    purelib = Path(sysconfig.get_paths(vars={"base": str(root / "venv")})["purelib"])
    (purelib / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(root / "venv" / "bin" / "python"), "install",
                    "--no-deps", "-q", str(wheel)], check=True, capture_output=True)
    return root


def test_the_wheel_carries_configs_and_references(installed: Path):
    [wheel] = (installed / "dist").glob("bench-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "configs").rglob("*.yaml")}
    assert {f"bench/{name}" for name in shipped} <= names
    assert {"bench/references/MANIFEST.json", "bench/references/zh-kk.jsonl",
            "bench/references/zh-vi.jsonl"} <= names


def test_installed_bench_runs_the_main_job_from_an_empty_folder(installed: Path, tmp_path: Path):
    env = {**os.environ, **TEST_ENV}
    env.pop("PYTHONPATH", None)
    bin_dir = installed / "venv" / "bin"
    where = subprocess.run([str(bin_dir / "python"), "-c", "import bench; print(bench.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(installed / "venv"))
    out = subprocess.run([str(bin_dir / "bench"), "run", "model=copy", "metric=[bleu,chrf]"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    [run] = (tmp_path / "results" / "runs" / "copy").iterdir()
    scores = json.loads((run / "scores.json").read_text())
    assert set(scores["pairs"]) == {"zh-kk", "zh-vi"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]

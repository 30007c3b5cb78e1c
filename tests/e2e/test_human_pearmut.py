"""The round trip through the real Pearmut: ``human export`` -> ``pearmut add`` -> its server on loopback
-> annotations submitted through its HTTP API as its page submits them -> its export -> ``human import``.

Pearmut 1.1.6 needs Python >= 3.12; it gets a virtual environment of its own (``.cache/pearmut-venv``,
made here with ``python3.12 -m venv`` and ``pip install pearmut==1.1.6`` on first use) and runs as a
separate process. Without such an interpreter, or where pip cannot install it, the test is skipped
with the reason.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.core.score import Score
from bench.human.store import PairJudgments
from tests.support.cli import ROOT, bench
from tests.support.human import PAIR, SYSTEMS, World, make_world

PEARMUT = "pearmut==1.1.6"
VENV = ROOT / ".cache" / "pearmut-venv"


def python312() -> str | None:
    """A working interpreter of Python >= 3.12 (a pyenv shim that names a version not selected fails
    its run, so each candidate is run, not just found)."""
    pyenv = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    candidates = [os.environ.get("BENCH_PEARMUT_PYTHON"), shutil.which("python3.12"),
                  shutil.which("python3.13"), *pyenv]
    for exe in filter(None, candidates):
        done = subprocess.run([exe, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                              capture_output=True, timeout=30)
        if done.returncode == 0:
            return exe
    return None


@pytest.fixture(scope="module")
def pearmut_venv() -> Path:
    python = VENV / "bin" / "python"
    version = PEARMUT.partition("==")[2]
    ok = [str(python), "-c", f"import importlib.metadata as m; assert m.version('pearmut') == '{version}'"]
    if python.exists() and subprocess.run(ok, capture_output=True).returncode == 0:
        return VENV
    exe = python312()
    if exe is None:
        pytest.skip("Pearmut needs Python >= 3.12 and no python3.12 interpreter works on this machine")
    made = subprocess.run([exe, "-m", "venv", "--clear", str(VENV)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a Python 3.12 venv for Pearmut: {made.stderr.strip()[-200:]}")
    got = subprocess.run([str(python), "-m", "pip", "install", "-q", PEARMUT], capture_output=True, text=True,
                         timeout=600)
    if got.returncode != 0:
        pytest.skip(f"pip cannot install {PEARMUT} here: {got.stderr.strip()[-300:]}")
    return VENV


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: dict) -> object:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.fixture
def server(pearmut_venv: Path, tmp_path: Path) -> Iterator[tuple[str, Path, dict]]:
    """``(url, PEARMUT_ROOT, env)``: campaigns are added before :func:`start` serves them."""
    root = tmp_path / "pearmut"
    root.mkdir()
    env = {**os.environ, "PEARMUT_ROOT": str(root)}
    started: list[subprocess.Popen] = []
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def start() -> None:
        log = (tmp_path / "pearmut.log").open("w")
        command = [str(pearmut_venv / "bin" / "python"), "-m", "uvicorn", "pearmut.app:app", "--host",
                   "127.0.0.1", "--port", str(port)]  # its own app on loopback (`pearmut run` binds 0.0.0.0)
        started.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/index.html", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"Pearmut did not start: {(tmp_path / 'pearmut.log').read_text()[-2000:]}")

    yield url, root, {"env": env, "start": start}
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def add(venv: Path, campaign: Path, env: dict) -> None:
    done = subprocess.run([str(venv / "bin" / "pearmut"), "add", str(campaign)], env=env, capture_output=True,
                          text=True, cwd=env["PEARMUT_ROOT"])
    assert done.returncode == 0, done.stdout + done.stderr


def spans_for(system: str, n: int) -> Score:
    """xCOMET-like scores with one major error span at the start of every output."""
    values = [0.5] * n
    return Score(metric="xcomet", score=0.5, signature="xcomet|synthetic", stats=[[v] for v in values],
                 segments=values, extra={"error_spans": [[{"text": "This", "start": 0, "end": 4,
                                                           "severity": "major", "confidence": 0.9}]] * n})


def answer(item: dict, sidecar: dict, user_n: int, scale: str) -> dict:
    """A deterministic answer per item and key: ESA scores, or MQM error spans. On attention items the
    first annotator scores the planted translation low (passes), the second high (fails)."""
    entry = sidecar["items"][item["item_id"]]
    out = {}
    for key in item["tgt"]:
        value = 10 + int(item["item_id"][1:]) * 3 + int(key[1:]) * 7 + user_n
        if entry["kind"] == "attention" and key == entry["check"]:
            value = 5 if user_n == 0 else 95
        if scale == "esa":
            out[key] = {"score": value, "error_spans": []}
        else:
            minors = value % 4
            major = [{"start_i": 0, "end_i": 1, "category": "Accuracy/Mistranslation", "severity": "major"}]
            out[key] = {"score": None, "error_spans": [
                {"start_i": 0, "end_i": 1, "category": "Fluency/Grammar", "severity": "minor"}] * minors
                + (major if entry["kind"] == "attention" and key == entry["check"] and user_n == 0 else [])}
    return out


def annotate(url: str, campaign_id: str, root: Path, sidecar: dict,
             scale: str) -> tuple[dict[tuple, float], dict[str, list[bool]]]:
    """Every user takes items until Pearmut says goodbye; returns ``(system, segment, user) -> score`` of
    the judged items as submitted last (the first item is submitted twice: the second answer counts), and
    each user's attention-check outcomes."""
    users = list(json.loads((root / "data" / "progress" / f"{campaign_id}.json").read_text()))
    expected: dict[tuple, float] = {}
    checks: dict[str, list[bool]] = {}
    done: set[str] = set()
    first = True
    while len(done) < len(users):
        for n, user in enumerate(users):
            if user in done:
                continue
            shown = post(f"{url}/get-next-item", {"campaign_id": campaign_id, "user_id": user})
            if shown["status"] == "goodbye":
                done.add(user)
                continue
            assert shown["info"]["protocol"] == ("MQM" if scale == "mqm" else "ESA")
            items = shown["payload"]
            answers = [answer(item, sidecar, n, scale) for item in items]
            again = [answer(i, sidecar, n + 7, scale) for i in items]
            for repeat in ([answers, again] if first else [answers]):
                body = {"annotation": repeat, "actions": [{"time": time.time(), "action": "submit"}],
                        "item": items}
                sent = {"campaign_id": campaign_id, "user_id": user, "item_i": shown["info"]["item_i"],
                        "payload": body}
                assert post(f"{url}/log-response", sent) == "ok"
            first = False
            for item, given in zip(items, repeat):
                entry = sidecar["items"][item["item_id"]]
                for key, a in given.items():
                    weights = {"minor": 1.0, "major": 5.0}
                    spans = a["error_spans"]
                    score = a["score"] if scale == "esa" else -sum(weights[s["severity"]] for s in spans)
                    if entry["kind"] == "judge":
                        expected[(sidecar["systems"][key], entry["segment"], user)] = float(score)
                    elif key == entry["check"]:
                        checks.setdefault(user, []).append(score <= 33 if scale == "esa" else score <= -5)
    return expected, checks


def export(world: World, tmp_path: Path, protocol: str) -> tuple[Path, dict]:
    out = tmp_path / f"campaign-{protocol}"
    done = bench("human", "export", f"campaign.protocol={protocol}", "campaign.budget=5",
                 "campaign.attention=2", "campaign.annotators=2", f"campaign.out={out}", *world.args())
    assert done.returncode == 0, done.stderr
    return out / "campaign.json", json.loads((out / "campaign.sidecar.json").read_text())


def test_round_trip_through_pearmut_keeps_every_judgment_and_id(server, pearmut_venv: Path, tmp_path: Path):
    url, root, control = server
    world = make_world(tmp_path / "w", extra={s: {"xcomet": spans_for(s, 12)} for s in SYSTEMS})
    campaigns = {"esa": export(world, tmp_path, "ESA-AI"), "mqm": export(world, tmp_path, "MQM")}
    esa_campaign = json.loads(campaigns["esa"][0].read_text())
    assert len(esa_campaign["data"]) == 7 and esa_campaign["info"]["protocol"] == "ESA"
    judged = [d[0] for d in esa_campaign["data"] if d[0]["item_id"].startswith("i")]
    assert all(span["severity"] == "major" and span["start_i"] == 0 and span["end_i"] == 3
               for d in judged for spans in d["error_spans"].values() for span in spans)
    for path, _ in campaigns.values():
        add(pearmut_venv, path, control["env"])
    control["start"]()
    for scale, (path, sidecar) in campaigns.items():
        expected, checks = annotate(url, sidecar["campaign_id"], root, sidecar, scale)
        cid = sidecar["campaign_id"]
        with urllib.request.urlopen(f"{url}/download-annotations?campaign_id={cid}") as got:
            exported = tmp_path / f"annotations-{scale}.json"
            exported.write_bytes(got.read())
        log = root / "data" / "annotations" / f"{cid}.jsonl"  # the server's own log: the same records
        for source in (log, exported):
            done = bench("human", "import", "format=pearmut", f"path={source}", f"sidecar={path.parent}/"
                         "campaign.sidecar.json", "replace=true", *world.args())
            assert done.returncode == 0, done.stderr
            held = PairJudgments.read(world.results / "human" / "references" / f"{PAIR}.jsonl")
            assert held.protocol == scale
            found = {(j.system, j.segment, j.rater): j.score for j in held.judgments}
            assert found == expected  # nothing lost, nothing added, ids intact, the later answer kept
        assert len({k[1] for k in found}) == 5 and {k[0] for k in found} == set(SYSTEMS)
        assert sum(map(len, checks.values())) == 2
        for user, outcomes in checks.items():
            line = f"annotator {user} passed {sum(outcomes)} of {len(outcomes)} attention checks"
            assert line in done.stderr

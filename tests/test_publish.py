"""``python -m bench publish``: local export, upload at the ``huggingface_hub`` boundary, failures.

The Hub is never contacted: uploads run in-process with ``HfApi``'s methods replaced by recorders and
the reachability probe answered by a loopback server; the offline failures run as users meet them,
in a subprocess against ``HF_HUB_OFFLINE=1`` or a closed loopback port.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import __main__ as cli
from bench.refset import card
from tests.helpers import ROOT, closed_port_url
from tests.test_hub_dataset import REPO_ID, SEGMENTS, export, publish, write_references

TOKEN = "hf_SENTINELtokenNEVERtoBEseen0123456789"


@pytest.fixture
def refs(tmp_path: Path) -> Path:
    return write_references(tmp_path / "references")


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- local export ----------------------------------------------------------------------------------


def test_export_is_byte_identical_across_runs(refs: Path, tmp_path: Path):
    first = files(export(refs, tmp_path / "one"))
    time.sleep(1.1)  # a timestamp anywhere would now differ
    second = files(export(refs, tmp_path / "two"))
    assert first == second
    assert set(first) == {"README.md", "LICENSE.md", "build_report.md", "zh-kk/test-00000-of-00001.parquet",
                          "zh-vi/test-00000-of-00001.parquet"}


def test_export_replaces_a_previous_export_and_drops_stale_pairs(refs: Path, tmp_path: Path):
    out = export(refs, tmp_path / "repo")
    only_kk = write_references(tmp_path / "kk-only", {"zh-kk": SEGMENTS["zh-kk"]})
    export(only_kk, out)
    assert not (out / "zh-vi").exists()
    assert "zh-vi" not in (out / "README.md").read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".repo.*"))  # no staging folder left behind


def test_export_refuses_a_folder_holding_other_files(refs: Path, tmp_path: Path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = publish(f"dataset.path={refs}", f"export_dir={out}")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "notes.txt" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_dry_run_writes_the_repository_under_dist(refs: Path, tmp_path: Path):
    result = publish(f"dataset.path={refs}", "dry_run=true", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "dist" / "hub" / REPO_ID
    assert (folder / "README.md").is_file() and (folder / "zh-kk" / "test-00000-of-00001.parquet").is_file()
    assert "nothing uploaded" in result.stdout and "zh-kk (5 rows)" in result.stdout


def test_license_override_drops_the_custom_terms(refs: Path, tmp_path: Path):
    from tests.test_hub_dataset import front_matter

    out = export(refs, tmp_path / "repo", "license=cc-by-nc-4.0")
    meta = front_matter(out / "README.md")
    assert meta["license"] == "cc-by-nc-4.0"
    assert not {"license_name", "license_link", "license_details"} & set(meta)
    assert not (out / card.LICENSE_FILE).exists()
    assert "copyright stays" in (out / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("overrides, expected", [
    ([], "repo_id is required"),
    (["repo_id=no-owner"], "ORG/NAME"),
    ([f"repo_id={REPO_ID}", "license=CC BY"], "license"),
    ([f"repo_id={REPO_ID}", "license_name=null"], "license_name"),
])
def test_bad_settings_are_one_line(overrides: list[str], expected: str, refs: Path, tmp_path: Path):
    args = [*overrides, f"dataset.path={refs}", f"export_dir={tmp_path / 'x'}"]
    result = subprocess.run([sys.executable, "-m", "bench", "publish", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr


def test_publish_does_not_import_torch(refs: Path, tmp_path: Path):
    args = [f"repo_id={REPO_ID}", f"dataset.path={refs}", f"export_dir={tmp_path / 'repo'}"]
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "bench", "publish", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "datasets" in imported and "torch" not in imported


# --- failing fast without the Hub ------------------------------------------------------------------


def no_token_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    return {**env, "HF_HOME": str(tmp_path / "hf-home"), "HF_TOKEN_PATH": str(tmp_path / "hf-home" / "token")}


@pytest.mark.parametrize("case", ["offline", "closed-port", "no-token"])
def test_upload_without_the_hub_fails_in_one_line_within_seconds(case: str, refs: Path, tmp_path: Path):
    closed = closed_port_url()
    env, expected = {
        "offline": ({**os.environ, "HF_HUB_OFFLINE": "1", "HF_TOKEN": TOKEN}, "HF_HUB_OFFLINE=1"),
        "closed-port": ({**os.environ, "HF_HUB_OFFLINE": "0", "HF_TOKEN": TOKEN, "HF_ENDPOINT": closed},
                        f"cannot reach {closed}"),
        "no-token": ({**no_token_env(tmp_path), "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": closed},
                     "no Hugging Face token"),
    }[case]
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bench", "publish", f"repo_id={REPO_ID}", f"dataset.path={refs}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert time.monotonic() - started < 15
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("bench publish: error: ")
    assert expected in result.stderr
    assert "dry_run=true or export_dir=DIR" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["references"]  # nothing exported


# --- upload, at the huggingface_hub boundary --------------------------------------------------------


class Head(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def hub_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A loopback server standing in for the Hub's front page, which the reachability probe asks."""
    from huggingface_hub import constants

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Head)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    yield url
    server.shutdown()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict]]:
    """Replace the HfApi calls publish makes with recorders; the upload snapshots the folder it is given."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoUrl

    calls: list[tuple[str, dict]] = []

    def whoami(self, token=None):
        calls.append(("whoami", {"token": self.token}))
        return {"name": "tester"}

    def create_repo(self, repo_id, **kwargs):
        calls.append(("create_repo", {"repo_id": repo_id, "token": self.token, **kwargs}))
        return RepoUrl(f"https://huggingface.co/datasets/{repo_id}")

    def update_repo_settings(self, repo_id, **kwargs):
        calls.append(("update_repo_settings", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs):
        calls.append(("upload_folder", {**kwargs, "files": files(Path(kwargs["folder_path"]))}))
        return SimpleNamespace(oid="c0ffee" * 6 + "abcd")

    for name, fake in [("whoami", whoami), ("create_repo", create_repo),
                       ("update_repo_settings", update_repo_settings), ("upload_folder", upload_folder)]:
        monkeypatch.setattr(HfApi, name, fake)
    return calls


def publish_in_process(monkeypatch: pytest.MonkeyPatch, *overrides: str) -> None:
    monkeypatch.setattr(sys, "argv", ["bench"])
    cli.main(["publish", f"repo_id={REPO_ID}", *overrides])


@pytest.mark.parametrize("private", [False, True])
def test_upload_sends_the_export_to_a_dataset_repository(private: bool, refs: Path, tmp_path: Path,
                                                         hub_endpoint: str, recorded: list,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capfd: pytest.CaptureFixture):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    publish_in_process(monkeypatch, f"dataset.path={refs}", f"private={str(private).lower()}")
    out, err = capfd.readouterr()

    names = [name for name, _ in recorded]
    assert names == ["whoami", "create_repo", *(["update_repo_settings"] if private else []), "upload_folder"]
    calls = dict(recorded)
    assert calls["whoami"]["token"] == TOKEN  # the token reaches the library...
    create = calls["create_repo"]
    assert create["repo_id"] == REPO_ID and create["repo_type"] == "dataset"
    assert create["private"] is private and create["exist_ok"] is True
    if private:
        assert calls["update_repo_settings"] == {"repo_id": REPO_ID, "private": True, "repo_type": "dataset"}
    upload = calls["upload_folder"]
    assert upload["repo_id"] == REPO_ID and upload["repo_type"] == "dataset"
    assert "*.parquet" in upload["delete_patterns"]
    assert upload["files"] == files(export(refs, tmp_path / "dry-run"))  # exactly what a dry run writes
    assert not Path(upload["folder_path"]).exists()  # the staging folder is cleaned up

    assert f"to {hub_endpoint}/datasets/{REPO_ID}\n" in out  # the URL create_repo returned
    assert "revision " + "c0ffee" * 6 + "abcd" in out
    # ...and goes nowhere else: not to the terminal, not into the uploaded files, not onto disk
    assert TOKEN not in out + err
    assert all(TOKEN.encode() not in data for data in upload["files"].values())
    assert all(TOKEN.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_a_rejected_token_is_one_line_without_the_token(refs: Path, hub_endpoint: str,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capfd: pytest.CaptureFixture):
    import requests
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    def whoami(self, token=None):
        response = requests.Response()
        response.status_code = 401
        raise HfHubHTTPError("Invalid user token.", response=response)

    monkeypatch.setattr(HfApi, "whoami", whoami)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with pytest.raises(SystemExit) as exit_:
        publish_in_process(monkeypatch, f"dataset.path={refs}")
    out, err = capfd.readouterr()
    assert exit_.value.code == 2
    assert err.strip().splitlines() == [err.strip()] and "HTTP 401" in err
    assert TOKEN not in out + err


class NotTheHub(Head):
    """A server at HF_ENDPOINT that knows the token but answers create_repo without the ``url`` the
    Hub sends (a proxy, a mock, another service)."""

    def answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.answer(b'{"name": "tester", "type": "user"}')

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer(b"{}")


def test_an_endpoint_answering_in_another_form_is_one_line(refs: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capfd: pytest.CaptureFixture):
    from huggingface_hub import constants

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotTheHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    try:
        with pytest.raises(SystemExit) as exit_:
            publish_in_process(monkeypatch, f"dataset.path={refs}")
    finally:
        server.shutdown()
    out, err = capfd.readouterr()
    assert exit_.value.code == 2 and "Traceback" not in err, err
    error = err.strip().splitlines()[-1]  # after the log line naming the user the server said
    assert err.count("error:") == 1 and error.startswith("bench publish: error: uploading to")
    assert f"{url} answered in a form" in error and "HF_ENDPOINT" in error and TOKEN not in out + err


def test_a_kill_while_the_new_export_is_moved_in_leaves_an_export(refs: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capfd: pytest.CaptureFixture):
    """The process dies at the second rename or the first removal after the new export is complete:
    export_dir still holds a whole export (the old one or the new one), never nothing."""
    out = export(refs, tmp_path / "repo")
    before = files(out)
    only_kk = write_references(tmp_path / "kk-only", {"zh-kk": SEGMENTS["zh-kk"]})

    rename = Path.rename

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # what a kill looks like from inside: nothing after it runs

    def first_rename_only(self, target):
        monkeypatch.setattr(Path, "rename", killed)
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", first_rename_only)
    monkeypatch.setattr("shutil.rmtree", killed)
    with pytest.raises(SystemExit):
        publish_in_process(monkeypatch, f"dataset.path={only_kk}", f"export_dir={out}")
    after = files(out)
    assert after == before or set(after) == set(before) - {"zh-vi/test-00000-of-00001.parquet"}


def test_a_full_disk_while_the_parquet_is_written_is_one_line(refs: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capfd: pytest.CaptureFixture):
    import errno

    out = export(refs, tmp_path / "repo")
    before = files(out)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("bench.publish.write_pair", full)
    with pytest.raises(SystemExit) as exit_:
        publish_in_process(monkeypatch, f"dataset.path={refs}", f"export_dir={out}")
    _, err = capfd.readouterr()
    assert exit_.value.code == 2 and err.strip().splitlines() == [err.strip()], err
    assert "No space left on device" in err and "free some space" in err
    assert files(out) == before and not list(tmp_path.glob(".repo.*"))  # nothing replaced or left over

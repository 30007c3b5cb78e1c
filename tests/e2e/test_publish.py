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
from tests.support.cli import ROOT, bench
from tests.support.http import closed_port_url
from tests.support.hub import (
    REPO_ID,
    SEGMENTS,
    export,
    front_matter,
    publish,
    standard_set,
    write_references,
)

TOKEN = "hf_SENTINELtokenNEVERtoBEseen0123456789"


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- local export ----------------------------------------------------------------------------------


@pytest.fixture
def refs(tmp_path: Path) -> Path:
    return write_references(tmp_path / "references")


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
    from tests.support.hub import front_matter

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

    monkeypatch.setattr("bench.commands.publish.write_pair", full)
    with pytest.raises(SystemExit) as exit_:
        publish_in_process(monkeypatch, f"dataset.path={refs}", f"export_dir={out}")
    _, err = capfd.readouterr()
    assert exit_.value.code == 2 and err.strip().splitlines() == [err.strip()], err
    assert "No space left on device" in err and "free some space" in err
    assert files(out) == before and not list(tmp_path.glob(".repo.*"))  # nothing replaced or left over


# --- the card describes the set it was made from ---------------------------------------------------


def dry_run_card(refs: Path, cwd: Path) -> str:
    """``publish dry_run=true`` of the set in ``refs``: the card it would upload."""
    cwd.mkdir(exist_ok=True)
    result = publish(f"dataset.path={refs}", "dry_run=true", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return (cwd / "dist" / "hub" / REPO_ID / "README.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under ``## heading`` up to the next ``## `` heading."""
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_seed_set_s_card_states_what_its_manifest_records_and_nothing_from_the_report(tmp_path: Path):
    """The committed seed set, with a build report planted beside it that claims other repairs and
    problems: the card names the news articles, the manifest's exclusion, dropped sentence, repairs
    and problems, states the human check where the build is described (not as a problem), and
    repeats nothing the report's Markdown says."""
    refs = tmp_path / "references"
    refs.mkdir()
    for name in ("MANIFEST.json", "zh-kk.jsonl", "zh-vi.jsonl"):
        (refs / name).write_bytes((ROOT / "references" / name).read_bytes())
    (refs / card.REPORT_FILE).write_text("# Report\n\nRepairs:\n\n- PLANTED REPAIR\n\n"
                                         "Known problems (left as they are):\n\n- PLANTED PROBLEM\n\n"
                                         "### Human check\n\nPLANTED CHECK\n", encoding="utf-8")
    text = dry_run_card(refs, tmp_path)
    assert "PLANTED" not in text
    assert "news translation test set" in text and "4 news articles published in both languages" in text
    built, problems = section(text, "How it was built"), section(text, "Known problems in the references")
    assert "### Human check\n\nA person read every aligned pair of this set" in built
    assert "Human check" not in problems and "person" not in problems
    assert "- `002_d11dd908aed14900.txt`: no Chinese side" in problems
    assert "- 1 x `1-0`: a source sentence with no counterpart in the translation" in problems
    assert "`000_dd4a00d8958ed0ea.txt` (zh-kk): line 11: 1 non-breaking space(s) replaced" in problems
    assert "`004_4c58bdc430bc795b.txt` (zh-vi): 'người đứng' (10x) is also written" in problems


def test_an_imported_set_s_card_names_its_files_and_source_side(tmp_path: Path):
    for name, rows in (("src.zh", ["他们在北京开会。", "今天的天气很好。"]),
                       ("ref1.en", ["They met.", "It is fine."]),
                       ("ref2.en", ["They held a meeting.", "The weather is fine."])):
        (tmp_path / name).write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    made = bench("import", "name=talks", "src_lang=zh", "tgt_lang=en", f"src={tmp_path / 'src.zh'}",
                 f"refs=[{tmp_path / 'ref1.en'},{tmp_path / 'ref2.en'}]", "source_side=translated",
                 f"out_dir={tmp_path / 'talks'}")
    assert made.returncode == 0, made.stderr
    text = dry_run_card(tmp_path / "talks", tmp_path)
    meta = front_matter(tmp_path / "dist" / "hub" / REPO_ID / "README.md")
    assert meta["pretty_name"] == "talks: Chinese→English translation test set" and "news" not in meta["tags"]
    body = text.split("\n---\n", 1)[1].split("## License")[0]  # the license terms are the publisher's
    assert "news" not in body.replace(REPO_ID, "ORG/NAME").lower() and str(tmp_path) not in text
    assert "imported with `bench import` as the test set `talks`" in text
    assert ("- `zh-en`: from line-aligned text files (`src.zh`, `ref1.en`, `ref2.en`); source side "
            "translated: the source text is itself a translation into Chinese") in text
    assert "| `zh-en` | Chinese → English | 2 | 2 | translated |" in text  # rows, references, side
    assert "| `more_refs` | list of strings |" in text
    assert '"more_refs": [\n    "They held a meeting."' in text  # the example row as exported
    assert "Human check" not in text and "## Source articles" not in text


def test_flores_plus_and_wmt24pp_are_named_with_their_origin(tmp_path: Path):
    flores = standard_set(tmp_path / "flores", "flores-devtest", "zh-kk", {
        "format": "flores_plus", "repo_id": "openlanguagedata/flores_plus", "revision": "0123456789abcdef",
        "files": [{"path": "devtest/cmn_Hans.parquet", "sha256": "a" * 64},
                  {"path": "devtest/kaz_Cyrl.parquet", "sha256": "b" * 64}]}, "translated", {})
    text = dry_run_card(flores, tmp_path / "one")
    assert ("from FLORES+ (the Hub dataset `openlanguagedata/flores_plus` at commit `0123456789ab`); "
            "source side translated") in text and "FLORES+ was written in English" in text
    assert "| `devtest/kaz_Cyrl.parquet` | `" + "b" * 64 + "` |" in text
    assert front_matter(tmp_path / "one" / "dist" / "hub" / REPO_ID / "README.md")["source_datasets"] == \
        ["openlanguagedata/flores_plus"]
    wmt = standard_set(tmp_path / "wmt", "wmt24pp", "en-kk", {
        "format": "wmt24pp", "files": [{"path": "en-kk_KZ.jsonl", "sha256": "c" * 64}]}, "original",
        {"is_bad_source": 3})
    text = dry_run_card(wmt, tmp_path / "two")
    assert "from WMT24++ in its published layout (`en-kk_KZ.jsonl`); source side original: the source text " \
           "was written in English" in text
    assert "- `en-kk`: 3 row(s) marked `is_bad_source` left out" in text



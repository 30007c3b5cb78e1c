"""Hostile inputs to the files bench writes: ``publish`` into awkward places, Hub datasets with damaged
cards and parquet files, leaderboards of runs whose texts try to become formulas or HTML, and the
temporary files of killed processes.

Each refusal is asserted as users meet it: one line on stderr naming the file or setting, exit status 2,
and nothing changed outside the folder the command writes (the whole test folder is compared, links and
folders included, before and after).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.store.io import STALE_TEMP_S, atomic_write_json, sweep_stale_temp, temp_prefix
from tests.support.cli import bench
from tests.support.files import HOST, read_only
from tests.support.hub import REPORT, SEGMENTS, export, publish, write_references

PARQUET = "zh-kk/test-00000-of-00001.parquet"


def snapshot(root: Path, leave_out: Path | None = None) -> dict[str, object]:
    """Every entry under ``root`` (except ``leave_out``): file bytes, link targets, folders."""
    found: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        if leave_out is not None and (path == leave_out or leave_out in path.parents):
            continue
        name = path.relative_to(root).as_posix()
        found[name] = (f"-> {os.readlink(path)}" if path.is_symlink() else
                       "folder" if path.is_dir() else path.read_bytes())
    return found


def one_line(result: subprocess.CompletedProcess, command: str, *needles: str) -> str:
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"bench {command}: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- publish into awkward places ------------------------------------------------------------------


@pytest.fixture
def refs(tmp_path: Path) -> Path:
    return write_references(tmp_path / "references")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export of :data:`SEGMENTS`, made once: tests copy it."""
    refs = write_references(tmp_path_factory.mktemp("refs"), report=REPORT)
    return export(refs, tmp_path_factory.mktemp("published") / "repo")


@pytest.fixture
def previous(published: Path, tmp_path: Path) -> Path:
    """A previous export (of the same references as ``refs``) in ``tmp_path/out/repo``."""
    return Path(shutil.copytree(published, tmp_path / "out" / "repo"))


def refused_export(tmp_path: Path, refs: Path, target: Path, *needles: str) -> str:
    before = snapshot(tmp_path)
    result = publish(f"dataset.path={refs}", f"export_dir={target}", cwd=tmp_path)
    line = one_line(result, "publish", *needles)
    assert snapshot(tmp_path) == before  # the target included: nothing at all changed
    return line


def test_export_dir_that_is_a_file(refs: Path, tmp_path: Path):
    target = tmp_path / "repo"
    target.write_text("my notes")
    refused_export(tmp_path, refs, target, f"export_dir={target} is a file")


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-folder", "dangling"])
def test_export_dir_that_is_a_symlink(dangling: bool, refs: Path, previous: Path, tmp_path: Path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere" if dangling else previous)
    refused_export(tmp_path, refs, link, f"export_dir={link} is a symbolic link")


def test_export_dir_below_a_file(refs: Path, tmp_path: Path):
    (tmp_path / "plain").write_text("x")
    refused_export(tmp_path, refs, tmp_path / "plain" / "repo", "export_dir=", "is a file, not a folder")


def test_export_dir_in_a_read_only_folder(refs: Path, tmp_path: Path):
    parent = tmp_path / "locked"
    parent.mkdir()
    with read_only(parent):
        refused_export(tmp_path, refs, parent / "repo", f"export_dir={parent / 'repo'}")


def test_a_read_only_previous_export_is_left_as_it_was(refs: Path, previous: Path, tmp_path: Path):
    changed = write_references(tmp_path / "changed", {"zh-kk": SEGMENTS["zh-kk"]})
    with read_only(previous):
        refused_export(tmp_path, changed, previous, f"export_dir={previous}")


def test_a_previous_export_holding_a_symlink_is_not_replaced(refs: Path, previous: Path, tmp_path: Path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    (previous / "zh-vi").rename(tmp_path / "zh-vi-moved")
    (previous / "zh-vi").symlink_to(tmp_path / "mine")
    refused_export(tmp_path, refs, previous, "holds zh-vi (a symbolic link)")


def test_a_failed_export_keeps_the_previous_one_whole(refs: Path, previous: Path, tmp_path: Path):
    (refs / "zh-vi.jsonl").write_text('{"broken": true}\n', encoding="utf-8")  # not the manifest's hash
    refused_export(tmp_path, refs, previous, "zh-vi.jsonl")


def test_a_manifest_pair_that_is_a_path_is_refused(refs: Path, tmp_path: Path):
    manifest = json.loads((refs / "MANIFEST.json").read_text())
    manifest["files"]["../../escaped.jsonl"] = manifest["files"].pop("zh-vi.jsonl")
    atomic_write_json(refs / "MANIFEST.json", manifest)
    refused_export(tmp_path, refs, tmp_path / "repo", "MANIFEST.json", "is not a language pair")


def test_a_pair_file_linked_out_of_the_references_is_refused(refs: Path, tmp_path: Path):
    (refs / "zh-vi.jsonl").rename(tmp_path / "elsewhere.jsonl")
    (refs / "zh-vi.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")
    refused_export(tmp_path, refs, tmp_path / "repo", "zh-vi.jsonl", "leads outside")


def test_a_build_report_linked_to_a_private_file_is_not_published(refs: Path, tmp_path: Path):
    (tmp_path / "id_rsa").write_text("PRIVATE KEY")
    (refs / "build_report.md").unlink()
    (refs / "build_report.md").symlink_to(tmp_path / "id_rsa")
    refused_export(tmp_path, refs, tmp_path / "repo", "build_report.md", "leads outside")


def test_a_killed_publish_leaves_nothing_the_next_one_does_not_remove(refs: Path, tmp_path: Path):
    """What ``kill -9`` leaves in export_dir's folder (a staging folder, a retired export, a temporary
    file) is removed by the next publish; a live writer's files and the user's own are kept."""
    out = tmp_path / "out"
    out.mkdir()
    owner = f"{dead_pid()}-{HOST}"
    stale = [out / f".repo.{owner}.abcd1234.tmp", out / f".repo.{owner}.abcd1234_old.tmp",
             out / f".README.md.{owner}.x.tmp"]
    for folder in stale[:2]:
        (folder / "zh-kk").mkdir(parents=True)
        (folder / "zh-kk" / "test-00000-of-00001.parquet").write_bytes(b"half")
    stale[2].write_text("half")
    live = out / f"{temp_prefix('repo')}live0001.tmp"  # this test's own process: alive
    kept = [live, out / ".repo.old", out / "notes.tmp", out / ".repo.123.abc.tmp"]
    for path in kept:
        path.write_text("keep")
    export(refs, out / "repo")
    assert sorted(p.name for p in out.iterdir()) == sorted(["repo", *(p.name for p in kept)])


# --- a Hub dataset with damaged files -------------------------------------------------------------


def damaged(published: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "dataset"
    shutil.copytree(published, copy)
    return copy


def refused_dataset(tmp_path: Path, dataset: Path, *needles: str) -> str:
    results = tmp_path / "results"
    before = snapshot(tmp_path, leave_out=results)
    result = bench("run", "model=copy", "dataset=hub", f"dataset.repo_id={dataset}", "metric=[]",
                   f"results_dir={results}", cwd=tmp_path)
    line = one_line(result, "run", *needles)
    assert snapshot(tmp_path, leave_out=results) == before
    assert not list(results.rglob("hypotheses/*"))
    return line


def edit_card(dataset: Path, old: str, new: str) -> None:
    card = dataset / "README.md"
    text = card.read_text(encoding="utf-8")
    assert old in text
    card.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_dataset_without_a_card(published: Path, tmp_path: Path):
    dataset = damaged(published, tmp_path)
    (dataset / "README.md").unlink()
    refused_dataset(tmp_path, dataset, "README.md: no dataset card")


@pytest.mark.parametrize("old, new, needle", [
    ("language_creators:", "language_creators: [oops", "not valid YAML at line"),
    ("configs:\n- config_name: zh-kk", "configs:\n- config_name: ../../escaped",
     "config_name: '../../escaped' is not a language pair"),
    (f"path: {PARQUET}", "path: ../../elsewhere.parquet", "must have one test split at zh-kk/test-"),
    ("configs:", "configs_gone:", "lists no configs"),
], ids=["yaml", "config-name", "data-path", "no-configs"])
def test_a_damaged_card(old: str, new: str, needle: str, published: Path, tmp_path: Path):
    dataset = damaged(published, tmp_path)
    edit_card(dataset, old, new)
    refused_dataset(tmp_path, dataset, "README.md", needle)


def test_a_card_that_is_not_utf8(published: Path, tmp_path: Path):
    dataset = damaged(published, tmp_path)
    (dataset / "README.md").write_bytes(b"---\nconfigs: \xff\n---\n")
    refused_dataset(tmp_path, dataset, "README.md", "not valid UTF-8")


def test_a_corrupt_parquet_file(published: Path, tmp_path: Path):
    dataset = damaged(published, tmp_path)
    (dataset / PARQUET).write_bytes(b"PAR1 this is not parquet")
    refused_dataset(tmp_path, dataset, PARQUET, "not a readable parquet file")


@pytest.mark.parametrize("column, value, needle", [
    ("bead", None, "lacks bead"),
    ("seg", "three", "field seg is str, not int"),
    ("translation", {"zh": "你好", "ru": "Привет"}, "no translation column with zh and kk"),
])
def test_a_parquet_file_with_wrong_columns(column: str, value, needle: str, published: Path, tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    dataset = damaged(published, tmp_path)
    rows = pq.read_table(dataset / PARQUET).to_pylist()
    for row in rows:
        if value is None:
            del row[column]
        else:
            row[column] = value
    pq.write_table(pa.Table.from_pylist(rows), dataset / PARQUET)
    refused_dataset(tmp_path, dataset, PARQUET, needle)


def test_a_parquet_file_linked_out_of_the_dataset(published: Path, tmp_path: Path):
    dataset = damaged(published, tmp_path)
    (dataset / PARQUET).rename(tmp_path / "outside.parquet")
    (dataset / PARQUET).symlink_to(tmp_path / "outside.parquet")
    refused_dataset(tmp_path, dataset, PARQUET, "leads outside")


# --- leaderboards of hostile texts ----------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_board(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """A results folder whose files carry a formula (a signature) and markup (a version); plus what a
    run killed with -9 leaves. Then ``leaderboard`` over it."""
    from tests.support.board import write_run

    root = tmp_path_factory.mktemp("board")
    segments = {"zh-kk": SEGMENTS["zh-kk"]}
    refs = write_references(root / "references", segments)
    results = root / "results"
    outputs = {"zh-kk": [s.ref for s in segments["zh-kk"]]}
    run = write_run(results, "copy", "20261101-090000-aaaaaa", "2026-11-01",
                    {"zh-kk": [s.src for s in segments["zh-kk"]]}, segments)
    good = write_run(results, "nllb", "20261102-090000-bbbbbb", "2026-11-02", outputs, segments)
    scores = json.loads((good / "scores.json").read_text())
    scores["pairs"]["zh-kk"]["metrics"]["chrf"]["signature"] = '=HYPERLINK("http://evil.example","x")'
    atomic_write_json(good / "scores.json", scores)
    record = json.loads((run / "run.json").read_text())
    record["versions"]["sacrebleu"] = "<img src=x onerror=alert(1)> [click](http://evil.example)"
    atomic_write_json(run / "run.json", record)
    # a run from a shared folder whose id retitles the terminal and turns its text red
    write_run(results, "m2m", ESCAPING_ID, "2026-11-03", outputs, segments)
    (results / f".leaderboard.md.{dead_pid()}-{HOST}.k1lled00.tmp").write_text("half a leaderboard")
    out = bench("leaderboard", f"results_dir={results}", f"dataset.path={refs}", cwd=root)
    return results, out


ESCAPING_ID = "x\x1b]0;pwned\x07\x1b[31mRED\u202e"


def test_escape_sequences_in_run_ids_are_shown_never_obeyed(hostile_board):
    results, out = hostile_board
    assert out.returncode == 0, out.stderr
    for name in ("leaderboard.md", "leaderboard.csv"):
        text = (results / name).read_text(encoding="utf-8")
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text, name
    rows = list(csv.DictReader(io.StringIO((results / "leaderboard.csv").read_text(encoding="utf-8"))))
    assert "x\\x1b]0;pwned\\x07\\x1b[31mRED\\u202e" in {r["run_id"] for r in rows}


def test_csv_cells_that_would_run_as_formulas_are_quoted(hostile_board):
    results, out = hostile_board
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO((results / "leaderboard.csv").read_text(encoding="utf-8"))))
    signatures = {(r["system"], r["metric"]): r["signature"] for r in rows}
    assert signatures[("nllb", "chrf")] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())
    assert all(float(r["score"]) == float(r["score"]) for r in rows)  # numbers stay numbers, unquoted


def test_markup_in_run_files_is_shown_never_live_in_markdown(hostile_board):
    results, out = hostile_board
    assert out.returncode == 0, out.stderr
    md = (results / "leaderboard.md").read_text(encoding="utf-8")
    assert "<img" not in md and "<script" not in md
    assert not re.search(r"(?<!\\)\]\(http://evil", md)  # no live link
    assert "&lt;img src=x onerror=alert(1)&gt; \\[click\\](http://evil.example)" in md
    assert '`=HYPERLINK("http://evil.example","x")`' in md  # a code span: inert, shown as it is


def test_the_temporary_file_of_a_killed_run_is_removed_by_the_next_command(hostile_board):
    results, out = hostile_board
    assert out.returncode == 0, out.stderr
    assert not list(results.glob(".*.tmp"))


# --- the sweeper's rules ---------------------------------------------------------------------------


def test_the_sweeper_removes_only_bench_temporaries_of_dead_owners_or_old_age(tmp_path: Path):
    dead, other_host = dead_pid(), "1" * 8 if HOST == "0" * 8 else "0" * 8
    names = {
        "dead": f".a.txt.{dead}-{HOST}.abcdefgh.tmp",
        "dead-folder": f".repo.{dead}-{HOST}.abcdefgh.tmp",
        "live": f".a.txt.{os.getpid()}-{HOST}.abcdefgh.tmp",
        "other-host": f".a.txt.{dead}-{other_host}.abcdefgh.tmp",
        "other-host-old": f".b.txt.{dead}-{other_host}.abcdefgh.tmp",
        "user": ".a.txt.tmp",
        "user-like": f"a.txt.{dead}-{HOST}.abcdefgh.tmp",
    }
    for key, name in names.items():
        if key == "dead-folder":
            (tmp_path / name / "inside").mkdir(parents=True)
        else:
            (tmp_path / name).write_text(key)
    old = time.time() - STALE_TEMP_S - 60
    os.utime(tmp_path / names["other-host-old"], (old, old))
    link = tmp_path / f".c.txt.{dead}-{HOST}.abcdefgh.tmp"
    link.symlink_to(tmp_path / names["user"])
    removed = {p.name for p in sweep_stale_temp(tmp_path)}
    assert removed == {names["dead"], names["dead-folder"], names["other-host-old"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [names[k] for k in ("live", "other-host", "user", "user-like")] + [link.name])
    assert sweep_stale_temp(tmp_path / "absent") == []


# --- the escaping rules ----------------------------------------------------------------------------



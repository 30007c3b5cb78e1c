"""docs/publishing.md's options are the settings ``bench publish`` takes (issue 18: it documented
``references=``, which the command refuses)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.cli import ROOT
from tests.support.hub import REPO_ID, publish, write_references


def documented_options() -> list[str]:
    """Every setting named in the first column of the "Options" table."""
    section = (ROOT / "docs" / "publishing.md").read_text(encoding="utf-8").split("## Options", 1)[1]
    table = section.split("\n\n", 2)[1]
    return [name for row in table.splitlines()[2:] for name in re.findall(r"`([^`]+)`", row.split("|")[1])]


def test_every_documented_publish_option_is_taken(tmp_path: Path):
    """One export with every documented option set: the command takes them all."""
    values = {"repo_id": REPO_ID, "dataset.path": str(write_references(tmp_path / "built")),
              "export_dir": str(tmp_path / "repo"), "dry_run": "false", "dry_run_dir": str(tmp_path / "dry"),
              "private": "false", "license": "other", "license_name": "terms",
              "license_details": "the terms", "pretty_name": "A set", "author": "Someone"}
    documented = documented_options()
    assert "dataset.path" in documented and set(documented) <= set(values)
    result = publish(*(f"{name}={values[name]}" for name in documented if name != "repo_id"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "repo" / "README.md").is_file()
    assert "pretty_name: A set" in (tmp_path / "repo" / "README.md").read_text(encoding="utf-8")

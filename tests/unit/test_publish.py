"""The dataset card keeps someone else's manifest as plain text, in process."""

from __future__ import annotations

import re
from pathlib import Path

from bench.refset import card
from tests.support.hub import REPO_ID, SEGMENTS, standard_set
from tests.support.refs import write_reference_set


def test_the_manifest_s_records_reach_the_card_as_plain_text(tmp_path: Path):
    """A manifest is someone else's file: markup in its document records and in an imported set's
    origin stays text, and a code span cannot be closed from inside."""
    from bench.commands.publish import export as export_set
    from bench.refset.store import LocalReferences

    evil = "`<script>alert(1)</script>` [a](http://x)\n# Hacked"
    built = write_reference_set(tmp_path / "built", SEGMENTS, {"excluded": {evil: evil}, "documents": {
        evil: {"pair": evil, "checked": False, "repairs": [evil], "problems": [evil]}}})
    flores = standard_set(tmp_path / "flores", "flores", "zh-kk", {
        "format": evil, "repo_id": evil, "revision": evil, "files": [{"path": evil, "sha256": evil}]},
        "unknown", {evil: evil})
    options = card.CardOptions(REPO_ID, "cc-by-4.0", None, None, None, None)
    for refs in (built, flores):
        out = tmp_path / f"{refs.name}-export"
        out.mkdir()
        export_set(LocalReferences(refs), out, options)
        text = (out / "README.md").read_text(encoding="utf-8")
        # code blocks and spans show markup as characters; the rest must hold none
        prose = re.sub(r"(?<!\\)`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))
        assert "<script>" not in prose and not re.search(r"(?<!\\)\]\(http", prose), refs.name
        assert "\n# Hacked" not in text and "`'<script>alert(1)</script>' [a](http://x) # Hacked`" in text
        assert text.count("\n---\n") == 1 and "source_datasets:\n- original" in text  # no Hub id of it


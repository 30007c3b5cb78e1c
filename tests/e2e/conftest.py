"""Every test under ``tests/e2e`` is marked ``e2e``: it starts a process, a server or a browser, or builds
or loads a model (tiny ones included), so it takes seconds where a unit test takes milliseconds.
``pytest tests/unit`` (or ``-m "not e2e"``) is the fast lane; ``pytest`` runs both."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the items collected from this folder (the hook sees the whole session's items)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)

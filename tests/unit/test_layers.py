"""The import graph of ``bench`` runs one way, from the command line down to the core, and has no cycle.

Each package is a layer (``ARCHITECTURE.md``): a module may import its own layer's modules and those of
layers below it, never one above. Every import counts, at module level or inside a function, since a
late import is a dependency all the same; the graph comes from the source (``ast``), not from running
it, so the test needs nothing installed and takes a fraction of a second.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bench"
#: bottom first; a module belongs to the first layer one of whose packages it is in
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("bench.core",)),
    ("files and caches", ("bench.store",)),
    ("chat servers", ("bench.llm",)),
    ("reference sets", ("bench.refset", "bench.testsets")),
    ("systems", ("bench.systems",)),
    ("metrics", ("bench.metrics",)),
    ("boards", ("bench.board",)),
    ("human judgments", ("bench.human",)),
    ("tiny models", ("bench.tiny",)),
    ("commands", ("bench.commands",)),
    ("command line", ("bench.cli", "bench.__main__")),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The bench modules ``path`` imports (a name imported from a package counts as that module when
    it is one, else as the package)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    return {m for m in found if m in known and m != name}


def layer(name: str) -> int:
    if name == "bench":  # the package itself: its version
        return 0
    for index, (_, packages) in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in packages):
            return index
    raise AssertionError(f"{name} is in no layer: put it in a package of one (tests/unit/test_layers.py)")


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported(name, path, set(found)) for name, path in found.items()}


def test_every_module_has_a_layer(graph):
    for name in graph:
        layer(name)


def test_no_import_runs_up_a_layer(graph):
    upward = [f"{a} ({LAYERS[layer(a)][0]}) imports {b} ({LAYERS[layer(b)][0]})"
              for a, targets in graph.items() for b in targets if layer(b) > layer(a)]
    assert not upward, "\n".join(upward)


def test_no_import_cycle(graph):
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        assert state.get(name) != 1, "import cycle: " + " -> ".join([*trail[trail.index(name):], name])
        state[name] = 1
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        state[name] = 2
        order.append(name)

    for name in sorted(graph):
        visit(name, [])
    assert len(order) == len(graph)


def test_the_check_sees_a_planted_upward_import(tmp_path):
    """The checks above can fail: a core module importing a command is caught."""
    planted = tmp_path / "bench" / "core"
    planted.mkdir(parents=True)
    (planted / "x.py").write_text("from bench.commands import run\n", encoding="utf-8")
    assert imported("bench.core.x", planted / "x.py", {"bench.commands", "bench.commands.run"}) == \
        {"bench.commands.run"}
    assert layer("bench.commands.run") > layer("bench.core.x")

"""The structure ARCHITECTURE.md describes stays true: stages import only downward, no module imports
itself round a circle (TYPE_CHECKING imports included), no module grows past 500 lines, every stage
package says what it is for."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sync", "rules", "addin")
MAX_LINES = 500


def _circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_round_a_circle():
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False)
    assert _circles(graph) == []


def test_a_new_circle_would_be_found(tmp_path, monkeypatch):
    """The check above can fail: a package with a circle in it is reported."""
    package = tmp_path / "circular"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circular import b\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from circular import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circular", exclude_type_checking_imports=False, cache_dir=None)
    assert _circles(graph) == [["circular.a", "circular.b"]]


def test_the_stages_import_only_downward():
    """import-linter's contracts in pyproject.toml (the layers of ARCHITECTURE.md) are all kept."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_module_is_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for folder in (*PACKAGES, "tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_stage_package_says_what_it_is_for():
    for init in (ROOT / "sync").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 80, f"{init.parent.name}: a one-paragraph docstring of its job"


def test_every_name_rules_offers_is_where_it_says():
    """``rules`` imports its names on first use: each listed one resolves, and none is missing."""
    import rules

    assert sorted(rules.__all__) == sorted(rules._WHERE)
    for name in rules.__all__:
        assert getattr(rules, name) is getattr(__import__(rules._WHERE[name], fromlist=[name]), name)

"""No module-level import cycle among the first-party packages.

A cycle makes a module's names depend on which module happened to be imported first, and pushes
people to hide imports inside functions. The graph is read with ``ast`` (nothing is imported):
an edge for every import at module level (``if TYPE_CHECKING:`` blocks excluded), to the module
named and to the packages Python runs on the way (``from a.b import c`` runs ``a`` and ``a.b``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY_PACKAGES = (
    "tenants",
    "integrations",
    "checks",
    "incidents",
    "access",
    "spend",
    "api",
    "sprintolike",
    "pagerduty_standin",
)


def first_party_modules(root: Path = ROOT) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in FIRST_PARTY_PACKAGES:
        if not (root / package / "__init__.py").is_file():
            continue
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported (not those inside functions or classes)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from module_level_imports(node.body)
            yield from module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from module_level_imports(block)
            for handler in node.handlers:
                yield from module_level_imports(handler.body)
        elif isinstance(node, ast.With):
            yield from module_level_imports(node.body)


def _packages_on_the_way(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in module_level_imports(ast.parse(path.read_text(), str(path)).body):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                if source in modules and source != name:
                    targets.add(source)  # ``from package import x`` runs the package itself
                named = [source] + [
                    f"{source}.{alias.name}"
                    for alias in node.names
                    if f"{source}.{alias.name}" in modules
                ]
            for imported in named:
                for target in _packages_on_the_way(imported):
                    # A module's own parent packages are already being imported: not an edge.
                    if target in modules and target != name and not name.startswith(target + "."):
                        targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = lowlink[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = lowlink[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_checker_finds_a_package_and_its_submodule_importing_each_other():
    graph = {"app.sync": {"app.sync.engine"}, "app.sync.engine": {"app.sync"}, "app": set()}
    assert cycles(graph) == [["app.sync", "app.sync.engine"]]


def test_the_checker_sees_through_relative_and_package_imports(tmp_path):
    (tmp_path / "integrations" / "sync").mkdir(parents=True)
    (tmp_path / "integrations" / "__init__.py").write_text("")
    (tmp_path / "integrations" / "sync" / "__init__.py").write_text("from .engine import run\n")
    (tmp_path / "integrations" / "sync" / "engine.py").write_text(
        "from integrations.sync import mapping\n"
    )
    (tmp_path / "integrations" / "sync" / "mapping.py").write_text("")

    assert cycles(import_graph(first_party_modules(tmp_path))) == [
        ["integrations.sync", "integrations.sync.engine"]
    ]


def test_first_party_packages_have_no_module_level_import_cycle():
    modules = first_party_modules()
    assert "integrations.pagerduty.sync.run" in modules
    assert cycles(import_graph(modules)) == []

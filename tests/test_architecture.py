"""The house rules that keep the code changeable: no import cycles, and each layer imports only downwards.

Imports are read from the source (including those inside functions), so a hidden cycle that only
shows at run time is caught here too.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "db", "domain", "knowledge", "views", "scheduler", "handlers", "bot")
# What each top-level package may import from the project (besides itself).
ALLOWED = {
    "db": set(),
    "core": {"db"},
    "domain": {"core", "db"},  # core is the bottom: e.g. the spreadsheet bounds the settings define
    "knowledge": {"domain"},
    "views": {"domain"},
    "scheduler": {"core", "db", "domain", "views"},
    "handlers": {"core", "db", "domain", "knowledge", "views"},
    "bot": set(PACKAGES) - {"bot"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative enough for this size)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_graph(graph: dict[str, set[str]], packages: set[str]) -> dict[str, set[str]]:
    """Collapse modules to the nearest of these packages that contains them (modules outside are left out)."""
    def owner(module: str) -> str | None:
        parts = module.split(".")
        for size in range(len(parts), 0, -1):
            if ".".join(parts[:size]) in packages:
                return ".".join(parts[:size])
        return None

    collapsed: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        for target in targets:
            a, b = owner(source), owner(target)
            if a and b and a != b:
                collapsed[a].add(b)
    return collapsed


def _subpackages() -> dict[str, set[str]]:
    """Each top-level package's sub-packages (directories with an __init__.py), by parent."""
    found: dict[str, set[str]] = defaultdict(set)
    for name, path in _modules().items():
        if path.name == "__init__.py" and name.count(".") == 1:
            found[name.split(".")[0]].add(name)
    return found


def test_no_module_import_cycle() -> None:
    assert _cycles(_import_graph()) == []


def test_no_package_import_cycle() -> None:
    graph = _import_graph()
    assert _cycles(_package_graph(graph, set(PACKAGES))) == []
    for children in _subpackages().values():  # sibling sub-packages (e.g. bot.cli, domain.evaluation)
        assert _cycles(_package_graph(graph, children)) == []


def test_each_layer_imports_only_what_it_may() -> None:
    wrong = sorted(f"{source} -> {target}" for source, targets in _import_graph().items() for target in targets
                   if target.split(".")[0] != source.split(".")[0]
                   and target.split(".")[0] not in ALLOWED[source.split(".")[0]])
    assert wrong == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_telegram_layers_import_telegram() -> None:
    telegram_free = ("core", "db", "domain", "knowledge", "views")
    offenders = []
    for name, path in _modules().items():
        if name.split(".")[0] not in telegram_free:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [module or ""]
            if any(n == "telegram" or n.startswith("telegram.") for n in names):
                offenders.append(name)
    assert offenders == []

"""The package's import graph: no cycles, and the speed machinery apart from the models.

Every ``import`` statement counts, module-level or inside a function (a lazy
import that closes a cycle still ties the two modules together). Importing
``a.b.c`` runs ``a`` and ``a.b`` first, so those are edges too, except the
importer's own enclosing packages (already being imported when it runs)
unless it takes a name from their namespace (``from . import NAME`` where
NAME is not a submodule).
"""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = "attngan_tf"


def _modules() -> dict[str, pathlib.Path]:
    modules = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _with_packages(name: str) -> list[str]:
    """``a.b.c`` → ``a``, ``a.b``, ``a.b.c``: what importing it runs."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _imports(name: str, path: pathlib.Path, modules) -> set[str]:
    """The modules of the package that importing ``name`` (or calling into it) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    ancestors = set(_with_packages(name)) - {name}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
            from_namespace = []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            submodules = [f"{source}.{alias.name}" for alias in node.names
                          if f"{source}.{alias.name}" in modules]
            targets = [source, *submodules]
            from_namespace = [source] if len(submodules) < len(node.names) else []
        else:
            continue
        for target in targets:
            found.update(m for m in _with_packages(target) if m not in ancestors)
        found.update(from_namespace)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), sorted."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(components)


def _reachable(graph, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for w in graph[todo.pop()] - seen:
            seen.add(w)
            todo.append(w)
    return seen


def test_the_package_has_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles (strongly connected modules):\n" + "\n".join(
        "  " + ", ".join(component) for component in found)


def test_ops_and_activations_do_not_import_the_models():
    graph = import_graph()
    for name in sorted(graph):
        if name == f"{PACKAGE}.activations" or name.startswith(f"{PACKAGE}.ops"):
            models = sorted(m for m in _reachable(graph, name)
                            if m == f"{PACKAGE}.models" or m.startswith(f"{PACKAGE}.models."))
            assert not models, f"{name} imports {models}"

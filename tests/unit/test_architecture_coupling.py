"""How the modules of app/ and server/ hold together (issue 15, "checks that keep it so"): no import
cycle among them, late imports included (the services/ cycle the redesign removed went through them);
no module of app/ or server/ reaching into another's private names (as storage/sync.py once imported
customers.py's helpers, and seven server modules apply's record lookup and the API's route class); and
no stub left behind: no ``raise NotImplementedError`` (a contract is an ``abstractmethod`` that mypy
checks, or a callable handed over).

One test per rule, each listing every violation at once; each rule is also run over a synthetic tree
with an injected violation and a clean module beside it, so a rule that could never fail fails.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from tests.unit import parsed

ROOT = Path(__file__).resolve().parents[2]
CODE = ("app", "server")


def _modules(root: Path) -> dict[str, Path]:
    """Dotted name → file, for every module of app/ and server/ (a package by its ``__init__.py``)."""
    out: dict[str, Path] = {}
    for pkg in CODE:
        for path in sorted((root / pkg).rglob("*.py")) if (root / pkg).is_dir() else []:
            parts = list(path.relative_to(root).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.Module, name: str, is_package: bool) -> list[tuple[int, str, str]]:
    """(line, module, name imported or "") of every import that runs, at load time or later inside a
    function (a late import only hides a cycle: the services/ one was such), not those under
    ``if TYPE_CHECKING`` (for the type checker only); relative ones resolved."""
    package = name if is_package else name.rpartition(".")[0]
    found: list[tuple[int, str, str]] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, a.name, "") for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (child.level - 1)]
                    base = ".".join(parts + ([base] if base else []))
                found.extend((child.lineno, base, a.name) for a in child.names)
            walk(child)

    walk(tree)
    return found


@cache  # read by two tests: one reading of the real tree per process (the callers do not change it)
def _graph(root: Path) -> dict[str, set[str]]:
    mods = _modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        tree = parsed.tree(path)
        for _line, module, imported in _imports(tree, name, path.name == "__init__.py"):
            target = f"{module}.{imported}" if f"{module}.{imported}" in mods else module
            if target in mods and target != name:
                graph[name].add(target)
    return graph


def import_cycles(root: Path = ROOT) -> list[str]:
    """Each group of modules that import each other (Tarjan's strongly connected
    components), as "a → b → … → a" along one cycle of the group."""
    graph = _graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:  # recursion depth is bounded by the number of modules (a few hundred)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return [" → ".join(_one_cycle(graph, set(g), g[0])) for g in sorted(groups)]


def _one_cycle(graph: dict[str, set[str]], group: set[str], start: str) -> list[str]:
    """A path from ``start`` back to itself inside ``group`` (breadth first: the shortest)."""
    paths = [[start]]
    seen = {start}
    while paths:
        path = paths.pop(0)
        for w in sorted(graph[path[-1]] & group):
            if w == start:
                return [*path, start]
            if w not in seen:
                seen.add(w)
                paths.append([*path, w])
    return [start]  # not reached: a strongly connected group always has a cycle through each member


def private_imports(root: Path = ROOT) -> list[str]:
    """``from app.x import _name`` in app/ or server/: another module's private name (``_`` itself, gettext,
    is public)."""
    out = []
    for _name, path in _modules(root).items():
        tree = parsed.tree(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in CODE):
                for a in node.names:
                    if a.name.startswith("_") and a.name != "_" and not a.name.startswith("__"):
                        where = "." * node.level + (node.module or "")
                        out.append(f"{path.relative_to(root).as_posix()}:{node.lineno} imports {a.name} from {where}")
    return out


def stubs(root: Path = ROOT) -> list[str]:
    """``raise NotImplementedError`` (called or not) anywhere in app/ or server/."""
    out = []
    for path in _modules(root).values():
        for node in ast.walk(parsed.tree(path)):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                    out.append(f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return out


def test_no_import_cycle() -> None:
    found = import_cycles()
    assert not found, "break these cycles (move the shared part down a layer):\n" + "\n".join(found)


def test_no_module_imports_another_modules_private_names() -> None:
    found = private_imports()
    assert not found, "make the name public (part of that module's API) or move the code:\n" + "\n".join(found)


def test_no_stub_raises_not_implemented() -> None:
    found = stubs()
    assert not found, "an abstractmethod (checked by mypy) or a callable handed over, not a stub:\n" + "\n".join(found)


def test_the_rules_see_the_real_modules() -> None:
    """Not passing vacuously: the real import graph is read (with its late imports, without the
    TYPE_CHECKING ones: db.py's Archive would close a cycle)."""
    graph = _graph(ROOT)
    assert len(graph) > 200
    assert "app.storage.db" in graph["app.storage.archive"]
    assert "app.ui.records.lazy_tab" in graph["app.ui.records.credit"]
    assert "app.ui.main_window" in graph["app.ui.controller"]  # a late import at the start-up boundary
    assert "app.storage.archive" not in graph["app.storage.db"]  # under TYPE_CHECKING
    assert sum(len(edges) for edges in graph.values()) > 1000


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_cycle_rule_fails_on_an_injected_violation(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/services/__init__.py": "",
            "app/services/a.py": "from app.services import b\n",
            "app/services/b.py": "from .c import f\n",
            "app/services/c.py": "import app.services.a\n\n\ndef f():\n    pass\n",
            # an import only for the type checker makes no cycle; a late one does
            "app/services/d.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from app.services import e\n",
            "app/services/e.py": "import app.services.d\n",
            "app/services/f.py": "import app.services.g\n",
            "app/services/g.py": "def g():\n    from app.services import f\n",
            "server/clean.py": "import json\n",
        },
    )
    assert import_cycles(root) == [
        "app.services.a → app.services.b → app.services.c → app.services.a",
        "app.services.f → app.services.g → app.services.f",
    ]


def test_the_private_name_rule_fails_on_an_injected_violation(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "app/storage/sync.py": "from app.storage.customers import _row, write\nfrom app.i18n import _\n",
            "app/storage/media.py": "from .customers import _cols\nfrom os import _exit\n",
            "app/storage/customers.py": "from __future__ import annotations\n",
            "server/territory_api.py": "from server.api import _Route, db_of\n",
        },
    )
    assert private_imports(root) == [
        "app/storage/media.py:1 imports _cols from .customers",
        "app/storage/sync.py:1 imports _row from app.storage.customers",
        "server/territory_api.py:1 imports _Route from server.api",
    ]


def test_the_stub_rule_fails_on_an_injected_violation(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "app/ui/editors.py": "class E:\n    def raw(self):\n        raise NotImplementedError\n",
            "server/x.py": "def f():\n    raise NotImplementedError('later')\n\n\n"
            "def g():\n    return NotImplemented\n",
            "app/clean.py": "def f():\n    raise ValueError\n",
        },
    )
    assert sorted(stubs(root)) == ["app/ui/editors.py:3", "server/x.py:2"]

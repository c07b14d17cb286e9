"""The house rules a tool keeps (docs/architecture.md, "Tools" and "Imports stay at the module top"):
no module of app/ or server/ over 570 lines, a docstring on every module, imports inside functions
only at the documented start-up boundary, and every ``# type: ignore`` naming its code and saying why.

One test per rule, each listing every violation at once; each rule is also run over a synthetic tree
with an injected violation (and a clean module beside it), so a rule that could never fail is itself a
failure.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

from tests.unit import parsed

ROOT = Path(__file__).resolve().parents[2]
CODE = ("app", "server")
MAX_LINES = 570

#: Where an import may stay inside a function: the start-up boundary, where imports are deliberately
#: late so that the first window comes fast (or, in the server, so that prometheus-client reads its
#: multiprocess folder after ``serve`` has set it). A path ending in "/" is a package; "*" allows any
#: import there, otherwise only the modules named.
LATE_IMPORTS: dict[str, frozenset[str] | str] = {
    "app/cli.py": "*",  # the entry point: each command imports what it uses
    "app/commands/": "*",  # the commands of the entry point
    "app/main.py": "*",  # Qt and the UI, once the desktop app is what was asked for
    "app/services/startup.py": "*",  # preload() warms the services while the unlock dialog shows
    "app/storage/profile.py": "*",  # a profile is looked at without SQLAlchemy, SQLCipher or Argon2
    # the platform's folders: only this platform's platformdirs class is loaded (tests set another)
    "app/paths.py": frozenset({"platformdirs.macos", "platformdirs.unix", "platformdirs.windows"}),
    # the main window, every view and the sync service's HTTP client load after unlock
    "app/ui/controller.py": frozenset({"app.ui.main_window"}),
    # … and are loaded on the DB thread while the unlock dialog waits for the passphrase
    "app/ui/ops/unlocking.py": frozenset({"app.ui.main_window"}),
    # the unlock dialog imports demo.py (is this the demo profile?); the storage loads only for the demo
    "app/services/demo.py": frozenset(
        {"app.services.session", "app.services.startup", "app.services.records", "app.validation"}
    ),
    # prometheus-client reads PROMETHEUS_MULTIPROC_DIR when imported: only after serve has set it
    "server/api.py": frozenset({"server.metrics"}),
    "server/app.py": frozenset({"server.metrics"}),
    "server/serve.py": frozenset({"prometheus_client.multiprocess"}),
}


def modules(root: Path) -> list[Path]:
    return sorted(p for pkg in CODE if (root / pkg).is_dir() for p in (root / pkg).rglob("*.py"))


def rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def long_modules(root: Path = ROOT) -> list[str]:
    out = []
    for path in modules(root):
        n = len(parsed.text(path).splitlines())
        if n > MAX_LINES:
            out.append(f"{rel(path, root)}: {n} lines")
    return out


def modules_without_docstring(root: Path = ROOT) -> list[str]:
    return [rel(path, root) for path in modules(root) if ast.get_docstring(parsed.tree(path)) is None]


def _late_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of every import inside a function (``from x import y`` is ``x.y``)."""
    found: list[tuple[int, str]] = []

    def walk(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if inside and isinstance(child, ast.Import):
                found.extend((child.lineno, a.name) for a in child.names)
            elif inside and isinstance(child, ast.ImportFrom):
                module = "." * child.level + (child.module or "")
                found.extend((child.lineno, f"{module}.{a.name}") for a in child.names)
            walk(child, inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    walk(tree, False)
    return found


def _allowed_late(path: str, module: str) -> bool:
    for where, allowed in LATE_IMPORTS.items():
        if path == where or (where.endswith("/") and path.startswith(where)):
            return allowed == "*" or any(module == m or module.startswith(m + ".") for m in allowed)
    return False


def late_imports(root: Path = ROOT) -> list[str]:
    out = []
    for path in modules(root):
        r = rel(path, root)
        for line, module in _late_imports(parsed.tree(path)):
            if not _allowed_late(r, module):
                out.append(f"{r}:{line} imports {module} inside a function")
    return out


# "# type: ignore[code]  # why" (or "(why)" after the code); a bare ignore or one without a reason fails
_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[^\]]+\])?(?P<rest>.*)$")
_REASON = re.compile(r"^\s*(#|\()\s*\S")


def unexplained_ignores(root: Path = ROOT) -> list[str]:
    out = []
    for path in modules(root):
        for n, line in enumerate(parsed.text(path).splitlines(), start=1):
            m = _IGNORE.search(line)
            if m and (not m.group("code") or not _REASON.match(m.group("rest"))):
                out.append(f"{rel(path, root)}:{n}: {line.strip()}")
    return out


def test_no_module_is_over_570_lines() -> None:
    found = long_modules()
    assert not found, "split these by concern (docs/architecture.md):\n" + "\n".join(found)


def test_every_module_has_a_docstring() -> None:
    found = modules_without_docstring()
    assert not found, "say what the module is for:\n" + "\n".join(found)


def test_imports_inside_functions_only_at_the_start_up_boundary() -> None:
    found = late_imports()
    assert not found, "import at the module top (or document the boundary in LATE_IMPORTS):\n" + "\n".join(found)


def test_every_type_ignore_names_its_code_and_says_why() -> None:
    found = unexplained_ignores()
    assert not found, "fix the type, or write '# type: ignore[code]  # why':\n" + "\n".join(found)


def test_the_rules_see_the_real_modules() -> None:
    """Not passing vacuously: the code is scanned, and the boundary's late imports are found (and allowed)."""
    assert len(modules(ROOT)) > 100
    lates = [(rel(p, ROOT), m) for p in modules(ROOT) for _l, m in _late_imports(parsed.tree(p))]
    assert ("app/ui/controller.py", "app.ui.main_window.MainWindow") in lates
    assert all(_allowed_late(p, m) for p, m in lates)
    # every allowance is used: a stale entry would hide a new late import in that module
    used = {where for where in LATE_IMPORTS if any(_allowed_late(p, m) and _is_under(p, where) for p, m in lates)}
    assert used == set(LATE_IMPORTS)


def _is_under(path: str, where: str) -> bool:
    return path == where or (where.endswith("/") and path.startswith(where))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


CLEAN = (
    '"""A clean module."""\n\nimport json\n\n\n'
    "def f() -> str:\n    return json.dumps(1)  # type: ignore[no-any-return]  # why\n"
)


def _injected(tmp_path: Path, bad: dict[str, str], rule: Callable[[Path], list[str]]) -> list[str]:
    return rule(_tree(tmp_path, {"app/clean.py": CLEAN, "server/clean.py": CLEAN, **bad}))


def test_the_length_rule_fails_on_an_injected_violation(tmp_path: Path) -> None:
    body = '"""Long."""\n' + "x = 1\n" * MAX_LINES
    found = _injected(tmp_path, {"app/storage/long.py": body, "server/ok.py": body[: -len("x = 1\n")]}, long_modules)
    assert found == [f"app/storage/long.py: {MAX_LINES + 1} lines"]


def test_the_docstring_rule_fails_on_an_injected_violation(tmp_path: Path) -> None:
    bad = {"app/ui/review/__init__.py": "", "server/bare.py": "# a comment is no docstring\nx = 1\n"}
    assert sorted(_injected(tmp_path, bad, modules_without_docstring)) == [
        "app/ui/review/__init__.py",
        "server/bare.py",
    ]


def test_the_late_import_rule_fails_on_an_injected_violation(tmp_path: Path) -> None:
    bad = {
        "app/services/records.py": '"""R."""\n\n\ndef f():\n    from app.storage import archive\n',
        "server/push.py": '"""P."""\n\n\nclass A:\n    def m(self):\n        import json\n',
        # an allowed module, but not the import allowed there
        "app/ui/controller.py": '"""C."""\n\n\ndef f():\n    from app.ui.main_window import MainWindow\n'
        "    import requests\n",
        # the boundary may import anything late
        "app/commands/sheets.py": '"""S."""\n\n\ndef f():\n    import openpyxl\n',
    }
    assert sorted(_injected(tmp_path, bad, late_imports)) == [
        "app/services/records.py:5 imports app.storage.archive inside a function",
        "app/ui/controller.py:6 imports requests inside a function",
        "server/push.py:6 imports json inside a function",
    ]


def test_the_type_ignore_rule_fails_on_an_injected_violation(tmp_path: Path) -> None:
    bad = {
        "app/a.py": '"""A."""\nx = f()  # type: ignore\ny = g()  # type: ignore[arg-type]\n'
        "z = h()  # type: ignore[arg-type]  # h's stub is wrong\n"
        "w = k()  # type: ignore[misc] (the stub lags)\n",
    }
    assert _injected(tmp_path, bad, unexplained_ignores) == [
        "app/a.py:2: x = f()  # type: ignore",
        "app/a.py:3: y = g()  # type: ignore[arg-type]",
    ]

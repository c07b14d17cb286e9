"""The dependency rules of docs/architecture.md, checked on every module's imports (AST).

One test per rule: a rule scans its packages, collects every violation and fails with the whole
list. Imports inside functions count, and relative imports are resolved against the module's
package. ``test_each_rule_fails_on_an_injected_violation`` runs every rule over a synthetic tree in
tmp_path, so a rule that could never fail is itself a failure.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.unit import parsed

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path, root: Path) -> list[str]:
    """The dotted module path of ``path`` as parts (``app/ui/__init__.py`` → ``["app", "ui"]``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


@cache
def imports_of(path: Path, root: Path = ROOT) -> frozenset[str]:
    tree = parsed.tree(path)
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module_name(path, root) if is_package else module_name(path, root)[:-1]
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module:
                names.add(module)
                names.update(f"{module}.{a.name}" for a in node.names)
    return frozenset(names)


def modules(root: Path, *packages: str) -> list[Path]:
    out: list[Path] = []
    for pkg in packages:
        base = root / pkg
        if base.suffix == ".py":
            out += [base] if base.exists() else []
        else:
            out += sorted(base.rglob("*.py"))
    return out


def uses(names: frozenset[str], prefix: str) -> bool:
    return any(n == prefix or n.startswith(prefix + ".") for n in names)


def rel(p: Path, root: Path = ROOT) -> str:
    return p.relative_to(root).as_posix()


@dataclass(frozen=True)
class Rule:
    """No module under ``packages`` (except those under ``allowed``) imports any of ``forbidden``."""

    packages: tuple[str, ...]
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()

    def violations(self, root: Path = ROOT) -> list[str]:
        found: list[str] = []
        for path in modules(root, *self.packages):
            r = rel(path, root)
            if any(r == a or r.startswith(a) for a in self.allowed):
                continue
            names = imports_of(path, root)
            found += [f"{r} imports {lib}" for lib in self.forbidden if uses(names, lib)]
        return found

    def check(self) -> None:
        found = self.violations()
        assert not found, f"{len(found)} violation(s):\n" + "\n".join(found)


CODE = ("app", "server")
RULES = {
    # app/export/pdf.py: the printable copy is laid out by QtGui (QTextDocument on a QPdfWriter), no widgets
    "only the UI imports PySide6": Rule(CODE, ("PySide6",), allowed=("app/ui/", "app/main.py", "app/export/pdf.py")),
    "export lays out with QtGui only, never widgets": Rule(("app/export",), ("PySide6.QtWidgets",)),
    "only storage and the server import SQLAlchemy/SQLCipher": Rule(
        CODE, ("sqlalchemy", "sqlcipher3"), allowed=("app/storage/", "server/")
    ),
    "only export (and the server) import openpyxl": Rule(CODE, ("openpyxl",), allowed=("app/export/", "server/")),
    # the one spreadsheet reader (app/export/reading.py) is the only user of python-calamine
    "only export imports python-calamine": Rule(CODE, ("python_calamine",), allowed=("app/export/",)),
    "only sync imports requests": Rule(CODE, ("requests",), allowed=("app/sync/",)),
    "core packages never import ui or services": Rule(
        ("app/sync", "app/storage", "app/export", "app/validation", "app/models"), ("app.ui", "app.services")
    ),
    "sync never imports storage (it uses the SyncStore port)": Rule(("app/sync",), ("app.storage",)),
    "the UI reaches data only through services": Rule(
        ("app/ui",),
        ("sqlalchemy", "sqlcipher3", "requests", "openpyxl", "keyring", "app.storage", "app.sync", "app.export"),
    ),
    "validation and models stay pure": Rule(
        ("app/validation", "app/models"), ("app.storage", "app.sync", "app.export", "keyring", "PySide6", "sqlalchemy")
    ),
    "the server never imports the client UI, storage, services or sync": Rule(
        ("server",), ("app.ui", "app.storage", "app.services", "app.sync", "PySide6")
    ),
}


def test_only_the_ui_imports_pyside6() -> None:
    RULES["only the UI imports PySide6"].check()


def test_export_lays_out_with_qtgui_only() -> None:
    RULES["export lays out with QtGui only, never widgets"].check()


def test_only_storage_and_server_import_sqlalchemy() -> None:
    RULES["only storage and the server import SQLAlchemy/SQLCipher"].check()


def test_only_export_imports_openpyxl() -> None:
    RULES["only export (and the server) import openpyxl"].check()


def test_only_export_imports_python_calamine() -> None:
    RULES["only export imports python-calamine"].check()


def test_only_sync_imports_requests() -> None:
    RULES["only sync imports requests"].check()


def test_core_packages_never_import_ui_or_services() -> None:
    RULES["core packages never import ui or services"].check()


def test_sync_never_imports_storage() -> None:
    RULES["sync never imports storage (it uses the SyncStore port)"].check()


def test_ui_reaches_data_only_through_services() -> None:
    RULES["the UI reaches data only through services"].check()


def test_validation_and_models_stay_pure() -> None:
    RULES["validation and models stay pure"].check()


def test_server_never_imports_the_client_ui_or_storage() -> None:
    RULES["the server never imports the client UI, storage, services or sync"].check()


def test_every_rule_has_its_test() -> None:
    """A rule added to RULES without a test above would never run."""
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(source.count(f'RULES["{name}"].check()') == 1 for name in RULES)


def _write(root: Path, relpath: str, text: str) -> None:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        if str(parent) != ".":
            (root / parent / "__init__.py").touch()
    path.write_text(text, encoding="utf-8")


def _module(package: str) -> str:
    return package if package.endswith(".py") else f"{package}/injected.py"


def _injected_violations(rule: Rule, root: Path) -> list[str]:
    """Write, under ``root``, one module per forbidden library of ``rule`` (the import written in the three
    ways the code could write it), a clean module, and the exempt places importing it; the violations the
    rule should find there."""
    target = _module(rule.packages[0])
    lines = []
    for i, lib in enumerate(rule.forbidden):
        head, _, tail = lib.rpartition(".")
        how = (
            f"import {lib}\n",
            f"def f():\n    import {lib}\n",
            f"from {head} import {tail}\n" if head else f"import {lib} as x\n",
        )[i % 3]
        path = target.replace("injected", f"injected_{i}")
        _write(root, path, how)
        lines.append(f"{path} imports {lib}")
    _write(root, target.replace("injected", "clean"), "import json\nfrom pathlib import Path\n")
    for allowed in rule.allowed:  # the exempt places may import it
        _write(root, _module(allowed.rstrip("/")), f"import {rule.forbidden[0]}\n")
    return sorted(lines)


def test_each_rule_fails_on_an_injected_violation(tmp_path: Path) -> None:
    """Every rule, each over its own synthetic tree; one test naming every rule that missed its violations
    (or reported more than them)."""
    wrong = []
    for n, (name, rule) in enumerate(RULES.items()):
        root = tmp_path / f"rule{n}"
        expected = _injected_violations(rule, root)
        found = sorted(rule.violations(root))
        if found != expected:
            wrong.append(f"{name}: expected {expected}, found {found}")
    assert not wrong, f"{len(wrong)} rule(s) wrong on an injected violation:\n" + "\n".join(wrong)


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    _write(tmp_path, "app/sync/engine.py", "def run():\n    from ..storage import archive\n")
    _write(tmp_path, "app/ui/records/form.py", "from ...sync import client\nfrom . import table_model\n")
    _write(tmp_path, "app/ui/records/__init__.py", "from .form import CustomerForm\n")
    assert imports_of(tmp_path / "app/sync/engine.py", tmp_path) == {"app.storage", "app.storage.archive"}
    assert imports_of(tmp_path / "app/ui/records/__init__.py", tmp_path) == {
        "app.ui.records.form",
        "app.ui.records.form.CustomerForm",
    }
    assert RULES["sync never imports storage (it uses the SyncStore port)"].violations(tmp_path) == [
        "app/sync/engine.py imports app.storage"
    ]
    assert RULES["the UI reaches data only through services"].violations(tmp_path) == [
        "app/ui/records/form.py imports app.sync"
    ]


def test_rules_see_real_modules() -> None:
    """Guard against the checks passing because nothing was scanned."""
    assert len(modules(ROOT, *CODE)) > 20
    assert all(modules(ROOT, *rule.packages) for rule in RULES.values())
    assert any(uses(imports_of(p), "sqlalchemy") for p in modules(ROOT, "app/storage"))

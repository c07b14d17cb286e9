"""The dependency rules of docs/architecture.md, checked on every module's imports (AST)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def modules(*packages: str) -> list[Path]:
    out: list[Path] = []
    for pkg in packages:
        base = ROOT / pkg
        out += [base] if base.suffix == ".py" else sorted(base.rglob("*.py"))
    return out


def uses(names: set[str], prefix: str) -> bool:
    return any(n == prefix or n.startswith(prefix + ".") for n in names)


def rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


ALL_APP = [p for p in modules("app", "server") if p.exists()]


@pytest.mark.parametrize("path", ALL_APP, ids=rel)
def test_only_the_ui_imports_pyside6(path: Path) -> None:
    if rel(path).startswith("app/ui/") or rel(path) == "app/main.py":
        return
    assert not uses(imports_of(path), "PySide6"), f"{rel(path)} imports PySide6"


@pytest.mark.parametrize("path", ALL_APP, ids=rel)
def test_only_storage_and_server_import_sqlalchemy(path: Path) -> None:
    r = rel(path)
    if r.startswith("app/storage/") or r.startswith("server/"):
        return
    names = imports_of(path)
    assert not uses(names, "sqlalchemy") and not uses(names, "sqlcipher3"), f"{r} imports SQLAlchemy/SQLCipher"


@pytest.mark.parametrize("path", ALL_APP, ids=rel)
def test_only_export_imports_openpyxl(path: Path) -> None:
    r = rel(path)
    if r.startswith("app/export/") or r.startswith("server/"):
        return
    assert not uses(imports_of(path), "openpyxl"), f"{r} imports openpyxl"


@pytest.mark.parametrize("path", ALL_APP, ids=rel)
def test_only_export_imports_python_calamine(path: Path) -> None:
    """The one spreadsheet reader (app/export/reading.py) is the only user of python-calamine."""
    if rel(path).startswith("app/export/"):
        return
    assert not uses(imports_of(path), "python_calamine"), f"{rel(path)} imports python_calamine"


@pytest.mark.parametrize("path", ALL_APP, ids=rel)
def test_only_sync_imports_requests(path: Path) -> None:
    r = rel(path)
    if r.startswith("app/sync/"):
        return
    assert not uses(imports_of(path), "requests"), f"{r} imports requests"


@pytest.mark.parametrize("path", modules("app/sync", "app/storage", "app/export", "app/validation", "app/models"), ids=rel)
def test_core_packages_never_import_ui_or_services(path: Path) -> None:
    names = imports_of(path)
    assert not uses(names, "app.ui") and not uses(names, "app.services"), f"{rel(path)} reaches up into ui/services"


@pytest.mark.parametrize("path", modules("app/sync"), ids=rel)
def test_sync_never_imports_storage(path: Path) -> None:
    assert not uses(imports_of(path), "app.storage"), f"{rel(path)} imports app.storage (use the SyncStore port)"


@pytest.mark.parametrize("path", modules("app/ui"), ids=rel)
def test_ui_reaches_data_only_through_services(path: Path) -> None:
    names = imports_of(path)
    for lib in ("sqlalchemy", "sqlcipher3", "requests", "openpyxl", "keyring", "app.storage", "app.sync", "app.export"):
        assert not uses(names, lib), f"{rel(path)} imports {lib}"


@pytest.mark.parametrize("path", modules("app/validation", "app/models"), ids=rel)
def test_validation_and_models_stay_pure(path: Path) -> None:
    names = imports_of(path)
    for lib in ("app.storage", "app.sync", "app.export", "keyring", "PySide6", "sqlalchemy"):
        assert not uses(names, lib), f"{rel(path)} imports {lib}"


@pytest.mark.parametrize("path", modules("server"), ids=rel)
def test_server_never_imports_the_client_ui_or_storage(path: Path) -> None:
    names = imports_of(path)
    for lib in ("app.ui", "app.storage", "app.services", "app.sync", "PySide6"):
        assert not uses(names, lib), f"{rel(path)} imports {lib}"


def test_rules_see_real_modules() -> None:
    """Guard against the checks passing because nothing was scanned."""
    assert len(ALL_APP) > 20
    assert any(uses(imports_of(p), "sqlalchemy") for p in modules("app/storage"))

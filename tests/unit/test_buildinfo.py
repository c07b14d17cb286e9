"""The Windows version resource of the packaged app (app/buildinfo.py, used by build.spec), read back
with PyInstaller's own loader, the one it uses on Windows when it builds FieldArchive.exe."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import APP_ID, __version__
from app.buildinfo import ENV_COMPANY, version_info_text, version_quad


@pytest.fixture(scope="module")
def versioninfo():
    """PyInstaller's versioninfo module. It imports win32api (Windows only) for *writing* a resource
    into an .exe, which these tests do not do; reading the text needs only its classes."""
    import importlib

    import PyInstaller.compat as compat

    if not hasattr(compat, "win32api"):
        compat.win32api = None
    return importlib.import_module("PyInstaller.utils.win32.versioninfo")


def load(versioninfo, tmp_path: Path, text: str):
    path = tmp_path / "version.txt"
    path.write_text(text, encoding="utf-8")
    return versioninfo.load_version_info_from_text_file(str(path))


def strings(versioninfo, info) -> dict[str, str]:
    [sfi] = [k for k in info.kids if isinstance(k, versioninfo.StringFileInfo)]
    [table] = sfi.kids
    assert table.name == "080404B0"  # zh-CN, Unicode
    return {s.name: s.val for s in table.kids}


def test_the_version_resource_carries_the_app_version_and_names(versioninfo, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(ENV_COMPANY, raising=False)
    info = load(versioninfo, tmp_path, version_info_text(APP_ID, "客户档案采集 FieldArchive", year=2026))
    quad = tuple(int(x) for x in (__version__.split(".") + ["0"] * 4)[:4])
    assert (
        info.ffi.fileVersionMS >> 16,
        info.ffi.fileVersionMS & 0xFFFF,
        info.ffi.fileVersionLS >> 16,
        info.ffi.fileVersionLS & 0xFFFF,
    ) == quad
    s = strings(versioninfo, info)
    assert s["FileVersion"] == s["ProductVersion"] == __version__
    assert s["OriginalFilename"] == "FieldArchive.exe" and s["CompanyName"] == APP_ID
    assert s["FileDescription"] == "客户档案采集 FieldArchive" and s["LegalCopyright"] == "© 2026 FieldArchive"
    assert "客户档案采集" in s["ProductName"]


def test_a_bureau_builds_with_its_own_company_name(versioninfo, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_COMPANY, "某某市烟草专卖局 'IT'")
    s = strings(versioninfo, load(versioninfo, tmp_path, version_info_text(f"{APP_ID}-debug", "console")))
    assert s["CompanyName"] == "某某市烟草专卖局 'IT'" and s["OriginalFilename"] == "FieldArchive-debug.exe"


@pytest.mark.parametrize(
    "version, quad",
    [
        ("1.2.3", (1, 2, 3, 0)),
        ("2.0", (2, 0, 0, 0)),
        ("1.4.0rc1", (1, 4, 1, 0)),
        ("3.1.2+build7", (3, 1, 2, 0)),
        ("70000.1", (65535, 1, 0, 0)),
    ],
)
def test_windows_keeps_four_16_bit_numbers(version, quad) -> None:
    assert version_quad(version) == quad

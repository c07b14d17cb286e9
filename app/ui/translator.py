"""Qt's own strings (OK/Cancel, file dialogs, context menus) in the UI language."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)
_installed: list[QTranslator] = []


def install_qt_translations(app: QApplication, lang: str, path: str | None = None) -> bool:
    """Load qtbase_<lang>.qm (PySide6-Essentials ships qtbase_zh_CN.qm in its translations folder, or
    ``path``) so Qt's own dialogs (file dialogs, OK/Cancel) speak the UI language, and set the default
    locale; True if loaded."""
    for t in _installed:
        app.removeTranslator(t)
    _installed.clear()
    QLocale.setDefault(QLocale("zh_CN") if lang == "zh_CN" else QLocale("en_US"))
    if lang == "en":
        return True
    translator = QTranslator(app)
    path = path or QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(f"qtbase_{lang}", path):
        log.warning("Qt translations for %s not found in %s", lang, path)
        return False
    app.installTranslator(translator)
    _installed.append(translator)
    return True

"""Composition root of the desktop app: language, Qt translations, style, error hook, then the
controller (first start or unlock → main window). The only place that wires concrete classes."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


def make_app() -> QApplication:
    """The QApplication with the app's identity (name, window class / app id ``FieldArchive``, icon)
    and the wheel guard (drop-downs and date editors take the wheel only when focused)."""
    from PySide6.QtWidgets import QApplication

    from app import APP_ID
    from app.ui.identity import apply_identity
    from app.ui.wheel import install_wheel_guard

    # argv[0] names the X11 window instance: FieldArchive, not __main__ (python -m app)
    app = cast(QApplication, QApplication.instance() or QApplication([APP_ID]))  # instance() is typed QCoreApplication
    apply_identity(app)
    install_wheel_guard(app)
    return app


def run_gui(args: argparse.Namespace) -> int:
    from app.settings import Settings
    from app.ui.controller import AppController
    from app.ui.errors import ExceptionHook
    from app.ui.style import apply_style
    from app.ui.translator import install_qt_translations

    app = make_app()
    install_qt_translations(app, args.lang)
    apply_style(app)
    hook = ExceptionHook()
    from app.services.demo import DEMO_PROFILE

    want_demo = bool(getattr(args, "demo", False))
    controller = AppController(app, Settings(), DEMO_PROFILE if want_demo else args.profile, demo=want_demo)
    controller.start()
    log.info("desktop app started")
    code = app.exec()
    del hook
    return int(code)


def gui_self_test() -> list[str]:
    """The frozen app's ``--self-test``: the core self-test plus Qt, its zh_CN strings and a CJK font."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QFontDatabase

    from app.errors import AppError
    from app.selftest import run_self_test
    from app.ui.translator import install_qt_translations

    lines = run_self_test()
    app = make_app()
    if not install_qt_translations(app, "zh_CN") or QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel":
        raise AppError("self-test: Qt's zh_CN translations (qtbase_zh_CN.qm) are missing")
    lines.append("qt: PySide6 with qtbase_zh_CN ok")
    cjk = [
        f
        for f in QFontDatabase.families()
        if QFontDatabase.writingSystems(f).count(QFontDatabase.WritingSystem.SimplifiedChinese)
    ]
    lines.append(f"fonts: {len(cjk)} with Chinese glyphs" if cjk else "fonts: none with Chinese glyphs (install one)")
    return lines

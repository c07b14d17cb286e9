"""The desktop app as staff use it all day (issue 16): the wheel scrolls the form and never changes a
value, actions that need the unlocked archive or a customer are disabled without them, Qt's own
dialogs in Chinese, the app's identity and About box, settings that show what they hold."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QCoreApplication, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDateEdit, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from app import APP_ID, __version__
from app.models.sync_status import SyncState, SyncStatus
from app.settings import Settings
from app.ui.controller import LockScreen
from app.ui.records.form import CustomerForm
from app.ui.wheel import install_wheel_guard
from tests.conftest import PASSPHRASE
from tests.consent import CONSENT


def wheel(widget: QWidget, steps: int = -1) -> None:
    """One notch of the mouse wheel over the middle of ``widget`` (negative: towards the user)."""
    local = QPointF(widget.rect().center())
    glob = QPointF(widget.mapToGlobal(local.toPoint()))
    event = QWheelEvent(
        local,
        glob,
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


@pytest.fixture
def form(qtbot, ctx, qapp):
    install_wheel_guard(qapp)
    f = CustomerForm(ctx, ctx.session.form)
    qtbot.addWidget(f)
    f.load(None)
    f.resize(1100, 500)  # much shorter than the form: it scrolls
    f.show()
    qtbot.waitExposed(f)
    return f


def test_the_wheel_over_an_unfocused_drop_down_scrolls_the_form_and_keeps_the_value(qtbot, form) -> None:
    editor = form.rows["retail_format"].editor
    editor.set_value("supermarket")
    combo = editor.combo
    form.scroll.ensureWidgetVisible(combo)
    form.rows["shop_name"].editor.edit.setFocus()
    qtbot.waitUntil(lambda: not combo.hasFocus())
    bar = form.scroll.verticalScrollBar()
    assert bar.maximum() > 0
    before = bar.value()
    if before == bar.maximum():  # scroll up instead, so there is room to move
        steps = 1
    else:
        steps = -1
    wheel(combo, steps)
    assert combo.currentData() == "supermarket" and combo.currentText() == "超市"
    assert bar.value() != before  # the form scrolled instead
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel does not take the focus either


def test_a_focused_drop_down_still_takes_the_wheel(qtbot, form) -> None:
    combo = form.rows["retail_format"].editor.combo
    form.scroll.ensureWidgetVisible(combo)
    combo.setCurrentIndex(1)
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo, -1)
    assert combo.currentIndex() == 2  # chosen on purpose: the wheel works as usual


def test_the_wheel_over_an_unfocused_date_editor_scrolls(qtbot, qapp) -> None:
    install_wheel_guard(qapp)
    area = QScrollArea()
    qtbot.addWidget(area)
    body = QWidget()
    layout = QVBoxLayout(body)
    dates = [QDateEdit(dt.date(2026, 3, 1)) for _ in range(40)]
    for d in dates:
        layout.addWidget(d)
    area.setWidget(body)
    area.resize(300, 200)
    area.show()
    qtbot.waitExposed(area)
    bar = area.verticalScrollBar()
    wheel(dates[0], -1)
    assert dates[0].date().toPython() == dt.date(2026, 3, 1)
    assert bar.value() > 0
    assert dates[0].focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_while_locked_sign_in_and_customer_actions_are_disabled(qtbot, running) -> None:
    """Clicking 登录… while locked used to show a traceback: the button is now disabled, and a queued
    click does nothing; customer actions need an open customer."""
    win = running.window
    visit = win.customer_actions[0]  # 添加拜访…
    assert not visit.isEnabled()  # no customer open yet
    win.new_customer()
    assert not visit.isEnabled()  # a new, unsaved customer has no visits yet
    cid = running.runner.call_db(lambda: _one_customer(running.ctx.session))
    win.open_customer(cid)
    qtbot.waitUntil(lambda: win.panel.customer_id == cid, timeout=5000)
    assert all(a.isEnabled() for a in win.customer_actions)
    running.lock()
    assert isinstance(win.central.currentWidget(), LockScreen)
    assert not win.sync_status.isEnabled() and not win.sync_status.sign_in.isEnabled()  # the button cannot be clicked
    assert not any(a.isEnabled() for a in win.customer_actions)
    every = [a for m in win.menus for a in m.actions() if not a.isSeparator()]
    assert every and not any(a.isEnabled() for a in every)  # their shortcuts (Ctrl+N, F5…) do nothing either
    win.coordinator.sig_state.emit(SyncStatus(SyncState.SIGNED_OUT))  # a late state change does not enable sign-in
    assert not win.act_sign_in.isEnabled()
    boxes_before = len([w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)])
    win.sign_in()  # as a click that was already queued
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert len(boxes) == boxes_before
    running.unlock_dialog.passphrase.setText(PASSPHRASE)
    running.unlock_dialog.try_unlock()
    qtbot.waitUntil(lambda: running.ctx.session is not None, timeout=10_000)
    assert win.sync_status.isEnabled() and win.act_sign_in.isEnabled() and not win.act_sign_out.isEnabled()
    qtbot.waitUntil(lambda: win.panel.customer_id == cid, timeout=5000)  # the open customer comes back
    assert all(a.isEnabled() for a in win.customer_actions)


def _one_customer(session) -> str:
    return _draft(session, "锁定测试店")


def _draft(session, name: str) -> str:
    from app.services import records

    customer, _report = records.save_draft(session, {"shop_name": name, "contact_phone": "13812345678", **CONSENT})
    return customer.id


def test_a_locked_archive_is_a_message_not_a_traceback(qtbot, ctx) -> None:
    from app.errors import UserFacingError

    ctx.session = None
    failures: list[BaseException] = []
    ctx.op(lambda s: s._archive).failure(failures.append).run()
    assert isinstance(failures[0], UserFacingError) and failures[0].message() == "档案已锁定。"


def test_qt_own_dialogs_speak_chinese_when_the_translations_exist(qapp, tmp_path) -> None:
    from PySide6.QtCore import QLibraryInfo

    from app.ui.translator import install_qt_translations

    shipped = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    try:
        assert install_qt_translations(qapp, "zh_CN") is True, f"qtbase_zh_CN.qm not in {shipped}"
        assert QCoreApplication.translate("QFileDialog", "File &name:") != "File &name:"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
        assert install_qt_translations(qapp, "zh_CN", str(tmp_path)) is False  # no file there: English, no crash
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    finally:
        install_qt_translations(qapp, "en")


def test_the_app_has_its_name_window_class_and_icon(qapp) -> None:
    from app.main import make_app

    app = make_app()
    assert app is qapp
    assert app.applicationName() == APP_ID and app.desktopFileName() == APP_ID and app.organizationName() == APP_ID
    assert not app.windowIcon().isNull() and app.windowIcon().pixmap(64, 64).width() == 64


def test_the_build_spec_packages_the_icon() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = (root / "build.spec").read_text(encoding="utf-8")
    assert "icon=icon" in spec
    for ext in ("ico", "icns", "png", "svg"):
        assert (root / "resources" / "icons" / f"fieldarchive.{ext}").stat().st_size > 500


def test_about_names_the_version_and_sqlcipher(qtbot, running) -> None:
    win = running.window
    win.act_about.trigger()
    qtbot.waitUntil(lambda: getattr(win, "about_box", None) is not None, timeout=5000)
    text = win.about_box.text()
    assert __version__ in text and "SQLCipher 4." in text


def test_settings_show_the_whole_server_address_and_say_when_the_language_applies(
    qtbot, qapp, home, monkeypatch
) -> None:
    from app.ui.settings_dialog import SettingsDialog

    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    settings = Settings()
    url = "https://fieldarchive.tobacco-company.example.com.cn:8443"
    settings.server_url = url
    parent = QWidget()
    qtbot.addWidget(parent)
    d = SettingsDialog(settings, parent)
    d.show()
    qtbot.waitExposed(d)
    assert d.server.width() > d.server.fontMetrics().horizontalAdvance(url)
    assert not d.language_note.isVisible()
    d.language.setCurrentIndex(1)  # English
    assert d.language_note.isVisible() and "重新启动" in d.language_note.text()
    d.save()
    assert Settings().ui_language == "en"
    assert "restarted" in d.restart_box.text()  # said in the language chosen, and stays until read


def test_visit_notes_are_shown_in_full_and_wrapped(qtbot, ctx) -> None:
    from app.services import records
    from app.ui.records.visits import VisitsView

    cid = _draft(ctx.session, "拜访测试店")
    notes = "店主反映近期客流减少，周边新开一家便利店，希望下月增加畅销品规的供应量并调整陈列位置。" * 2
    records.add_visit(ctx.session, cid, "2026-03-02", "routine", notes, "", [])
    from PySide6.QtWidgets import QLabel, QTabWidget

    tabs = QTabWidget()  # as in the customer panel: the visits load while their tab is hidden
    qtbot.addWidget(tabs)
    panel = VisitsView(ctx)
    tabs.addTab(QLabel("档案"), "档案")
    tabs.addTab(panel, "拜访记录")
    tabs.resize(700, 400)
    tabs.show()
    qtbot.waitExposed(tabs)
    panel.load(cid)
    tabs.setCurrentIndex(1)
    table = panel.table
    item = table.item(0, 3)
    assert item.text() == notes
    assert table.wordWrap() and table.textElideMode() == Qt.TextElideMode.ElideNone
    line = table.fontMetrics().height()
    assert table.rowHeight(0) >= 3 * line  # wrapped over several lines, not cut after a word

    def needed() -> int:
        return (
            table.fontMetrics()
            .boundingRect(0, 0, table.columnWidth(3) - 8, 100_000, Qt.TextFlag.TextWordWrap, notes)
            .height()
        )

    qtbot.waitUntil(lambda: needed() <= table.rowHeight(0) <= needed() + 3 * line)  # all the text, no blank screen
    tabs.resize(1000, 400)  # wider: the rows follow
    qtbot.waitUntil(lambda: needed() <= table.rowHeight(0) <= needed() + 3 * line)


def test_a_second_copy_on_the_same_profile_says_so_instead_of_opening_it(qtbot, qapp, running, monkeypatch) -> None:
    from app.ui.controller import AppController
    from app.ui.tasks import TaskRunner

    quits: list[bool] = []
    monkeypatch.setattr(qapp, "quit", lambda: quits.append(True))
    second = AppController(qapp, Settings(), "default", TaskRunner(inline=True))
    second.start()
    assert second.unlock_dialog is None and second.wizard is None and second.window is None
    assert second.refusal is not None and "已在另一个正在运行的 FieldArchive 中打开" in second.refusal.text()
    assert str(__import__("os").getpid()) in second.refusal.text()
    second.refusal.finished.emit(0)  # OK: that copy ends …
    assert quits == [True]
    assert running.profile_lock.held  # … and the first keeps its profile

"""The application's life: first start or unlock, the main window, locking (on demand and after
idle time), crash-recovered forms, and an orderly shutdown."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QVBoxLayout, QWidget

from app.i18n import _, set_language
from app.instance_lock import ProfileInUse, ProfileLock
from app.models import times
from app.services import startup
from app.settings import Settings
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import records as record_ops
from app.ui.ops import unlocking as unlock_ops
from app.ui.tasks import TaskRunner
from app.ui.translator import install_qt_translations
from app.ui.unlock_dialog import UnlockDialog
from app.ui.wizard import FirstStartWizard

log = logging.getLogger(__name__)
INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}


class IdleWatcher(QObject):
    """Locks after ``minutes`` without keyboard or mouse input (0 = never)."""

    sig_idle = Signal()

    def __init__(self, minutes: int) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.sig_idle.emit)
        self.set_minutes(minutes)

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes
        self.reset()

    def reset(self) -> None:
        if self.minutes > 0:
            self.timer.start(self.minutes * 60_000)
        else:
            self.timer.stop()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self.reset()
        return False


class LockScreen(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        icon = QLabel(self)  # the app's icon (a lock on the folder): the 🔒 emoji needs an emoji font
        icon.setPixmap(QApplication.windowIcon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
        label = QLabel(_("The archive is locked."), self)
        label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        label.setStyleSheet("font-size: 18pt; color: #555;")
        layout = QVBoxLayout(self)
        layout.addWidget(icon, 1)
        layout.addWidget(label, 1)


class AppController(QObject):
    sig_ready = Signal()  # the main window is shown and unlocked

    def __init__(
        self,
        app: QApplication,
        settings: Settings,
        profile: str,
        runner: TaskRunner | None = None,
        demo: bool = False,
    ) -> None:
        super().__init__()
        self.app, self.settings, self.profile_name, self.demo = app, settings, profile, demo
        self.runner = runner or TaskRunner()
        self.ctx = UiContext(self.runner, settings)
        self.window: Any = None
        self.wizard: Any = None
        self.unlock_dialog: UnlockDialog | None = None
        self.locked_form: tuple[Any, str] | None = None
        self.profile_lock: Any = None
        self.refusal: QMessageBox | None = None
        self.idle = IdleWatcher(settings.idle_lock_minutes)
        self.idle.sig_idle.connect(self.lock)
        self.ctx.sig_integrity_failed.connect(self._integrity_failed)
        self.ctx.sig_integrity_checked.connect(self._checks_passed)
        self._sync_after_checks = False
        app.installEventFilter(self.idle)

    # ---- start -------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.lock_profile():
            return
        if self.demo:  # the demo profile (--demo): created and filled the first time, no passphrase asked
            unlock_ops.open_demo(self.ctx).success(self.unlocked).failure(self._demo_failed).run()
            return
        if not startup.profile_exists(self.profile_name):
            self.show_wizard()
            return
        if not startup.device_unlock_enabled(self.profile_name):
            self.show_unlock()
            return
        unlock_ops.unlock_by_device(self.ctx, self.profile_name).success(
            lambda s: self.unlocked(s) if s else self.show_unlock()
        ).failure(lambda _e: self.show_unlock()).run()

    def lock_profile(self) -> bool:
        """Hold the profile for this copy of the app; a second copy says so and ends (issue 16)."""
        if self.profile_lock is None:
            self.profile_lock = ProfileLock(self.profile_name)
        try:
            self.profile_lock.acquire()
        except ProfileInUse as exc:
            log.warning("profile %s is open in another copy of the app", self.profile_name)
            box = QMessageBox(QMessageBox.Icon.Warning, _("FieldArchive"), exc.message(), QMessageBox.StandardButton.Ok)
            box.finished.connect(lambda _r: self.quit())
            box.open()
            self.refusal = box
            return False
        return True

    def _demo_failed(self, exc: BaseException) -> None:
        log.error("the demo archive could not be opened: %s", exc)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("FieldArchive"),
            _("The demo archive could not be opened: {error}").format(error=exc),
            QMessageBox.StandardButton.Ok,
        )
        box.finished.connect(lambda _r: self.quit())
        box.open()
        self.refusal = box

    def _start_sync(self) -> None:
        """Background sync, except in a demo archive: that is marked as one and never synced."""

        def go(is_demo: bool) -> None:
            if self.window is None:
                return
            if is_demo:
                self.window.mark_demo()
            elif self.ctx.checking:  # a sync writes: it starts once the open checks passed, not holding the DB
                self._sync_after_checks = True  # thread at the write gate while the list is being searched
            else:
                self.window.coordinator.start()

        unlock_ops.is_demo(self.ctx).success(go).run()

    def _checks_passed(self) -> None:
        if self.window is not None and self._sync_after_checks and self.ctx.session is not None:
            self._sync_after_checks = False
            self.window.coordinator.start()

    def show_wizard(self) -> None:
        self.wizard = FirstStartWizard(self.ctx, self.profile_name, self.settings.ui_language)
        self.wizard.sig_language.connect(self._wizard_language)
        self.wizard.sig_created.connect(self.unlocked)
        self.wizard.rejected.connect(self.quit)
        self.wizard.show()

    def _wizard_language(self, lang: str) -> None:
        self.settings.ui_language = lang
        self.settings.save()
        set_language(lang)
        install_qt_translations(self.app, lang)
        old = self.wizard
        old.rejected.disconnect(self.quit)
        self.show_wizard()
        old.close()
        old.deleteLater()

    def show_unlock(self) -> None:
        self.unlock_dialog = UnlockDialog(self.ctx, self.profile_name, self.window)
        self.unlock_dialog.sig_unlocked.connect(self.unlocked)
        self.unlock_dialog.rejected.connect(lambda: None if self.ctx.session else self.quit())
        self.unlock_dialog.show()
        unlock_ops.preload(self.ctx).failure(lambda e: log.warning("preload failed: %s", e)).run()

    # ---- unlocked ----------------------------------------------------------------------------
    def unlocked(self, session: Any) -> None:
        self.ctx.session = session
        if self.window is None:
            from app.ui.main_window import MainWindow  # noqa: PLC0415  # start-up boundary: the main window and its views load after unlock

            assert self.ctx.form is not None  # taken from the session just set
            self.window = MainWindow(self.ctx, self.ctx.form, session.user, session.role)
            self.window.sig_lock_requested.connect(self.lock)
            self.window.sig_close_requested.connect(self.quit)
            self.window.sig_settings_changed.connect(lambda: self.idle.set_minutes(self.settings.idle_lock_minutes))
            self.window.show()
            self._offer_autosaved()
            self._start_sync()
        else:
            self.window.show_unlocked()
            self.window.checking.setVisible(self.ctx.checking)
            self.window.list_panel.apply()
            self.window.refresh_summary()
            self._restore_locked_form()
            self._start_sync()
        self.idle.reset()
        self.sig_ready.emit()

    def _offer_autosaved(self) -> None:
        record_ops.autosaved(self.ctx).success(self._ask_autosaved).run()

    def _ask_autosaved(self, saved: list[tuple[str, str | None, dict[str, Any], str]]) -> None:
        if not saved:
            return
        key, cid, state, at = saved[-1]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Unsaved work found"),
            _("A form was being edited when FieldArchive last stopped ({time}). Restore it?").format(
                time=times.shown(at)
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
            self.window,
        )
        box.button(QMessageBox.StandardButton.Yes).setText(_("Restore"))

        def answered(result: int) -> None:
            if result == QMessageBox.StandardButton.Yes:
                self._restore(cid, state.get("raw", {}), key)
            else:
                record_ops.discard_autosave(self.ctx, None, [k for k, *_r in saved]).run()

        box.finished.connect(answered)
        box.open()

    def _restore(self, customer_id: str | None, raw: dict[str, Any], key: str) -> None:
        def show(customer: Any) -> None:
            self.window.restore_autosave(customer, raw, key)

        if customer_id:
            record_ops.open_customer(self.ctx, None, customer_id).success(show).run()
        else:
            show(None)

    # ---- locking -----------------------------------------------------------------------------
    def _integrity_failed(self, error: Exception) -> None:
        """The open checks, run beside the user, found the archive damaged: it refuses every write;
        lock it (nothing to autosave into it) and say what to do, over the unlock dialog."""
        log.error("the archive failed its open checks after the unlock: locking it")

        def lock_and_tell() -> None:  # after ``unlocked`` is done (the verdict may come while it runs)
            self.lock(save_form=False)
            show_exception(self.unlock_dialog or self.window, error)

        QTimer.singleShot(0, lock_and_tell)

    def lock(self, save_form: bool = True) -> None:
        if self.ctx.session is None or self.window is None:
            return
        form = self.window.panel.form_widget
        self.locked_form = None
        if form.is_dirty() and save_form:
            raw, key, cid = form.raw_values(), form.autosave_key, form.customer.id if form.customer else None
            record_ops.autosave(self.ctx, None, key, cid, {"raw": raw}).run()
            self.locked_form = (cid, key)
        elif form.customer is not None:
            self.locked_form = (form.customer.id, "")
        self.window.coordinator.stop()
        self._sync_after_checks = False
        self.window.checking.setVisible(False)
        form.load(None)
        self.window.panel.clear()
        self.window.list_panel.model.clear()
        self.window.show_locked(LockScreen())
        session, self.ctx.session = self.ctx.session, None
        unlock_ops.close(self.ctx, session).run()
        self.show_unlock()

    def _restore_locked_form(self) -> None:
        if self.locked_form is None:
            return
        cid, key = self.locked_form
        self.locked_form = None
        if key:

            def restore(saved: list[Any]) -> None:
                for k, c, state, _at in saved:
                    if k == key:
                        self._restore(c, state.get("raw", {}), k)

            record_ops.autosaved(self.ctx).success(restore).run()
        elif cid:
            self.window.open_customer(cid)

    # ---- shutdown ----------------------------------------------------------------------------
    def quit(self) -> None:
        if self.window is not None:
            self.window.coordinator.stop()  # a running sync stops at its next step; nothing is half-applied
        session, self.ctx.session = self.ctx.session, None
        if session is not None:
            try:
                unlock_ops.close_now(self.ctx, session)
            except Exception:
                log.exception("closing the archive failed")
        self.runner.shutdown()
        if self.profile_lock is not None:
            self.profile_lock.release()
        if self.window is not None:
            self.window.hide()
        self.app.quit()

"""The main window: menus, the customer list beside the customer panel, and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QStackedWidget, QTabWidget, QWidget

from app.i18n import _, ngettext
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.remote import RemoteUser
from app.models.sync_status import SyncState, SyncStatus
from app.models.wire import UserRole
from app.services.events import Changes
from app.services.listing import Summary
from app.services.maintenance import ArchiveCheck
from app.ui import checks_view, geometry, report_flow, sheets_flow
from app.ui.admin.alert_notice import AlertNotice
from app.ui.admin.window import AdminWindow
from app.ui.context import UiContext
from app.ui.dashboard import DashboardPanel
from app.ui.errors import info
from app.ui.ledger_view import LedgerWindow
from app.ui.onboarding_view import TodoWindow
from app.ui.ops import listing as listing_ops
from app.ui.ops import maintenance as maintenance_ops
from app.ui.ops import records as record_ops
from app.ui.ops import syncing as sync_ops
from app.ui.records import integrity as integrity_ui
from app.ui.records import service as service_ui
from app.ui.records import survey_results
from app.ui.records.closure import ClosureActions
from app.ui.records.customer_panel import CustomerPanel
from app.ui.records.list_panel import CustomerListPanel
from app.ui.requests.view import ExportRequestsView
from app.ui.review.panel import ReviewPanel
from app.ui.settings_dialog import SettingsDialog
from app.ui.style import WARNING, tab_pages
from app.ui.sync.code_dialog import CodeDialog
from app.ui.sync.conflict_dialog import ConflictDialog
from app.ui.sync.signin_dialog import SignInDialog
from app.ui.sync.status_widget import SyncStatusWidget
from app.ui.sync.update_notice import UpdateNotice
from app.ui.sync_coordinator import SyncCoordinator


class MainWindow(QMainWindow):
    sig_lock_requested = Signal()
    sig_settings_changed = Signal()
    sig_close_requested = Signal()

    def __init__(self, ctx: UiContext, form: FormDefinition, user: str, role: UserRole = UserRole.COLLECTOR) -> None:
        super().__init__()
        self.ctx, self.form, self.role = ctx, form, role
        self.demo = False  # a demo archive: marked, never synced (mark_demo)
        ctx.sig_form_changed.connect(self.set_form)  # a newer form is in force: show with it
        self.setWindowTitle(_("FieldArchive · customer archive") + f" · {user}")
        # from the top down, each widget made with the parent it keeps (style.tab_pages): nothing built is moved
        self.lock_screen: QWidget | None = None
        self.central = QStackedWidget(self)
        self.setCentralWidget(self.central)
        self.tabs = QTabWidget(self.central)
        self.tabs.setDocumentMode(True)
        self.central.addWidget(self.tabs)
        pages = tab_pages(self.tabs)
        splitter = QSplitter(Qt.Orientation.Horizontal, pages)
        self.tabs.addTab(splitter, _("Customers"))
        self.list_panel = CustomerListPanel(ctx, splitter, user)
        self.list_panel.apply()  # first: the DB thread finds the list's first page while the window is built
        self.panel = CustomerPanel(ctx, form, role, splitter)
        self.panel.build_after(self.list_panel.model.modelReset)  # the customer's page: once the list is painted
        splitter.addWidget(self.list_panel)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 1)  # the list keeps its status, completeness and last visit in view,
        splitter.setStretchFactor(1, 1)  # and the address a quarter of it, down to 1280×720 in both
        splitter.setSizes([660, 740])  # languages; the form lays itself out in what is left
        self.review = ReviewPanel(ctx, form, pages)
        self.dashboard = DashboardPanel(ctx, pages)
        self.review_tab = self.tabs.addTab(self.review, _("Review"))
        self.dashboard_tab = self.tabs.addTab(self.dashboard, _("Statistics"))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.review.sig_open_customer.connect(self._open_from_review)
        self.review.sig_count.connect(self._review_count)
        self.review.sig_message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.summary = QLabel(self)
        self.coordinator = SyncCoordinator(ctx)
        self.sync_status = SyncStatusWidget(self.coordinator, self)
        self.sync_status.sign_in.clicked.connect(self.sign_in)
        self.coordinator.sig_need_sign_in.connect(self.sign_in)
        self.coordinator.sig_state.connect(self._sync_state)
        self.update_notice = UpdateNotice(self)
        self.coordinator.sig_finished.connect(self.update_notice.show_outcome)
        self.statusBar().addWidget(self.summary, 1)
        self.statusBar().addPermanentWidget(self.update_notice)
        self.alert_notice = AlertNotice(ctx, lambda: self.role is UserRole.ADMIN, self.show_admin, self)
        self.coordinator.sig_finished.connect(self.alert_notice.after_sync)  # admins: the alerts waiting
        self.statusBar().addPermanentWidget(self.alert_notice)
        self.checking = QLabel(_("Checking the archive…"), self)  # the open checks, beside the user
        self.checking.setToolTip(
            _("The archive's integrity is checked after unlocking; changes are saved once the check has passed.")
        )
        self.statusBar().addPermanentWidget(self.checking)
        self.checking.setVisible(ctx.checking)
        ctx.sig_integrity_checked.connect(lambda: self.checking.setVisible(False))
        self.statusBar().addPermanentWidget(self.sync_status)
        self.user = user
        self.admin_window: AdminWindow | None = None
        self.ledger_window: LedgerWindow | None = None
        self.todo_window: TodoWindow | None = None
        self.requests_view: ExportRequestsView | None = None
        self._menus()
        self.panel.sig_resolve_conflict.connect(self.resolve_conflict)
        self.list_panel.sig_selected.connect(self.open_customer)
        self.panel.sig_open_customer.connect(self.open_customer)
        self.panel.sig_message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.panel.sig_change_opened.connect(
            lambda: self.todo_window.fetch() if self.todo_window else None
        )  # shown: asked again
        self.ctx.sig_changes.connect(self._data_changed)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(250)
        self._refresh_timer.timeout.connect(self._refresh)
        geometry.restore(self, self.ctx.settings, 1400, 860)
        self.set_role(role)
        self.refresh_summary()

    def set_form(self, form: FormDefinition) -> None:
        """A newer form is in force; the form widget rebuilds itself (``CustomerForm.set_form``)."""
        self.form = form

    # ---- menus -------------------------------------------------------------------------------
    def _action(self, menu: Any, text: str, slot: Callable[[], object], shortcut: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _menus(self) -> None:
        bar = self.menuBar()
        archive = bar.addMenu(_("&Archive"))
        self.act_new = self._action(archive, _("New customer"), self.new_customer, "Ctrl+N")
        archive.addSeparator()
        self.act_import = self._action(
            archive, _("Import from Excel…"), lambda: sheets_flow.choose_import(self.ctx, self)
        )
        self._action(
            archive,
            _("Export the list to Excel…"),
            self.export_list,
        )
        self.act_export_requests = self._action(archive, _("Export requests…"), self.show_export_requests)
        self._action(archive, _("Save an import template…"), lambda: sheets_flow.choose_template(self.ctx, self))
        self._action(archive, _("Monthly report…"), self.monthly_report)
        self._action(archive, _("Modification ledger…"), self.show_ledger)
        self._action(archive, _("To-do…"), self.show_todo)
        self._action(
            archive,
            _("Maintenance checks and spot audits…"),
            lambda: checks_view.show_checks(self.ctx, self, lambda: self.role),
        )
        self._action(archive, _("Public notice list…"), lambda: integrity_ui.choose_notice_list(self.ctx, self))
        self._action(
            archive, _("Overdue complaints…"), lambda: integrity_ui.show_overdue(self.ctx, self, self.open_customer)
        )
        self._action(
            archive,
            _("Visit plans and care dates…"),
            lambda: service_ui.show_reminders(self.ctx, self, self.open_customer),
        )
        self._action(archive, _("Satisfaction survey results…"), lambda: survey_results.show_results(self.ctx, self))
        archive.addSeparator()
        self._action(archive, _("Back up…"), lambda: sheets_flow.choose_backup(self.ctx, self))
        self._action(archive, _("Lock"), self.sig_lock_requested.emit, "Ctrl+L")
        self._action(archive, _("Quit"), self.close, "Ctrl+Q")
        customer = bar.addMenu(_("&Customer"))
        self._action(customer, _("Find"), self.list_panel.focus_search, "Ctrl+F")
        self.customer_actions = [  # need an open, saved customer
            self._action(customer, _("Add visit…"), lambda: self.panel.visits.new_visit()),
            self._action(customer, _("Record quarterly check"), lambda: self.panel.mark_checked("quarterly")),
            self._action(customer, _("Record half-yearly review"), lambda: self.panel.mark_checked("static")),
        ]
        self.closure = ClosureActions(  # 销户 / reopen: market managers and admins
            self.ctx,
            self,
            lambda text, slot: self._action(customer, text, slot),
            lambda: self.panel.customer,
            lambda m: self.statusBar().showMessage(m, 6000),
        )
        self.panel.sig_customer_changed.connect(self._customer_changed)
        self._customer_changed(self.panel.customer_id or "")
        sync = bar.addMenu(_("&Sync"))
        self.act_sync_now = self._action(sync, _("Sync now"), lambda: self.coordinator.sync(manual=True), "F5")
        self.act_sign_in = self._action(sync, _("Sign in…"), self.sign_in)
        self.act_sign_out = self._action(sync, _("Sign out"), self.sign_out)
        self._action(sync, _("Set a password with a code…"), self.redeem_code)
        tools = bar.addMenu(_("&Tools"))
        self._action(tools, _("Settings…"), self.show_settings)
        self._action(tools, _("Check the archive"), self.check_archive)
        self.act_admin = self._action(tools, _("Administration…"), self.show_admin)
        self.act_admin.setVisible(self.role is UserRole.ADMIN)
        help_menu = bar.addMenu(_("&Help"))
        self.act_about = self._action(help_menu, _("About FieldArchive"), self.show_about)
        self.menus = [archive, customer, sync, tools, help_menu]
        self._sync_state(SyncStatus(SyncState.LOCAL))

    def _customer_changed(self, customer_id: str) -> None:
        for action in self.customer_actions:
            action.setEnabled(bool(customer_id) and self.lock_screen is None)
        self.closure.update(self.role, self.lock_screen is None)
        self._set_title()

    def _set_title(self) -> None:
        """The window is titled by the customer open in it (its shop name, else its code), then the app."""
        title = _("FieldArchive · customer archive") + f" · {self.user}"
        if self.lock_screen is None and self.panel.stack.currentIndex() == 1:
            title = f"{self.panel.form_widget.display_title()} — {title}"
        self.setWindowTitle(title)

    def show_about(self) -> None:
        def show(v: dict[str, str]) -> None:
            text = _("FieldArchive {version}: the encrypted customer archive for field work.").format(version=v["app"])
            text += "\n" + _("Archive encryption: SQLCipher {version}").format(version=v["sqlcipher"] or "?")
            self.about_box = info(self, text)
            self.about_box.setWindowTitle(_("About FieldArchive"))
            self.about_box.setIconPixmap(self.windowIcon().pixmap(64, 64))

        maintenance_ops.versions(self.ctx, self).success(show).run()

    def redeem_code(self) -> None:
        self.code_dialog = CodeDialog(self.ctx, self)
        self.code_dialog.open()

    def show_admin(self) -> AdminWindow:
        """The administration area (admins only): one window, raised again when already open."""
        if self.admin_window is None:
            self.admin_window = AdminWindow(self.ctx, self)
        self.admin_window.show()
        self.admin_window.raise_()
        return self.admin_window

    def show_export_requests(self) -> ExportRequestsView:
        """Export requests (Archive → Export requests…): one's own, a market manager's team's, an admin's all;
        asked from the server each time it is shown."""
        if self.requests_view is None:
            self.requests_view = ExportRequestsView(self.ctx, self)
        self.requests_view.show()
        self.requests_view.raise_()
        self.requests_view.refresh()
        return self.requests_view

    def monthly_report(self) -> None:
        self.report_dialog = report_flow.choose_monthly_report(self.ctx, self, times.today())

    def show_todo(self) -> None:
        """The onboarding steps waiting for the user (待办): one window, asked of the server each time."""
        if self.todo_window is None:
            self.todo_window = TodoWindow(self.ctx, self)
        self.todo_window.show()
        self.todo_window.raise_()
        self.todo_window.fetch()

    def show_ledger(self) -> None:
        """The modification ledger (客户信息修改台帐): one window, raised again when already open."""
        if self.ledger_window is None:
            self.ledger_window = LedgerWindow(self.ctx, self)
        self.ledger_window.show()
        self.ledger_window.raise_()

    # ---- customers ---------------------------------------------------------------------------
    def open_customer(self, customer_id: str) -> None:
        if customer_id == self.panel.customer_id:
            return

        def proceed() -> None:
            record_ops.open_customer(self.ctx, self, customer_id).success(self._show_customer).run()

        self.panel.confirm_leave(proceed)

    def _show_customer(self, customer: Any) -> None:
        if customer is None:
            return
        self.panel.show_customer(customer)
        self.list_panel.select(customer.id)

    def new_customer(self) -> None:
        """Ctrl+N: an empty form, from its top, with the cursor in its first field."""

        def show() -> None:
            self.tabs.setCurrentIndex(0)
            self.panel.show_customer(None)
            self.panel.tabs.setCurrentWidget(self.panel.form_widget)
            self.panel.form_widget.focus_first()

        self.panel.confirm_leave(show)

    def restore_autosave(self, customer: Any, raw: dict[str, Any], key: str) -> None:
        self.panel.show_customer(customer, raw, key)

    def _data_changed(self, changes: Changes) -> None:
        """An operation changed stored data: refresh the list, the counts and the review tab (soon, once
        for many changes), and the open customer: from the copy the operation carries, else read it."""
        if changes.lists or changes.counts:
            self._refresh_timer.start()
        open_id = self.panel.customer_id
        if open_id and changes.touches(open_id) and not self.panel.form_widget.is_dirty():
            stored = changes.stored_copy(open_id)
            if stored is not None:
                self._refresh_open(stored)
            else:
                record_ops.load_customer(self.ctx, self, open_id).success(self._refresh_open).run()

    def _refresh_open(self, customer: Any) -> None:
        """Show what a sync (or another window) stored, unless the person is in the middle of editing."""
        if customer is not None and customer.id == self.panel.customer_id and not self.panel.form_widget.is_dirty():
            shown = self.panel.form_widget.customer
            assert shown is not None  # the panel shows this customer (customer_id above)
            if customer.updated_at != shown.updated_at or customer.sync_state != shown.sync_state:
                self.panel.show_customer(customer)

    def _refresh(self) -> None:
        self.list_panel.model.refresh()
        self.refresh_summary()
        if self.tabs.isTabVisible(self.review_tab):
            self.review.refresh()
        if self.tabs.currentIndex() == self.dashboard_tab:
            self.dashboard.refresh()

    # ---- roles, review and statistics --------------------------------------------------------
    def set_role(self, role: UserRole) -> None:
        """What a person sees follows the role the server gave them: market managers review."""
        self.role = role
        self.panel.set_role(role)
        reviewer = role in (UserRole.SUPERVISOR, UserRole.ADMIN)
        writer = role is not UserRole.VIEWER  # a territory viewer reads reports; the server refuses its writes
        for action in (self.act_new, self.act_import, *self.customer_actions):
            action.setVisible(writer)
        self.act_admin.setVisible(role is UserRole.ADMIN)
        self.closure.update(role, self.lock_screen is None)
        if role is not UserRole.ADMIN and self.admin_window is not None:
            self.admin_window.close()
        if role is not UserRole.ADMIN:
            self.alert_notice.show_count(0)
        self.tabs.setTabVisible(self.review_tab, reviewer)
        self.list_panel.show_people(reviewer)
        if reviewer:
            self.review.refresh()

    def _tab_changed(self, index: int) -> None:
        if index == self.review_tab:
            self.review.refresh()
        elif index == self.dashboard_tab:
            self.dashboard.refresh()

    def _review_count(self, waiting: int, overdue: int) -> None:
        text = _("Review") + (f" ({waiting})" if waiting else "")
        self.tabs.setTabText(self.review_tab, text)
        self.tabs.tabBar().setTabTextColor(
            self.review_tab, Qt.GlobalColor.red if overdue else self.tabs.tabBar().palette().windowText().color()
        )

    def _open_from_review(self, customer_id: str) -> None:
        self.tabs.setCurrentIndex(0)
        self.open_customer(customer_id)

    def export_list(self) -> None:
        """Export the list as shown: every customer of its query, also while the rest of its keys is still
        on its way (the model holds the first page only until then)."""
        model = self.list_panel.model
        if model.complete:
            sheets_flow.choose_export(self.ctx, self, list(model.pks))
        else:
            listing_ops.customer_keys(self.ctx, model.query, self).success(
                lambda pks: sheets_flow.choose_export(self.ctx, self, pks or [])
            ).run()

    def refresh_summary(self) -> None:
        listing_ops.summary(self.ctx, self).success(self._show_summary).failure(lambda _e: None).run()

    def _show_summary(self, s: Summary) -> None:
        self.summary.setText(
            ngettext(
                "{total} customer · {drafts} · {pending} pending review · {returned} returned · "
                "{overdue} overdue or due",
                "{total} customers · {drafts} · {pending} pending review · {returned} returned · "
                "{overdue} overdue or due",
                s.total,
            ).format(
                total=s.total,
                drafts=ngettext("{n} draft", "{n} drafts", s.drafts).format(n=s.drafts),
                pending=s.pending,
                returned=s.returned,
                overdue=s.overdue,
            )
            + (" · " + ngettext("{n} closed", "{n} closed", s.closed).format(n=s.closed) if s.closed else "")
        )

    # ---- sync --------------------------------------------------------------------------------
    def mark_demo(self) -> None:
        """A demo archive (``--demo``, app.services.demo): said in the title and, all the time, in the
        status bar; nothing of sync can be used (the services refuse it as well)."""
        if self.demo:
            return
        self.demo = True
        self.coordinator.stop()
        self.setWindowTitle(self.windowTitle() + " · " + _("DEMO DATA"))
        self.demo_label = QLabel(_("Demo data: generated customers, never synced"), self)
        self.demo_label.setStyleSheet(f"color: {WARNING}; font-weight: bold;")
        self.statusBar().addPermanentWidget(self.demo_label)
        self.sync_status.label.setText(_("Demo archive: not synced"))
        for button in (self.sync_status.sync_now, self.sync_status.sign_in, self.sync_status.cancel):
            button.setVisible(False)
        self._sync_state(SyncStatus(SyncState.LOCAL))

    def _sync_state(self, status: SyncStatus) -> None:
        state = self._last_sync_state = status.state
        signed_in, syncing = state.signed_in, state is SyncState.SYNCING
        unlocked = self.lock_screen is None and not self.demo
        self.act_sync_now.setEnabled(unlocked and signed_in and not syncing)
        self.act_sign_in.setEnabled(unlocked and not signed_in)
        self.act_sign_out.setEnabled(unlocked and signed_in and not syncing)

    def sign_in(self) -> None:
        if self.ctx.session is None:  # locked: the button and the menu are disabled; a queued click does nothing
            return
        if self.demo:
            info(self, _("This is the demo archive (generated customers): it is never synced."))
            return

        def show(status: dict[str, Any]) -> None:
            bound = status.get("bound")
            dialog = SignInDialog(self.ctx, self, user=bound[1] if bound else "")
            if bound:
                dialog.server.setText(bound[0])
            dialog.sig_signed_in.connect(self._signed_in)
            dialog.open()
            dialog.password.setFocus() if bound else dialog.user.setFocus()

        sync_ops.status(self.ctx, self).success(show).run()

    def _signed_in(self, result: tuple[RemoteUser, bool]) -> None:
        user, persists = result
        if user.role != self.role:
            self.set_role(user.role)
        self.coordinator.signed_in = True
        message = _("Signed in as {name}.").format(name=user.display_name or user.name)
        if not persists:
            message += " " + _(
                "This computer has no secure key store; you will be asked to sign in again after FieldArchive restarts."
            )
        self.statusBar().showMessage(message, 10000)
        self.coordinator.sync(manual=True)

    def sign_out(self) -> None:
        def ask(status: dict[str, Any]) -> None:
            waiting = status.get("outbox", 0)
            text = _("Sign out of the server?")
            if waiting:
                text += "\n" + ngettext(
                    "{n} change has not been sent yet. It stays in this archive and is sent after you sign in again.",
                    "{n} changes have not been sent yet. They stay in this archive and are sent "
                    "after you sign in again.",
                    waiting,
                ).format(n=waiting)
            box = QMessageBox(
                QMessageBox.Icon.Question,
                _("Sign out"),
                text,
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                self,
            )
            box.button(QMessageBox.StandardButton.Yes).setText(_("Sign out"))
            box.finished.connect(lambda r: self._sign_out() if r == QMessageBox.StandardButton.Yes else None)
            box.open()

        sync_ops.status(self.ctx, self).success(ask).run()

    def _sign_out(self) -> None:
        self.coordinator.stop()
        self.coordinator.signed_in = False

        def done(_r: Any) -> None:
            self.coordinator.sig_state.emit(SyncStatus(SyncState.SIGNED_OUT))
            self.statusBar().showMessage(_("Signed out. The archive stays on this computer."), 8000)

        sync_ops.sign_out(self.ctx, self).success(done).run()

    def resolve_conflict(self, record_id: str) -> None:
        def show(found: Any) -> None:
            if not found:
                self.statusBar().showMessage(_("This conflict was already resolved."), 6000)
                self._data_changed(Changes.ids([record_id]))
                return
            fields, _server = found
            dialog = ConflictDialog(self.ctx, self.form, record_id, fields, self)
            dialog.sig_resolved.connect(
                lambda _rid: self.statusBar().showMessage(_("Your choice is kept and sent at the next sync."), 8000)
            )
            dialog.sig_resolved.connect(lambda _rid: self.coordinator.after_save.start())
            dialog.open()

        sync_ops.conflict(self.ctx, self, record_id).success(show).run()

    # ---- tools -------------------------------------------------------------------------------
    def show_settings(self) -> None:
        dialog = SettingsDialog(self.ctx.settings, self)
        dialog.accepted.connect(self.sig_settings_changed.emit)
        dialog.open()

    def check_archive(self) -> None:
        def done(check: ArchiveCheck) -> None:
            if check.problems:
                info(self, _("The archive has problems:") + "\n" + "\n".join(check.problems[:10]))
            else:
                info(self, _("The archive is intact: integrity and audit trail verified."))

        maintenance_ops.check_archive(self.ctx, self).success(done).run()

    # ---- locking and closing -----------------------------------------------------------------
    def show_locked(self, screen: QWidget) -> None:
        """Hide everything of the archive behind ``screen``."""
        self.lock_screen = screen
        self.central.addWidget(screen)
        self.central.setCurrentWidget(screen)
        for menu in self.menus:  # the menus and every action in them: their shortcuts too
            menu.setEnabled(False)
            for action in menu.actions():
                action.setEnabled(False)
        self.sync_status.setEnabled(False)
        self._customer_changed("")
        self.summary.clear()
        self.review.clear()
        self.dashboard.clear()
        if self.requests_view is not None:  # the people's names and reasons stay behind the lock too
            self.requests_view.close()

    def show_unlocked(self) -> None:
        if self.lock_screen is not None:
            self.central.removeWidget(self.lock_screen)
            self.lock_screen.deleteLater()
            self.lock_screen = None
        self.central.setCurrentIndex(0)
        for menu in self.menus:
            menu.setEnabled(True)
            for action in menu.actions():
                action.setEnabled(True)
        self.sync_status.setEnabled(True)
        self._sync_state(SyncStatus(getattr(self, "_last_sync_state", SyncState.LOCAL)))
        self._customer_changed(self.panel.customer_id or "")
        self._tab_changed(self.tabs.currentIndex())

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.lock_screen is None and self.panel.is_dirty():
            event.ignore()
            self.panel.confirm_leave(self.sig_close_requested.emit)
            return
        event.accept()
        self.list_panel.save_columns()
        geometry.remember(self, self.ctx.settings)
        self.sig_close_requested.emit()

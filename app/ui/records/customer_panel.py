"""One customer: the customer's signature and the printable copy (打印档案…) above the tabs of the archive
form, its visits, its history, its integrity grade and archive, its service records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext
from app.models.catalogue import FormDefinition
from app.models.record import Customer
from app.models.wire import UserRole
from app.services.change_requests import Opened
from app.ui.change_request_dialog import ChangeRequestDialog, opened_text
from app.ui.context import UiContext
from app.ui.ops import printing as print_ops
from app.ui.ops import records as record_ops
from app.ui.records import todo
from app.ui.records.access import AccessView
from app.ui.records.credit import CreditView
from app.ui.records.form import CustomerForm
from app.ui.records.history import HistoryView
from app.ui.records.integrity import IntegrityView
from app.ui.records.lazy_tab import LazyTab
from app.ui.records.service import ServiceView
from app.ui.records.signature import SignatureBox
from app.ui.records.visits import VisitsView
from app.ui.style import tab_pages


class _OnPage:
    """An attribute of the customer's page: reading it builds the page first (``CustomerPanel.build_page``),
    which then keeps the attribute in the panel's own ``__dict__``, found before this from then on."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, panel: CustomerPanel | None, owner: type | None = None) -> Any:
        if panel is None:
            return self
        panel.build_page()
        return panel.__dict__[self.name]


def _on_page() -> Any:
    return _OnPage()


class CustomerPanel(QWidget):
    sig_open_customer = Signal(str)
    sig_message = Signal(str)
    sig_customer_changed = Signal(str)  # the saved customer shown ("" = none)
    sig_resolve_conflict = Signal(str)  # the form's "resolve the conflict" link
    sig_change_opened = Signal()  # a change request was opened on the server (the 待办 is asked again)
    # the page's parts (build_page)
    signature: SignatureBox = _on_page()
    change_button: QPushButton = _on_page()
    print_button: QPushButton = _on_page()
    tabs: QTabWidget = _on_page()
    form_widget: CustomerForm = _on_page()
    visits: VisitsView = _on_page()
    history: HistoryView = _on_page()
    credit: CreditView = _on_page()
    credit_tab: int = _on_page()
    integrity: IntegrityView = _on_page()
    integrity_tab: int = _on_page()
    service: ServiceView = _on_page()
    service_tab: int = _on_page()
    access: AccessView = _on_page()
    access_tab: int = _on_page()
    lazy_tabs: dict[int, LazyTab] = _on_page()

    def __init__(
        self, ctx: UiContext, form: FormDefinition, role: UserRole = UserRole.COLLECTOR, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.role, self._form = ctx, role, form
        self._page_built = False
        # from the top down, each widget made with the parent it keeps (style.tab_pages): nothing built is moved
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget(self)
        layout.addWidget(self.stack)
        empty = QLabel(_("Choose a customer on the left, or create a new one (Ctrl+N)."), self.stack)
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setProperty("role", "empty")
        self.stack.addWidget(empty)

    def build_after(self, shown: SignalInstance) -> None:
        """Build the page just after ``shown`` (the list's first page painted), or after 1.5 s if it never
        comes; whatever uses the page before builds it then."""

        def soon() -> None:
            shown.disconnect(soon)
            QTimer.singleShot(100, self, self.build_page)  # the list's paint first

        shown.connect(soon)
        QTimer.singleShot(1500, self, self.build_page)

    def build_page(self) -> None:
        """The customer's page (the signature, the buttons and the tabs: the archive form with its editors, the
        visits, the history…), built when first used, not with the window: the window and its list are shown
        after the unlock without it (issue 21: it was 0.4–0.7 s of the unlock, and no customer is open then).
        The main window builds it once the list is painted; any use of one of its parts builds it before."""
        if self._page_built:
            return
        self._page_built = True
        form = self.ctx.form or self._form  # the form in force now (a sync may have brought a newer one)
        page = QWidget(self.stack)
        self.stack.addWidget(page)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 8, 0)
        page_layout.addLayout(top)
        self.signature = SignatureBox(self.ctx, form, page)
        self.signature.sig_message.connect(self.sig_message)
        self.change_button = QPushButton(_("Change request…"), page)
        self.change_button.setToolTip(
            _("A change request to the department that owns the fields (county, city, emergency or your own).")
        )
        self.change_button.clicked.connect(self.request_change)
        self.print_button = QPushButton(_("Print…"), page)
        self.print_button.setToolTip(
            _("The customer's archive as a PDF to print or hand over: basic information, consent and signature.")
        )
        self.print_button.clicked.connect(self.print_archive)
        top.addWidget(self.signature, 1)
        top.addWidget(self.change_button)
        top.addWidget(self.print_button)
        self.tabs = QTabWidget(page)
        page_layout.addWidget(self.tabs, 1)
        pages = tab_pages(self.tabs)
        self.form_widget = CustomerForm(self.ctx, form, self.role, pages)
        self.tabs.addTab(self.form_widget, _("Archive"))
        self.visits = VisitsView(self.ctx, pages)
        self.tabs.addTab(self.visits, _("Visits"))
        self.history = HistoryView(self.ctx, form, pages)
        self.tabs.addTab(self.history, _("History"))
        self.credit = CreditView(self.ctx, pages)
        self.credit_tab = self.tabs.addTab(self.credit, _("Integrity grade"))
        self.integrity = IntegrityView(self.ctx, pages)
        self.integrity_tab = self.tabs.addTab(self.integrity, _("Integrity archive"))
        self.integrity.sig_message.connect(self.sig_message)
        self.service = ServiceView(self.ctx, pages)
        self.service_tab = self.tabs.addTab(self.service, _("Service records"))
        self.service.sig_message.connect(self.sig_message)
        self.visits.sig_added.connect(self._visit_added)
        self.access = AccessView(self.ctx, pages)
        self.access_tab = self.tabs.addTab(self.access, _("Access log"))
        # the tabs that read only when in view (a Submit or a save stays cheap), by their index
        self.lazy_tabs = {
            self.credit_tab: self.credit,
            self.integrity_tab: self.integrity,
            self.service_tab: self.service,
            self.access_tab: self.access,
        }
        self.tabs.currentChanged.connect(self._tab_shown)
        self.set_role(self.role)
        self.form_widget.sig_open_customer.connect(self.sig_open_customer)
        self.form_widget.sig_message.connect(self.sig_message)
        self.form_widget.sig_saved.connect(self._saved)
        self.form_widget.sig_resolve_conflict.connect(self.sig_resolve_conflict)

    @property
    def customer(self) -> Customer | None:
        """The saved customer shown (None: none, a new one, or the page not built yet)."""
        return self.form_widget.customer if self._page_built else None

    @property
    def customer_id(self) -> str | None:
        c = self.customer
        return c.id if c else None

    def show_customer(
        self, customer: Customer | None, raw: dict[str, Any] | None = None, autosave_key: str = ""
    ) -> None:
        self.build_page()
        self.stack.setCurrentIndex(1)
        self.form_widget.load(customer, raw, autosave_key)
        self._refresh_side_tabs(customer.id if customer else "")

    def clear(self) -> None:
        self.stack.setCurrentIndex(0)
        self.sig_customer_changed.emit("")

    def _saved(self, customer_id: str) -> None:
        """A save adds to the customer's history; its visits change only with a visit (its own operation)."""
        self._refresh_side_tabs(customer_id, visits=self.visits.customer_id != customer_id)

    def _visit_added(self, _visit: object) -> None:
        """A visit may have closed a visit plan: the service records are read again when in view."""
        self.service.hold(self.customer_id)
        self._tab_shown(self.tabs.currentIndex())

    def _tab_shown(self, index: int) -> None:
        tab = self.lazy_tabs.get(index)
        if tab is not None:
            tab.fetch()

    def _refresh_side_tabs(self, customer_id: str, visits: bool = True) -> None:
        if visits:
            self.visits.load(customer_id or None)
        self.history.load(customer_id or None)
        self.tabs.setTabEnabled(1, bool(customer_id))
        self.tabs.setTabEnabled(2, bool(customer_id))
        for index, tab in self.lazy_tabs.items():
            tab.hold(customer_id or None)
            self.tabs.setTabEnabled(index, bool(customer_id))
        self._tab_shown(self.tabs.currentIndex())
        if visits or self.signature.customer_id != customer_id:
            self.signature.load(customer_id or None)
        else:  # after a save of the same customer: a changed signed field outdates a signature it has
            self.signature.refresh()
        self.print_button.setEnabled(bool(customer_id))
        self._change_button_state(customer_id)
        self.sig_customer_changed.emit(customer_id or "")

    def _change_button_state(self, customer_id: str) -> None:
        """申请修改… only for a customer approved once (an official code): before that it changes in review,
        and the server would refuse the request (``change.not_onboarded``) after the user had filled it in."""
        c = self.form_widget.customer
        onboarded = bool(customer_id) and c is not None and c.id == customer_id and c.code_official
        self.change_button.setEnabled(onboarded)
        self.change_button.setToolTip(
            _("A change request to the department that owns the fields (county, city, emergency or your own).")
            if onboarded or not customer_id
            else _("This customer is not approved yet: change it in the form and its review, no change request needed.")
        )

    def is_dirty(self) -> bool:
        """Unsaved changes in the form."""
        return self._page_built and self.form_widget.is_dirty()

    def set_role(self, role: UserRole) -> None:
        """The form follows the role; the access log is for market managers and admins (the server refuses
        collectors anyway); a territory viewer reads only, so the page offers it no button that writes (the
        server refuses it)."""
        self.role = role
        if not self._page_built:
            return  # the page takes the role when it is built
        self.form_widget.set_role(role)
        self.tabs.setTabVisible(self.access_tab, role in (UserRole.SUPERVISOR, UserRole.ADMIN))
        for button in self.writing_buttons():
            button.setVisible(role is not UserRole.VIEWER)

    def writing_buttons(self) -> tuple[QPushButton, ...]:
        """The page's buttons that write a record: the form's Save and Submit, a change request, and those of its
        tabs."""
        i, s = self.integrity, self.service
        return (
            self.form_widget.save_button,
            self.form_widget.submit_button,
            self.signature.sign_button,
            self.change_button,
            self.visits.add,
            i.add_entry,
            i.add_complaint,
            i.step,
            s.add_plan,
            s.add_care,
            s.add_survey,
            s.add_observation,
            s.step,
        )

    def mark_checked(self, kind: str) -> None:
        cid = self.customer_id
        if cid:

            def recorded(_n: int) -> None:
                self.sig_message.emit(_("Check recorded."))
                self.history.load(cid)

            record_ops.mark_checked(self.ctx, self, cid, kind).success(recorded).run()

    def request_change(self) -> ChangeRequestDialog | None:
        """The change request dialog for the customer shown (as saved); None when none is shown."""
        customer = self.form_widget.customer
        if customer is None:
            return None

        def opened(result: Opened) -> None:
            self.sig_message.emit(opened_text(result))
            self.sig_change_opened.emit()

        dialog = ChangeRequestDialog(self.ctx, self.form_widget.form, customer, self.role, self, opened)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def print_archive(self) -> None:
        """Ask where to save the PDF (unsaved changes first saved or discarded: the copy shows what is saved)."""
        self.confirm_leave(self._choose_pdf)

    def _choose_pdf(self) -> None:
        customer = self.form_widget.customer
        if customer is None:
            return
        suggested = str(Path(self.ctx.settings.last_export_dir or "") / f"{customer.code or customer.id}.pdf")
        name, _filter = QFileDialog.getSaveFileName(self, _("Print the archive to PDF"), suggested, "PDF (*.pdf)")
        if not name:
            return
        target = Path(name if name.lower().endswith(".pdf") else name + ".pdf")

        def done(pages: int) -> None:
            self.sig_message.emit(
                ngettext(
                    "The archive was written to {file}: {n} page.",
                    "The archive was written to {file}: {n} pages.",
                    pages,
                ).format(file=target.name, n=pages)
            )

        self.print_dialog = print_ops.print_customer(self.ctx, self, customer.id, target, done=done)

    def confirm_leave(self, proceed: Callable[[], None]) -> None:
        """Ask before unsaved changes would be lost: save, discard, or stay."""
        if not self.is_dirty():
            proceed()
            return
        changed, invalid = self.form_widget.unsaved()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Unsaved changes"),
            todo.unsaved_text(changed, invalid),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        self.leave_box = box  # what it says can be read (tests, accessibility)

        def answered(result: int) -> None:
            if result == QMessageBox.StandardButton.Save:
                self.form_widget.save(then=proceed)
            elif result == QMessageBox.StandardButton.Discard:
                self.form_widget.discard_changes()
                proceed()

        box.finished.connect(answered)
        box.open()

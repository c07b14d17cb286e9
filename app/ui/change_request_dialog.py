"""Opening a change request from a customer's page (申请修改…, issue 17; app.services.change_requests): the path
the user's role may open, the fields that path may change (each with the department that owns it, to whom
the request goes), their new values in the form's own editors checked with the catalogue's validators before
anything is sent (the form's messages under each field), a reason, and for an emergency request the phone
call of its first step. Sent on the network pool; every refusal is said in the dialog, and the new request
then waits in the 待办 of whoever does its next step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _, current_language
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.owners import field_owner
from app.models.record import Customer
from app.models.wire import UserRole
from app.services import change_requests as service
from app.services.changes import path_text
from app.services.onboarding import owner_text
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import onboarding as ops
from app.ui.records.editors import FieldEditor, make_editor
from app.ui.records.form_rows import department_text
from app.ui.step_note import NoticeBox
from app.ui.style import ERROR


class ChangeRequestDialog(QDialog):
    """The request for ``customer``; ``opened`` is called with the request once the server opened it."""

    def __init__(
        self,
        ctx: UiContext,
        form: FormDefinition,
        customer: Customer,
        role: UserRole,
        parent: QWidget | None = None,
        opened: Callable[[service.Opened], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.form, self.customer, self.on_opened = ctx, form, customer, opened
        self.lang = current_language()
        self.editors: dict[str, FieldEditor] = {}
        self.errors: dict[str, QLabel] = {}
        self.rows: dict[str, list[QWidget]] = {}
        self.result_case: service.Opened | None = None
        self.setWindowTitle(_("Request a change"))
        layout = QVBoxLayout(self)
        name = " ".join(x for x in (customer.code, str(customer.values.get("shop_name") or "")) if x)
        layout.addWidget(QLabel(_("Customer: {name}").format(name=name or customer.id)))
        top = QFormLayout()
        self.path = QComboBox()
        for p in service.paths_for(role):
            self.path.addItem(path_text(p), p)
        self.path.currentIndexChanged.connect(self._path_changed)
        top.addRow(_("Path"), self.path)
        pick = QHBoxLayout()
        self.field = QComboBox()
        self.field.setMinimumWidth(320)
        self.add_button = QPushButton(_("Add the field"))
        self.add_button.clicked.connect(lambda: self.add_field(str(self.field.currentData() or "")))
        pick.addWidget(self.field, 1)
        pick.addWidget(self.add_button)
        top.addRow(_("Field"), pick)
        layout.addLayout(top)
        self.grid = QGridLayout()
        layout.addLayout(self.grid)
        self.owner = QLabel("")
        layout.addWidget(self.owner)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(_("Why the change is needed (required)"))
        self.note.setMaximumHeight(70)
        layout.addWidget(QLabel(_("Reason")))
        layout.addWidget(self.note)
        self.phone = NoticeBox(_("The phone call to the county marketing department (emergency, 市场部)"))
        self.phone.setToolTip(_("Left empty, the request's first step waits in the to-do list of 市场部."))
        layout.addWidget(self.phone)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR}")
        layout.addWidget(self.message)
        layout.addStretch(1)  # the free space below the request, not between its rows
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.send_button = QPushButton(_("Send the request"))
        self.send_button.clicked.connect(self.send)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.send_button)
        layout.addLayout(buttons)
        self._path_changed()
        self.resize(720, 560)

    def current_path(self) -> str:
        return str(self.path.currentData() or "")

    def set_path(self, path: str) -> None:
        self.path.setCurrentIndex(max(0, self.path.findData(path)))

    def _path_changed(self, _index: int = 0) -> None:
        """The fields of the chosen path; fields it may not change are taken off."""
        allowed = service.fields_for(self.form, self.current_path())
        self.field.clear()
        for key in allowed:
            spec = self.form[key]
            self.field.addItem(f"{spec.label(self.lang)} · {department_text(field_owner(self.form, key))}", key)
        for key in [k for k in self.editors if k not in allowed]:
            self.remove_field(key)
        self.phone.setVisible(self.current_path() == "emergency")
        self.send_button.setEnabled(self.path.count() > 0)
        self._show_owner()

    def add_field(self, key: str) -> FieldEditor | None:
        """A row for ``key``'s new value (its current value to start from); None when the path may not change it."""
        if key in self.editors:
            return self.editors[key]
        if key not in service.fields_for(self.form, self.current_path()):
            return None
        spec = self.form[key]
        row = self.grid.rowCount()
        editor = make_editor(spec, self)
        editor.set_value(self.customer.values.get(key))
        error = QLabel("")
        error.setStyleSheet(f"color: {ERROR}")
        error.setWordWrap(True)
        remove = QPushButton(_("Remove"))
        remove.clicked.connect(lambda: self.remove_field(key))
        label, owner = QLabel(spec.label(self.lang)), QLabel(department_text(field_owner(self.form, key)))
        for column, w in enumerate((label, owner, editor, remove)):
            self.grid.addWidget(w, row, column)
        self.grid.addWidget(error, row + 1, 2, 1, 2)
        self.editors[key], self.errors[key], self.rows[key] = editor, error, [label, owner, editor, remove, error]
        self._show_owner()
        return editor

    def remove_field(self, key: str) -> None:
        self.editors.pop(key, None)
        self.errors.pop(key, None)
        for w in self.rows.pop(key, []):
            self.grid.removeWidget(w)
            w.deleteLater()
        self._show_owner()

    def _show_owner(self) -> None:
        keys = list(self.editors)
        owner = service.owner_of(self.form, keys) if keys else None
        if not keys:
            self.owner.setText(_("Choose the fields to change."))
        elif owner is None:
            self.owner.setText(_("The fields belong to several departments: send one request per department."))
        else:
            self.owner.setText(_("The change goes to: {department}").format(department=department_text(owner)))

    def checked(self) -> dict[str, Any] | None:
        """The new values checked as the form checks them, or None with each problem shown under its field."""
        raw = {key: editor.raw() for key, editor in self.editors.items()}
        values, problems = service.check(self.form, self.customer.values, raw, times.today(), self.lang)
        for key, label in self.errors.items():
            label.setText(problems.get(key, ""))
            self.editors[key].set_invalid(key in problems)
        if problems:
            first = next(iter(problems.values()))
            self.message.setText(_("Correct the new values first: {problem}").format(problem=first))
            return None
        return values

    def send(self) -> None:
        self.message.setText("")
        if not self.editors:
            self.message.setText(_(service.NOTHING))
            return
        if self.customer.sync_state == "local":
            self.message.setText(_(service.NOT_ON_SERVER))
            return
        if not self.customer.code_official:
            self.message.setText(_(service.REFUSALS["change.not_onboarded"]))
            return
        values = self.checked()
        if values is None:
            return
        note = self.note.toPlainText().strip()
        if not note:
            self.message.setText(_("Say why the change is needed."))
            return
        notice = self.phone.notice() if self.current_path() == "emergency" else None
        phone = notice if notice is not None and (notice.party.strip() or notice.outcome.strip()) else None
        path, form, record = self.current_path(), self.form, self.customer.id
        self.send_button.setEnabled(False)
        self.message.setText(_("Asking the server…"))

        def call(client: Any) -> service.Opened:
            return service.open_request(client, form, record, path, values, note, phone)

        ops.open_change(self.ctx, self, call, self._opened, self._refused)

    def _opened(self, result: service.Opened) -> None:
        self.result_case = result
        self.send_button.setEnabled(True)
        self.message.setText("")
        if self.on_opened is not None:
            self.on_opened(result)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.send_button.setEnabled(True)
        if isinstance(exc, UserFacingError):
            self.message.setText(exc.message())
        else:
            self.message.setText("")
            show_exception(self, exc)


def opened_text(result: service.Opened) -> str:
    """What the status bar says once the server opened the request."""
    case = result.case
    steps = case.steps[1:] if result.first_step_done else case.steps
    who = owner_text(steps[0]) if steps else ""
    if steps and steps[0].owner.startswith("department:") and not steps[0].owner_name:
        who = department_text(steps[0].owner.split(":", 1)[1])
    text = _("Change request opened ({path}); its next step waits in the to-do list of: {who}.").format(
        path=path_text(case.path), who=who
    )
    if result.step_refusal:
        text += " " + _("The phone call was not recorded: {reason}").format(reason=result.step_refusal)
    return text

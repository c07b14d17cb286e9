"""The customer's integrity archive (诚信档案, F3 L165–181): its dated entries and its complaints (投诉),
each with what the server said of it; new entries, complaints and complaint steps; the export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import N_, _, ngettext, translate
from app.models import times
from app.models.catalogue import FieldSpec, FieldType
from app.models.integrity import Complaint, IntegrityEntry, OverdueComplaint
from app.models.remote import NoticeList
from app.ui import values
from app.ui.context import UiContext
from app.ui.errors import info, show_exception
from app.ui.ops import integrity as ops
from app.ui.records.lazy_tab import LazyTab
from app.ui.records.photos import PhotoEditor
from app.validation import integrity as rules

STATE = {"pending": N_("waiting to be sent"), "synced": N_("on the server"), "refused": N_("refused by the server")}
ACTION_LABELS = {
    "assign": N_("Assign"),
    "handle": N_("Record the handling"),
    "answer": N_("Record the answer"),
    "close": N_("Close with the response"),
}


def choice_combo(parent: QWidget, labels: dict[str, str]) -> QComboBox:
    box = QComboBox(parent)
    for key, msgid in labels.items():
        box.addItem(translate(msgid), key)
    return box


def _date(parent: QWidget) -> QDateEdit:
    edit = QDateEdit(values.today(), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMaximumDate(values.today())
    return edit


class RecordDialog(QDialog):
    """A small entry dialog: its form, the error line, Save (``save``, the dialog's own) and Cancel."""

    sig_done = Signal(object)

    def __init__(self, ctx: UiContext, title: str, save: Callable[[], None], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def done_with(self, value: object) -> None:
        self.sig_done.emit(value)
        self.accept()

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, UserFacingError):
            self.error.setText(exc.message())
        else:
            show_exception(self, exc)


class EntryDialog(RecordDialog):
    def __init__(self, ctx: UiContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("New integrity entry"), self.save, parent)
        self.customer_id = customer_id
        self.date = _date(self)
        self.kind = choice_combo(self, rules.KIND_LABELS)
        self.source = choice_combo(self, rules.SOURCE_LABELS)
        self.text = QPlainTextEdit(self)
        self.handling = QPlainTextEdit(self)
        self.handling.setPlaceholderText(_("How it was handled (for a violation or a complaint)"))
        spec = FieldSpec("integrity_photos", "integrity", "附件", "Attachments", FieldType.PHOTO)
        self.photos = PhotoEditor(spec, self, ctx)
        self.form.addRow(_("Date"), self.date)
        self.form.addRow(_("Kind"), self.kind)
        self.form.addRow(_("Source"), self.source)
        self.form.addRow(_("What happened"), self.text)
        self.form.addRow(_("Handling"), self.handling)
        self.form.addRow(_("Attachments"), self.photos)
        self.resize(560, 560)

    def save(self) -> None:
        ops.add_entry(
            self.ctx,
            self,
            self.customer_id,
            self.kind.currentData(),
            self.source.currentData(),
            self.date.date().toString("yyyy-MM-dd"),
            self.text.toPlainText(),
            self.handling.toPlainText(),
            self.photos.raw(),
        ).success(self.done_with).failure(self.failed).run()


class ComplaintDialog(RecordDialog):
    def __init__(self, ctx: UiContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("New complaint"), self.save, parent)
        self.customer_id = customer_id
        self.date = _date(self)
        self.channel = choice_combo(self, rules.CHANNEL_LABELS)
        self.content = QPlainTextEdit(self)
        self.name = QLineEdit(self)
        self.phone = QLineEdit(self)
        note = QLabel(_("The complainant is kept apart from the outlet's data and shown masked in lists."), self)
        note.setWordWrap(True)
        self.form.addRow(_("Received on"), self.date)
        self.form.addRow(_("Channel"), self.channel)
        self.form.addRow(_("Complaint"), self.content)
        self.form.addRow(_("Complainant"), self.name)
        self.form.addRow(_("Phone"), self.phone)
        self.form.addRow(note)
        self.resize(520, 420)

    def save(self) -> None:
        ops.open_complaint(
            self.ctx,
            self,
            self.customer_id,
            self.channel.currentData(),
            self.date.date().toString("yyyy-MM-dd"),
            self.content.toPlainText(),
            self.name.text(),
            self.phone.text(),
        ).success(self.done_with).failure(self.failed).run()


class StepDialog(RecordDialog):
    """The next step of a complaint: only the steps its present state allows are offered."""

    def __init__(self, ctx: UiContext, complaint: Complaint, parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("Complaint: next step"), self.save, parent)
        self.complaint = complaint
        allowed = {a: m for a, m in ACTION_LABELS.items() if complaint.status in rules.ALLOWED_FROM[a]}
        self.action = choice_combo(self, allowed)
        self.assignee = QLineEdit(complaint.assignee, self)
        self.assignee.setPlaceholderText(_("Login name of the person who handles it"))
        self.deadline = QLineEdit(complaint.deadline, self)
        self.deadline.setPlaceholderText("YYYY-MM-DD")
        self.text = QPlainTextEdit(self)
        self.form.addRow(_("Complaint"), QLabel(complaint.content, self))
        self.form.addRow(_("Step"), self.action)
        self.form.addRow(_("Assigned to"), self.assignee)
        self.form.addRow(_("Deadline"), self.deadline)
        self.form.addRow(_("What was done"), self.text)
        self.action.currentIndexChanged.connect(self._fit)
        self._fit()
        self.resize(520, 380)

    def _fit(self) -> None:
        assign = self.action.currentData() == "assign"
        self.assignee.setEnabled(assign)
        self.deadline.setEnabled(assign)
        self.text.setEnabled(not assign and self.action.count() > 0)

    def save(self) -> None:
        action = self.action.currentData()
        if not action:
            self.error.setText(_("This complaint is closed."))
            return
        assign = action == "assign"
        ops.step_complaint(
            self.ctx,
            self,
            self.complaint,
            action,
            self.assignee.text() if assign else "",
            self.deadline.text() if assign else "",
            "" if assign else self.text.toPlainText(),
        ).success(self.done_with).failure(self.failed).run()


def record_table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setWordWrap(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def fill_rows(table: QTableWidget, rows: list[list[str]], tips: list[str]) -> None:
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(tips[r] or text)
            table.setItem(r, c, item)
    table.resizeRowsToContents()


class IntegrityView(LazyTab):
    """The "诚信档案" tab of a customer: read from the archive when it comes into view."""

    sig_message = Signal(str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, self._read_records, self._reset, parent)
        self.complaint_rows: list[Complaint] = []
        self.entries = record_table(
            self,
            [
                _("Date"),
                _("Kind"),
                _("Source"),
                _("What happened"),
                _("Handling"),
                _("Attachments"),
                _("Recorded by"),
                _("State"),
            ],
        )
        self.complaints = record_table(
            self,
            [
                _("Received on"),
                _("Channel"),
                _("Complainant"),
                _("Phone"),
                _("Complaint"),
                _("Status"),
                _("Assigned to"),
                _("Deadline"),
                _("State"),
            ],
        )
        self.add_entry = QPushButton(_("Add entry…"), self)
        self.add_entry.clicked.connect(self.new_entry)
        self.add_complaint = QPushButton(_("Record complaint…"), self)
        self.add_complaint.clicked.connect(self.new_complaint)
        self.step = QPushButton(_("Next step…"), self)
        self.step.clicked.connect(self.next_step)
        self.export_button = QPushButton(_("Export…"), self)
        self.export_button.clicked.connect(self.export)
        self.complaints.itemSelectionChanged.connect(self._selected)
        self.complaints.itemDoubleClicked.connect(lambda _i: self.next_step())
        entries_box, complaints_box = QGroupBox(_("Entries"), self), QGroupBox(_("Complaints"), self)
        top = QHBoxLayout()
        top.addWidget(self.add_entry)
        top.addStretch(1)
        top.addWidget(self.export_button)
        inner = QVBoxLayout(entries_box)
        inner.addLayout(top)
        inner.addWidget(self.entries)
        row = QHBoxLayout()
        row.addWidget(self.add_complaint)
        row.addWidget(self.step)
        row.addStretch(1)
        inner2 = QVBoxLayout(complaints_box)
        inner2.addLayout(row)
        inner2.addWidget(self.complaints)
        layout = QVBoxLayout(self)
        layout.addWidget(entries_box, 1)
        layout.addWidget(complaints_box, 1)
        self.hold(None)

    def _read_records(self, cid: str) -> None:
        ops.entries(self.ctx, self, cid).success(lambda e: self._show_entries(cid, e)).run()
        ops.complaints(self.ctx, self, cid).success(lambda c: self._show_complaints(cid, c)).run()

    def _reset(self) -> None:
        for button in (self.add_entry, self.add_complaint):
            button.setEnabled(self.customer_id is not None)
        self.step.setEnabled(False)
        self.entries.setRowCount(0)
        self.complaints.setRowCount(0)
        self.complaint_rows = []

    def _show_entries(self, cid: str, entries: list[IntegrityEntry]) -> None:
        if not self.answered(cid):
            return
        rows = [
            [
                e.occurred_on,
                translate(rules.KIND_LABELS.get(e.kind, e.kind)),
                translate(rules.SOURCE_LABELS.get(e.source, e.source)),
                e.text,
                e.handling,
                str(len(e.photos)),
                e.recorded_by,
                translate(STATE.get(e.state, e.state)),
            ]
            for e in entries
        ]
        fill_rows(self.entries, rows, [e.error for e in entries])

    def _show_complaints(self, cid: str, complaints: list[Complaint]) -> None:
        if not self.answered(cid):
            return
        self.complaint_rows = complaints
        today = times.today()
        rows = []
        for c in complaints:
            deadline = c.deadline + (" " + _("(overdue)") if c.overdue(today) else "")
            state = translate(STATE.get(c.state, c.state)) + (f": {c.error}" if c.error else "")
            rows.append(
                [
                    c.received_on,
                    translate(rules.CHANNEL_LABELS.get(c.channel, c.channel)),
                    c.masked_name,
                    c.masked_phone,
                    c.content,
                    translate(rules.STATUS_LABELS.get(c.status, c.status)),
                    c.assignee,
                    deadline,
                    state,
                ]
            )
        fill_rows(self.complaints, rows, [c.error for c in complaints])
        self._selected()

    def selected_complaint(self) -> Complaint | None:
        rows = self.complaints.selectionModel().selectedRows()
        return self.complaint_rows[rows[0].row()] if rows and rows[0].row() < len(self.complaint_rows) else None

    def _selected(self) -> None:
        c = self.selected_complaint()
        self.step.setEnabled(c is not None and c.status != "closed")

    def _open(self, dialog: RecordDialog) -> None:
        dialog.sig_done.connect(lambda _v: self.load(self.customer_id))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def new_entry(self) -> None:
        if self.customer_id:
            self._open(EntryDialog(self.ctx, self.customer_id, self))

    def new_complaint(self) -> None:
        if self.customer_id:
            self._open(ComplaintDialog(self.ctx, self.customer_id, self))

    def next_step(self) -> None:
        c = self.selected_complaint()
        if c is not None and c.status != "closed":
            self._open(StepDialog(self.ctx, c, self))

    def export(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(self, _("Export the integrity archive"), "", "Excel (*.xlsx)")
        if name:
            path = Path(name if name.lower().endswith(".xlsx") else name + ".xlsx")
            ops.export(self.ctx, self, path).success(self._exported).run()

    def _exported(self, n: int) -> None:
        self.sig_message.emit(
            ngettext("Integrity archive exported: {n} row.", "Integrity archive exported: {n} rows.", n).format(n=n)
        )


def choose_notice_list(ctx: UiContext, parent: QWidget) -> None:
    """Archive → Public notice list…: ask the server for today's list, then save it as the workbook to publish."""

    def save(data: NoticeList) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            parent, _("Save the public notice list"), f"公示名单-{data.on}.xlsx", "Excel (*.xlsx)"
        )
        if name:
            path = Path(name if name.lower().endswith(".xlsx") else name + ".xlsx")
            ops.save_notices(ctx, parent, data, path).success(
                lambda n: info(
                    parent, ngettext("{n} outlet under notice saved.", "{n} outlets under notice saved.", n).format(n=n)
                )
            ).run()

    ops.notices(ctx, parent, None, save, lambda exc: show_exception(parent, exc))


class OverdueDialog(QDialog):
    """The complaints not answered by their deadline (the complainant masked); a double click opens the customer."""

    sig_open_customer = Signal(str)

    def __init__(self, items: list[OverdueComplaint], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Overdue complaints"))
        self.items = items
        self.table = record_table(
            self,
            [
                _("Deadline"),
                _("Customer code"),
                _("Shop name"),
                _("Complaint"),
                _("Complainant"),
                _("Status"),
                _("Assigned to"),
            ],
        )
        rows = [
            [
                o.complaint.deadline,
                o.code,
                o.shop_name,
                o.complaint.content,
                o.complaint.masked_name,
                translate(rules.STATUS_LABELS.get(o.complaint.status, o.complaint.status)),
                o.complaint.assignee,
            ]
            for o in items
        ]
        fill_rows(self.table, rows, ["" for _o in items])
        self.table.itemDoubleClicked.connect(self._open)
        note = QLabel(
            ngettext(
                "{n} complaint is past its deadline.", "{n} complaints are past their deadline.", len(items)
            ).format(n=len(items))
            if items
            else _("No complaint is past its deadline."),
            self,
        )
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        self.resize(760, 420)

    def _open(self, item: QTableWidgetItem) -> None:
        self.sig_open_customer.emit(self.items[item.row()].complaint.customer_id)


def show_overdue(ctx: UiContext, parent: QWidget, open_customer: Callable[[str], None]) -> None:
    """Archive → Overdue complaints…"""

    def shown(items: list[OverdueComplaint]) -> None:
        dialog = OverdueDialog(items, parent)
        dialog.sig_open_customer.connect(open_customer)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    ops.overdue(ctx, parent).success(shown).run()

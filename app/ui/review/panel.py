"""The market manager's review queue (审核): the team's submissions with their deadlines on the
left; the selected one on the right as a diff against the approved version, with photos side by
side, its problems and possible duplicates; approve, return with a reason, or approve several
clean ones at once. Decisions are taken here, offline too, and sent at the next sync."""

from __future__ import annotations

import functools
from html import escape as html_escape
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, current_language, ngettext, translate
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.record import STATUS_MSGIDS, CustomerStatus
from app.services import review
from app.ui.context import UiContext
from app.ui.ops import records as record_ops
from app.ui.ops import review as review_ops
from app.ui.style import ERROR, MUTED, OK, WARNING, status_color
from app.ui.values import shown

RED, ORANGE, GREY = QColor(ERROR), QColor(WARNING), QColor(MUTED)  # as in the list and the form
CHANGED_BG = QColor("#fff3e0")
SHOP_MIN = 140


def _cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The item at (row, column): these tables get an item in every cell when their rows are shown."""
    item = table.item(row, column)
    assert item is not None
    return item


def _when(t: Any) -> str:
    return times.shown(t, year=False) if t else ""


class ReturnDialog(QDialog):
    """Why the customer goes back, and which fields to correct (prefilled with the changed ones
    that have problems)."""

    def __init__(self, reasons: list[str], fields: list[tuple[str, str, bool]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Return to the customer manager"))
        self.reason = QComboBox(self)
        self.reason.setEditable(True)
        self.reason.addItems(reasons)
        self.reason.setCurrentText("")
        line = self.reason.lineEdit()
        assert line is not None  # editable (above), so it has a line edit
        line.setPlaceholderText(_("Why is it returned? Choose a reason or write one."))
        self.fields = QListWidget(self)
        for key, label, checked in fields:
            item = QListWidgetItem(label, self.fields)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c62828")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = buttons.addButton(_("Return"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Reason"), self))
        layout.addWidget(self.reason)
        layout.addWidget(QLabel(_("Fields to correct"), self))
        layout.addWidget(self.fields, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, 460)

    def chosen_fields(self) -> list[str]:
        return [
            self.fields.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.fields.count())
            if self.fields.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _accept(self) -> None:
        if not self.reason.currentText().strip():
            self.error.setText(_("Say why the customer is returned."))
            return
        self.accept()


class SubmissionView(QWidget):
    sig_decide = Signal(str, str)  # customer id, "approve" | "return"
    sig_open = Signal(str)  # open the full record

    def __init__(self, ctx: UiContext, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.form = ctx, form
        ctx.sig_form_changed.connect(self.set_form)  # a newer form is in force: show with it
        self.current: review.Submission | None = None
        self.title = QLabel(self)
        self.title.setProperty("role", "title")
        self.meta = QLabel(self)
        self.meta.setWordWrap(True)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("background:#e3f2fd; padding:6px;")
        self.diff = QTableWidget(0, 3, self)
        self.diff.setHorizontalHeaderLabels([_("Field"), _("Approved value"), _("Submitted value")])
        self.diff.verticalHeader().setVisible(False)
        self.diff.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.diff.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.diff.setWordWrap(True)
        self.diff.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.diff.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.diff.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.problems = QLabel(self)
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.RichText)
        self.approve = QPushButton(_("Approve"), self)
        self.approve.setStyleSheet("font-weight: bold;")
        self.return_ = QPushButton(_("Return…"), self)
        self.open = QPushButton(_("Open the archive"), self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open)
        buttons.addStretch(1)
        buttons.addWidget(self.return_)
        buttons.addWidget(self.approve)
        self.empty = QLabel(_("Choose a submission on the left."), self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setProperty("role", "empty")
        layout = QVBoxLayout(self)
        for w in (self.empty, self.title, self.meta, self.note):
            layout.addWidget(w)
        layout.addWidget(self.diff, 1)
        layout.addWidget(self.problems)
        layout.addLayout(buttons)
        self.approve.clicked.connect(lambda: self.current and self.sig_decide.emit(self.current.item.id, "approve"))
        self.return_.clicked.connect(lambda: self.current and self.sig_decide.emit(self.current.item.id, "return"))
        self.open.clicked.connect(lambda: self.current and self.sig_open.emit(self.current.item.id))
        self.show_submission(None)

    def set_form(self, form: FormDefinition) -> None:
        self.form = form

    def show_submission(self, sub: review.Submission | None) -> None:
        self.current = sub
        for w in (self.title, self.meta, self.diff, self.problems, self.approve, self.return_, self.open):
            w.setVisible(sub is not None)
        self.note.setVisible(bool(sub and sub.item.note))
        self.empty.setVisible(sub is None)
        if sub is None:
            return
        it, lang = sub.item, current_language()
        kind = _("Change") if it.kind == "change" else _("New customer")
        if it.urgent:
            kind = _("Emergency change")
        color, status = status_color(CustomerStatus.PENDING), translate(STATUS_MSGIDS[CustomerStatus.PENDING])
        pending = f'<span style="color:{color}">{status}</span>'
        self.title.setText(f"{html_escape(it.shop_name or _('(no shop name)'))}  ·  {kind}  ·  {pending}")
        code = f"{it.code or ''}" + ("" if it.code_official else " " + _("(provisional)"))
        colour = ERROR if it.overdue else OK
        self.meta.setText(
            _("{code} · customer manager {owner} · submitted {when}").format(
                code=code, owner=it.owner, when=_when(it.submitted_at)
            )
            + f' · <span style="color:{colour}">'
            + _("deadline {due} ({left})").format(due=_when(it.deadline), left=it.left)
            + "</span>"
        )
        self.note.setText(_("Note from {who}: {note}").format(who=it.submitted_by or it.owner, note=it.note))
        self.diff.setHorizontalHeaderLabels([_("Field"), _("Approved value"), _("Submitted value")])
        self.diff.setColumnHidden(1, it.kind != "change")
        self.diff.setRowCount(len(sub.changes))
        for r, ch in enumerate(sub.changes):
            self.diff.setItem(r, 0, QTableWidgetItem(ch.label))
            for c, value in ((1, ch.old), (2, ch.new)):
                if ch.photo:
                    self.diff.setCellWidget(r, c, PhotoStrip(self.ctx, value or [], self.diff))
                    self.diff.setItem(r, c, QTableWidgetItem(""))
                else:
                    self.diff.setItem(r, c, QTableWidgetItem(shown(self.form, ch.key, value, lang)))
            if it.kind == "change":
                for c in range(3):
                    _cell(self.diff, r, c).setBackground(QBrush(CHANGED_BG))
        self.diff.resizeRowsToContents()
        lines = []
        for severity, _label, message in sub.issues:
            colour = ERROR if severity == "error" else WARNING
            lines.append(f'<span style="color:{colour}">• {message}</span>')
        if sub.missing:
            lines.append(
                "• "
                + ngettext("{n} required field is empty.", "{n} required fields are empty.", sub.missing).format(
                    n=sub.missing
                )
            )
        if sub.gaps:
            lines.insert(
                0,
                f'<span style="color:{ERROR}"><b>'
                + html_escape(
                    _("Cannot be approved yet: a new customer needs every required field. Missing: {fields}.").format(
                        fields="、".join(sub.gaps)
                    )
                )
                + "</b></span>",
            )
        self.approve.setEnabled(not sub.gaps)
        self.approve.setToolTip(_("Return it with the fields to fill in.") if sub.gaps else "")
        for d in sub.duplicates[:5]:
            label = self.form[d.field].label(lang) if d.field in self.form else d.field
            lines.append(
                f'<span style="color:{ERROR}">• '
                + _("Same {field} as {name} ({code})").format(field=label, name=d.name or "", code=d.code or "")
                + "</span>"
            )
        self.problems.setText("<br>".join(lines) if lines else _("No problems found."))


class PhotoStrip(QListWidget):
    """Thumbnails of a photo field's pictures, loaded on the DB thread."""

    def __init__(self, ctx: UiContext, refs: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(96, 96))
        self.setFixedHeight(116)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        for ref in refs:
            item = QListWidgetItem(_("loading…"), self)
            item.setData(Qt.ItemDataRole.UserRole, ref)
            record_ops.thumbnail(ctx, self, ref).success(functools.partial(self._show, item)).run()

    def _show(self, item: QListWidgetItem, data: bytes | None) -> None:
        pix = QPixmap()
        if data and pix.loadFromData(data):
            item.setIcon(QIcon(pix))
            item.setText("")
        else:
            item.setText(_("Photo missing"))


class ReviewPanel(QWidget):
    sig_open_customer = Signal(str)
    sig_count = Signal(int, int)  # waiting, overdue
    sig_message = Signal(str)

    COLUMNS = ("", "kind", "shop", "owner", "submitted", "deadline", "problems")

    def __init__(self, ctx: UiContext, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.form = ctx, form
        ctx.sig_form_changed.connect(self.set_form)  # a newer form is in force: show with it
        self.items: list[review.QueueItem] = []
        self.summary = QLabel(self)
        self.summary.setStyleSheet("font-weight: bold;")
        self.select_clean = QPushButton(_("Select the clean ones"), self)
        self.approve_selected = QPushButton(self)
        self.refresh_button = QPushButton(_("Refresh"), self)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        for b in (self.select_clean, self.approve_selected, self.refresh_button):
            top.addWidget(b)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(
            ["", _("Type"), _("Shop"), _("Customer manager"), _("Submitted at"), _("Deadline"), _("Problems")]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 28)
        self.view = SubmissionView(ctx, form, self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(top)
        ll.addWidget(self.table)
        split.addWidget(left)
        split.addWidget(self.view)
        split.setSizes([640, 760])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.itemChanged.connect(lambda _i: self._update_buttons())
        self.select_clean.clicked.connect(self.check_clean)
        self.approve_selected.clicked.connect(self.approve_checked)
        self.refresh_button.clicked.connect(self.refresh)
        self.view.sig_decide.connect(self.decide)
        self.view.sig_open.connect(self.sig_open_customer)
        self._update_buttons()

    # ---- the queue ---------------------------------------------------------------------------
    def set_form(self, form: FormDefinition) -> None:
        self.form = form

    def clear(self) -> None:
        """Nothing of the archive stays on screen while it is locked."""
        self.items = []
        self.table.setRowCount(0)
        self.view.show_submission(None)
        self.summary.clear()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """The shop (the column that stretches) keeps at least SHOP_MIN: the manager, the deadline and the
        time give up width first (elided; the tooltip shows the deadline whole), so no scroll bar is needed."""
        header = self.table.horizontalHeader()
        short = SHOP_MIN - (
            self.table.viewport().width()
            - sum(header.sectionSize(c) for c in range(self.table.columnCount()) if c != 2)
        )
        floors = {3: 64, 4: header.fontMetrics().horizontalAdvance("00-00 00:00") + 12, 5: 64}
        for col in (3, 5, 4):  # the manager's long header first: the names under it are short
            if short <= 0:
                break
            floor = floors[col]
            give = max(0, min(short, header.sectionSize(col) - floor))
            header.resizeSection(col, header.sectionSize(col) - give)
            short -= give

    def refresh(self) -> None:
        review_ops.queue(self.ctx, self).success(self._loaded).failure(lambda _e: None).run()

    def _loaded(self, items: list[review.QueueItem]) -> None:
        keep = self.selected_id()
        self.items = items
        self.table.blockSignals(True)
        self.table.setRowCount(len(items))
        kinds = {"new": _("New"), "change": _("Change")}
        for r, it in enumerate(items):
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            check.setCheckState(Qt.CheckState.Unchecked)
            check.setData(Qt.ItemDataRole.UserRole, it.id)
            cells = [
                check,
                QTableWidgetItem(_("Emergency") if it.urgent else kinds[it.kind]),
                QTableWidgetItem(it.shop_name),
                QTableWidgetItem(it.owner),
                QTableWidgetItem(_when(it.submitted_at)),
                QTableWidgetItem(it.left),
                QTableWidgetItem(self._problems(it)),
            ]
            if it.urgent:
                cells[1].setForeground(QBrush(RED))
            if it.overdue:
                cells[5].setForeground(QBrush(RED))
            if it.errors or it.warnings:
                cells[6].setForeground(QBrush(ORANGE if not it.errors else RED))
            if it.unsent:
                cells[2].setToolTip(_("Decided here; sent at the next sync."))
            cells[5].setToolTip(it.left)  # the whole text, also when the column is narrow
            for c, cell in enumerate(cells):
                if c:
                    cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(r, c, cell)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        self._fit_columns()
        overdue = sum(i.overdue for i in items)
        self.summary.setText(
            _("{n} waiting for review · {late} overdue").format(n=len(items), late=overdue)
            if items
            else _("Nothing is waiting for review.")
        )
        self.sig_count.emit(len(items), overdue)
        self._update_buttons()
        if keep and any(i.id == keep for i in items):
            self.select(keep)
        elif items:
            self.table.selectRow(0)
        else:
            self.view.show_submission(None)

    def _problems(self, it: review.QueueItem) -> str:
        parts = []
        if it.errors:
            parts.append(ngettext("{n} error", "{n} errors", it.errors).format(n=it.errors))
        if it.warnings:
            parts.append(ngettext("{n} warning", "{n} warnings", it.warnings).format(n=it.warnings))
        if it.missing and not it.code_official:
            parts.append(
                ngettext("{n} required field empty", "{n} required fields empty", it.missing).format(n=it.missing)
            )
        return ", ".join(parts) or "—"

    def select(self, cid: str) -> None:
        for r in range(self.table.rowCount()):
            if _cell(self.table, r, 0).data(Qt.ItemDataRole.UserRole) == cid:
                self.table.selectRow(r)
                return

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return _cell(self.table, rows[0].row(), 0).data(Qt.ItemDataRole.UserRole) if rows else None

    def _selected(self) -> None:
        cid = self.selected_id()
        if cid is None:
            self.view.show_submission(None)
            return
        review_ops.submission(self.ctx, self, cid).success(self._show).run()

    def _show(self, sub: review.Submission | None) -> None:
        if sub is None or sub.item.id != self.selected_id():
            return
        self.view.show_submission(sub)

    def checked_ids(self) -> list[str]:
        return [
            _cell(self.table, r, 0).data(Qt.ItemDataRole.UserRole)
            for r in range(self.table.rowCount())
            if _cell(self.table, r, 0).checkState() == Qt.CheckState.Checked
        ]

    def check_clean(self) -> None:
        clean = {i.id for i in review.approvable(self.items)}
        for r in range(self.table.rowCount()):
            item = _cell(self.table, r, 0)
            item.setCheckState(
                Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in clean else Qt.CheckState.Unchecked
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        n = len(self.checked_ids())
        self.approve_selected.setText(_("Approve the {n} selected").format(n=n))
        self.approve_selected.setEnabled(n > 0)
        self.select_clean.setEnabled(bool(review.approvable(self.items)))

    # ---- decisions ---------------------------------------------------------------------------
    def approve_checked(self) -> None:
        ids = self.checked_ids()
        if ids:
            self._decide(ids, "approve")

    def decide(self, cid: str, action: str) -> None:
        if action == "approve":
            self._decide([cid], "approve")
            return
        sub = self.view.current
        flagged = {label for severity, label, _m in (sub.issues if sub else [])}
        fields = [(ch.key, ch.label, ch.label in flagged) for ch in (sub.changes if sub else [])]
        shown_keys = {k for k, _l, _c in fields}
        lang = current_language()
        fields += [(f.key, f.label(lang), False) for f in self.form.fields if f.key not in shown_keys and not f.hidden]

        def ask(reasons: list[str]) -> None:
            dialog = ReturnDialog(reasons, fields, self)
            dialog.accepted.connect(
                lambda: self._decide([cid], "return", dialog.reason.currentText(), dialog.chosen_fields())
            )
            dialog.open()
            self.return_dialog = dialog

        review_ops.reasons(self.ctx, self).success(ask).run()

    def _decide(self, ids: list[str], action: str, reason: str = "", fields: list[str] | None = None) -> None:
        def done(n: int) -> None:
            msg = (
                _("{n} approved; sent at the next sync.")
                if action == "approve"
                else _("Returned; sent at the next sync.")
            ).format(n=n)
            self.sig_message.emit(msg)
            self.refresh()

        review_ops.decide(self.ctx, self, ids, action, reason, fields or []).success(done).run()

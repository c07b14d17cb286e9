"""The customer's service records (客户服务记录): visit plans, care dates and satisfaction surveys, each with
what the server said of it; new ones, a plan done (with the visit that fulfils it) or cancelled, a care date
cancelled; the export. The reminders dialog: the week's visit plans (overdue ones flagged) and the coming
care dates of every customer held here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import N_, _, ngettext, translate
from app.models import times
from app.models.record import Visit
from app.models.service import ServiceItem, ServiceRecord
from app.services.service import answer_label, describe, question_label
from app.ui import values
from app.ui.context import UiContext
from app.ui.errors import info
from app.ui.ops import records as record_ops
from app.ui.ops import service as ops
from app.ui.records.integrity import STATE, RecordDialog, choice_combo, fill_rows, record_table
from app.ui.records.lazy_tab import LazyTab
from app.validation import service as rules


def _date(parent: QWidget, future: bool) -> QDateEdit:
    edit = QDateEdit(values.today(), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    if not future:
        edit.setMaximumDate(values.today())
    return edit


class PlanDialog(RecordDialog):
    def __init__(self, ctx: UiContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("New visit plan"), self.save, parent)
        self.customer_id = customer_id
        self.date = _date(self, future=True)
        self.purpose = QLineEdit(self)
        self.purpose.setPlaceholderText(_("e.g. quarterly check, delivering a notice, following up a complaint"))
        self.note = QLineEdit(self)
        self.form.addRow(_("Planned for"), self.date)
        self.form.addRow(_("Purpose"), self.purpose)
        self.form.addRow(_("Note"), self.note)
        self.resize(480, 200)

    def save(self) -> None:
        day = self.date.date().toString("yyyy-MM-dd")
        ops.plan_visit(self.ctx, self, self.customer_id, day, self.purpose.text(), self.note.text()).success(
            self.done_with
        ).failure(self.failed).run()


class CareDialog(RecordDialog):
    def __init__(self, ctx: UiContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("New care date"), self.save, parent)
        self.customer_id = customer_id
        self.date = _date(self, future=True)
        self.occasion = choice_combo(self, rules.OCCASION_LABELS)
        self.yearly = QCheckBox(_("Every year on this day"), self)
        self.note = QLineEdit(self)
        self.form.addRow(_("Date"), self.date)
        self.form.addRow(_("Occasion"), self.occasion)
        self.form.addRow("", self.yearly)
        self.form.addRow(_("Note"), self.note)
        self.resize(480, 220)

    def save(self) -> None:
        ops.add_care_date(
            self.ctx,
            self,
            self.customer_id,
            self.date.date().toString("yyyy-MM-dd"),
            self.occasion.currentData(),
            self.yearly.isChecked(),
            self.note.text(),
        ).success(self.done_with).failure(self.failed).run()


class SurveyDialog(RecordDialog):
    """The standard questionnaire: one row of scores per question; the respondent told first (a box to tick)."""

    def __init__(self, ctx: UiContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("Satisfaction survey"), self.save, parent)
        self.customer_id = customer_id
        q = rules.questionnaire()
        self.date = _date(self, future=False)
        self.channel = choice_combo(self, rules.CHANNEL_LABELS)
        self.informed = QCheckBox(_("The respondent was told how the answers will be used before the questions"), self)
        self.note = QLineEdit(self)
        grid = QGridLayout()
        for c, s in enumerate(q.scale, start=1):
            grid.addWidget(QLabel(answer_label(int(s["score"])), self), 0, c)
        self.groups: dict[str, QButtonGroup] = {}
        for r, question in enumerate(q.questions, start=1):
            grid.addWidget(QLabel(question_label(question), self), r, 0)
            group = QButtonGroup(self)
            for c, s in enumerate(q.scale, start=1):
                button = QRadioButton(self)
                button.setAccessibleName(f"{question_label(question)}: {answer_label(int(s['score']))}")
                group.addButton(button, int(s["score"]))
                grid.addWidget(button, r, c, Qt.AlignmentFlag.AlignCenter)
            self.groups[question["id"]] = group
        self.form.addRow(_("Date"), self.date)
        self.form.addRow(_("How answered"), self.channel)
        self.form.addRow(self.informed)
        self.form.addRow(grid)
        self.form.addRow(_("Note"), self.note)
        self.resize(640, 560)

    def answers(self) -> dict[str, int | None]:
        return {k: (g.checkedId() if g.checkedId() > 0 else None) for k, g in self.groups.items()}

    def save(self) -> None:
        ops.add_survey(
            self.ctx,
            self,
            self.customer_id,
            self.date.date().toString("yyyy-MM-dd"),
            self.channel.currentData(),
            self.informed.isChecked(),
            self.answers(),
            self.note.text(),
        ).success(self.done_with).failure(self.failed).run()


class ObservationDialog(RecordDialog):
    """What was seen at the terminal on a visit (F0 L221–238): a row per brand (sales and stock in cartons,
    the retail price per pack), the display, promotions, competitors; the visit it belongs to."""

    def __init__(self, ctx: UiContext, customer_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("Terminal observation"), self.save, parent)
        self.customer_id = customer_id
        self.date = _date(self, future=False)
        self.visit = QComboBox(self)
        self.visit.addItem(_("(no visit recorded)"), "")
        headers = [_("Brand"), _("Sales (cartons)"), _("Stock (cartons)"), _("Retail price (yuan/pack)")]
        self.brands = record_table(self, headers)
        self.brands.setEditTriggers(QTableWidget.EditTrigger.AllEditTriggers)
        self.brands.setRowCount(6)
        self.display = QComboBox(self)
        self.display.addItem("", "")
        for key, msgid in rules.DISPLAY_LABELS.items():
            self.display.addItem(translate(msgid), key)
        self.promotion = QLineEdit(self)
        self.competitors = QLineEdit(self)
        self.note = QLineEdit(self)
        self.form.addRow(_("Date"), self.date)
        self.form.addRow(_("Visit"), self.visit)
        self.form.addRow(self.brands)
        self.form.addRow(_("Display"), self.display)
        self.form.addRow(_("Promotions"), self.promotion)
        self.form.addRow(_("Competitors"), self.competitors)
        self.form.addRow(_("Note"), self.note)
        record_ops.visits(ctx, self, customer_id).success(self._visits).run()
        self.resize(640, 560)

    def _visits(self, visits: list[Visit]) -> None:
        for v in visits:
            self.visit.addItem(f"{v.visited_on} {v.purpose}", v.id)

    def rows(self) -> list[list[str]]:
        def cell(r: int, c: int) -> str:
            item = self.brands.item(r, c)
            return item.text() if item is not None else ""

        return [[cell(r, c) for c in range(4)] for r in range(self.brands.rowCount())]

    def save(self) -> None:
        ops.add_observation(
            self.ctx,
            self,
            self.customer_id,
            self.date.date().toString("yyyy-MM-dd"),
            self.rows(),
            self.display.currentData() or "",
            self.promotion.text(),
            self.competitors.text(),
            self.visit.currentData() or "",
            self.note.text(),
        ).success(self.done_with).failure(self.failed).run()


class StepDialog(RecordDialog):
    """A visit plan done (on a day, by one of the customer's visits) or cancelled; a care date cancelled."""

    def __init__(self, ctx: UiContext, rec: ServiceRecord, parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("Visit plan or care date: next step"), self.save, parent)
        self.rec = rec
        actions = {a: label for (k, a), label in _ACTIONS.items() if k == rec.kind}
        self.action = choice_combo(self, actions)
        self.done_on = _date(self, future=False)
        self.visit = QComboBox(self)
        self.visit.addItem(_("(no visit recorded)"), "")
        self.reason = QLineEdit(self)
        self.form.addRow(_("Service record"), QLabel(describe(rec), self))
        self.form.addRow(_("Step"), self.action)
        self.form.addRow(_("Visited on"), self.done_on)
        self.form.addRow(_("Visit"), self.visit)
        self.form.addRow(_("Reason"), self.reason)
        self.action.currentIndexChanged.connect(self._fit)
        self._fit()
        record_ops.visits(ctx, self, rec.customer_id).success(self._visits).run()
        self.resize(480, 260)

    def _visits(self, visits: list[Visit]) -> None:
        for v in visits:
            self.visit.addItem(f"{v.visited_on} {v.purpose}", v.id)

    def _fit(self) -> None:
        done = self.action.currentData() == "done"
        self.done_on.setEnabled(done)
        self.visit.setEnabled(done)
        self.reason.setEnabled(not done)

    def save(self) -> None:
        done = self.action.currentData() == "done"
        ops.step(
            self.ctx,
            self,
            self.rec,
            self.action.currentData(),
            self.done_on.date().toString("yyyy-MM-dd") if done else "",
            (self.visit.currentData() or "") if done else "",
            "" if done else self.reason.text(),
        ).success(self.done_with).failure(self.failed).run()


_ACTIONS = {
    ("plan", "done"): N_("Mark as visited"),
    ("plan", "cancel"): N_("Cancel the plan"),
    ("care", "cancel"): N_("Cancel the care date"),
}


class ServiceView(LazyTab):
    """The "服务记录" tab of a customer: read from the archive when it comes into view."""

    sig_message = Signal(str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, self._read_records, self._reset, parent)
        self.rows: list[ServiceRecord] = []
        headers = [_("Kind"), _("Date"), _("Status"), _("Recorded by"), _("Sync"), _("Details")]
        self.table = record_table(self, headers)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.itemDoubleClicked.connect(lambda _i: self.next_step())
        self.add_plan = QPushButton(_("Plan a visit…"), self)
        self.add_plan.clicked.connect(lambda: self._new(PlanDialog))
        self.add_care = QPushButton(_("Add a care date…"), self)
        self.add_care.clicked.connect(lambda: self._new(CareDialog))
        self.add_survey = QPushButton(_("Satisfaction survey…"), self)
        self.add_survey.clicked.connect(lambda: self._new(SurveyDialog))
        self.add_observation = QPushButton(_("Terminal observation…"), self)
        self.add_observation.clicked.connect(lambda: self._new(ObservationDialog))
        self.step = QPushButton(_("Next step…"), self)
        self.step.clicked.connect(self.next_step)
        self.export_button = QPushButton(_("Export…"), self)
        self.export_button.clicked.connect(self.export)
        top, below = QHBoxLayout(), QHBoxLayout()  # two rows: the window keeps 1280 px wide in English
        for b in (self.add_plan, self.add_care, self.add_survey, self.add_observation):
            top.addWidget(b)
        top.addStretch(1)
        below.addWidget(self.step)
        below.addStretch(1)
        below.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(below)
        layout.addWidget(self.table)
        self.hold(None)

    def _read_records(self, cid: str) -> None:
        ops.of_customer(self.ctx, self, cid).success(lambda r: self._show(cid, r)).run()

    def _reset(self) -> None:
        for b in (self.add_plan, self.add_care, self.add_survey, self.add_observation):
            b.setEnabled(self.customer_id is not None)
        self.step.setEnabled(False)
        self.table.setRowCount(0)
        self.rows = []

    def _show(self, cid: str, records: list[ServiceRecord]) -> None:
        if not self.answered(cid):
            return
        self.rows = records
        today = times.today()
        cells = []
        for r in records:
            status = translate(rules.STATUS_LABELS.get(r.status, r.status))
            if r.overdue(today):
                status += " " + _("(overdue)")
            state = translate(STATE.get(r.state, r.state)) + (f": {r.error}" if r.error else "")
            kind = translate(rules.KIND_LABELS.get(r.kind, r.kind))
            details = describe(r)
            coming = (
                rules.next_occurrence(r.on_date, True, today) if r.kind == "care" and r.body.get("yearly") else None
            )
            if coming is not None and r.status == "active":
                details = _("next on {day}").format(day=coming.isoformat()) + " · " + details
            cells.append([kind, r.on_date, status, r.recorded_by, state, details])
        fill_rows(self.table, cells, [r.error for r in records])
        self._selected()

    def selected(self) -> ServiceRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def _selected(self) -> None:
        r = self.selected()
        self.step.setEnabled(r is not None and r.status in ("open", "active"))

    def _open(self, dialog: RecordDialog) -> None:
        dialog.sig_done.connect(lambda _v: self.load(self.customer_id))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _new(self, make: Callable[[UiContext, str, QWidget], RecordDialog]) -> None:
        if self.customer_id:
            self._open(make(self.ctx, self.customer_id, self))

    def next_step(self) -> None:
        r = self.selected()
        if r is not None and r.status in ("open", "active"):
            self._open(StepDialog(self.ctx, r, self))

    def export(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(self, _("Export the service records"), "", "Excel (*.xlsx)")
        if name:
            path = Path(name if name.lower().endswith(".xlsx") else name + ".xlsx")
            ops.export(self.ctx, self, path).success(self._exported).run()

    def _exported(self, n: int) -> None:
        self.sig_message.emit(
            ngettext("Service records exported: {n} row.", "Service records exported: {n} rows.", n).format(n=n)
        )


class RemindersDialog(QDialog):
    """The week's visit plans (overdue ones flagged) and the care dates coming up; a double click opens the
    customer."""

    sig_open_customer = Signal(str)

    def __init__(
        self, plans: list[ServiceItem], care: list[tuple[dt.date, ServiceItem]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Visit plans and care dates"))
        today = times.today()
        self.items = [p for p in plans] + [c for _d, c in care]
        self.table = record_table(self, [_("Date"), _("Customer code"), _("Shop name"), _("Kind"), _("Details")])
        rows = [
            [
                p.record.on_date + (" " + _("(overdue)") if p.record.overdue(today) else ""),
                p.code,
                p.shop_name,
                translate(rules.KIND_LABELS["plan"]),
                describe(p.record),
            ]
            for p in plans
        ] + [
            [d.isoformat(), c.code, c.shop_name, translate(rules.KIND_LABELS["care"]), describe(c.record)]
            for d, c in care
        ]
        fill_rows(self.table, rows, ["" for _r in rows])
        self.table.itemDoubleClicked.connect(self._open)
        overdue = sum(1 for p in plans if p.record.overdue(today))
        note = QLabel(
            ngettext("{n} visit plan is overdue.", "{n} visit plans are overdue.", overdue).format(n=overdue)
            + " "
            + ngettext("{n} care date in the coming week.", "{n} care dates in the coming week.", len(care)).format(
                n=len(care)
            ),
            self,
        )
        self.plan_button = QPushButton(_("Plan the visits due by the visit cycle"), self)
        self.plan_button.setToolTip(
            _("A plan for each of your customers whose visit cycle makes a visit due this week and that has none")
        )
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(self.plan_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.resize(760, 420)

    def _open(self, item: QTableWidgetItem) -> None:
        self.sig_open_customer.emit(self.items[item.row()].record.customer_id)


def show_reminders(ctx: UiContext, parent: QWidget, open_customer: Callable[[str], None]) -> None:
    """Archive → Visit plans and care dates…: the week's plans and the coming care dates."""

    def shown(found: tuple[list[ServiceItem], list[tuple[dt.date, ServiceItem]]]) -> None:
        dialog = RemindersDialog(found[0], found[1], parent)
        dialog.sig_open_customer.connect(open_customer)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def planned(made: list[ServiceRecord]) -> None:
            n = len(made)
            info(dialog, ngettext("{n} visit planned by the cycle.", "{n} visits planned by the cycle.", n).format(n=n))
            dialog.close()
            show_reminders(ctx, parent, open_customer)

        dialog.plan_button.clicked.connect(lambda: ops.plan_from_cycle(ctx, dialog).success(planned).run())
        dialog.open()

    ops.reminders(ctx, parent).success(shown).run()

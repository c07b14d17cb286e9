"""The maintenance checks and spot audits (Archive → 维护检查与抽查…; issue 17; app.services.checks): the
month's checks the user may see, asked of the server, and two forms: the market manager's monthly check of a
customer manager of their team (the day, timeliness, objectivity and accuracy each 合格/不合格, findings —
required when something is deficient) and the customer-service department's spot audit (the day, the
archives sampled, a score 0–100, findings).

The customer manager is typed as their account name: the desktop archive holds one user's customers and
does not know a market manager's team or every customer manager a service user may audit, so the server,
which does, says ``check.no_collector`` / ``check.not_supervisor`` when the name is wrong. The monthly form is
open to market managers only (the signed-in role, read again at each refresh); the spot-audit form to everyone,
since the desktop does not know who is placed in 客服部: the server refuses others, in Chinese. The simple
rules (month, day, findings, sample, score) are checked before anything is sent. Offline the window says
that the checks need the server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import N_, _, ngettext
from app.models import times
from app.models.checks import MaintenanceCheck
from app.models.wire import UserRole
from app.services import checks as service
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.list_section import ListSection
from app.ui.ops import checks as ops
from app.ui.style import ERROR

COLUMNS = (N_("Kind"), N_("Customer manager"), N_("Checked by"), N_("Day checked"), N_("Result"), N_("Findings"))
KIND_TEXT = {"monthly": N_("Monthly check"), "spot": N_("Spot audit")}
POINTS = (("timeliness", N_("Timeliness")), ("objectivity", N_("Objectivity")), ("accuracy", N_("Accuracy")))


def last_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def row_cells(c: MaintenanceCheck) -> tuple[str, ...]:
    """A check's row: its kind, whom and by whom, the day, the result, the findings."""
    return (_(KIND_TEXT.get(c.kind, c.kind)), c.collector, c.checker, c.checked_on, service.result_text(c), c.findings)


class Rating(QWidget):
    """合格 / 不合格 of one point of the monthly check."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.ok = QRadioButton(_("Satisfactory"))
        self.deficient = QRadioButton(_("Not satisfactory"))
        self.group = QButtonGroup(self)
        for b in (self.ok, self.deficient):
            self.group.addButton(b)
            row.addWidget(b)
        row.addStretch(1)
        self.ok.setChecked(True)

    def value(self) -> str:
        return "deficient" if self.deficient.isChecked() else "ok"


class ChecksDialog(ListSection[MaintenanceCheck], QDialog):
    """The month's checks and the two forms to record one."""

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, role: Callable[[], UserRole] = lambda: UserRole.COLLECTOR
    ) -> None:
        super().__init__(parent)
        self.ctx, self.role = ctx, role
        self.setWindowTitle(_("Maintenance checks and spot audits"))
        today = times.today()
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Month")))
        self.month = QLineEdit(last_month(today))
        self.month.setPlaceholderText("YYYY-MM")
        self.month.setMaximumWidth(100)
        top.addWidget(self.month)
        self.refresh = QPushButton(_("Refresh"))
        self.refresh.clicked.connect(self.fetch)
        top.addWidget(self.refresh)
        top.addStretch(1)
        layout.addLayout(top)
        self.build_list(layout, COLUMNS, single=False, min_section=None)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._monthly_form(today), _("Monthly check (market manager)"))
        self.tabs.addTab(self._spot_form(today), _("Spot audit (customer-service department)"))
        layout.addWidget(self.tabs)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR}")
        layout.addWidget(self.error)
        self.resize(900, 640)

    def _monthly_form(self, today: dt.date) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.m_collector = QLineEdit()
        self.m_collector.setPlaceholderText(_("Account name, e.g. c1"))
        self.m_day = QLineEdit(today.isoformat())
        self.ratings = {key: Rating() for key, _label in POINTS}
        self.m_findings = QPlainTextEdit()
        self.m_findings.setMaximumHeight(70)
        self.m_findings.setPlaceholderText(_("Required when something is deficient"))
        form.addRow(_("Customer manager"), self.m_collector)
        form.addRow(_("Day checked"), self.m_day)
        for key, label in POINTS:
            form.addRow(_(label), self.ratings[key])
        form.addRow(_("Findings"), self.m_findings)
        self.m_record = QPushButton(_("Record the monthly check"))
        self.m_record.clicked.connect(self.record_monthly)
        form.addRow(self.m_record)
        return page

    def _spot_form(self, today: dt.date) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.s_collector = QLineEdit()
        self.s_collector.setPlaceholderText(_("Account name, e.g. c1"))
        self.s_day = QLineEdit(today.isoformat())
        self.s_sample = QSpinBox()
        self.s_sample.setRange(0, 100_000)
        self.s_sample.setValue(10)
        self.s_score = QSpinBox()
        self.s_score.setRange(0, 100)
        self.s_score.setValue(100)
        self.s_findings = QPlainTextEdit()
        self.s_findings.setMaximumHeight(70)
        form.addRow(_("Customer manager"), self.s_collector)
        form.addRow(_("Day checked"), self.s_day)
        form.addRow(_("Archives sampled"), self.s_sample)
        form.addRow(_("Score (0–100)"), self.s_score)
        form.addRow(_("Findings"), self.s_findings)
        self.s_record = QPushButton(_("Record the spot audit"))
        self.s_record.clicked.connect(self.record_spot)
        form.addRow(self.s_record)
        return page

    # ------------------------------------------------------------------------------------------ server

    def _by_role(self) -> None:
        """The monthly check's form for market managers; the others start on the spot audit."""
        supervisor = self.role() is UserRole.SUPERVISOR
        self.tabs.setTabEnabled(0, supervisor)
        if not supervisor:
            self.tabs.setCurrentIndex(1)

    def fetch(self) -> None:
        self._by_role()
        self.message.setText(_("Asking the server…"))
        try:
            month = service.month_of(self.month.text())
        except UserFacingError as exc:
            self.message.setText(exc.message())
            return
        ops.listing(self.ctx, self, month, self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.show_unreachable(exc, _("The checks need the server, which could not be asked: {reason}"))

    def _show(self, items: list[MaintenanceCheck]) -> None:
        self.fill(items, row_cells)
        month = self.month.text().strip()
        self.message.setText(
            ngettext("{n} check of {month}.", "{n} checks of {month}.", len(items)).format(n=len(items), month=month)
            if items
            else _("No check of {month} yet.").format(month=month)
        )

    def _send(self, button: QPushButton, call: Any, fields: dict[str, Any]) -> None:
        self.error.setText("")
        button.setEnabled(False)

        def done(c: MaintenanceCheck) -> None:
            button.setEnabled(True)
            self.error.setText("")
            self.message.setText(_("Recorded: {who}, {month}.").format(who=c.collector, month=c.month))
            self.month.setText(c.month)
            self.fetch()

        def refused(exc: BaseException) -> None:
            button.setEnabled(True)
            if isinstance(exc, UserFacingError):
                self.error.setText(exc.message())
            else:
                show_exception(self, exc)

        call(self.ctx, self, fields, done, refused)

    def record_monthly(self) -> None:
        findings = self.m_findings.toPlainText()
        ratings = {key: r.value() for key, r in self.ratings.items()}
        fields = {"collector": self.m_collector.text(), "month": self.month.text(), "checked_on": self.m_day.text()}
        try:  # the simple rules, before anything is sent
            service.precheck(fields["collector"], fields["month"], fields["checked_on"], times.today())
            if "deficient" in ratings.values() and not findings.strip():
                raise UserFacingError(service.REFUSALS["check.findings"])
        except UserFacingError as exc:
            self.error.setText(exc.message())
            return
        self._send(self.m_record, ops.monthly, fields | {"ratings": ratings, "findings": findings})

    def record_spot(self) -> None:
        fields: dict[str, Any] = {"collector": self.s_collector.text(), "month": self.month.text()}
        fields |= {"checked_on": self.s_day.text(), "sample": self.s_sample.value(), "score": self.s_score.value()}
        try:
            service.precheck(fields["collector"], fields["month"], fields["checked_on"], times.today())
            if self.s_sample.value() < 1:
                raise UserFacingError(N_("The number of archives sampled is at least 1."))
        except UserFacingError as exc:
            self.error.setText(exc.message())
            return
        self._send(self.s_record, ops.spot, fields | {"findings": self.s_findings.toPlainText()})


def show_checks(ctx: UiContext, parent: QWidget | None, role: Callable[[], UserRole]) -> ChecksDialog:
    """Open the window and ask the server for the month's checks; ``role`` the signed-in user's."""
    dialog = ChecksDialog(ctx, parent, role)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per opening, freed when closed
    dialog.show()
    dialog.fetch()
    return dialog

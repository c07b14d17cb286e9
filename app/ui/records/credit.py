"""A customer's integrity grading (诚信等级, §3.11) as the server keeps it: each procedure's rating,
public notice (at least 7 working days), appeal and final decision. Read-only: the grade is set on
the server and reaches the archive by sync; this tab asks the server when it is opened."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTableWidgetItem, QWidget

from app.i18n import N_, _, ngettext
from app.models.remote import CreditHistory
from app.ui.context import UiContext
from app.ui.ops import syncing as sync_ops
from app.ui.records.lazy_tab import ServerTab
from app.validation.integrity import GRADE_DEFINITIONS

STATUS = {"notice": N_("Public notice"), "appealed": N_("Appealed"), "decided": N_("Decided")}


def grade_definitions() -> str:
    """The integrity grades A–D as the documents define them (F3 L171–174), one a line: the tab's legend,
    and the tooltip of the form's grade field (and its label)."""
    return "\n".join(_(GRADE_DEFINITIONS[g]) for g in sorted(GRADE_DEFINITIONS))


class CreditView(ServerTab[CreditHistory]):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            [
                _("Rated on"),
                _("Grade given"),
                _("Public notice"),
                _("Appeal"),
                _("Decided on"),
                _("Final grade"),
                _("State"),
            ],
            sync_ops.credit_history,
            self._show,
            lambda: _(
                "The integrity grade is set on the server after a public notice of at least 7 "
                "working days; this tab asks the server for its procedures."
            ),
            parent,
        )
        self.table.setWordWrap(True)
        # the grades as the documents define them (F3 L171–174), under the table and on each grade shown
        self.legend = QLabel(grade_definitions(), self)
        self.legend.setWordWrap(True)
        self.legend.setProperty("role", "hint")
        self.column.addWidget(self.legend)
        self.hold(None)

    def _show(self, data: CreditHistory) -> None:
        ratings = data.ratings
        self.message.setText(
            ngettext(
                "{n} grading procedure on the server.", "{n} grading procedures on the server.", len(ratings)
            ).format(n=len(ratings))
            if ratings
            else _("The server has no integrity grading for this customer yet.")
        )
        self.table.setRowCount(len(ratings))
        for row, r in enumerate(ratings):
            notice = ngettext(
                "{start} to {end} ({n} working day)", "{start} to {end} ({n} working days)", r.notice_workdays
            ).format(start=r.notice_start, end=r.notice_end, n=r.notice_workdays)
            appeal = f"{r.appeal_on}: {r.appeal_text or ''}" if r.appeal_on else _("none")
            final = r.final_grade or ""
            if r.decision_note:
                final = f"{final} ({r.decision_note})"
            cells = [
                r.rated_on,
                r.grade,
                notice,
                appeal,
                r.decided_on or "",
                final,
                _(STATUS.get(r.status, r.status)),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                grade = r.grade if col == 1 else (r.final_grade if col == 5 else None)
                if grade in GRADE_DEFINITIONS:
                    item.setToolTip(_(GRADE_DEFINITIONS[grade]))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()

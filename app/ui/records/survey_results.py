"""Archive → 满意度测评结果…: the satisfaction surveys held here, per collector, per area and per market type
(F0 L17: invalid questionnaires are counted apart and left out of the mean score), read on the DB thread.
A market manager's archive holds the team's surveys, so the screen is the team's results."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from app.i18n import _, ngettext, translate
from app.services.service import RESULT_GROUPS
from app.ui import geometry
from app.ui.context import UiContext
from app.ui.ops import service as ops
from app.ui.records.integrity import fill_rows, record_table

Result = tuple[str, str, int, int, "float | None"]


class SurveyResultsDialog(QDialog):
    """Three tables (collector, area, market type): valid, invalid and the mean score of the valid ones."""

    def __init__(self, results: list[Result], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Satisfaction survey results"))
        layout = QVBoxLayout(self)
        collector = sum(v + i for k, _g, v, i, _m in results if k == "collector")
        valid = sum(v for k, _g, v, _i, _m in results if k == "collector")
        self.summary = QLabel(
            ngettext("{n} questionnaire held here.", "{n} questionnaires held here.", collector).format(n=collector)
            + " "
            + ngettext("{n} of them is valid.", "{n} of them are valid.", valid).format(n=valid)
            + " "
            + _("Invalid questionnaires (incomplete or patterned answers) are counted apart and left out of the mean."),
            self,
        )
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tables = {}
        for kind, title in RESULT_GROUPS.items():
            box = QGroupBox(translate(title), self)
            table = record_table(box, [translate(title), _("Valid"), _("Invalid"), _("Mean score")])
            rows = [
                [g or _("(not filled)"), str(v), str(i), "—" if m is None else f"{m:.2f}"]
                for k, g, v, i, m in results
                if k == kind
            ]
            fill_rows(table, rows, ["" for _r in rows])
            for r in range(len(rows)):
                for c in (1, 2, 3):
                    item = table.item(r, c)
                    if item is not None:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            inner = QVBoxLayout(box)
            inner.addWidget(table)
            layout.addWidget(box)
            self.tables[kind] = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        geometry.fit(self, 760, 640)


def show_results(ctx: UiContext, parent: QWidget) -> None:
    """Read the results off the UI thread, then show them."""

    def shown(results: list[Result]) -> None:
        dialog = SurveyResultsDialog(results, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    ops.survey_results(ctx, parent).success(shown).run()

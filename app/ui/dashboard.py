"""The dashboard (统计): four bar charts drawn with QPainter (QtCharts is not part of
PySide6-Essentials): submissions waiting by age, completeness by customer manager, customers by
business format and scale, credit grades. Figures come from the archive here, offline too."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.i18n import _, ngettext
from app.services import dashboard
from app.ui.context import UiContext
from app.ui.ops import reports as report_ops

PALETTE = ("#1565c0", "#43a047", "#fb8c00", "#8e24aa", "#9e9e9e", "#c62828")


class BarChart(QWidget):
    """Horizontal bars, one per category; several series are stacked, with a legend."""

    def __init__(self, title: str, parent: QWidget | None = None, unit: str = "", maximum: float | None = None) -> None:
        super().__init__(parent)
        self.title, self.unit, self.maximum = title, unit, maximum
        self.categories: list[str] = []
        self.series: list[tuple[str, str, list[float]]] = []
        self.setMinimumSize(360, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, categories: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]]) -> None:
        self.categories = list(categories)
        self.series = [(n, c, list(v)) for n, c, v in series]
        self.update()

    def totals(self) -> list[float]:
        return [sum(s[2][i] for s in self.series) for i in range(len(self.categories))]

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), QColor("white"))
        title_font = QFont(self.font())
        title_font.setBold(True)
        p.setFont(title_font)
        p.setPen(QColor("#222"))
        p.drawText(QRectF(8, 4, w - 16, 22), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
        p.setFont(self.font())
        fm = p.fontMetrics()
        top, legend_h = 30.0, (20.0 if len(self.series) > 1 else 0.0)
        if not self.categories or not any(self.totals()):
            p.setPen(QColor("#888"))
            p.drawText(QRectF(0, top, w, h - top), Qt.AlignmentFlag.AlignCenter, _("No data yet"))
            return
        label_w = min(max(fm.horizontalAdvance(c) for c in self.categories) + 12, w * 0.4)
        value_w = fm.horizontalAdvance("000000" + self.unit) + 8
        left, right = 8 + label_w, w - value_w
        bottom = h - legend_h - 6
        n = len(self.categories)
        row_h = (bottom - top) / n
        bar_h = max(6.0, min(row_h * 0.66, 26.0))
        peak = self.maximum or max(self.totals()) or 1.0
        for i, cat in enumerate(self.categories):
            y = top + i * row_h + (row_h - bar_h) / 2
            p.setPen(QColor("#333"))
            p.drawText(
                QRectF(8, top + i * row_h, label_w - 8, row_h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(cat, Qt.TextElideMode.ElideRight, int(label_w - 10)),
            )
            x = left
            for _name, colour, values in self.series:
                width = (right - left) * values[i] / peak
                if width > 0:
                    p.fillRect(QRectF(x, y, width, bar_h), QColor(colour))
                x += width
            total = self.totals()[i]
            p.setPen(QColor("#333"))
            text = f"{total:.0f}{self.unit}" if self.unit != "%" else f"{total:.0f}%"
            p.drawText(
                QRectF(x + 4, top + i * row_h, value_w + 40, row_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        p.setPen(QPen(QColor("#bbb")))
        p.drawLine(int(left), int(top), int(left), int(bottom))
        if legend_h:
            x = 8.0
            for name, colour, _v in self.series:
                p.fillRect(QRectF(x, h - legend_h, 12, 12), QColor(colour))
                p.setPen(QColor("#333"))
                p.drawText(
                    QRectF(x + 16, h - legend_h - 3, fm.horizontalAdvance(name) + 4, 18),
                    Qt.AlignmentFlag.AlignVCenter,
                    name,
                )
                x += 16 + fm.horizontalAdvance(name) + 16


class DashboardPanel(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.summary = QLabel(self)
        self.summary.setStyleSheet("font-weight: bold;")
        self.refresh_button = QPushButton(_("Refresh"), self)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        self.age = BarChart(_("Submissions waiting, by age"), self)
        self.complete = BarChart(_("Archive completeness by customer manager"), self, unit="%", maximum=100)
        self.formats = BarChart(_("Customers by business format and scale"), self)
        self.credit = BarChart(_("Credit grades"), self)
        grid = QGridLayout()
        grid.addWidget(self.age, 0, 0)
        grid.addWidget(self.complete, 0, 1)
        grid.addWidget(self.formats, 1, 0)
        grid.addWidget(self.credit, 1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        self.refresh_button.clicked.connect(self.refresh)
        self.data: dashboard.Dashboard | None = None

    def clear(self) -> None:
        self.data = None
        self.summary.clear()
        for chart in (self.age, self.complete, self.formats, self.credit):
            chart.set_data([], [])

    def refresh(self) -> None:
        report_ops.dashboard_figures(self.ctx, self).success(self.show_data).failure(lambda _e: None).run()

    def show_data(self, d: dashboard.Dashboard) -> None:
        self.data = d
        waiting = sum(a + b for _n, a, b in d.pending_by_age)
        self.summary.setText(
            ngettext("{total} customer · {waiting}", "{total} customers · {waiting}", d.total).format(
                total=d.total,
                waiting=ngettext("{n} submission waiting", "{n} submissions waiting", waiting).format(n=waiting),
            )
        )
        self.age.set_data(
            [n for n, _a, _b in d.pending_by_age],
            [
                (_("on time"), PALETTE[1], [a for _n, a, _b in d.pending_by_age]),
                (_("overdue"), PALETTE[5], [b for _n, _a, b in d.pending_by_age]),
            ],
        )
        self.complete.set_data(
            [f"{who} ({n})" for who, n, _m, _x in d.completeness],
            [(_("completeness"), PALETTE[0], [m * 100 for _w, _n, m, _x in d.completeness])],
        )
        colours = [PALETTE[i % 4] for i in range(len(d.scales) - 1)] + ["#9e9e9e"]  # not rated: grey
        self.formats.set_data(
            d.formats,
            [(scale, colours[i], [d.by_format_scale[f][i] for f in d.formats]) for i, scale in enumerate(d.scales)],
        )
        self.credit.set_data([g for g, _n in d.credit], [(_("customers"), PALETTE[3], [n for _g, n in d.credit])])

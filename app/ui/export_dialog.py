"""Export options: which field groups, the header language, the status/completeness columns, and
whether ID and bank numbers are shown in full.

The choices are remembered in the settings (the groups left out, so a group added to the form
later is exported by default); the language starts as the UI language every time, and the full
numbers are off every time. An export that needs an approved export request (ID and bank numbers in
full, or an admin exporting personal fields: app.services.exporting.needs_request) offers the
user's approved, unexpired requests that allow it, or Request… (app.ui.requests.dialog).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.remote import ExportRequest
from app.models.wire import UserRole
from app.services.export_requests import ExportAccess
from app.services.exporting import export_fields, fits, needs_request
from app.settings import Settings
from app.ui.style import MUTED, WARNING

LANGUAGES = (("zh_CN", "中文"), ("en", "English"))


@dataclass(frozen=True)
class ExportOptions:
    groups: list[str]
    lang: str
    meta: bool
    unmasked: bool = False
    request_id: str | None = None


def request_label(r: ExportRequest) -> str:
    until = times.shown(dt.datetime.fromtimestamp(r.valid_until, dt.UTC))[:10] if r.valid_until else ""
    return _("{target} — {purpose} (until {date})").format(target=r.target, purpose=r.purpose, date=until)


class ExportOptionsDialog(QDialog):
    sig_request = Signal()  # Request…: ask for an export request (the caller opens the request dialog)

    def __init__(
        self, form: FormDefinition, settings: Settings, rows: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.form, self.settings = form, settings
        self.setWindowTitle(_("Export customers"))
        off = set(settings.export_groups_off)
        box = QGroupBox(_("Field groups"), self)
        grid = QGridLayout(box)
        self.groups: dict[str, QCheckBox] = {}
        for i, g in enumerate(form.groups):
            n = len(form.fields_in(g.key))
            check = QCheckBox(
                ngettext("{group} ({n} field)", "{group} ({n} fields)", n).format(
                    group=g.label(settings.ui_language), n=n
                ),
                box,
            )
            check.setChecked(g.key not in off)
            check.toggled.connect(self._update)
            grid.addWidget(check, i // 2, i % 2)
            self.groups[g.key] = check
        all_none = QHBoxLayout()
        for text, state in ((_("All"), True), (_("None"), False)):
            b = QPushButton(text, box)
            b.clicked.connect(lambda _c=False, s=state: self._set_all(s))
            all_none.addWidget(b)
        all_none.addStretch(1)
        grid.addLayout(all_none, (len(form.groups) + 1) // 2, 0, 1, 2)
        self.lang = QComboBox(self)
        for code, name in LANGUAGES:
            self.lang.addItem(name, code)
        self.lang.setCurrentIndex(max(0, self.lang.findData(settings.ui_language)))
        self.meta = QCheckBox(_("Include the status, completeness and provisional-code columns"), self)
        self.meta.setChecked(settings.export_meta)
        self.unmasked = QCheckBox(_("Show full ID and bank numbers"), self)
        self.unmasked.setToolTip(_("Without this, ID and bank numbers show only their first 6 and last 4 digits."))
        self.unmasked.toggled.connect(self._update)
        options = QFormLayout()
        options.addRow(_("Header language"), self.lang)
        options.addRow(self.meta)
        options.addRow(self.unmasked)
        self.access = ExportAccess(UserRole.COLLECTOR, ())
        self.why: str | None = None
        self.request_dialog: QDialog | None = None  # Request…'s dialog, while open
        self.request_box = QGroupBox(_("Export request"), self)
        self.request_hint = QLabel(self.request_box)
        self.request_hint.setWordWrap(True)
        self.request = QComboBox(self.request_box)
        self.request.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.request.setMinimumContentsLength(40)  # target, purpose and date in view (the tooltip has it all)
        self.request_button = QPushButton(_("Request…"), self.request_box)
        self.request_button.clicked.connect(self.sig_request.emit)
        pick = QHBoxLayout()
        pick.addWidget(self.request, 1)
        pick.addWidget(self.request_button)
        box_layout = QVBoxLayout(self.request_box)
        box_layout.addWidget(self.request_hint)
        box_layout.addLayout(pick)
        self.summary = QLabel(self)
        self.rows = rows
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Export…"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addLayout(options)
        layout.addWidget(self.request_box)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self._update()

    def _set_all(self, state: bool) -> None:
        for check in self.groups.values():
            check.setChecked(state)

    def set_access(self, access: ExportAccess) -> None:
        """The user's role and approved requests (read from the archive after the dialog opened)."""
        self.access = access
        self._update()

    def _update_request(self, chosen: list[str]) -> bool:
        """Show the request choice when the export needs one; False when it needs one and has none."""
        self.why = needs_request(self.access.role, export_fields(self.form, chosen), self.unmasked.isChecked())
        self.request_box.setVisible(self.why is not None)
        if self.why is None:
            return True
        current = self.request.currentData()
        self.request.clear()
        for r in self.access.usable:
            if fits(r, self.why):
                self.request.addItem(request_label(r), r.id)
        self.request.setCurrentIndex(max(0, self.request.findData(current)))
        self.request.setToolTip(self.request.currentText())
        self.request.setEnabled(self.request.count() > 0)
        if self.why == "unmasked":
            need = _("ID and bank numbers in full need an approved export request that allows it.")
        else:
            need = _(
                "As an admin you export every team's customers: personal fields need an approved export "
                "request (or leave out the groups with names, phone, ID and bank numbers)."
            )
        if self.request.count():
            self.request_hint.setStyleSheet(f"color: {MUTED}")
            self.request_hint.setText(need + " " + _("Choose the request this export is made under."))
            return True
        self.request_hint.setStyleSheet(f"color: {WARNING}")
        self.request_hint.setText(
            need
            + " "
            + _(
                "You have none approved: ask for one with Request…; your market manager or an admin "
                "decides it. Or export without the full numbers."
            )
        )
        return False

    def _update(self) -> None:
        chosen = self.options().groups
        ready = self._update_request(chosen)
        n = sum(len(self.form.fields_in(g)) for g in chosen)
        text = ngettext("{n} field in {groups}.", "{n} fields in {groups}.", n).format(
            n=n, groups=ngettext("{n} group", "{n} groups", len(chosen)).format(n=len(chosen))
        )
        if self.rows is not None:
            text = (
                ngettext(
                    "{rows} customer (the list as shown).", "{rows} customers (the list as shown).", self.rows
                ).format(rows=self.rows)
                + " "
                + text
            )
        self.summary.setText(text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(chosen) and ready)

    def options(self) -> ExportOptions:
        needed = self.why is not None and self.request.count() > 0
        return ExportOptions(
            [k for k, c in self.groups.items() if c.isChecked()],
            str(self.lang.currentData()),
            self.meta.isChecked(),
            self.unmasked.isChecked(),
            str(self.request.currentData()) if needed else None,
        )

    def accept(self) -> None:
        opts = self.options()
        self.settings.export_groups_off = [k for k in self.groups if k not in opts.groups]
        self.settings.export_meta = opts.meta
        try:
            self.settings.save()
        except OSError:
            pass  # the choice still applies to this export
        super().accept()

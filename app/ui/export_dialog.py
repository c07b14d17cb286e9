"""Export options: which field groups, the header language, and the status/completeness columns.

The choices are remembered in the settings (the groups left out, so a group added to the form
later is exported by default); the language starts as the UI language every time.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from app.models.catalogue import FormDefinition
from app.settings import Settings

LANGUAGES = (("zh_CN", "中文"), ("en", "English"))


@dataclass(frozen=True)
class ExportOptions:
    groups: list[str]
    lang: str
    meta: bool


class ExportOptionsDialog(QDialog):
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
        options = QFormLayout()
        options.addRow(_("Header language"), self.lang)
        options.addRow(self.meta)
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
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self._update()

    def _set_all(self, state: bool) -> None:
        for check in self.groups.values():
            check.setChecked(state)

    def _update(self) -> None:
        chosen = self.options().groups
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
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(chosen))

    def options(self) -> ExportOptions:
        return ExportOptions(
            [k for k, c in self.groups.items() if c.isChecked()], str(self.lang.currentData()), self.meta.isChecked()
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

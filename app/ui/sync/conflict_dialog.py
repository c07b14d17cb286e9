"""A conflict, field by field: the value both sides started from, mine, the server's; the person
picks one per field (or types another), and the choice is sent as a new change."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError, ValidationFailed
from app.i18n import _, current_language
from app.models.catalogue import FormDefinition
from app.models.remote import FieldConflict
from app.ui.context import UiContext
from app.ui.ops import syncing as sync_ops
from app.ui.values import shown


class ConflictDialog(QDialog):
    sig_resolved = Signal(str)

    def __init__(
        self,
        ctx: UiContext,
        form: FormDefinition,
        record_id: str,
        fields: list[FieldConflict],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.form, self.record_id, self.fields = ctx, form, record_id, fields
        lang = current_language()
        self.setWindowTitle(_("Resolve the conflict"))
        intro = QLabel(
            _(
                "These fields were changed here and on the server since you last synced. "
                "Choose the value to keep for each; your other changes are kept."
            ),
            self,
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        for c, title in enumerate((_("Field"), _("Before"), _("Mine"), _("Server"), _("Another value"))):
            grid.addWidget(QLabel(f"<b>{title}</b>", self), 0, c)
        self.choices: dict[str, tuple[QButtonGroup, QLineEdit, FieldConflict]] = {}
        for r, f in enumerate(fields, start=1):
            key = f.field
            spec = form.get(key)
            grid.addWidget(QLabel(spec.label(lang) if spec else key, self), r, 0)
            grid.addWidget(QLabel(shown(form, key, f.base, lang), self), r, 1)
            mine, server = (
                QRadioButton(shown(form, key, f.mine, lang), self),
                QRadioButton(shown(form, key, f.server, lang), self),
            )
            group = QButtonGroup(self)
            group.addButton(mine, 0)
            group.addButton(server, 1)
            mine.setChecked(True)
            grid.addWidget(mine, r, 2)
            grid.addWidget(server, r, 3)
            other = QLineEdit(self)
            other.setPlaceholderText(_("or type another value"))
            grid.addWidget(other, r, 4)
            self.choices[key] = (group, other, f)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c62828")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        buttons.addButton(_("Keep these values"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.resolve)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(640)

    def chosen(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (group, other, f) in self.choices.items():
            text = other.text().strip()
            out[key] = text if text else (f.mine if group.checkedId() == 0 else f.server)
        return out

    def resolve(self) -> None:
        choices, rid = self.chosen(), self.record_id

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationFailed):
                lang = current_language()
                self.error.setText(
                    "\n".join(i.message(self.form[i.field].label(lang), lang) for i in exc.report.errors)
                )
            elif isinstance(exc, UserFacingError):
                self.error.setText(exc.message())
            else:
                raise exc

        def resolved(_r: None) -> None:
            self.accept()
            self.sig_resolved.emit(rid)

        sync_ops.resolve_conflict(self.ctx, self, rid, choices).success(resolved).failure(failed).run()

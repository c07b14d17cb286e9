"""The customer form's rows (app/ui/records/form.py): one ``FieldRow`` per field (editor, label,
message line, help), the label with its required mark and its tooltip, and the groups' grids laid
out with the labels beside the fields or, on a narrow form, above them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel

from app.i18n import N_, _
from app.models.catalogue import ChangePolicy, EditableBy, FieldRole, FieldSpec, RequiredLevel
from app.models.wire import UserRole
from app.ui.records.credit import grade_definitions
from app.ui.records.editors import FieldEditor
from app.ui.style import ACCENT, ERROR, WARNING
from app.validation import Issue, Severity

QWIDGETSIZE_MAX = 16777215


class FieldRow:
    def __init__(
        self, spec: FieldSpec, editor: FieldEditor, label: QLabel, message: QLabel, hint: QLabel | None = None
    ) -> None:
        self.spec, self.editor, self.label, self.message, self.hint = spec, editor, label, message, hint

    def show(self, issues: list[Issue], lang: str) -> None:
        shown = [i for i in issues if i.severity is not Severity.MISSING]
        text = "<br>".join(self._html(i, lang) for i in shown)
        self.message.setText(text)
        self.message.setVisible(bool(text))
        errors = any(i.severity is Severity.ERROR for i in shown)
        self.editor.set_invalid(errors, warning=bool(shown) and not errors)

    def _html(self, issue: Issue, lang: str) -> str:
        color = ERROR if issue.severity is Severity.ERROR else WARNING
        text = issue.message(self.spec.label(lang), lang).replace("<", "&lt;")
        link = dict(issue.params).get("customer_id")
        if link:
            text += f' <a href="customer:{link}">{_("Open")}</a>'
        return f'<span style="color:{color}">{text}</span>'


def label_html(spec: FieldSpec, lang: str) -> str:
    """The field's label, after a red * (required nationally) or a blue one (by the province)."""
    mark = {
        RequiredLevel.NATIONAL: f'<span style="color:{ERROR}">*</span>',
        RequiredLevel.PROVINCIAL: f'<span style="color:{ACCENT}">*</span>',
    }.get(spec.required, "")
    return f"{mark}{spec.label(lang)}"


#: the departments of the documents (F3 L74–75) by their codes (app/models/owners.py); another code is shown as is
DEPARTMENTS = {
    "monopoly": N_("Monopoly office"),
    "county": N_("County marketing department"),
    "market": N_("Market department"),
    "delivery": N_("Delivery department"),
    "sales": N_("Sales department"),
}


def department_text(code: str) -> str:
    return _(DEPARTMENTS[code]) if code in DEPARTMENTS else code


def label_tip(spec: FieldSpec, role: UserRole, lang: str, owner: str | None = None) -> str:
    """The label's tooltip: the field's help, and who may change it when it is not this person; for a field
    this person cannot change, the department that owns it (``owner``: its code, app/models/owners.py), to
    whom a change goes (issue 17)."""
    parts = [spec.help(lang)] if spec.help(lang) else []
    if spec.role is FieldRole.CREDIT_GRADE:  # what each grade means, where the grade is shown
        parts.append(grade_definitions())
    read_only = True
    if spec.editable_by is EditableBy.SYSTEM:
        parts.append(_("Maintained by the system; shown read-only."))
    elif not spec.editable_by_role(role):
        parts.append(_("Only a market manager can change this."))
    elif spec.change is ChangePolicy.ONBOARDING:
        parts.append(_("Set by the customer manager when the customer joins; afterwards kept by the system."))
    else:
        read_only = False
    if read_only and owner:
        parts.append(
            _("Kept by: {department}. A change goes to that department.").format(department=department_text(owner))
        )
    return "\n".join(parts)


def arrange(
    group_boxes: dict[str, QGroupBox],
    group_fields: dict[str, list[str]],
    rows: dict[str, FieldRow],
    label_width: int,
    beside: bool,
) -> None:
    """Each group's grid again: labels beside the fields (``label_width`` wide) or above them."""
    for key, box in group_boxes.items():
        grid = box.layout()
        assert isinstance(grid, QGridLayout)
        while grid.count():
            grid.takeAt(0)
        r = 0
        for field in group_fields[key]:
            row = rows[field]
            if beside:
                row.label.setFixedWidth(label_width)
                row.label.setContentsMargins(0, 4, 0, 0)  # level with the text in the editor beside it
                grid.addWidget(row.label, r, 0, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(row.editor, r, 1)
                r += 1
            else:
                row.label.setMinimumWidth(0)
                row.label.setMaximumWidth(QWIDGETSIZE_MAX)
                row.label.setContentsMargins(0, 0, 0, 0)
                grid.addWidget(row.label, r, 0, 1, 2)
                grid.addWidget(row.editor, r + 1, 0, 1, 2)
                r += 2
            column, span = (1, 1) if beside else (0, 2)
            grid.addWidget(row.message, r, column, 1, span)
            r += 1
            if row.hint is not None:
                grid.addWidget(row.hint, r, column, 1, span)
                r += 1
        grid.setColumnStretch(0, 0)
        grid.setColumnStretch(1, 1)
        grid.invalidate()

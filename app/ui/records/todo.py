"""What is left to do on the customer form, said with what is wrong and where (issue 16).

The form's side list shows the values with errors first ("身份证号：校验位不对…", under their own
heading) and then the required fields still empty; each line is clickable and leads to its field.
The section navigator counts both per section. Leaving a form with unsaved input names the
changed fields and the values that could not be saved because of their error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QProgressBar, QVBoxLayout, QWidget

from app.i18n import _, ngettext
from app.models import times
from app.models.catalogue import EditableBy, FieldSpec, FormDefinition
from app.models.wire import UserRole
from app.ui.style import ACCENT, ERROR, SPACING
from app.validation import Issue, Severity, parse_field
from app.validation.secrecy import is_masked

USER_ROLE = 256  # Qt.UserRole: the field key of a line (None for a heading)
SIDE_WIDTH = 230  # the progress, the section navigator and the missing list


@dataclass
class Side:
    """The form's side column: the completeness bar, the section navigator, what is left to do."""

    holder: QWidget
    progress: QProgressBar
    sections: QListWidget
    missing_title: QLabel
    missing_list: QListWidget


def side_column(parent: QWidget, go_to_group: Callable[[str], None], focus_field: Callable[[str], None]) -> Side:
    """The side column; a click on a section scrolls there, a click on a field goes to it."""
    side = QVBoxLayout()
    side.setContentsMargins(0, 0, 0, 0)
    side.setSpacing(SPACING)
    progress = QProgressBar(parent)
    progress.setFormat(_("Complete: %p%"))
    # the section navigator: the groups as an outline, each with its missing count; a click scrolls there
    sections = QListWidget(parent)
    sections.setObjectName("sections")
    sections.setToolTip(_("Click a section to go to it"))
    sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    sections.itemClicked.connect(lambda item: go_to_group(item.data(USER_ROLE)))
    missing_title = QLabel(parent)
    missing_title.setWordWrap(True)
    missing_list = QListWidget(parent)
    missing_list.setToolTip(_("Click a field to go to it"))
    missing_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    missing_list.setWordWrap(True)
    missing_list.itemClicked.connect(lambda item: focus_field(item.data(USER_ROLE)))
    legend = QLabel(
        f'<span style="color:{ERROR}">*</span> {_("required nationally")}<br>'
        f'<span style="color:{ACCENT}">*</span> {_("required by the province")}',
        parent,
    )
    legend.setWordWrap(True)
    side.addWidget(progress)
    side.addWidget(QLabel(_("Sections"), parent))
    side.addWidget(sections)
    side.addWidget(missing_title)
    side.addWidget(missing_list, 1)
    side.addWidget(legend)
    holder = QWidget(parent)
    holder.setLayout(side)
    holder.setFixedWidth(SIDE_WIDTH)
    return Side(holder, progress, sections, missing_title, missing_list)


def heading_invalid(n: int) -> str:
    return _("Values with errors: {n}").format(n=n)


def heading_missing(n: int) -> str:
    return _("Required fields still empty: {n}").format(n=n)


def title(invalid: int, missing: int) -> str:
    """The line above the list."""
    if invalid:
        return ngettext(
            "{n} value has an error and does not count as filled in.",
            "{n} values have errors and do not count as filled in.",
            invalid,
        ).format(n=invalid)
    return heading_missing(missing) if missing else _("All required fields are filled in.")


def _heading(text: str) -> QListWidgetItem:
    item = QListWidgetItem(text)
    font = QFont(item.font())
    font.setBold(True)
    item.setFont(font)
    item.setData(USER_ROLE, None)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
    return item


def fill(widget: QListWidget, form: FormDefinition, lang: str, invalid: list[Issue], missing: list[Issue]) -> None:
    """The values with errors (each with its message, which names the field) under a heading, then
    the empty required fields (their labels; under a heading of their own when both are there)."""
    widget.clear()
    if invalid:
        widget.addItem(_heading(heading_invalid(len(invalid))))
        for issue in invalid:
            item = QListWidgetItem(issue.message(form[issue.field].label(lang), lang))
            item.setData(USER_ROLE, issue.field)
            item.setForeground(QBrush(QColor(ERROR)))
            widget.addItem(item)
        if missing:
            widget.addItem(_heading(heading_missing(len(missing))))
    for issue in missing:
        item = QListWidgetItem(form[issue.field].label(lang))
        item.setData(USER_ROLE, issue.field)
        widget.addItem(item)


def by_group(form: FormDefinition, groups: Iterable[str], issues: Iterable[Issue]) -> dict[str, int]:
    """How many of ``issues`` fall in each of ``groups`` (one per field)."""
    counts = dict.fromkeys(groups, 0)
    for field in dict.fromkeys(i.field for i in issues):
        group = form[field].group
        if group in counts:
            counts[group] += 1
    return counts


def update_sections(
    sections: QListWidget, form: FormDefinition, lang: str, missing: list[Issue], invalid: list[Issue]
) -> None:
    """Each section of the navigator with its count of values with errors and empty required fields
    (red when there are errors); its tooltip names the errors."""
    keys = [sections.item(i).data(USER_ROLE) for i in range(sections.count())]
    empty, wrong = by_group(form, keys, missing), by_group(form, keys, invalid)
    for i, key in enumerate(keys):
        item = sections.item(i)
        group = form.group(key)
        label = group.label(lang) if group else key
        n = empty[key] + wrong[key]
        item.setText(f"{label}  ({n})" if n else f"{label}  ✓")
        item.setForeground(QBrush(QColor(ERROR)) if wrong[key] else QBrush())
        messages = [x.message(form[x.field].label(lang), lang) for x in invalid if form[x.field].group == key]
        item.setToolTip(section_tip(empty[key], messages))


def section_tip(missing: int, invalid: list[str]) -> str:
    """The tooltip of a section in the navigator: what is wrong there, and how much is empty."""
    lines = list(invalid)
    if missing:
        lines.append(heading_missing(missing))
    return "\n".join(lines) or _("All required fields are filled in.")


def unsaved_text(changed: list[str], invalid: list[str]) -> str:
    """The unsaved-changes question, naming what would be lost."""
    text = _("This customer has changes that are not saved yet.")
    if changed:
        text += "\n\n" + _("Changed: {fields}").format(fields=_(", ").join(changed))
    if invalid:
        text += "\n\n" + ngettext(
            "This value cannot be saved until its error is corrected; it is lost if you discard or leave:",
            "These values cannot be saved until their errors are corrected; they are lost if you discard or leave:",
            len(invalid),
        )
        text += "\n" + "\n".join(f"• {line}" for line in invalid)
    return text


def editable(spec: FieldSpec, role: UserRole) -> bool:
    """May this person change the field at all (whatever the customer's state)?"""
    return spec.editable_by_role(role) and spec.editable_by is not EditableBy.SYSTEM


def changed_values(form: FormDefinition, raw: dict[str, Any], loaded: dict[str, Any], role: UserRole) -> dict[str, Any]:
    """The fields whose input differs from what was loaded (compared as parsed values); a field the
    person cannot edit never counts (the system may have set it while the editor shows the older value)."""
    out = {}
    for key, typed in raw.items():
        if not editable(form[key], role) or (is_masked(typed) and typed == loaded.get(key)):
            continue  # a masked value shown as it came (app.validation.secrecy) is not a change
        value, issues = parse_field(form[key], typed, times.today())
        if issues and any(i.severity is Severity.ERROR for i in issues):
            out[key] = typed
        elif value != loaded.get(key):
            out[key] = typed
    return out


def unsaved(
    form: FormDefinition, changed: Iterable[str], field_issues: dict[str, list[Issue]], lang: str
) -> tuple[list[str], list[str]]:
    """What leaving now would lose: the labels of the changed fields whose value can be saved, and the
    messages of the values that cannot be saved because of their error (they name the field)."""
    kept, invalid = [], []
    for key in changed:
        errors = [i for i in field_issues.get(key, []) if i.severity is Severity.ERROR]
        label = form[key].label(lang)
        if errors:
            invalid.append(errors[0].message(label, lang))
        else:
            kept.append(label)
    return kept, invalid

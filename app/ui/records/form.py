"""The customer form, rendered from the catalogue and validated as it is typed.

Every field gets an editor for its type, a label (red * national, blue * provincial), its help,
and a message line under it: errors in red, warnings in orange, never a popup. A completeness
bar and the list of missing required fields (each clickable) sit on top. Saving a draft works at
any time, even with errors; submitting needs no errors and one confirmation of the warnings.
Edits are autosaved into the encrypted archive a moment after typing stops, so a crash loses
nothing; the next start offers the autosaved form back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, current_language
from app.models import times
from app.models.catalogue import FieldRole, FieldSpec, FormDefinition
from app.models.owners import field_owner
from app.models.record import Customer, Source
from app.models.wire import UserRole
from app.services import records
from app.services.records import Submitted
from app.ui.context import UiContext
from app.ui.errors import show_exception
from app.ui.ops import records as ops
from app.ui.records import form_rows, todo
from app.ui.records.banner import banner_for
from app.ui.records.credit import grade_definitions
from app.ui.records.editors import make_editor
from app.ui.records.form_header import badge_html, header_bar
from app.ui.records.form_rows import FieldRow
from app.ui.records.photos import PhotoEditor
from app.ui.records.submit_dialog import SubmitDialog, errors_text, lines_to_confirm
from app.ui.style import MARGIN, SPACING
from app.validation import Issue, Report, Severity, parse_field, validate_values
from app.validation.consent import consent_issues, consent_save_issues
from app.validation.editing import may_edit

log = logging.getLogger(__name__)
AUTOSAVE_MS = 1500
USER_ROLE = 256  # Qt.UserRole: the field or group key of a list item
LABEL_MAX = 190  # a longer label wraps onto two lines
EDITOR_MIN = 280  # below this room for the editors, labels go above the fields


class CustomerForm(QWidget):
    scroll: QScrollArea  # type: ignore[assignment]  # shadows QWidget.scroll(dx, dy), which nothing here calls
    sig_saved = Signal(str)
    sig_open_customer = Signal(str)
    sig_dirty_changed = Signal(bool)
    sig_message = Signal(str)
    sig_resolve_conflict = Signal(str)

    def __init__(
        self, ctx: UiContext, form: FormDefinition, role: UserRole = UserRole.COLLECTOR, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.form, self.role = ctx, form, role
        self.lang = _current_lang()
        self.customer: Customer | None = None
        self.autosave_key = ""
        self.loaded: dict[str, Any] = {}
        self.report = Report()
        self.field_issues: dict[str, list[Issue]] = {}
        self.duplicates: list[Issue] = []
        self.invalid: list[Issue] = []  # the values with errors, in form order: not counted as filled
        self.rows: dict[str, FieldRow] = {}
        self._dirty = False
        self._locked = False  # waiting for review: nothing can be changed or saved
        self._build()
        ctx.sig_form_changed.connect(self.set_form)
        self._validate_timer = _single_shot(self, 150, self.validate_record)
        self._dup_timer = _single_shot(self, 600, self._check_duplicates)
        self._autosave_timer = _single_shot(self, AUTOSAVE_MS, self._autosave)

    # ---- building ----------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        outer.setSpacing(SPACING)
        bar = header_bar(self, self.save, self.submit)
        self.title, self.badge, self.source = bar.title, bar.badge, bar.source
        self.save_button, self.submit_button = bar.save_button, bar.submit_button
        outer.addLayout(bar.layout)
        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setOpenExternalLinks(False)
        self.banner.linkActivated.connect(self._banner_link)
        self.banner.hide()
        outer.addWidget(self.banner)
        columns = QHBoxLayout()
        columns.setSpacing(SPACING)
        outer.addLayout(columns, 1)
        side = todo.side_column(self, self.go_to_group, self.focus_field)
        self.progress, self.sections = side.progress, side.sections
        self.missing_title, self.missing_list = side.missing_title, side.missing_list
        columns.addWidget(side.holder)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.labels_beside: bool | None = None
        self._build_fields()
        columns.addWidget(self.scroll, 1)
        self.scroll.viewport().installEventFilter(self)
        self.scroll.verticalScrollBar().valueChanged.connect(lambda _v: self._mark_current_section())

    def _build_fields(self) -> None:
        """One editor per visible field of ``self.form``, in its group, and the section outline; replaces
        any earlier ones (a newer form brought by a sync)."""
        self.rows = {}
        self.sections.clear()
        body = QWidget(self.scroll.viewport())  # where setWidget keeps it: nothing built is moved (style.tab_pages)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(MARGIN, 0, MARGIN, MARGIN)
        layout.setSpacing(SPACING * 2)
        self.group_boxes: dict[str, QGroupBox] = {}
        self.group_fields: dict[str, list[str]] = {}
        for group in self.form.groups:
            fields = self.form.fields_in(group.key)
            if fields:
                box = self._group_box(group.label(self.lang), fields, body)
                layout.addWidget(box)
                self.group_boxes[group.key] = box
                self.group_fields[group.key] = [f.key for f in fields]
                item = QListWidgetItem(group.label(self.lang))
                item.setData(USER_ROLE, group.key)
                self.sections.addItem(item)
        layout.addStretch(1)
        rows = max(1, self.sections.count())  # the outline shows every section without scrolling
        self.sections.setFixedHeight(self.sections.sizeHintForRow(0) * rows + 2 * self.sections.frameWidth() + 8)
        self.scroll.setWidget(body)  # the scroll area deletes the previous body and its editors
        metrics = QFontMetrics(self.font())
        # one label column across all groups, as wide as the longest label (up to a limit: longer ones wrap)
        self.label_width = min(
            LABEL_MAX,
            max(metrics.horizontalAdvance(row.spec.label(self.lang) + " *") for row in self.rows.values()) + 12,
        )
        beside = True if self.labels_beside is None else self.labels_beside
        self.labels_beside = None  # the new rows are not laid out yet
        self._arrange(beside)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._arrange(self.scroll.viewport().width() >= self.label_width + EDITOR_MIN + 4 * MARGIN)
        return super().eventFilter(obj, event)

    def _arrange(self, beside: bool) -> None:
        """Labels beside the fields when there is room, above them when the form is narrow."""
        if beside == self.labels_beside:
            return
        self.labels_beside = beside
        form_rows.arrange(self.group_boxes, self.group_fields, self.rows, self.label_width, beside)
        QTimer.singleShot(
            0, self, self._mark_current_section
        )  # (cancelled with the form) the sections moved under an unchanged scroll position

    def set_form(self, form: FormDefinition) -> None:
        """A newer form is in force (published on the server, brought by a sync): the fields are built
        again from it, what was typed stays (a new field of a new customer gets its default), and the
        input is validated by the new rules at once."""
        if form is self.form:
            return
        raw, dirty = self.raw_values(), self._dirty
        defaults = records.defaults(form) if self.customer is None else {}
        self.stop_timers()
        self.form = form
        self._build_fields()
        for key, row in self.rows.items():
            row.editor.blockSignals(True)
            row.editor.show_value(raw[key] if key in raw else defaults.get(key, self.loaded.get(key)))
            row.editor.blockSignals(False)
        self.field_issues = {}
        for key in self.rows:
            self._parse(key)
        self._update_header()
        self.validate_record()
        self._set_dirty(dirty)

    def _group_box(self, title: str, fields: tuple[FieldSpec, ...], parent: QWidget) -> QGroupBox:
        box = QGroupBox(title, parent)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(SPACING * 2)
        grid.setVerticalSpacing(SPACING)
        for spec in fields:
            editor = make_editor(spec, box, photo_factory=lambda s, p: PhotoEditor(s, p, self.ctx))
            label = QLabel(form_rows.label_html(spec, self.lang), box)
            label.setWordWrap(True)
            label.setBuddy(editor.focus_widget())
            label.setToolTip(form_rows.label_tip(spec, self.role, self.lang, field_owner(self.form, spec.key)))
            message = QLabel(box)
            message.setWordWrap(True)
            message.setOpenExternalLinks(False)
            message.linkActivated.connect(self._link)
            message.hide()
            hint = None
            if spec.help(self.lang):
                hint = QLabel(spec.help(self.lang), box)
                hint.setWordWrap(True)
                hint.setProperty("role", "hint")
            editor.set_read_only(not may_edit(spec, self.role, onboarding=self._onboarding()))
            if spec.role is FieldRole.CREDIT_GRADE:  # what each grade means, where the grade is shown
                editor.focus_widget().setToolTip(grade_definitions())
            editor.sig_edited.connect(lambda k=spec.key: self._edited(k))
            editor.sig_left.connect(self.validate_record)
            self.rows[spec.key] = FieldRow(spec, editor, label, message, hint)
        return box

    # ---- loading and state -------------------------------------------------------------------
    def stop_timers(self) -> None:
        for t in (self._validate_timer, self._dup_timer, self._autosave_timer):
            t.stop()

    def hideEvent(self, event: Any) -> None:
        self.stop_timers()  # nothing of a hidden (or locked) form runs in the background
        super().hideEvent(event)

    def load(self, customer: Customer | None, raw: dict[str, Any] | None = None, autosave_key: str = "") -> None:
        """Show ``customer`` (None: a new one with the defaults); ``raw`` restores autosaved input."""
        self.stop_timers()
        self.customer = customer
        self.autosave_key = autosave_key or (customer.id if customer else f"new:{uuid.uuid4()}")
        self.loaded = dict(customer.values) if customer else records.defaults(self.form)
        values = raw if raw is not None else self.loaded
        for key, row in self.rows.items():
            row.editor.blockSignals(True)
            row.editor.show_value(values.get(key))
            row.editor.blockSignals(False)
        self.duplicates = []
        self.field_issues = {}
        for key in self.rows:
            self._parse(key)
        self._update_header()
        self.validate_record()
        self._set_dirty(raw is not None)
        if customer is not None:
            self._dup_timer.start()

    def _update_banner(self) -> None:
        """What the person must know about this customer's state: returned, in conflict, refused, waiting."""
        for row in self.rows.values():
            row.label.setStyleSheet("")
        if self.customer is None:
            self.banner.hide()
            self._lock(False)
            return
        shown = banner_for(self.customer, self.form, self.role, self.lang)
        for f in shown.flagged:
            if f in self.rows:
                self.rows[f].label.setStyleSheet("background:#ffe0b2;")
        self._lock(shown.locked)
        self.banner.setStyleSheet(f"padding:6px; {shown.style}")
        self.banner.setText(shown.html)
        self.banner.setVisible(bool(shown.html))

    def set_role(self, role: UserRole) -> None:
        """After signing in: the server says who this person is (a market manager may change more)."""
        if role != self.role:
            self.role = role
            for row in self.rows.values():
                row.label.setToolTip(
                    form_rows.label_tip(row.spec, self.role, self.lang, field_owner(self.form, row.spec.key))
                )
            self._update_banner()

    def _onboarding(self) -> bool:
        """The customer is new (never approved): the collector's onboarding-only fields are open."""
        return self.customer is None or not self.customer.code_official

    def _lock(self, locked: bool) -> None:
        self._locked = locked
        for row in self.rows.values():
            editable = may_edit(row.spec, self.role, onboarding=self._onboarding())
            row.editor.set_read_only(locked or not editable)
        self.save_button.setEnabled(not locked)
        self.submit_button.setEnabled(not locked)

    def _banner_link(self, href: str) -> None:
        c = self.customer
        if c is None:
            return
        if href == "conflict":
            self.sig_resolve_conflict.emit(c.id)
        elif href == "withdraw":
            ops.withdraw(self.ctx, self, c.id).success(self._withdrawn).run()

    def _withdrawn(self, result: tuple[bool, Customer | None]) -> None:
        ok, customer = result
        self.sig_message.emit(
            _("The submission was withdrawn.")
            if ok
            else _("The submission was already sent; only the market manager can decide now.")
        )
        if self.customer is not None and customer is not None and customer.id == self.customer.id:
            self._reloaded(customer)

    def _update_header(self) -> None:
        self._update_banner()
        self.title.setText(self.display_title())
        self.badge.setText(badge_html(self.customer))

    def display_title(self) -> str:
        """The shop name; a saved customer without one by its code (provisional or official)."""
        c = self.customer
        if c is None:
            return _("New customer")
        return c.values.get("shop_name") or c.code or _("(no shop name)")

    def focus_first(self) -> None:
        """The form from the top, the cursor in its first field that can be edited (a new customer)."""
        self.scroll.verticalScrollBar().setValue(0)
        self.sections.setCurrentRow(0)
        for row in self.rows.values():
            widget = row.editor.focus_widget()
            if self._editable(row.spec) and not self._locked and widget.isEnabled():
                widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return

    def raw_values(self) -> dict[str, Any]:
        return {key: row.editor.value() for key, row in self.rows.items()}

    def is_dirty(self) -> bool:
        return self._dirty

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.sig_dirty_changed.emit(dirty)

    # ---- validation as typed ------------------------------------------------------------------
    def _edited(self, key: str) -> None:
        self._parse(key)
        self._show(key)
        self._set_dirty(True)
        self._validate_timer.start()
        self._autosave_timer.start()
        if self.form[key].dedup:
            self._dup_timer.start()

    def _parse(self, key: str) -> None:
        editor = self.rows[key].editor  # a masked value (app.validation.secrecy) is not parsed: nothing to check
        issues = [] if editor.masked is not None else parse_field(self.form[key], editor.raw(), times.today())[1]
        self.field_issues[key] = issues

    def validate_record(self) -> Report:
        self.report = validate_values(self.form, self.raw_values(), today=times.today(), role=self.role)
        self.report.merge(consent_issues(self.form, self.report.values))  # shown on the form, blocks Submit
        before = self.customer.values if self.customer else None  # and personal values it may not save (Save)
        self.report.merge(consent_save_issues(self.form, before, self.report.values))
        for key in self.rows:
            self._show(key)
        self.progress.setValue(round(self.report.completeness * 100))
        self._update_todo()
        return self.report

    def invalid_issues(self) -> list[Issue]:
        """The errors of the values in the form (as typed, against other fields, duplicates), in form order."""
        out: list[Issue] = []
        for key in self.rows:
            out.extend(i for i in self._issues_for(key) if i.severity is Severity.ERROR and i not in out)
        return out

    def _update_todo(self) -> None:
        """The side list and the navigator: the values with errors (what is wrong, where), then what is empty."""
        self.invalid = self.invalid_issues()
        todo.fill(self.missing_list, self.form, self.lang, self.invalid, self.report.missing)
        self._update_sections()
        self.missing_title.setText(todo.title(len(self.invalid), len(self.report.missing)))

    def _issues_for(self, key: str) -> list[Issue]:
        seen: list[Issue] = []
        for i in (
            self.field_issues.get(key, []) + self.report.for_field(key) + [d for d in self.duplicates if d.field == key]
        ):
            if i not in seen:
                seen.append(i)
        return seen

    def _show(self, key: str) -> None:
        self.rows[key].show(self._issues_for(key), self.lang)

    def _check_duplicates(self) -> None:
        values = self.validate_record().values
        exclude = [self.customer.id] if self.customer else []
        ops.duplicates(self.ctx, self, values, exclude).success(self._got_duplicates).failure(
            lambda e: log.warning("duplicate check failed: %s", type(e).__name__)
        ).run()

    def _got_duplicates(self, issues: list[Issue]) -> None:
        self.duplicates = issues
        for key in self.rows:
            self._show(key)
        self._update_todo()

    def missing_by_group(self) -> dict[str, int]:
        """How many required fields are still empty in each section."""
        return todo.by_group(self.form, self.group_boxes, self.report.missing)

    def invalid_by_group(self) -> dict[str, int]:
        """How many values have errors in each section."""
        return todo.by_group(self.form, self.group_boxes, self.invalid)

    def _update_sections(self) -> None:
        todo.update_sections(self.sections, self.form, self.lang, self.report.missing, self.invalid)

    def _lay_out_body(self) -> None:
        """Lay the body out now, so that the positions read next are current."""
        body = self.scroll.widget()
        layout = body.layout() if body is not None else None
        assert layout is not None  # the body and its layout are made together (_build_fields)
        layout.activate()

    def go_to_group(self, key: str) -> None:
        """Scroll so that the section's title is at the top of the form."""
        box = self.group_boxes.get(key)
        if box is not None:
            self._lay_out_body()
            self.scroll.verticalScrollBar().setValue(box.y())
            row = list(self.group_boxes).index(key)
            self.sections.blockSignals(True)
            self.sections.setCurrentRow(row)  # the one clicked, also when the form cannot scroll that far
            self.sections.blockSignals(False)

    def _mark_current_section(self) -> None:
        top = self.scroll.verticalScrollBar().value()
        current = 0
        for i, box in enumerate(self.group_boxes.values()):
            if box.y() <= top + 20:
                current = i
        self.sections.blockSignals(True)
        self.sections.setCurrentRow(current)
        self.sections.blockSignals(False)

    def focus_field(self, key: str) -> None:
        row = self.rows.get(key)
        if row is not None:
            self._lay_out_body()
            self.scroll.ensureWidgetVisible(row.editor, 0, 80)
            self.scroll.ensureWidgetVisible(row.label, 0, 24)  # the label stays in view: above or beside
            row.editor.focus_widget().setFocus()

    def _link(self, href: str) -> None:
        if href.startswith("customer:"):
            self.sig_open_customer.emit(href.split(":", 1)[1])

    # ---- saving ------------------------------------------------------------------------------
    def _editable(self, spec: FieldSpec) -> bool:
        return todo.editable(spec, self.role)

    def changed_values(self) -> dict[str, Any]:
        """The fields whose input differs from what was loaded (todo.changed_values)."""
        return todo.changed_values(self.form, self.raw_values(), self.loaded, self.role)

    def unsaved(self) -> tuple[list[str], list[str]]:
        """What leaving now would lose: the changed fields that can be saved, the values that cannot."""
        return todo.unsaved(self.form, self.changed_values(), self.field_issues, self.lang)

    def save(self, then: Callable[[], None] | None = None) -> None:
        raw, cid, key = self.raw_values(), self.customer.id if self.customer else None, self.autosave_key
        self.save_button.setEnabled(False)
        ops.save_customer(
            self.ctx, self, raw, cid, self.changed_values(), Source(self.source.currentData()), key
        ).success(lambda r: self._saved(r.customer, raw, then)).finally_(self._enable_saving).run()

    def _enable_saving(self) -> None:
        self.save_button.setEnabled(not self._locked)

    def _saved(self, customer: Customer, raw: dict[str, Any], then: Callable[[], None] | None = None) -> None:
        self.customer, self.loaded = customer, dict(customer.values)
        self.autosave_key = customer.id
        self._update_header()
        still_invalid = any(i.severity is Severity.ERROR for key in self.rows for i in self.field_issues.get(key, []))
        # still unsaved: a value with an error (not stored), or what was typed while the save ran;
        # the safety copy (dropped by the save) keeps it again
        self._set_dirty(bool(self.changed_values()))
        if self._dirty:
            self._autosave_timer.start()
        self.sig_message.emit(
            _("Saved.")
            if not still_invalid
            else _("Saved. Values with errors were not stored; correct them and save again.")
        )
        self.sig_saved.emit(customer.id)
        if then is not None:
            then()

    def submit(self) -> None:
        report = self.validate_record()
        errors = report.errors + [
            i for k in self.rows for i in self.field_issues.get(k, []) if i.severity is Severity.ERROR
        ]
        if errors:
            self.focus_field(errors[0].field)
            self.sig_message.emit(errors_text(len(errors)))
            return
        lines = lines_to_confirm(self.form, report, self.duplicates, self.lang)
        is_change = self.customer is not None and self.customer.approved_values is not None
        dialog = SubmitDialog(lines, is_change, self)
        dialog.accepted.connect(lambda: self._do_submit(dialog.note.text(), dialog.urgent.isChecked()))
        self.submit_dialog = dialog
        dialog.open()

    def _do_submit(self, note: str = "", urgent: bool = False) -> None:
        """Save, submit and read back in one operation (it announces the customer's change once)."""
        raw, cid, key = self.raw_values(), self.customer.id if self.customer else None, self.autosave_key
        self.save_button.setEnabled(False)
        ops.submit(
            self.ctx, self, raw, cid, self.changed_values(), Source(self.source.currentData()), key, note, urgent
        ).success(lambda r: self._submitted(r, raw)).finally_(self._enable_saving).run()

    def _submitted(self, result: Submitted, raw: dict[str, Any]) -> None:
        self._saved(result.customer, raw)
        if result.error is not None:
            show_exception(self, result.error)
        elif result.submitted:
            self.sig_message.emit(_("Submitted for review."))
            self._reloaded(result.customer)
        elif result.refused:
            self.sig_message.emit(_("Not submitted: the record has errors."))

    def _reloaded(self, customer: Customer | None) -> None:
        if customer is not None:
            self.customer = customer
            self._update_header()

    def _autosave(self) -> None:
        if not self._dirty:
            return
        raw, key, cid = self.raw_values(), self.autosave_key, self.customer.id if self.customer else None
        state = {"raw": raw, "form_version": self.form.version}
        ops.autosave(self.ctx, self, key, cid, state).failure(self._autosave_failed).run()

    def _autosave_failed(self, exc: BaseException) -> None:
        # An automatic background save never pops up a dialog; the next edit tries again.
        log.warning("autosave failed: %s", type(exc).__name__)
        self.sig_message.emit(_("Could not keep a safety copy of the form; save it yourself (Ctrl+S)."))

    def discard_changes(self) -> None:
        key = self.autosave_key
        ops.discard_autosave(self.ctx, self, [key]).run()
        self.load(self.customer)


def _single_shot(parent: QWidget, ms: int, slot: Any) -> QTimer:
    t = QTimer(parent)
    t.setSingleShot(True)
    t.setInterval(ms)
    t.timeout.connect(slot)
    return t


def _current_lang() -> str:
    return current_language()

"""A customer's history of changes: who (by display name, or system), when (China time, app.models.times),
which field, old → new, and where the information came from."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.i18n import N_, _, current_language, ngettext, translate
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.record import SOURCE_MSGIDS, STATUS_MSGIDS, AuditEntry, CustomerStatus, Source
from app.services.exporting import export_value
from app.ui.context import UiContext
from app.ui.ops import records as record_ops

ACTIONS = {
    "create": N_("Created"),
    "update": N_("Changed"),
    "status": N_("Status"),
    "delete": N_("Deleted"),
    "check": N_("Check recorded"),
    "review": N_("Review decision"),
}
CHECKS = {"last_quarterly_check": N_("Quarterly check"), "last_static_review": N_("Half-yearly review")}


class HistoryView(QWidget):
    def __init__(self, ctx: UiContext, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.form = ctx, form
        ctx.sig_form_changed.connect(self.set_form)  # a newer form is in force: show with it
        self.table = QTableWidget(0, 6, self)
        self.table.setHorizontalHeaderLabels([_("When"), _("Who"), _("What"), _("Before"), _("After"), _("Source")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)

    def set_form(self, form: FormDefinition) -> None:
        self.form = form

    def load(self, customer_id: str | None) -> None:
        self.table.setRowCount(0)
        if customer_id:
            record_ops.history(self.ctx, self, customer_id).success(self._show).run()

    def _value(self, field: str | None, value: Any) -> str:
        if value is None:
            return ""
        spec = self.form.get(field or "")
        if spec is None:
            return str(value)
        if field and field in CHECKS:
            return str(value)
        shown = export_value(spec, value, _lang())
        return "" if shown is None else str(shown)

    def _show(self, entries: list[AuditEntry]) -> None:
        rows = list(reversed(entries))
        self.table.setRowCount(len(rows))
        for r, e in enumerate(rows):
            what, before, after = self._describe(e)
            source = (
                translate(SOURCE_MSGIDS.get(Source(e.source), e.source))
                if e.source in Source._value2member_map_
                else e.source
            )
            if e.source_ref and e.source != Source.SYNC.value:  # a synced change's reference names its maker: "Who"
                source += f" · {e.source_ref}"
            if e.info_date:
                source += f" · {e.info_date}"
            for c, text in enumerate((times.shown(e.at, seconds=True), e.by or e.actor, what, before, after, source)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.resizeColumnToContents(0)  # the time on one line (the other columns wrap)
        self.table.resizeRowsToContents()

    def _describe(self, e: AuditEntry) -> tuple[str, str, str]:
        action = translate(ACTIONS.get(e.action, e.action))
        if e.action == "update":
            spec = self.form.get(e.field or "")
            return (
                spec.label(_lang()) if spec else self._retired(e.field or ""),
                self._value(e.field, e.old),
                self._value(e.field, e.new),
            )
        if e.action == "status":
            return action, _status(e.old), _status(e.new)
        if e.action == "check":
            return translate(CHECKS.get(e.field or "", e.field or "")), str(e.old or ""), str(e.new or "")
        if e.action == "review" and isinstance(e.new, dict):
            return action, "", self._review(e.new)
        if e.action == "create":
            n = len(e.new) if isinstance(e.new, dict) else 0
            note = ngettext("{n} field", "{n} fields", n).format(n=n) if e.intact else _("does not match its history")
            return action, "", note
        return action, "", ""

    def _retired(self, key: str) -> str:
        """A field the form retired (its old values stay in the history): its label and 已停用 / retired."""
        label = self.form.retired_label(key, _lang())
        return _("{label} (retired)").format(label=label) if label else key

    def _review(self, r: dict[str, Any]) -> str:
        """One review round: approved, or returned with its reason and the fields to correct."""
        by = r.get("by") or ""
        if r.get("action") == "approve":
            return _("approved by {by}").format(by=by)
        text = _("returned by {by}: {reason}").format(by=by, reason=r.get("reason") or "")
        fields = [self.form[f].label(_lang()) for f in r.get("fields") or [] if f in self.form]
        if fields:
            text += "\n" + _("To correct: {fields}").format(fields="、".join(fields))
        return text


def _status(value: Any) -> str:
    try:
        return translate(STATUS_MSGIDS[CustomerStatus(value)])
    except (ValueError, KeyError):
        return str(value or "")


def _lang() -> str:
    return current_language()

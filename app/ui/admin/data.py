"""Pages of the administration area about the server's data: the work calendar (import and edit into a
draft, see what the draft changes, publish it or discard it), purchase figures and classification runs
(a dry run first, with its table of changes; applying only what was previewed), the audit copy (list,
verify, export) and the admin log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, current_language, ngettext, translate
from app.models.admin import (
    AuditEntry,
    CalendarChange,
    CalendarDraft,
    ClassifyRun,
    LogEntry,
    PurchaseImport,
    Verification,
)
from app.services import admin
from app.ui.admin.common import Page, fill, table, when
from app.ui.context import UiContext
from app.ui.values import shown, today

SHEETS = "Excel / WPS / ODS / CSV (*.xlsx *.xlsm *.xls *.et *.ods *.csv)"
JSON_FILES = "JSON (*.json)"


class CalendarPage(Page):
    """The published calendar, and the admin's draft: a day set or a file imported goes to the draft,
    which lists every day it would change; publishing makes it the calendar clients fetch."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Work calendar")
        self.version = QLabel()
        self.layout_.addWidget(self.version)
        self.table = table([_("Date"), _("Kind")], 1)
        self.layout_.addWidget(self.table)
        row = QHBoxLayout()
        self.day = QDateEdit(today())
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.kind = QComboBox()
        for k, label in admin.DAY_KINDS.items():
            self.kind.addItem(translate(label), k)
        self.set_b = QPushButton(_("Set in the draft"))
        self.set_b.clicked.connect(self.set_day)
        for w in (QLabel(_("Day")), self.day, self.kind, self.set_b):
            row.addWidget(w)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.import_b, _r = self.buttons(
            (_("Import a calendar file into the draft…"), self.choose_file), (_("Refresh"), self.refresh)
        )
        box = QGroupBox(_("Draft (not published)"))
        lay = QVBoxLayout(box)
        self.draft_label = QLabel()
        self.draft_label.setWordWrap(True)
        self.changes = table([_("Date"), _("Published"), _("In the draft")], 2)
        self.changes.setMaximumHeight(180)
        buttons = QHBoxLayout()
        self.publish_b = QPushButton(_("Publish the draft…"))
        self.publish_b.clicked.connect(self.ask_publish)
        self.discard_b = QPushButton(_("Discard the draft"))
        self.discard_b.clicked.connect(self.discard)
        for b in (self.publish_b, self.discard_b):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay.addWidget(self.draft_label)
        lay.addWidget(self.changes)
        lay.addLayout(buttons)
        self.layout_.addWidget(box)
        self.layout_.addWidget(self.status)
        self.confirm: QMessageBox | None = None
        self.show_draft(CalendarDraft((), (), ""))

    def refresh(self) -> None:
        self.ask(admin.calendar, self.show_calendar)
        self.ask(admin.calendar_draft, self.show_draft)

    def show_calendar(self, cal: dict[str, Any]) -> None:
        years = cal.get("years") or []
        self.version.setText(
            _("Published version {version}; years {years}. Clients fetch a new version at their next sync.").format(
                version=cal.get("version", "?"), years=", ".join(map(str, years))
            )
        )
        rows = [(d, translate(admin.DAY_KINDS["holiday"])) for d in cal.get("holidays") or []]
        rows += [(d, translate(admin.DAY_KINDS["workday"])) for d in cal.get("workdays") or []]
        rows.sort(reverse=True)
        fill(self.table, rows)

    def show_draft(self, draft: CalendarDraft) -> None:
        self.draft = draft
        kind = {k: translate(label) for k, label in admin.DAY_KINDS.items()}
        fill(
            self.changes,
            [(c.day, kind.get(c.published, c.published), kind.get(c.draft, c.draft)) for c in draft.changes],
        )
        if not draft.years:
            self.draft_label.setText(_("No draft. Set a day or import a file: it goes to the draft first."))
        else:
            self.draft_label.setText(
                ngettext(
                    "The draft of {years} changes {n} day; clients see it only once it is published.",
                    "The draft of {years} changes {n} days; clients see it only once it is published.",
                    len(draft.changes),
                ).format(years=", ".join(map(str, draft.years)), n=len(draft.changes))
            )
        self.publish_b.setEnabled(bool(draft.years))
        self.discard_b.setEnabled(bool(draft.years))

    def set_day(self) -> None:
        d = self.day.date()
        day = dt.date(d.year(), d.month(), d.day())
        kind = str(self.kind.currentData())
        self.ask(lambda c: admin.set_day(c, day, kind, draft=True), self.drafted)

    def drafted(self, change: CalendarChange) -> None:
        self.status.setText(_("Saved in the draft; not published yet."))
        self.refresh()

    def ask_publish(self) -> None:
        n = len(self.draft.changes)
        self.confirm = QMessageBox(QMessageBox.Icon.Question, _("Publish the work calendar"), "", parent=self)
        self.confirm.setText(
            ngettext(
                "Publish the draft ({n} day changed)? Every client takes the new calendar at its next sync, "
                "and deadlines are counted by it from then on.",
                "Publish the draft ({n} days changed)? Every client takes the new calendar at its next sync, "
                "and deadlines are counted by it from then on.",
                n,
            ).format(n=n)
        )
        self.confirm.setStandardButtons(QMessageBox.StandardButton.Cancel)
        publish = self.confirm.addButton(_("Publish"), QMessageBox.ButtonRole.AcceptRole)
        publish.clicked.connect(lambda: self.ask(admin.publish_calendar, self.published))
        self.confirm.open()

    def published(self, change: CalendarChange) -> None:
        self.status.setText(_("Published: version {version}.").format(version=change.version))
        self.refresh()

    def discard(self) -> None:
        self.ask(admin.discard_calendar, self.discarded)

    def discarded(self, _change: CalendarChange) -> None:
        self.status.setText(_("The draft was discarded; the published calendar is unchanged."))
        self.refresh()

    def choose_file(self) -> None:
        name, _f = QFileDialog.getOpenFileName(self, _("Import a calendar file"), "", JSON_FILES)
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> None:
        self.ask(lambda c: admin.import_calendar(c, path, draft=True), self.drafted)


class PurchasesPage(Page):
    """Purchase figures: check the file (dry run), then import what was checked. Classification: preview
    the table of changes (dry run), then apply that period."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Purchases and classification")
        self.file: Path | None = None
        self.checked: tuple[Path, str] | None = None  # the file and period the last dry run passed
        self.previewed: str | None = None  # the period whose table of changes is shown
        box = QGroupBox(_("Purchase figures"))
        form = QFormLayout(box)
        self.file_label = QLabel(_("No file chosen"))
        choose = QPushButton(_("Choose a file…"))
        choose.clicked.connect(self.choose_file)
        line = QHBoxLayout()
        line.addWidget(self.file_label, 1)
        line.addWidget(choose)
        form.addRow(_("File"), line)
        self.period = QLineEdit()
        self.period.setPlaceholderText(_("For rows without a period: 2026-07 or 2026-Q3"))
        form.addRow(_("Period"), self.period)
        buttons = QHBoxLayout()
        self.check_b = QPushButton(_("Check (dry run)"))
        self.check_b.clicked.connect(lambda: self.send(True))
        self.import_b = QPushButton(_("Import"))
        self.import_b.clicked.connect(lambda: self.send(False))
        self.import_b.setEnabled(False)
        buttons.addWidget(self.check_b)
        buttons.addWidget(self.import_b)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.layout_.addWidget(box)
        cbox = QGroupBox(_("Classification run"))
        cl = QVBoxLayout(cbox)
        crow = QHBoxLayout()
        self.run_period = QLineEdit()
        self.run_period.setPlaceholderText("2026-07 / 2026-Q3")
        self.preview_b = QPushButton(_("Preview the changes (dry run)"))
        self.preview_b.clicked.connect(lambda: self.classify(True))
        self.apply_b = QPushButton(_("Apply these changes"))
        self.apply_b.clicked.connect(lambda: self.classify(False))
        self.apply_b.setEnabled(False)
        for w in (QLabel(_("Period")), self.run_period, self.preview_b, self.apply_b):
            crow.addWidget(w)
        crow.addStretch(1)
        cl.addLayout(crow)
        self.changes = table(
            [_("Customer code"), _("Shop"), _("Retail format"), _("Score"), _("Scale"), _("Classification")]
        )
        cl.addWidget(self.changes)
        self.layout_.addWidget(cbox, 1)
        self.layout_.addWidget(self.status)
        self.run_period.textChanged.connect(lambda _t: self.apply_b.setEnabled(False))
        self.period.textChanged.connect(lambda _t: self.import_b.setEnabled(False))

    def choose_file(self) -> None:
        name, _f = QFileDialog.getOpenFileName(self, _("Purchase figures"), "", SHEETS)
        if name:
            self.use_file(Path(name))

    def use_file(self, path: Path) -> None:
        self.file = path
        self.file_label.setText(path.name)
        self.import_b.setEnabled(False)

    def send(self, dry_run: bool) -> None:
        if self.file is None:
            self.status.setText(_("Choose the file of purchase figures first."))
            return
        path, period = self.file, self.period.text()

        def done(r: PurchaseImport) -> None:
            periods = ", ".join(r.periods)
            if r.dry_run:
                self.checked = (path, period)
                self.import_b.setEnabled(True)
                text = ngettext(
                    "Checked, nothing written: {n} row for {periods} can be imported ({replaced} replace earlier "
                    "figures).",
                    "Checked, nothing written: {n} rows for {periods} can be imported ({replaced} replace earlier "
                    "figures).",
                    r.imported,
                )
            else:
                self.checked = None
                self.import_b.setEnabled(False)
                text = ngettext(
                    "Imported {n} row for {periods} ({replaced} replaced earlier figures).",
                    "Imported {n} rows for {periods} ({replaced} replaced earlier figures).",
                    r.imported,
                )
            self.status.setText(text.format(n=r.imported, periods=periods, replaced=r.replaced))

        self.import_b.setEnabled(False)
        self.ask(lambda c: admin.import_purchases(c, path, period, dry_run), done)

    def classify(self, dry_run: bool) -> None:
        period = self.run_period.text()
        if not dry_run and self.previewed != period.strip().upper():
            return
        self.apply_b.setEnabled(False)
        self.ask(lambda c: admin.classify(c, period, dry_run), self.show_run)

    def _format(self, value: str) -> str:
        form = self.ctx.form
        return shown(form, "retail_format", value, current_language()) if form is not None else value

    def show_run(self, run: ClassifyRun) -> None:
        fill(
            self.changes,
            [
                (
                    c.code,
                    c.shop,
                    self._format(c.retail_format),
                    f"{c.score:.4f}" if c.score is not None else "—",
                    f"{c.old_scale or '—'} → {c.new_scale or '—'}",
                    f"{c.old_class or '—'} → {c.new_class or '—'}",
                )
                for c in run.changes
            ],
        )
        n = run.count
        if run.applied or not run.changes:
            self.previewed = None
            text = (
                ngettext("Applied: {n} customer changed.", "Applied: {n} customers changed.", n)
                if run.applied
                else _("Nothing would change.")
            )
        else:
            self.previewed = run.period
            self.apply_b.setEnabled(True)
            text = ngettext(
                "Dry run, nothing written: {n} customer would change.",
                "Dry run, nothing written: {n} customers would change.",
                n,
            )
        extra = _("{ranked} ranked for {period}, {unchanged} unchanged, {none} without figures.").format(
            ranked=run.ranked, period=run.period, unchanged=run.unchanged, none=run.no_figures
        )
        if n > len(run.changes):
            extra += " " + _("The table lists the first {shown} of them.").format(shown=len(run.changes))
        self.status.setText(text.format(n=n) + " " + extra)


class AuditPage(Page):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Audit copy")
        row = QHBoxLayout()
        self.device = QLineEdit()
        self.device.setPlaceholderText(_("Device (all)"))
        self.user = QLineEdit()
        self.user.setPlaceholderText(_("Uploaded by (all)"))
        row.addWidget(self.device)
        row.addWidget(self.user)
        self.layout_.addLayout(row)
        self.table = table(
            [_("Device"), "#", _("Time"), _("By"), _("What"), _("Action"), _("Field"), _("Uploaded by")], 4
        )
        self.layout_.addWidget(self.table)
        self.list_b, self.verify_b, self.export_b = self.buttons(
            (_("List"), self.refresh), (_("Verify the copy"), self.verify), (_("Export…"), self.choose_export)
        )
        self.layout_.addWidget(self.status)

    def refresh(self) -> None:
        device, user = self.device.text(), self.user.text()
        self.ask(lambda c: admin.audit(c, device, user), self.show_entries)

    def show_entries(self, entries: list[AuditEntry]) -> None:
        fill(
            self.table,
            [
                (
                    e.device,
                    e.seq,
                    e.at[:19].replace("T", " "),
                    e.actor,
                    f"{e.entity} {e.entity_id}",
                    e.action,
                    e.field or "",
                    e.uploaded_by,
                )
                for e in entries
            ],
        )
        self.status.setText(
            ngettext("{n} entry (the newest).", "{n} entries (the newest).", len(entries)).format(n=len(entries))
        )

    def verify(self) -> None:
        def done(v: Verification) -> None:
            if v.intact:
                self.status.setText(_("The uploaded audit trails are intact."))
            else:
                head = ngettext("{n} problem in the audit copy:", "{n} problems in the audit copy:", len(v.problems))
                self.status.setText(head.format(n=len(v.problems)) + "\n" + "\n".join(v.problems[:20]))

        self.ask(admin.verify_audit, done)

    def choose_export(self) -> None:
        name, _f = QFileDialog.getSaveFileName(
            self, _("Export the audit copy"), "audit-copy.jsonl", "JSON lines (*.jsonl)"
        )
        if name:
            self.export(Path(name))

    def export(self, target: Path) -> None:
        def done(n: int) -> None:
            self.status.setText(
                ngettext("{n} entry exported to {file}.", "{n} entries exported to {file}.", n).format(
                    n=n, file=target.name
                )
            )

        self.ask(lambda c: admin.export_audit(c, target), done)


class LogPage(Page):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.title = _("Admin log")
        self.table = table([_("Time"), _("By"), _("Through"), _("Action"), _("On"), _("Result"), _("Details")])
        self.layout_.addWidget(self.table)
        (_r,) = self.buttons((_("Refresh"), self.refresh))
        self.layout_.addWidget(self.status)

    def refresh(self) -> None:
        self.ask(admin.admin_log, self.show_log)

    def show_log(self, rows: list[LogEntry]) -> None:
        outcome = {"ok": _("Done"), "refused": _("Refused"), "failed": _("Failed")}
        via = {"api": _("Desktop app"), "cli": _("Command line")}
        fill(
            self.table,
            [
                (
                    when(r.at),
                    r.actor,
                    via.get(r.via, r.via),
                    r.action,
                    r.target,
                    outcome.get(r.outcome, r.outcome),
                    json.dumps(r.detail, ensure_ascii=False)[:200],
                )
                for r in rows
            ],
        )

"""Spreadsheet templates, validation, all-or-nothing import, and export.

Sheet conventions: the header row holds field keys, zh labels or en labels; an
optional ``id`` column names existing records; dates are date cells or
``YYYY-MM-DD``; booleans TRUE/FALSE, 是/否 or 1/0; GPS ``latitude,longitude``.
Photo columns are not imported (photos are added in the app).

An import streams the sheet in batches inside *one* write transaction, keeping
only the problems in memory; if any row has an error the transaction is rolled
back (in ``ImportMode.WRITE``), so nothing is half-imported and memory stays flat. What a pass
does is its ``ImportMode``: check the file alone, check it against the archive, write it all or
nothing, or write the rows without errors.

Bulk maintenance (大批量维护): every pass also records, for the rows without errors, what they
change (``SheetResult.diffs``: field label, old → new as the user reads it; new rows marked new),
at most ``MAX_DIFFS`` rows, the rest only counted; and the customers whose changes need review
(``review_ids``), which ``submit_changed`` submits after the import with the note
"大批量维护: <file>".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import compress, repeat
from operator import attrgetter, is_not, itemgetter
from pathlib import Path
from typing import Any

from app.errors import UserCancelled, UserFacingError
from app.export.reading import EXTENSIONS, SheetChoiceNeeded, choose_sheets, open_book
from app.export.xlsx import Column, write_sheet
from app.i18n import N_, current_language, translate
from app.models.catalogue import ChangePolicy, FieldRole, FieldSpec, FieldType, FormDefinition
from app.models.record import (
    CustomerStatus,
    CustomerUpdate,
    NewCustomer,
    Provenance,
    Source,
    new_id,
)
from app.models.wire import UserRole
from app.services import records
from app.services.exporting import ID_COLUMN, export_value, field_column
from app.services.records import clean_values, quality
from app.services.session import Session
from app.storage.archive import Archive
from app.validation import Issue, Report, Severity, validate_values
from app.validation.compiled import compiled
from app.validation.editing import entry_issues
from app.validation.parsing import is_empty
from app.validation.sheetmap import HeaderMap, is_identifier, map_columns, sheet_value

Progress = Callable[[int, int], None]
ERROR, MISSING = Severity.ERROR, Severity.MISSING
_SEVERITY = attrgetter("severity")
BATCH = 500


class ImportMode(Enum):
    """What one pass over a sheet does."""

    FILE_ONLY = "file-only"  # check the file alone: there is no archive (``validate`` before ``init``)
    CHECK = "check"  # check against the archive (ids, duplicates, codes); nothing is written
    WRITE = "write"  # all or nothing: an error in any row rolls the whole import back
    WRITE_VALID_ROWS = "write-valid-rows"  # the rows without errors are written, the others skipped

    @property
    def writes(self) -> bool:
        return self in (ImportMode.WRITE, ImportMode.WRITE_VALID_ROWS)


@dataclass
class Problem:
    row: int
    field: str
    severity: str
    code: str
    message: str
    sheet: str = ""  # the sheet's name when the import reads several

    def to_dict(self) -> dict[str, Any]:
        d = {
            "row": self.row,
            "field": self.field,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }
        if self.sheet:
            d["sheet"] = self.sheet
        return d


#: At most this many row diffs are kept for the preview (about 1 KB each); the rest are only
#: counted (``diffs_omitted``: "and N more"), so a 100k-row maintenance file keeps memory flat.
MAX_DIFFS = 5_000
MAX_PROBLEMS = 20_000
MAX_MISSING = 2_000


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    old: str  # as the user reads it (choice labels, dates), "" when empty
    new: str
    review: bool  # the field's change policy needs the market manager's approval


@dataclass
class RowDiff:
    row: int
    customer_id: str
    code: str
    name: str
    new: bool  # a new customer (no changes listed)
    changes: list[FieldChange] = field(default_factory=list)
    sheet: str = ""  # the sheet's name when the import reads several

    @property
    def needs_review(self) -> bool:
        return any(c.review for c in self.changes)


@dataclass
class SheetResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    problems: list[Problem] = field(default_factory=list)
    skipped_rows: list[Any] = field(default_factory=list)  # row numbers ("sheet row" with several sheets)
    #: What the rows without errors would do (the dry run) or did (the import): new customers,
    #: customers with changed fields, and those whose changes need review.
    new_rows: int = 0
    changed_rows: int = 0
    diffs: list[RowDiff] = field(default_factory=list)
    diffs_omitted: int = 0
    review_ids: list[str] = field(default_factory=list)  # changed customers to submit for review

    #: Every problem is counted; at most MAX_PROBLEMS errors and warnings and MAX_MISSING missing
    #: values are kept with their message (a 100k-row file can have a million missing values).
    counts: dict[str, int] = field(default_factory=lambda: {"error": 0, "warning": 0, "missing": 0})
    problems_omitted: int = 0
    rows_with_errors: set[tuple[str, int]] = field(default_factory=set)
    #: What was read: the sheets (and the row of each one's header), the columns ignored (header
    #: texts), the sheets with content that were not read, and, when several sheets hold data and
    #: none was chosen, the sheets to choose from (nothing was checked then; ``active_sheet`` is the
    #: one the file opens on).
    sheets: list[str] = field(default_factory=list)
    header_rows: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)
    sheet_choices: list[str] = field(default_factory=list)
    active_sheet: str = ""

    def add_problem(self, p: Problem) -> None:
        self.counts[p.severity] = self.counts.get(p.severity, 0) + 1
        if p.severity == "error":
            self.rows_with_errors.add((p.sheet, p.row))
        kept = self.counts["missing"] if p.severity == "missing" else self.counts["error"] + self.counts["warning"]
        if kept <= (MAX_MISSING if p.severity == "missing" else MAX_PROBLEMS):
            self.problems.append(p)
        else:
            self.problems_omitted += 1

    @property
    def error_rows(self) -> list[Any]:
        """Row numbers with an error ("sheet row" when several sheets were read)."""
        if len(self.sheets) > 1:
            return [f"{s} {r}" for s, r in sorted(self.rows_with_errors)]
        return sorted(r for _s, r in self.rows_with_errors)

    @property
    def has_errors(self) -> bool:
        return bool(self.rows_with_errors)


class _Rollback(Exception):
    pass


#: While a sheet is checked, the cyclic garbage collector runs its youngest generation after this many
#: new container objects instead of 700: each row leaves a few behind (its report, values, the batch's
#: writes), so at 700 it ran every few rows and took about a tenth of the check (measured on 10k rows).
#: Nothing a check makes is cyclic garbage; the thresholds are restored when the last check ends.
GC_YOUNG_THRESHOLD = 20_000
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            if _gc_saved[0] and _gc_saved[0] < GC_YOUNG_THRESHOLD:
                gc.set_threshold(GC_YOUNG_THRESHOLD, *_gc_saved[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)


class SheetImport:
    """One pass over a sheet: validate every row and, as its ``mode`` says, write them."""

    def __init__(
        self,
        form: FormDefinition,
        archive: Archive | None,
        mode: ImportMode,
        *,
        role: str,
        actor: str,
        today: dt.date,
        source_ref: str,
        lang: str,
    ) -> None:
        if (archive is None) != (mode is ImportMode.FILE_ONLY):
            raise ValueError(
                f"{mode} needs an archive" if archive is None else "FILE_ONLY is the check without an archive"
            )
        self.form, self.role, self.today, self.lang = form, role, today, lang
        self.mode = mode
        self._arc = archive
        self.prov = Provenance(actor, Source.IMPORT, source_ref, today.isoformat())
        self.result = SheetResult()
        self.sheet = ""
        self.multi = False
        self.seen_ids: dict[str, int] = {}
        #: per dedup field, each value's first row: the one structure of a check that grows with the rows
        #: (about 60 bytes a value besides the value's text; a (field, value) tuple key took 64 more)
        self.seen_values: dict[str, dict[str, int]] = {}
        self.seen_codes: dict[str, int] = {}
        self.created_ids: set[str] = set()
        self.dedup_keys = [f.key for f in form.fields if f.dedup]
        self.ident_keys = frozenset(f.key for f in form.fields if is_identifier(f))
        self._messages: dict[tuple[Any, ...], str] = {}
        self._plans: dict[
            int,
            tuple[
                dict[int, str],
                int | None,
                list[tuple[int, str, FieldSpec, bool, bool]],
                Callable[[list[Any]], tuple[Any, ...]],
                int,
            ],
        ] = {}
        self._id_cols: dict[int, tuple[dict[int, str], list[int]]] = {}
        self.code_key = (form.by_role(FieldRole.CUSTOMER_CODE) or form.fields[0]).key
        name = form.by_role(FieldRole.SHOP_NAME)
        self.name_key = name.key if name else None

    def problem(self, row: int, issue: Issue, label: str | None = None) -> None:
        res = self.result
        sev = issue.severity._value_  # the member's own attribute: .value is a property written in Python
        if sev == "missing" and res.counts["missing"] >= MAX_MISSING:
            res.counts["missing"] += 1  # counted, not kept: no message to format
            res.problems_omitted += 1
            return
        key: Any = (issue.code, issue.field, label, issue.params)
        try:
            message = self._messages.get(key)
        except TypeError:  # a parameter that cannot be a dict key
            message, key = None, None
        if message is None:
            spec = self.form.get(issue.field)
            label = label or (spec.label(self.lang) if spec else issue.field)
            message = issue.message(label, self.lang)
            if key is not None and len(self._messages) < 10_000:
                self._messages[key] = message
        res.add_problem(Problem(row, issue.field, sev, issue.code, message, self.sheet if self.multi else ""))

    @property
    def archive(self) -> Archive:
        """The archive of every mode but FILE_ONLY (which never asks for it)."""
        assert self._arc is not None, "ImportMode.FILE_ONLY has no archive"
        return self._arc

    def run(
        self,
        parts: Sequence[tuple[str, Iterator[tuple[int, list[Any]]], dict[int, str]]],
        *,
        progress: Progress | None,
        cancel: threading.Event | None,
        total: int,
    ) -> SheetResult:
        """Check (and write) the rows of each part (sheet name, rows, column mapping) in one transaction."""
        with _fewer_collections():
            return self._run(parts, progress=progress, cancel=cancel, total=total)

    def _run(
        self,
        parts: Sequence[tuple[str, Iterator[tuple[int, list[Any]]], dict[int, str]]],
        *,
        progress: Progress | None,
        cancel: threading.Event | None,
        total: int,
    ) -> SheetResult:
        if self.mode is ImportMode.FILE_ONLY:
            self._parts(None, parts, progress, cancel, total)
            return self.result
        if self.mode is ImportMode.CHECK:
            with self.archive.db.reading() as tx:
                self._parts(tx, parts, progress, cancel, total)
            return self.result
        try:
            with self.archive.db.transaction() as tx:
                self._parts(tx, parts, progress, cancel, total)
                if self.result.has_errors and self.mode is ImportMode.WRITE:
                    raise _Rollback
        except _Rollback:
            self.result.created = self.result.updated = self.result.unchanged = 0
            return self.result
        self.result.written = True
        return self.result

    def _parts(
        self,
        tx: Any,
        parts: Sequence[tuple[str, Iterator[tuple[int, list[Any]]], dict[int, str]]],
        progress: Progress | None,
        cancel: threading.Event | None,
        total: int,
    ) -> None:
        for name, rows, mapping in parts:
            self.sheet = name
            self._loop(tx, rows, mapping, progress, cancel, total)
        if progress:
            progress(self.result.rows, self.result.rows)

    def _loop(
        self,
        tx: Any,
        rows: Iterator[tuple[int, list[Any]]],
        mapping: dict[int, str],
        progress: Progress | None,
        cancel: threading.Event | None,
        total: int,
    ) -> None:
        batch: list[tuple[int, list[Any]]] = []
        for item in rows:
            batch.append(item)
            if len(batch) >= BATCH:
                self._batch(tx, batch, mapping)
                batch = []
                if cancel is not None and cancel.is_set():
                    raise UserCancelled()
                if progress:
                    progress(self.result.rows, total)
        if batch:
            self._batch(tx, batch, mapping)

    def _batch(self, tx: Any, batch: list[tuple[int, list[Any]]], mapping: dict[int, str]) -> None:
        id_cols = self._id_columns(mapping)
        ids = (
            [str(vals[i]).strip() for _, vals in batch for i in id_cols if i < len(vals) and not is_empty(vals[i])]
            if id_cols
            else []
        )
        current = self.archive.customers.many(ids, tx) if self.mode is not ImportMode.FILE_ONLY and ids else {}
        checked = [self._row(n, vals, mapping, current) for n, vals in batch]
        self._cross_checks(tx, checked)
        creates: list[NewCustomer] = []
        updates: list[CustomerUpdate] = []
        res = self.result
        counts = res.counts
        for n, cid, is_new, report in checked:
            bad = False
            issues: Sequence[Issue] = report.issues
            if issues and counts["missing"] >= MAX_MISSING:  # past the cap: the row's missing values counted in C
                omitted = list(map(_SEVERITY, issues)).count(MISSING)
                if omitted:
                    counts["missing"] += omitted
                    res.problems_omitted += omitted
                    issues = [i for i in issues if i.severity is not MISSING] if omitted < len(issues) else ()
            for issue in issues:
                sev = issue.severity
                if sev is MISSING:
                    if counts["missing"] >= MAX_MISSING:  # what problem() does past the cap, without the call
                        counts["missing"] += 1
                        res.problems_omitted += 1
                        continue
                elif sev is ERROR:
                    bad = True
                self.problem(n, issue)
            if bad:
                self.result.skipped_rows.append(f"{self.sheet} {n}" if self.multi else n)
                continue
            if is_new and not self.mode.writes:  # the dry run of a new row: _diff reads its code and name only
                self._diff(n, cid, None, report.values)
                continue
            values = clean_values(report)
            if is_new:
                cid = cid or new_id()
            self._diff(n, cid, None if is_new else current[cid], values)
            if not self.mode.writes:  # the dry run: nothing to build for the archive
                continue
            if is_new:
                creates.append(NewCustomer(cid, values, quality(report)))
            else:
                updates.append(CustomerUpdate(cid, values, quality(report)))
        self.result.rows += len(batch)
        if not self.mode.writes or (self.result.has_errors and self.mode is ImportMode.WRITE):
            return
        self.archive.customers.insert(self.form, creates, self.prov, tx)
        self.created_ids.update(c.id for c in creates)
        changed = self.archive.customers.update(self.form, updates, self.prov, tx) if updates else 0
        self.result.created += len(creates)
        self.result.updated += changed
        self.result.unchanged += len(updates) - changed

    def _row(
        self, n: int, vals: list[Any], mapping: dict[int, str], current: dict[str, Any]
    ) -> tuple[int, str, bool, Report]:
        raw: dict[str, Any] = {}
        pre: list[Issue] = []
        lost: list[str] = []
        id_col, plan, pick, last = self._plan(mapping)
        width = len(vals)
        v = vals[id_col] if id_col is not None and id_col < width else None
        cid = "" if is_empty(v) else str(v).strip()
        existing = current.get(cid) if cid else None
        # An empty cell clears the field of an existing customer; a new one has nothing to clear, and the
        # checks read an absent key as empty (fewer keys for validate_values, clean_values, the editor rules).
        if existing is not None:
            cells: Iterable[tuple[tuple[int, str, FieldSpec, bool, bool], Any]] = zip(
                plan, [vals[i] if i < width else None for i, *_ in plan]
            )
        else:  # only the filled cells, picked in C (itemgetter, compress): a row is mostly empty cells
            got = pick(vals) if width > last else tuple(vals[i] if i < width else None for i, *_ in plan)
            cells = compress(zip(plan, got), map(is_not, got, repeat(None)))
        for (_i, key, spec, is_date, ident), v in cells:
            if v is None:
                raw[key] = None
                continue
            if type(v) is not str or is_date or ident and ("E" in v or "e" in v):
                v, issue = sheet_value(spec, v)
                if issue is not None:
                    pre.append(issue)
                    lost.append(key)
            raw[key] = v
        if cid:
            if cid in self.seen_ids:
                pre.append(Issue.make("id", Severity.ERROR, "id.duplicate", id=cid, row=self.seen_ids[cid]))
            self.seen_ids.setdefault(cid, n)
            if self.mode is ImportMode.FILE_ONLY:
                pre.append(Issue.make("id", Severity.ERROR, "id.no_archive"))
            elif existing is None or existing.deleted:
                pre.append(Issue.make("id", Severity.ERROR, "id.unknown", id=cid))
        if existing:
            merged = dict(existing.values)
            merged.update(raw)
        elif not cid:  # a new customer starts with the defaults, as in the form (F3 L10, L158)
            merged = {**compiled(self.form).derived(("new_defaults",), self.form.new_customer_defaults), **raw}
        else:
            merged = raw
        report = validate_values(self.form, merged, today=self.today, role=self.role)
        pre += self._editor_rules(
            existing.values if existing is not None else None,
            report.values,
            onboarding=existing is None or not existing.code_official,
        )
        if lost:  # the number cell's own message, not "required" or a checksum that blames the typist
            report.issues = [i for i in report.issues if i.field not in lost]
        if existing is not None:
            if (
                existing.status is CustomerStatus.PENDING
                and self.role == UserRole.COLLECTOR
                and clean_values(report) != {k: v for k, v in existing.values.items() if k in self.form}
            ):
                pre.append(Issue.make("id", Severity.ERROR, "id.pending", id=cid))
        report.issues[:0] = pre
        is_new = existing is None
        return n, cid, is_new, report  # a new row without id gets its id when one is needed (written, or listed)

    def _plan(
        self, mapping: dict[int, str]
    ) -> tuple[int | None, list[tuple[int, str, FieldSpec, bool, bool]], Callable[[list[Any]], tuple[Any, ...]], int]:
        """Per column mapping, once: the id column, (column, key, field, is a date, is an identifier), a
        function that picks the plan's cells of a row (as a tuple, in plan order) and the last column it reads."""
        cached = self._plans.get(id(mapping))
        if cached is None or cached[0] is not mapping:
            plan = [
                (i, k, self.form[k], self.form[k].type is FieldType.DATE, k in self.ident_keys)
                for i, k in mapping.items()
                if k in self.form and self.form[k].type is not FieldType.PHOTO
            ]
            id_col = next((i for i, k in mapping.items() if k == "id"), None)
            cols = [p[0] for p in plan]
            pick: Callable[[list[Any]], tuple[Any, ...]]
            if len(cols) == 1:
                only = cols[0]

                def pick(vals: list[Any]) -> tuple[Any, ...]:
                    return (vals[only],)
            elif cols:
                pick = itemgetter(*cols)
            else:

                def pick(vals: list[Any]) -> tuple[Any, ...]:
                    return ()

            cached = self._plans[id(mapping)] = (mapping, id_col, plan, pick, max(cols, default=-1))
        return cached[1], cached[2], cached[3], cached[4]

    def _id_columns(self, mapping: dict[int, str]) -> list[int]:
        """The columns mapped to ``id`` (once per mapping, not a walk over every column of every row)."""
        cached = self._id_cols.get(id(mapping))
        if cached is None or cached[0] is not mapping:
            cached = self._id_cols[id(mapping)] = (mapping, [i for i, k in mapping.items() if k == "id"])
        return cached[1]

    def _diff(self, n: int, cid: str, existing: Any, values: dict[str, Any]) -> None:
        """Count the row and keep its diff (up to MAX_DIFFS); note the customers to submit for review."""
        res = self.result
        changes: list[FieldChange] = []
        if existing is not None:
            old = existing.values
            for spec in self.form.fields:
                a, b = old.get(spec.key), values.get(spec.key)
                if spec.type is FieldType.PHOTO or a == b:
                    continue
                changes.append(
                    FieldChange(
                        spec.key,
                        spec.label(self.lang),
                        _shown(spec, a, self.lang),
                        _shown(spec, b, self.lang),
                        spec.change is ChangePolicy.APPROVAL,
                    )
                )
            if not changes:
                return
            res.changed_rows += 1
        else:
            res.new_rows += 1
            if len(res.diffs) >= MAX_DIFFS:  # a new row past the cap: counted, no diff to build
                res.diffs_omitted += 1
                return
        diff = RowDiff(
            n,
            cid or new_id(),
            str(values.get(self.code_key) or (existing.code if existing else "") or ""),
            str(values.get(self.name_key) or "") if self.name_key else "",
            existing is None,
            changes,
            self.sheet if self.multi else "",
        )
        if existing is not None and self._to_review(existing, diff):
            res.review_ids.append(cid)
        if len(res.diffs) < MAX_DIFFS:
            res.diffs.append(diff)
        else:
            res.diffs_omitted += 1

    def _to_review(self, existing: Any, diff: RowDiff) -> bool:
        """Like a change made in the form: a draft or returned customer is submitted; an approved one
        only for a collector's change of a field whose policy is ``approval`` (as the server rules)."""
        if not diff.needs_review:
            return False
        if existing.status in (CustomerStatus.DRAFT, CustomerStatus.RETURNED):
            return True
        return existing.status is CustomerStatus.APPROVED and self.role == UserRole.COLLECTOR

    def _editor_rules(self, old: dict[str, Any] | None, new: dict[str, Any], *, onboarding: bool) -> list[Issue]:
        """What the server would refuse for this role (``app.validation.editing``): a changed value in a
        field the role may not edit, or such a field filled on a new customer. An unchanged value (our
        own export imported back) is no change. The customer code of an existing customer says so."""
        issues = entry_issues(self.form, self.role, old, new, onboarding=onboarding)
        if old is not None and self.form.by_role(FieldRole.CUSTOMER_CODE) is not None:
            issues = [
                Issue.make(i.field, Severity.ERROR, "code.changed") if i.field == self.code_key else i for i in issues
            ]
        return issues

    def _cross_checks(self, tx: Any, checked: list[tuple[int, str, bool, Report]]) -> None:
        wanted: dict[str, set[str]] = {}
        new_codes: list[str] = []
        seen = self.seen_values
        if len(seen) < len(self.dedup_keys):
            seen.update((k, {}) for k in self.dedup_keys if k not in seen)
        # one field at a time over the batch (a row's issues keep their order: by field, then the code)
        for key in self.dedup_keys:
            first_of, want = seen[key], wanted.setdefault(key, set())
            for n, _cid, _is_new, report in checked:
                v = report.values.get(key)
                if not v:
                    continue
                text = str(v)
                first = first_of.setdefault(text, n)
                if first != n:
                    report.issues.append(Issue.make(key, Severity.WARNING, "duplicate.in_file", row=first))
                want.add(text)
        for n, _cid, is_new, report in checked:
            code = report.values.get(self.code_key)
            if is_new and code:
                first = self.seen_codes.setdefault(code, n)
                if first != n:
                    report.issues.append(Issue.make(self.code_key, Severity.ERROR, "code.exists", code=code))
                new_codes.append(code)
        if self.mode is ImportMode.FILE_ONLY:
            return
        dups = self.archive.customers.duplicates_of(self.form, wanted, tx)
        used = self.archive.customers.codes_in_use(new_codes, tx)
        for _n, cid, is_new, report in checked:
            for key in self.dedup_keys:
                v = report.values.get(key)
                for d in dups.get((key, str(v)), []) if v else []:
                    if d.customer_id != cid and d.customer_id not in self.created_ids:
                        report.issues.append(
                            Issue.make(
                                key,
                                Severity.WARNING,
                                "duplicate",
                                code=d.code or "",
                                name=d.name or "",
                                customer_id=d.customer_id,
                            )
                        )
            code = report.values.get(self.code_key)
            if is_new and code and code in used:
                report.issues.append(Issue.make(self.code_key, Severity.ERROR, "code.exists", code=code))


def _shown(spec: FieldSpec, v: Any, lang: str) -> str:
    x = export_value(spec, v, lang)
    if x is None:
        return ""
    return x.isoformat() if isinstance(x, dt.date) else str(x)


def submit_changed(session: Any, result: SheetResult, sheet_name: str) -> tuple[list[str], dict[str, Report]]:
    """After a bulk update (大批量维护) was written: submit the changed customers whose changes need
    review, with the note "大批量维护: <file>". A collector's approved customer goes back to draft
    first (what the server does with such a change). Returns (submitted, refused with their report)."""
    if not result.written or not result.review_ids:
        return [], {}
    arc = session._archive
    current = arc.customers.many(result.review_ids)
    reopen = [i for i, c in current.items() if c.status is CustomerStatus.APPROVED]
    if reopen and session.role == UserRole.COLLECTOR:
        arc.customers.set_status(reopen, CustomerStatus.DRAFT, Provenance(session.user, Source.IMPORT, sheet_name))
    note = translate(N_("Bulk maintenance: {file}")).format(file=sheet_name)
    return records.submit(session, result.review_ids, note=note)


def process_sheet(
    path: Path,
    form: FormDefinition,
    archive: Archive | None,
    *,
    actor: str,
    role: str = UserRole.COLLECTOR,
    mode: ImportMode = ImportMode.CHECK,
    today: dt.date | None = None,
    lang: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    sheet: str | None = None,
) -> SheetResult:
    """Check (and, as ``mode`` says, import) a spreadsheet: the sheet named by ``sheet``, every sheet
    with data (``"all"``), or (None) the only sheet with data. When several sheets hold data and
    none was chosen, nothing is checked: the result lists them (``sheet_choices``) with an error.

    ``archive`` is None exactly in ``ImportMode.FILE_ONLY`` (a ValueError otherwise).
    A file that cannot be read raises SheetError (a UserFacingError: what is wrong, what to do)."""
    lang = lang or current_language()
    headers = HeaderMap(form)
    job = SheetImport(
        form, archive, mode, role=role, actor=actor, today=today or dt.date.today(), source_ref=path.name, lang=lang
    )
    res = job.result
    book = open_book(path, headers.score)
    try:
        res.active_sheet = book.active.name
        try:
            names = choose_sheets(book, sheet)
        except SheetChoiceNeeded as exc:
            res.sheet_choices = exc.names
            job.problem(
                1, Issue.make("", Severity.ERROR, "sheet.choose", file=path.name, sheets="、".join(exc.names)), label=""
            )
            return res
        job.multi = len(names) > 1
        res.ignored_sheets = [s.name for s in book.sheets if s.visible and s.has_content and s.name not in names]
        parts = []
        total = 0
        for name in names:
            table = book.table(name)
            job.sheet = name
            res.sheets.append(name)
            res.header_rows[name] = table.header_row
            mapping, col_issues, unknown = map_columns(form, table.header, headers)
            for issue in col_issues:
                job.problem(table.header_row, issue)
            for _i, h in unknown:
                res.ignored_columns.append(f"{name}: {h}" if job.multi else h)
                if not any(i.code == "column.close" and dict(i.params).get("column") == h for i in col_issues):
                    job.problem(table.header_row, Issue.make(h, Severity.WARNING, "unknown_field"), label=h)
            if not any(k in form for k in mapping.values()):
                job.problem(table.header_row, Issue.make("", Severity.ERROR, "sheet.no_fields"), label="")
            parts.append((name, iter(table), mapping))
            total += table.estimated_rows
        if res.has_errors:
            return res
        return job.run(parts, progress=progress, cancel=cancel, total=total)
    finally:
        book.close()


def sheet_in_archive(session: Session, path: Path, **options: Any) -> SheetResult:
    """``process_sheet`` against the session's archive, with its form, as its user and role
    (``options``: the rest of ``process_sheet``'s keywords)."""
    return process_sheet(path, session.form, session._archive, actor=session.user, role=session.role, **options)


def intake_summary(result: SheetResult, lang: str | None = None) -> list[str]:
    """What was read, in a few lines: the sheets (and header rows), how many columns were ignored
    (always said, even 0), and the sheets with content that were not read."""
    lines = []
    if result.sheets:
        lines.append(
            translate(N_("Read: {sheets}."), lang).format(
                sheets="; ".join(
                    translate(N_("sheet “{sheet}”, header in row {row}"), lang).format(
                        sheet=s, row=result.header_rows.get(s, 1)
                    )
                    for s in result.sheets
                )
            )
        )
    n = len(result.ignored_columns)
    line = translate(N_("Columns ignored: {n}."), lang).format(n=n)
    if n:
        line += " " + "、".join(result.ignored_columns[:30]) + (" …" if n > 30 else "")
    lines.append(line)
    if result.ignored_sheets:
        lines.append(translate(N_("Sheets not read: {sheets}."), lang).format(sheets="、".join(result.ignored_sheets)))
    return lines


#: The open dialog's filter: every type the reader takes (it tells the format by the file's content).
IMPORT_FILTER = "*" + " *".join(EXTENSIONS)


def write_template(form: FormDefinition, path: Path, lang: str | None = None) -> None:
    """An empty import sheet (labels, drop-down lists, identifier columns as Text and date columns as
    dates, the id last) and a sheet that explains every field."""
    lang = lang or current_language()
    fields = [f for f in form.visible_fields if f.type is not FieldType.PHOTO]
    cols = [field_column(f, lang, choices=True) for f in fields] + [ID_COLUMN]
    req = {
        "national": translate(N_("Required (national) *"), lang),
        "provincial": translate(N_("Required (provincial)"), lang),
        "optional": translate(N_("Optional"), lang),
    }
    guide_cols = [
        Column(translate(N_("Column"), lang), 24.0),
        Column(translate(N_("Key"), lang), 22.0),
        Column(translate(N_("Type"), lang), 14.0),
        Column(translate(N_("Required"), lang), 18.0),
        Column(translate(N_("Allowed values"), lang), 40.0),
        Column(translate(N_("Help"), lang), 60.0),
    ]
    guide = [
        [
            f.label(lang),
            f.key,
            f.type.value,
            req[f.required.value],
            "、".join(c.label(lang) for c in f.choices)
            if lang == "zh_CN"
            else "; ".join(c.label(lang) for c in f.choices),
            f.help(lang),
        ]
        for f in fields
    ]
    guide.append(
        [
            "id",
            "id",
            "uuid",
            req["optional"],
            "",
            translate(N_("Leave empty for a new customer; an exported id updates that customer."), lang),
        ]
    )
    try:
        write_sheet(
            path,
            cols,
            [],
            title=translate(N_("Customers"), lang),
            extra_sheets=[(translate(N_("Instructions"), lang), guide_cols, guide)],
        )
    except OSError as exc:
        raise UserFacingError(
            N_("{file} cannot be written: {reason}."), file=str(path), reason=exc.strerror or str(exc)
        ) from None

"""One pass over a sheet (``SheetImport``): every row validated and, as its ``ImportMode`` says,
written in batches inside one write transaction (rolled back as a whole in ``ImportMode.WRITE`` when a
row has an error), with the bulk-maintenance diffs of the rows without errors. Entry points:
app/services/sheets.py (``process_sheet``, ``sheet_in_archive``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress, repeat
from operator import attrgetter, is_not, itemgetter
from typing import Any

from app.errors import UserCancelled
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
from app.services.exporting import MASKED_TYPES, export_value, is_masked_of
from app.services.first_rows import FirstRows
from app.services.records import beyond_form, clean_values, quality
from app.services.sheet_results import (
    BATCH,
    ERROR,
    MAX_DIFFS,
    MAX_MISSING,
    MISSING,
    FieldChange,
    ImportMode,
    Problem,
    Progress,
    RowDiff,
    SheetResult,
)
from app.storage.archive import Archive
from app.validation import Issue, Report, Severity, validate_values
from app.validation.compiled import compiled
from app.validation.consent import consent_required, consent_save_issues
from app.validation.editing import entry_issues
from app.validation.parsing import is_empty
from app.validation.rowcheck import RowCheck
from app.validation.sheetmap import is_identifier, sheet_value

_SEVERITY = attrgetter("severity")


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
        self.seen_ids = FirstRows()
        #: per dedup field, each value's first row: the one structure of a check that grows with the rows,
        #: kept as 64-bit hashes in flat arrays (18–36 bytes a value; a dict of the texts took ~90)
        self.seen_values: dict[str, FirstRows] = {}
        self.seen_codes = FirstRows()
        self.created_ids: set[str] = set()
        self.dedup_keys = [f.key for f in form.fields if f.dedup]
        self.ident_keys = frozenset(f.key for f in form.fields if is_identifier(f))
        self.masked_keys = [f.key for f in form.fields if f.type in MASKED_TYPES]
        self._messages: dict[tuple[Any, ...], str] = {}
        self._plans: dict[
            int,
            tuple[
                dict[int, str],
                int | None,
                list[tuple[int, str, FieldSpec, bool, bool]],
                Callable[[list[Any]], tuple[Any, ...]],
                int,
                RowCheck,
            ],
        ] = {}
        #: new rows are checked by the sheet's compiled RowCheck (False: by the general path, as a row with an
        #: id is; a test compares the two)
        self.compiled_rows = True
        self._id_cols: dict[int, tuple[dict[int, str], list[int]]] = {}
        self.code_key = (form.by_role(FieldRole.CUSTOMER_CODE) or form.fields[0]).key
        self.consent = consent_required(form) and "consent_signed" in form  # consent_save_issues applies
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
        checked = self._checked(batch, mapping, current)
        if self.consent:  # a row adding or changing personal values without a recorded consent is refused
            for _n, cid, is_new, report in checked:
                report.issues += consent_save_issues(self.form, None if is_new else current[cid].values, report.values)
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
            else:  # the values of fields the form retired stay as they are (records.beyond_form)
                values |= beyond_form(self.form, current[cid].values)
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

    def _checked(
        self, batch: list[tuple[int, list[Any]]], mapping: dict[int, str], current: dict[str, Any]
    ) -> list[tuple[int, str, bool, Report]]:
        """(row number, id, is new, report) of each row of ``batch``: the new rows without an id by the sheet's
        RowCheck, a batch at a time (``compiled_rows``), the others (and all with ``compiled_rows`` off) by ``_row``."""
        id_col, _plan, _pick, _last, rows = self._plan(mapping)
        if not (rows.usable and self.compiled_rows):
            return [self._row(n, vals, mapping, current) for n, vals in batch]
        fresh = [
            k
            for k, (_n, vals) in enumerate(batch)
            if id_col is None or id_col >= len(vals) or is_empty(vals[id_col]) or not str(vals[id_col]).strip()
        ]
        reports = iter(rows.check_batch([batch[k][1] for k in fresh]))
        new = set(fresh)
        return [
            (n, "", True, next(reports)) if k in new else self._row(n, vals, mapping, current)
            for k, (n, vals) in enumerate(batch)
        ]

    def _row(
        self, n: int, vals: list[Any], mapping: dict[int, str], current: dict[str, Any]
    ) -> tuple[int, str, bool, Report]:
        raw: dict[str, Any] = {}
        pre: list[Issue] = []
        lost: list[str] = []
        id_col, plan, pick, last, _rows = self._plan(mapping)
        width = len(vals)
        v = vals[id_col] if id_col is not None and id_col < width else None
        cid = "" if is_empty(v) else str(v).strip()
        existing = current.get(cid) if cid else None
        # An empty cell clears the field of an existing customer; a new one has nothing to clear, and the
        # checks read an absent key as empty (fewer keys for validate_values, clean_values, the editor rules).
        if existing is not None:
            cells: Iterable[tuple[tuple[int, str, FieldSpec, bool, bool], Any]] = zip(
                plan, [vals[i] if i < width else None for i, *_ in plan], strict=True
            )
        else:  # only the filled cells, picked in C (itemgetter, compress): a row is mostly empty cells
            # a row ends at its last filled cell (the streamed reader, CSV): padded, so the pick stays in C
            got = pick(vals) if width > last else pick(vals + [None] * (last + 1 - width))
            cells = compress(zip(plan, got, strict=True), map(is_not, got, repeat(None)))
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
        if existing is not None:  # a masked ID or bank number of our own export, imported back: unchanged
            for key in self.masked_keys:
                cell = raw.get(key)
                if type(cell) is str and is_masked_of(cell, existing.values.get(key)):
                    raw[key] = existing.values[key]
        if cid:
            first = self.seen_ids.add(cid, n)
            if first:
                pre.append(Issue.make("id", Severity.ERROR, "id.duplicate", id=cid, row=first))
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
    ) -> tuple[
        int | None, list[tuple[int, str, FieldSpec, bool, bool]], Callable[[list[Any]], tuple[Any, ...]], int, RowCheck
    ]:
        """Per column mapping, once: the id column, (column, key, field, is a date, is an identifier), a
        function that picks the plan's cells of a row (as a tuple, in plan order), the last column it reads
        and the check of a new row compiled for these columns."""
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

            rows = RowCheck(self.form, plan, today=self.today, role=self.role)
            cached = self._plans[id(mapping)] = (mapping, id_col, plan, pick, max(cols, default=-1), rows)
        return cached[1], cached[2], cached[3], cached[4], cached[5]

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
            seen.update((k, FirstRows()) for k in self.dedup_keys if k not in seen)
        # one field at a time over the batch (a row's issues keep their order: by field, then the code)
        for key in self.dedup_keys:
            first_of, want = seen[key], wanted.setdefault(key, set())
            for n, _cid, _is_new, report in checked:
                v = report.values.get(key)
                if not v:
                    continue
                text = str(v)
                first = first_of.add(text, n) or n
                if first != n:
                    report.issues.append(Issue.make(key, Severity.WARNING, "duplicate.in_file", row=first))
                want.add(text)
        for n, _cid, is_new, report in checked:
            code = report.values.get(self.code_key)
            if is_new and code:
                first = self.seen_codes.add(code, n) or n
                if first != n:
                    report.issues.append(Issue.make(self.code_key, Severity.ERROR, "code.exists", code=code))
                new_codes.append(code)
        if self.mode is ImportMode.FILE_ONLY:
            return
        dups = self.archive.duplicates.find_values(self.form, wanted, tx)
        used = self.archive.duplicates.codes_in_use(new_codes, tx)
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

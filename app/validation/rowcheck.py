"""The sheet import's check of new rows, compiled once per sheet and run a batch at a time (``RowCheck``).

A new row (no ``id``) of a spreadsheet is what ``SheetImport`` checks most (an intake of 100,000
outlets is nothing else), and what it does per row is always the same: take the mapped cells,
turn each into the value its field's parser should see (``sheetmap.sheet_value``), start from the
new customer's defaults, parse every field (``validator.validate_values``), apply the cross-field and
required rules (``validator.finish_report``) and the editor rules (``editing.entry_issues``). This
module does exactly that, with everything that does not depend on the row worked out once per sheet:

- per column: the field, its parser (a dated one bound to the day), whether the cell needs
  ``sheet_value`` at all (a text cell of a field that is neither a date nor an identifier does not),
  and, for the field types whose values repeat (``compiled.MEMO_TYPES``: choices, dates, numbers,
  region and postal codes, yes/no), a memo from the raw cell to its whole outcome (value, issues,
  the issue of a cell that lost its digits): one dict lookup for such a cell, ``sheet_value`` and
  the parser included; bounded (``MEMO_SIZE`` per column, then started afresh);
- the defaults of a new customer, parsed once (a row copies the parsed values in C);
- an empty cell costs nothing (the filled cells are picked in C), and nothing is built per cell
  but the parsed value.

``check_batch`` works column by column (the sheet's cells of a batch of rows transposed in C): a
column whose cells repeat is looked up in its memo by ``map`` (a hit costs no Python code at all),
any other column calls its cell function once per cell; a row is then assembled in C (the defaults,
updated with the filled cells' values) and ends with the cross-field, required and editor rules. A row
with any cell issue (an error, a warning, a cell that lost its digits) is checked cell by cell
(``check``), so the issues come in their order. Other field types get a memo too as long as it
pays (``ADAPT_AFTER``: a column whose distinct values are more than half its filled cells, such as
names, ID numbers or phones, is parsed cell by cell from then on); a memo holds at most ``MEMO_SIZE``
values and is started afresh when full, so memory stays flat.

The result is the ``Report`` the general path (``SheetImport._row``: ``validate_values`` of the
defaults and the cells) gives, issue for issue and in the same order (the values in the same order
too); a test compares the two on generated rows, good and bad. ``RowCheck.usable`` is False when a
sheet cannot be checked this way (two columns for one field, a default the form refuses): the
general path is used then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Any

from app.models.catalogue import FieldSpec, FieldType, FormDefinition
from app.validation.compiled import MEMO_SIZE, MEMO_TYPES, compiled
from app.validation.editing import closed_keys, entry_issues
from app.validation.report import Issue, Report
from app.validation.sheetmap import sheet_value
from app.validation.validator import finish_report, parse_with, parser_failed

#: A column that is not of a ``MEMO_TYPES`` field keeps its memo after this many filled cells only when it
#: has met fewer distinct values than half of them.
ADAPT_AFTER = 1_000


class _Empty:
    """An empty cell's outcome in a column (the row has no value for the field)."""


class _Trouble:
    """The outcome of a cell with issues: the row is checked cell by cell."""

    __slots__ = ()


EMPTY = _Empty()
_TROUBLE = _Trouble()
NoneType = type(None)


class _Memo(dict[Any, Any]):
    """A column's memo of one cell type: raw cell → outcome (the value, ``EMPTY`` or ``_TROUBLE``),
    worked out on a miss."""

    def __init__(self, outcome: Callable[[Any], Any]) -> None:
        super().__init__()
        self.outcome = outcome
        self[None] = EMPTY

    def __missing__(self, cell: Any) -> Any:
        got = self[cell] = self.outcome(cell)
        return got


#: A cell's whole outcome: (value, its issues, the issue of a cell that lost its value, or None).
Outcome = tuple[Any, "list[Issue] | tuple[()]", "Issue | None"]
#: Cell types a memo keys by (type, value): 1, 1.0 and True are equal as dict keys but not as input.
_HASHABLE = frozenset({int, float, bool, dt.date, dt.datetime})
_NO_ISSUES: tuple[()] = ()


def _cell_function(
    spec: FieldSpec, is_date: bool, ident: bool, parser: Any, dated: Any, today: dt.date
) -> Callable[[Any], Outcome]:
    """The outcome of one filled cell of this column: what ``SheetImport._row`` and then
    ``validate_values`` do with it."""

    def cell(v: Any) -> Outcome:
        lost = None
        if type(v) is not str or is_date or ident and ("E" in v or "e" in v):
            v, lost = sheet_value(spec, v)
            if v is None:
                return None, _NO_ISSUES, lost
        value, issues = parse_with(spec, parser, dated, v, today)
        return value, issues, lost

    return cell


def _outcome_function(
    cell: Callable[[Any], Outcome], direct: Any, spec: FieldSpec, ident: bool
) -> Callable[[Any], Any]:
    """A cell's outcome in a column: its value when it has no issue, ``EMPTY`` for an empty cell, else
    ``_TROUBLE``."""

    def outcome(v: Any) -> Any:
        if v is None:
            return EMPTY
        if direct is not None and type(v) is str and v.isprintable() and v.strip():
            if not (ident and ("E" in v or "e" in v)):
                try:
                    value, issues = direct(spec, v)
                except Exception:
                    return _TROUBLE
                return _TROUBLE if issues else value
        value, issues, gone = cell(v)
        return _TROUBLE if issues or gone is not None else value

    return outcome


def _bind_day(dated: Callable[[FieldSpec, Any, dt.date], Any], today: dt.date) -> Callable[[FieldSpec, Any], Any]:
    def parse(spec: FieldSpec, raw: Any) -> Any:
        return dated(spec, raw, today)

    return parse


class RowCheck:
    """The check of a new row of one sheet: ``check(cells)`` → the row's ``Report``.

    ``plan``: (column, field key, field, is a date, is an identifier) of each mapped column, as
    ``SheetImport._plan`` makes it (photo columns and unknown keys left out)."""

    def __init__(
        self,
        form: FormDefinition,
        plan: Sequence[tuple[int, str, FieldSpec, bool, bool]],
        *,
        today: dt.date,
        role: str,
    ) -> None:
        self.form, self.today, self.role = form, today, role
        comp = self._comp = compiled(form)
        day = comp.day_plan(today)
        self.usable = len({p[1] for p in plan}) == len(plan)
        defaults = comp.derived(("new_defaults",), form.new_customer_defaults)
        #: the defaults parsed, in their order (a list value copied per row, as a memo hit is)
        self.defaults: dict[str, Any] = {}
        self.default_lists: tuple[str, ...] = ()
        for key, raw in defaults.items():
            entry = day.get(key)
            if entry is None:
                continue
            spec, parser, dated, _memo = entry
            value, issues = (None, []) if raw is None else parse_with(spec, parser, dated, raw, today)
            if issues:  # the general path reports it on every row; never so in a sane catalogue
                self.usable = False
            self.defaults[key] = value
        self.default_lists = tuple(k for k, v in self.defaults.items() if type(v) is list)
        # the columns of default fields first, in the defaults' order, then the others in the sheet's: the order
        # validate_values meets them in ({**defaults, **cells}), so the issues come in the same order
        order = list(self.defaults)
        ranked = sorted(
            range(len(plan)),
            key=lambda n: (order.index(plan[n][1]), 0) if plan[n][1] in self.defaults else (len(order), n),
        )
        #: per slot: its memos by cell type (None: parsed cell by cell), whether the memo stays whatever it
        #: saves, the filled cells met so far, the outcome function, whether its values may be lists
        self._column_memos: list[dict[type, _Memo] | None] = []
        self._memo_kept: list[bool] = []
        self._filled: list[int] = []
        self._outcomes: list[Callable[[Any], Any]] = []
        self._lists: list[bool] = []
        slots = []
        for n in ranked:
            _col, key, spec, is_date, ident = plan[n]
            _spec, parser, dated, _memo = day[key]
            memo: dict[Any, Outcome] | None = None
            if spec.type in MEMO_TYPES:
                memo = {}
            direct = parser if parser is not None and not is_date else None
            if direct is None and dated is not None and not is_date:
                direct = _bind_day(dated, today)
            cell = _cell_function(spec, is_date, ident, parser, dated, today)
            slots.append((key, memo, spec, direct, ident, cell, n))
            self._column_memos.append({})
            self._memo_kept.append(memo is not None)
            self._filled.append(0)
            self._outcomes.append(_outcome_function(cell, direct, spec, ident))
            self._lists.append(spec.type is FieldType.MULTICHOICE)
        self._slots = tuple(slots)
        cols = [plan[n][0] for n in ranked]
        self._last = max(cols, default=-1)
        self._pick: Callable[[list[Any]], tuple[Any, ...]] = (
            itemgetter(*cols) if len(cols) > 1 else (lambda vals: (vals[cols[0]],)) if cols else (lambda vals: ())
        )
        self._closed = closed_keys(form, role)

    def check(self, vals: list[Any]) -> Report:
        """The report of a new row (no ``id``) whose cells are ``vals`` (a row may end at its last filled cell)."""
        width = len(vals)
        got = self._pick(vals) if width > self._last else self._pick(vals + [None] * (self._last + 1 - width))
        values = dict(self.defaults)
        for key in self.default_lists:
            values[key] = list(values[key])
        found: list[Issue] = []
        lost: list[tuple[int, str, Issue]] | None = None
        hashable = _HASHABLE
        for (key, memo, spec, direct, ident, cell, n), v in compress(
            zip(self._slots, got, strict=True), map(is_not, got, repeat(None))
        ):
            if memo is None:
                if direct is not None and type(v) is str and v.isprintable() and v.strip():
                    if ident and ("E" in v or "e" in v):
                        value, issues, gone = cell(v)
                    else:
                        try:  # parse_with of printable, non-blank text, without the calls
                            value, issues = direct(spec, v)
                        except Exception:
                            value, issues = parser_failed(spec)
                        gone = None
                else:
                    value, issues, gone = cell(v)
            else:
                kind = type(v)
                mk = v if kind is str else (kind, v) if kind in hashable else None
                hit = memo.get(mk) if mk is not None else None
                if hit is None:
                    hit = cell(v)
                    if mk is not None:
                        if len(memo) >= MEMO_SIZE:
                            memo.clear()
                        memo[mk] = hit
                value, issues, gone = hit
                if type(value) is list:
                    value = list(value)
            if gone is not None:
                if lost is None:
                    lost = []
                lost.append((n, key, gone))
            if issues:
                found.extend(issues)
                if value is None:  # not counted as filled; a default it replaced goes too
                    values.pop(key, None)
                    continue
            values[key] = value
        report = finish_report(self.form, Report(values, found), today=self.today, role=self.role, comp=self._comp)
        pre: list[Issue] = []
        if lost is not None:
            gone_keys = {k for _n, k, _i in lost}
            report.issues = [i for i in report.issues if i.field not in gone_keys]
            pre.extend(i for _n, _k, i in sorted(lost, key=lambda p: p[0]))  # in the sheet's column order
        if not self._closed.isdisjoint(values):
            pre.extend(entry_issues(self.form, self.role, None, values, onboarding=True))
        if pre:
            report.issues[:0] = pre
        return report

    def check_batch(self, rows: Sequence[list[Any]]) -> list[Report]:
        """The reports of new rows (no ``id``), column by column: ``[check(r) for r in rows]``, the same reports."""
        if not rows:
            return []
        last, pick = self._last, self._pick
        picked = [pick(r) if len(r) > last else pick(r + [None] * (last + 1 - len(r))) for r in rows]
        keys: list[str] = []
        outs: list[list[Any]] = []
        troubled: set[int] = set()
        for j, cells in enumerate(zip(*picked, strict=True)):
            kinds = set(map(type, cells))
            kinds.discard(NoneType)
            if not kinds:
                continue  # an empty column: its field keeps its default, or stays out
            out = self._column(j, cells, kinds)
            if _TROUBLE in out:
                troubled.update(i for i, x in enumerate(out) if x is _TROUBLE)
            if self._lists[j]:  # a row's list is its own, as validate_values copies a remembered one
                out = [x[:] if type(x) is list else x for x in out]
            keys.append(self._slots[j][0])
            outs.append(out)
        named = tuple(keys)
        form, today, role, comp, closed = self.form, self.today, self.role, self._comp, self._closed
        defaults, default_lists = self.defaults, self.default_lists
        reports: list[Report] = []
        for i, row in enumerate(zip(*outs, strict=True) if outs else repeat((), len(rows))):
            if i in troubled:
                reports.append(self.check(rows[i]))
                continue
            values = dict(defaults)
            for key in default_lists:
                values[key] = list(values[key])
            values.update(compress(zip(named, row, strict=True), map(is_not, row, repeat(EMPTY))))
            report = finish_report(form, Report(values, []), today=today, role=role, comp=comp)
            if not closed.isdisjoint(values):
                report.issues[:0] = entry_issues(form, role, None, values, onboarding=True)
            reports.append(report)
        return reports

    def _column(self, j: int, cells: tuple[Any, ...], kinds: set[type]) -> list[Any]:
        """The outcomes of column ``j``'s cells: through its memo when they are all of one type, else one by one."""
        memos = self._column_memos[j]
        if memos is None or len(kinds) != 1:
            return list(map(self._outcomes[j], cells))
        (kind,) = kinds
        if kind is not str and kind not in _HASHABLE:
            return list(map(self._outcomes[j], cells))
        memo = memos.get(kind)
        if memo is None or len(memo) > MEMO_SIZE:
            memo = memos[kind] = _Memo(self._outcomes[j])
        out = list(map(memo.__getitem__, cells))
        if not self._memo_kept[j]:
            filled = self._filled[j] = self._filled[j] + len(cells) - cells.count(None)
            if filled >= ADAPT_AFTER:  # keep the memo for good when it pays, else parse cell by cell from now on
                if sum(map(len, memos.values())) > filled // 2:
                    self._column_memos[j] = None
                else:
                    self._memo_kept[j] = True
        return out

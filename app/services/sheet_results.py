"""What one pass over a sheet is asked to do (``ImportMode``) and what it found (``SheetResult``: the
problems, the bulk-maintenance diffs, the customers whose changes need review); the limits on what is
kept in memory. Shared by the pass (app/services/sheet_import.py), its entry points
(app/services/sheets.py), the command line and the import preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from operator import attrgetter
from typing import Any

from app.validation import Severity

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

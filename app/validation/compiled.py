"""A form compiled for validation: what the validators derive from one form version (the parse plan,
the required fields per role, the parse memo of the day), held here and not inside the frozen
catalogue (``app/models`` keeps no mutable state). The per-field lookups (compiled pattern, choice
tables) are ``types.field_lookups``.

``compiled(form)`` gives the data of a live form, made once and kept while the form lives; a newly
published form is a new object and gets its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar, cast

from app.models.catalogue import FieldRole, FieldSpec, FieldType, FormDefinition
from app.validation.identity import ByIdentity
from app.validation.types import FieldLookups, field_lookups

V = TypeVar("V")

#: Field types whose values repeat from record to record (a few choices, dates, amounts): their parse
#: results are remembered per form and day. Identity numbers, phones and names are nearly all distinct
#: and are parsed every time.
MEMO_TYPES = frozenset(
    {
        FieldType.CHOICE,
        FieldType.MULTICHOICE,
        FieldType.DATE,
        FieldType.INTEGER,
        FieldType.DECIMAL,
        FieldType.BOOLEAN,
        FieldType.REGION_CODE,
        FieldType.POSTAL_CODE,
    }
)
#: At most this many parses are remembered per field (a field's memo is replaced when it is full).
MEMO_SIZE = 5_000

#: What ``validate_values`` needs of one field, per day: (spec, parser, dated parser, the field's memo of
#: the day: raw input -> (value, issues), or None for a field whose parses are not remembered).
DayEntry = tuple[FieldSpec, Any, Any, "dict[Any, Any] | None"]


class CompiledForm:
    """One form version's lookups and its parse memo."""

    def __init__(self, form: FormDefinition) -> None:
        self.version = form.version
        self.fields = form.fields
        #: field key -> (spec, its lookups, remembered: are its parses kept in the memo)
        self.plan: dict[str, tuple[FieldSpec, FieldLookups, bool]] = {
            f.key: (f, field_lookups(f), f.type in MEMO_TYPES) for f in form.fields
        }
        self.keys = tuple(f.key for f in form.fields)
        self.key_set = frozenset(self.keys)
        self.photo_keys = tuple(f.key for f in form.fields if f.type is FieldType.PHOTO)
        by_role = {f.role: f.key for f in form.fields if f.role is not None}
        #: the fields the cross-field rules read (``validator.cross_field_issues``)
        self.cross_field_keys = frozenset(
            [
                by_role[r]
                for r in (FieldRole.LICENCE_ISSUE_DATE, FieldRole.LICENCE_EXPIRY_DATE, FieldRole.ANNUAL_REVIEW_DATE)
                if r in by_role
            ]
            + ["consent_signed"]
        )
        self._derived: dict[Any, Any] = {}
        self._day: tuple[dt.date, dict[str, DayEntry]] = (dt.date.min, {})

    def derived(self, key: Any, make: Callable[[], V]) -> V:
        """``make()`` once per ``key`` for this form (the required fields of a role, its editable keys…)."""
        if key not in self._derived:
            self._derived[key] = make()
        return cast(V, self._derived[key])

    def day_plan(self, today: dt.date) -> dict[str, DayEntry]:
        """field key -> (spec, parser, dated parser, the field's remembered parses for ``today`` or None).

        Parsers are pure functions of (field, input, day); the results kept hold only immutable issues.
        A memo is keyed by the input itself when it is text, else by (its type, the input) (True == 1
        for a dict). The plan is made anew, never cleared in place, when the day changes; a field's
        memo is replaced when it is full (``remember``)."""
        held = self._day
        if held[0] != today:
            held = self._day = (
                today,
                {
                    key: (spec, lk.parser, lk.dated_parser, {} if memo else None)
                    for key, (spec, lk, memo) in self.plan.items()
                },
            )
        return held[1]

    def remember(self, plan: dict[str, DayEntry], key: str, memo: dict[Any, Any], mk: Any, parsed: Any) -> None:
        """Keep ``parsed`` for the input ``mk`` of field ``key``; a full memo is replaced by a new one."""
        if len(memo) >= MEMO_SIZE:
            spec, parser, dated, _full = plan[key]
            memo = {}
            plan[key] = (spec, parser, dated, memo)
        memo[mk] = parsed

    def forget_parses(self) -> None:
        """Drop the remembered parses (a test compares them with fresh ones)."""
        self._day = (dt.date.min, {})


compiled: ByIdentity[FormDefinition, CompiledForm] = ByIdentity(CompiledForm)

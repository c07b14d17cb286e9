"""Spreadsheet header → field mapping and cell → value rules, shared by the client's import and the
server's seeding import.

The header row may hold field keys, zh labels or en labels, decorated the way Chinese templates
do: ``*店铺名称``, ``＊``, ``店铺名称（必填）``, ``(选填)``, a line break inside the cell, spaces
around or inside; a label's part in brackets may be left out (``联系电话`` for ``联系电话（手机）``)
when that names one field only. ``id`` names existing records; the meta columns our export writes
(status, completeness, provisional code) are recognised and ignored. A column that is not
recognised but is close to a field's key or label (difflib ratio ≥ ``CLOSE``, or contained in it
with at least 3 characters) is an error that names that field; any other unknown column is ignored with a warning.

Cells (``sheet_value``): an identifier field (ID, bank account, licence, credit code, customer
code, phones, postal and region code, any text field with a pattern) given as a number cell that
cannot hold it exactly (a float, an integer with more than 15 digits: Excel keeps 15 significant
digits; in any other text field, a number of more than 15 digits) is an error
``cell.number_lost``; a number that lost its leading 0 (postal/region code with
fewer than 6 digits, a landline without its 0) is ``cell.leading_zero``; a whole number that is
exact is the integer's digits. In a date field, an Excel serial number (10000 and up: a year such
as 2024 stays a wrong date) and a number (or text) like 20240305 are dates.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from typing import Any

from app.i18n import N_, translate
from app.models.catalogue import FieldRole, FieldSpec, FieldType, FormDefinition
from app.validation.normalize import fold
from app.validation.report import Issue, Severity

META_HEADERS = {"status": N_("Status"), "completeness": N_("Completeness"), "provisional_code": N_("Provisional code")}

#: Closeness (difflib ratio of the normalised texts) from which an unknown column is taken for a
#: misspelt field: an error naming the field rather than a column silently dropped.
CLOSE = 0.75
CONTAINED = 3  # an unknown header of at least 3 characters inside a field's name is close to it too
EXCEL_DIGITS = 15
EXACT = 2**53

_DECORATION = re.compile(
    r"[(\[【]\s*(?:必填项?|选填项?|非必填|可选|必须|required|optional|mandatory)\s*[)\]】]", re.IGNORECASE
)
_MARKS = re.compile(r"[*※★☆\s:]+")
_BRACKETED = re.compile(r"[(\[【][^)\]】]*[)\]】]")

IDENTIFIER_TYPES = frozenset(
    {
        FieldType.ID_CARD,
        FieldType.BANK_ACCOUNT,
        FieldType.TOBACCO_LICENCE,
        FieldType.USCC,
        FieldType.MOBILE_PHONE,
        FieldType.LANDLINE,
        FieldType.PHONE,
        FieldType.POSTAL_CODE,
        FieldType.REGION_CODE,
    }
)
_SIX_DIGIT_TYPES = frozenset({FieldType.POSTAL_CODE, FieldType.REGION_CODE})
_SCIENTIFIC = re.compile(r"\s*\d(?:\.\d+)?[eE]\+?\d+\s*")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MIN_SERIAL = 10000  # 1927-05-18: a smaller number (a year such as 2024) is not taken for a date
_MAX_SERIAL = 2958465  # 9999-12-31


def norm_header(s: str) -> str:
    """A header as it is compared: folded, without required-marks, (必填)-style notes and spaces."""
    s = fold(str(s)).casefold()
    if "(" in s or "[" in s or "【" in s:
        s = _DECORATION.sub("", s)
    return _MARKS.sub("", s)


def is_identifier(spec: FieldSpec) -> bool:
    return (
        spec.type in IDENTIFIER_TYPES
        or spec.role is FieldRole.CUSTOMER_CODE
        or (spec.type is FieldType.TEXT and bool(spec.pattern))
    )


class HeaderMap:
    """The names a form's columns may have; ``score`` tells a header row from a title row."""

    def __init__(self, form: FormDefinition) -> None:
        self.form = form
        names: dict[str, str] = {"id": "id"}
        for key, msgid in META_HEADERS.items():
            for lang in ("en", "zh_CN"):
                names[norm_header(translate(msgid, lang))] = key
            names[key] = key
        for f in form.fields:
            for text in (f.key, f.label_zh, f.label_en, *f.aliases):
                names.setdefault(norm_header(text), f.key)
        short: dict[str, set[str]] = {}
        for f in form.fields:
            for text in (f.label_zh, f.label_en):
                plain = norm_header(_BRACKETED.sub("", fold(text)))
                if plain and plain not in names:
                    short.setdefault(plain, set()).add(f.key)
        for plain, keys in short.items():
            if len(keys) == 1:
                names[plain] = next(iter(keys))
        self.names = names
        self._labels = {f.key: f for f in form.fields}

    def key(self, header: str) -> str | None:
        return self.names.get(norm_header(header)) if header else None

    def score(self, row: Sequence[Any]) -> int:
        """How many different fields of the form a row names (a header row names many)."""
        found = set()
        for v in row:
            if isinstance(v, str) and v and len(v) < 200:
                k = self.names.get(norm_header(v))
                if k is not None and k in self._labels:
                    found.add(k)
        return len(found)

    def nearest(self, header: str) -> str | None:
        """The field whose key or label is closest to an unknown header, if close enough."""
        h = norm_header(header)
        if len(h) < 2:
            return None
        best, best_key = 0.0, None
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(h)
        for name, key in self.names.items():
            if key not in self._labels:
                continue
            matcher.set_seq1(name)
            inside = len(h) >= CONTAINED and h in name  # 身份证号 in 负责人身份证号码
            if not inside and (matcher.real_quick_ratio() < CLOSE or matcher.quick_ratio() < CLOSE):
                continue
            r = matcher.ratio() + (1.0 if inside else 0.0)
            if r > best:
                best, best_key = r, key
        return best_key if best >= CLOSE else None


def map_columns(
    form: FormDefinition, header: Sequence[str], names: HeaderMap | None = None
) -> tuple[dict[int, str], list[Issue], list[tuple[int, str]]]:
    """Column index → field key or meta name; issues for duplicate, misspelt and unknown columns.

    ``unknown`` lists the columns ignored (index, header); a misspelt one is also an error."""
    hm = names or HeaderMap(form)
    mapping: dict[int, str] = {}
    issues: list[Issue] = []
    unknown: list[tuple[int, str]] = []
    for i, h in enumerate(header):
        if not h:
            continue
        key = hm.key(h)
        if key is None:
            unknown.append((i, h))
            near = hm.nearest(h)
            if near is not None:
                issues.append(Issue.make(near, Severity.ERROR, "column.close", column=h))
        elif key in mapping.values():
            issues.append(Issue.make(key, Severity.ERROR, "column.duplicate", column=h))
        else:
            mapping[i] = key
    return mapping, issues, unknown


def sheet_value(spec: FieldSpec, v: Any) -> tuple[Any, Issue | None]:
    """A cell's value as the field's parser should see it, or an issue when the cell has lost it."""
    t = type(v)
    if t is str:
        if spec.type is FieldType.DATE and len(v) == 8 and v.isdigit():
            return _yyyymmdd(int(v), v), None
        if _SCIENTIFIC.fullmatch(v) and is_identifier(spec):
            return None, Issue.make(spec.key, Severity.ERROR, "cell.number_lost")
        return v, None
    if t is float or t is int:
        if spec.type is FieldType.DATE:
            return _excel_date(v), None
        if not is_identifier(spec):
            if spec.type is FieldType.TEXT and (
                t is float and not -EXACT < v < EXACT or t is int and len(str(abs(v))) > EXCEL_DIGITS
            ):
                return None, Issue.make(spec.key, Severity.ERROR, "cell.number_lost")  # digits in a text field
            return v, None
        if t is float:
            return None, Issue.make(spec.key, Severity.ERROR, "cell.number_lost")
        digits = str(v)
        if v < 0 or len(digits) > EXCEL_DIGITS:
            return None, Issue.make(spec.key, Severity.ERROR, "cell.number_lost")
        if (
            spec.type in _SIX_DIGIT_TYPES
            and len(digits) < 6
            or spec.type is FieldType.LANDLINE
            and not digits.startswith(("400", "800"))
            or spec.type is FieldType.PHONE
            and not digits.startswith(("1", "400", "800"))
        ):
            return None, Issue.make(spec.key, Severity.ERROR, "cell.leading_zero", value=digits)
        return digits, None
    return v, None


def _yyyymmdd(n: int, fallback: Any) -> Any:
    try:
        return dt.date(n // 10000, n // 100 % 100, n % 100)
    except ValueError:
        return fallback


def _excel_date(v: float | int) -> Any:
    if 19000101 <= v <= 29991231 and float(v).is_integer():
        return _yyyymmdd(int(v), v)
    if _MIN_SERIAL <= v <= _MAX_SERIAL:
        return _EXCEL_EPOCH + dt.timedelta(days=int(v))
    return v

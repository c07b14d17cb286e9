"""Spreadsheet header → field mapping, shared by the client's import and the server's seeding import.

The header row may hold field keys, zh labels or en labels; ``id`` names existing records; the
meta columns our export writes (status, completeness, provisional code) are recognised and ignored.
"""
from __future__ import annotations

from typing import Sequence

from app.i18n import N_, translate
from app.models.catalogue import FormDefinition
from app.validation.normalize import fold
from app.validation.report import Issue, Severity

META_HEADERS = {"status": N_("Status"), "completeness": N_("Completeness"), "provisional_code": N_("Provisional code")}


def _norm(s: str) -> str:
    return fold(s).casefold()


def map_columns(form: FormDefinition, header: Sequence[str]) -> tuple[dict[int, str], list[Issue], list[tuple[int, str]]]:
    """Column index → field key or meta name; issues for duplicate and unknown columns."""
    names: dict[str, str] = {"id": "id"}
    for key, msgid in META_HEADERS.items():
        for lang in ("en", "zh_CN"):
            names[_norm(translate(msgid, lang))] = key
        names[key] = key
    for f in form.fields:
        for text in (f.key, f.label_zh, f.label_en):
            names.setdefault(_norm(text), f.key)
    mapping: dict[int, str] = {}
    issues: list[Issue] = []
    unknown: list[tuple[int, str]] = []
    for i, h in enumerate(header):
        if not h:
            continue
        key = names.get(_norm(h))
        if key is None:
            unknown.append((i, h))
        elif key in mapping.values():
            issues.append(Issue.make(key, Severity.ERROR, "column.duplicate", column=h))
        else:
            mapping[i] = key
    return mapping, issues, unknown



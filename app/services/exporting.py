"""Export of customers to .xlsx: the list the user sees, the field groups they chose, headers in
zh_CN or en, typed cells (dates as date cells, integers and decimals as numbers, choices as labels).

The file is written to a temporary file beside the target and renamed at the end, so a cancelled
or failed export leaves no partial file (and an older file of the same name untouched); the sheet's
plaintext XML is kept in the profile's private tmp folder, never $TMPDIR, and what a killed export
leaves is removed at the next start (app/scratch.py). Every
finished export is logged in the archive's audit trail (entity ``export``: file name, rows, groups).
"""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from app import scratch
from app.errors import UserCancelled, UserFacingError
from app.export.xlsx import Column, write_sheet
from app.i18n import N_, current_language, translate
from app.models.catalogue import FieldSpec, FieldType, FormDefinition
from app.models.record import CustomerStatus, Provenance, Source, STATUS_MSGIDS
from app.storage.archive import Archive
from app.validation.sheetmap import META_HEADERS

Progress = Callable[[int, int], None]
BATCH = 500


def _width(spec: FieldSpec) -> float:
    if spec.type in (FieldType.DATE, FieldType.BOOLEAN, FieldType.INTEGER, FieldType.DECIMAL, FieldType.PHOTO):
        return 12.0
    if spec.type is FieldType.TEXT and (spec.max_length or 0) >= 200:
        return 36.0
    return max(14.0, min(30.0, len(spec.label_zh) * 2.2 + 2))


def export_value(spec: FieldSpec, v: Any, lang: str) -> Any:
    """The cell value of one stored value: a date, a number, or text (choice labels in ``lang``)."""
    if v is None or v == [] or v == "":
        return None
    t = spec.type
    try:
        if t is FieldType.DATE:
            return dt.date.fromisoformat(v)
        if t is FieldType.INTEGER:
            return int(v)
        if t is FieldType.DECIMAL:
            return Decimal(v)
    except (ValueError, TypeError, InvalidOperation):
        return str(v)  # a value stored before a type change: shown as it is
    if t is FieldType.BOOLEAN:
        return translate(N_("Yes") if v else N_("No"), lang)
    if t is FieldType.CHOICE:
        c = spec.choice(v)
        return c.label(lang) if c else str(v)
    if t is FieldType.MULTICHOICE:
        sep = "、" if lang == "zh_CN" else "; "
        return sep.join((c.label(lang) if (c := spec.choice(x)) else str(x)) for x in v)
    if t is FieldType.PHOTO:
        return len(v)
    return str(v)


def converter(spec: FieldSpec, lang: str) -> Callable[[Any], Any]:
    """``export_value`` for one field, chosen once per export (the export's per-cell hot path)."""
    t = spec.type
    if t is FieldType.CHOICE:
        labels = {c.value: c.label(lang) for c in spec.choices}
        return lambda v: labels.get(v) or str(v)
    if t in (FieldType.DATE, FieldType.INTEGER, FieldType.DECIMAL, FieldType.BOOLEAN, FieldType.MULTICHOICE,
             FieldType.PHOTO):
        return lambda v: export_value(spec, v, lang)
    return lambda v: v if type(v) is str else str(v)


def export_fields(form: FormDefinition, groups: Iterable[str] | None = None) -> tuple[FieldSpec, ...]:
    """The visible fields of the chosen groups (all groups when ``groups`` is None), in form order."""
    if groups is None:
        return form.visible_fields
    wanted = set(groups)
    unknown = wanted - {g.key for g in form.groups}
    if unknown:
        raise ValueError(f"unknown field groups: {sorted(unknown)}")
    return tuple(f for f in form.visible_fields if f.group in wanted)


def export_columns(form: FormDefinition, lang: str, fields: Sequence[FieldSpec] | None = None,
                   meta: bool = True) -> list[Column]:
    fields = form.visible_fields if fields is None else fields
    cols = [Column("id", 38.0)]
    if meta:
        cols += [Column(translate(m, lang), 14.0) for m in META_HEADERS.values()]
    return cols + [Column(f.label(lang), _width(f)) for f in fields]


def export_rows(archive: Archive, fields: Sequence[FieldSpec], lang: str, pks: Sequence[int] | None,
                progress: Progress | None, cancel: threading.Event | None, total: int,
                meta: bool = True) -> Iterable[list[Any]]:
    status_text = {s: translate(STATUS_MSGIDS[s], lang) for s in CustomerStatus}
    convs = [(f.key, converter(f, lang)) for f in fields]
    empty = (None, "", [])
    for n, c in enumerate(archive.iter_customers(pks), start=1):
        if n % BATCH == 0:
            if cancel is not None and cancel.is_set():
                raise UserCancelled()
            if progress:
                progress(n, total)
        head = [c.id, status_text[c.status], round(c.completeness * 100), None if c.code_official else c.code] \
            if meta else [c.id]
        values = c.values
        yield head + [None if (v := values.get(k)) in empty else conv(v) for k, conv in convs]


def export_customers(archive: Archive, form: FormDefinition, path: Path, *, lang: str | None = None,
                     pks: Sequence[int] | None = None, groups: Iterable[str] | None = None, meta: bool = True,
                     actor: str = "", progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> int:
    """Write the customers ``pks`` (all when None) to ``path``; returns the number of rows.

    ``groups``: the field-group keys to include (all when None); the ``id`` column is always
    written so that an edited export can be imported back. ``meta``: the status, completeness and
    provisional-code columns."""
    lang = lang or current_language()
    groups = None if groups is None else list(groups)
    fields = export_fields(form, groups)
    total = len(pks) if pks is not None else archive.count()
    try:
        n = write_sheet(path, export_columns(form, lang, fields, meta),
                        export_rows(archive, fields, lang, pks, progress, cancel, total, meta), title=form.title(lang),
                        scratch_dir=scratch.archive_scratch(archive.path))
    except OSError as exc:
        raise UserFacingError(N_("{file} cannot be written: {reason}."), file=str(path),
                              reason=exc.strerror or str(exc)) from None
    archive.record_action("export", "export", Provenance(actor or archive.actor, Source.MANUAL, path.name),
                          {"file": path.name, "rows": n, "lang": lang, "meta": meta,
                           "groups": groups if groups is not None else [g.key for g in form.groups]})
    if progress:
        progress(n, n)
    return n

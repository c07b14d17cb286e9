"""Export of customers to .xlsx: the list the user sees, the field groups they chose, headers in
zh_CN or en, typed cells (dates as date cells, integers and decimals as numbers, choices as labels).

The file is written to a temporary file beside the target and renamed at the end, so a cancelled
or failed export leaves no partial file (and an older file of the same name untouched); the sheet's
plaintext XML is kept in the profile's private tmp folder, never $TMPDIR, and what a killed export
leaves is removed at the next start (app/scratch.py). Every
finished export is logged in the access log (``archive.access``, the audit trail's entity ``export``:
file name, its SHA-256, rows, groups).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app import scratch
from app.errors import UserCancelled, UserFacingError
from app.export.xlsx import DATE_FORMAT, TEXT, Column, write_sheet
from app.i18n import N_, current_language, translate
from app.models.catalogue import FieldRole, FieldSpec, FieldType, FormDefinition
from app.models.record import STATUS_MSGIDS, CustomerStatus
from app.models.remote import ExportRequest
from app.models.wire import AccessKind, UserRole
from app.services.session import Session
from app.storage.archive import Archive
from app.validation import secrecy
from app.validation.sheetmap import META_HEADERS

Progress = Callable[[int, int], None]


def file_sha256(path: Path) -> str:
    """The SHA-256 of a written file (logged with the export: which file left the archive)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


BATCH = 500


#: Column widths (in Excel's character units) of the export and the template: as narrow as the values
#: allow, so that the ~95 columns of the whole form print one page wide on landscape A4 well above the
#: 10 % smallest scale of Excel and LibreOffice (about 860 units in all; headers wrap).
_TYPE_WIDTHS = {
    FieldType.DATE: 10.5,
    FieldType.BOOLEAN: 6.0,
    FieldType.INTEGER: 7.0,
    FieldType.DECIMAL: 9.0,
    FieldType.PHOTO: 5.0,
    FieldType.ID_CARD: 19.0,
    FieldType.USCC: 19.0,
    FieldType.BANK_ACCOUNT: 20.0,
    FieldType.TOBACCO_LICENCE: 13.0,
    FieldType.MOBILE_PHONE: 12.0,
    FieldType.LANDLINE: 13.0,
    FieldType.PHONE: 13.0,
    FieldType.POSTAL_CODE: 7.5,
    FieldType.REGION_CODE: 7.5,
    FieldType.EMAIL: 14.0,
    FieldType.GPS: 14.0,
    FieldType.CHOICE: 8.0,
    FieldType.MULTICHOICE: 12.0,
}


def _width(spec: FieldSpec) -> float:
    known = _TYPE_WIDTHS.get(spec.type)
    if known is not None:
        return known
    if (spec.max_length or 0) >= 200:
        return 20.0
    return min(14.0, max(7.0, len(spec.label_zh) * 1.6))


#: Field types that are identifiers (digits that are not amounts): Text columns, so that Excel or WPS
#: never turns a typed ID number into 6.10103E+17 or drops a postal code's leading zero. Free text
#: (names, the customer and classification codes, the taxpayer number, accounts, batches) is Text too.
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
TEXT_TYPES = IDENTIFIER_TYPES | {FieldType.TEXT}


def column_format(spec: FieldSpec) -> str | None:
    """The number format of a field's column in the export and the template: Text for identifiers and
    other text, a date format for dates, none (General) otherwise (numbers, choices, yes/no)."""
    if spec.type in TEXT_TYPES:
        return TEXT
    if spec.type is FieldType.DATE:
        return DATE_FORMAT
    return None


def field_column(spec: FieldSpec, lang: str, choices: bool = False) -> Column:
    return Column(
        spec.label(lang),
        _width(spec),
        tuple(c.label(lang) for c in spec.choices) if choices else (),
        number_format=column_format(spec),
    )


#: The internal id is the last column: people read the customer first, and a printout does not start
#: with a UUID; the import finds it by its header wherever it is.
ID_COLUMN = Column("id", 36.0, number_format=TEXT)


def export_value(spec: FieldSpec, v: Any, lang: str) -> Any:
    """The cell value of one stored value: a date, a number, or text (choice labels in ``lang``); a value
    this user may not see as its words (已屏蔽（机密）)."""
    if v is None or v == [] or v == "":
        return None
    if (shown := masked_text(v, lang)) is not None:
        return shown
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


#: Field types an export masks by default (audit R12: ID and bank numbers, first 6 / last 4 visible).
MASKED_TYPES = frozenset({FieldType.ID_CARD, FieldType.BANK_ACCOUNT})
#: Personal fields: an admin's export of any of them leaves the team's scope (see ``export_archive``).
PERSONAL_TYPES = MASKED_TYPES | {FieldType.MOBILE_PHONE, FieldType.LANDLINE, FieldType.PHONE}
PERSONAL_ROLES = frozenset({FieldRole.LEGAL_PERSON, FieldRole.CONTACT_NAME, FieldRole.CONTACT_PHONE})


def mask(value: str) -> str:
    """``610103199001011007`` → ``610103********1007``: the first 6 and the last 4 characters stay; a
    value of 10 characters or fewer keeps only its last 4 (so something is always hidden)."""
    v = str(value)
    if len(v) > 10:
        return v[:6] + "*" * (len(v) - 10) + v[-4:]
    return "*" * max(len(v) - 4, 1) + v[-4:] if len(v) > 4 else "*" * len(v)


def is_masked_of(cell: str, stored: Any) -> bool:
    """Whether ``cell`` is the masked form of ``stored`` (an edited export imported back: unchanged): an ID
    or bank number's first 6 / last 4, or the words of a value this user may not see (app.validation.secrecy)."""
    if (msgid := secrecy.label(stored)) is not None:
        return cell in (translate(msgid, "zh_CN"), translate(msgid, "en"))
    return isinstance(stored, str) and bool(stored) and "*" in cell and cell == mask(stored)


def masked_text(v: Any, lang: str) -> str | None:
    """The words shown for a value this user may not see (已屏蔽（机密）), else None."""
    msgid = secrecy.label(v)
    return translate(msgid, lang) if msgid is not None else None


def converter(spec: FieldSpec, lang: str, unmasked: bool = False) -> Callable[[Any], Any]:
    """``export_value`` for one field, chosen once per export (the export's per-cell hot path); ID and
    bank numbers masked unless ``unmasked``; a value this user may not see as its words (已屏蔽（机密）)."""
    inner = _converter(spec, lang, unmasked)

    def convert(v: Any) -> Any:
        shown = masked_text(v, lang)
        return shown if shown is not None else inner(v)

    return convert


def _converter(spec: FieldSpec, lang: str, unmasked: bool) -> Callable[[Any], Any]:
    t = spec.type
    if t in MASKED_TYPES and not unmasked:
        return lambda v: mask(v if type(v) is str else str(v))
    if t is FieldType.CHOICE:
        labels = {c.value: c.label(lang) for c in spec.choices}
        return lambda v: labels.get(v) or str(v)
    if t in (
        FieldType.DATE,
        FieldType.INTEGER,
        FieldType.DECIMAL,
        FieldType.BOOLEAN,
        FieldType.MULTICHOICE,
        FieldType.PHOTO,
    ):
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


def export_columns(
    form: FormDefinition, lang: str, fields: Sequence[FieldSpec] | None = None, meta: bool = True
) -> list[Column]:
    fields = form.visible_fields if fields is None else fields
    cols = []
    if meta:
        cols += [
            Column(
                translate(m, lang),
                14.0 if key == "provisional_code" else 7.0,
                number_format=TEXT if key == "provisional_code" else None,
            )
            for key, m in META_HEADERS.items()
        ]
    return cols + [field_column(f, lang) for f in fields] + [ID_COLUMN]


def export_rows(
    archive: Archive,
    fields: Sequence[FieldSpec],
    lang: str,
    pks: Sequence[int] | None,
    progress: Progress | None,
    cancel: threading.Event | None,
    total: int,
    meta: bool = True,
    unmasked: bool = False,
) -> Iterable[list[Any]]:
    status_text = {s: translate(STATUS_MSGIDS[s], lang) for s in CustomerStatus}
    convs = [(f.key, converter(f, lang, unmasked)) for f in fields]
    empty: tuple[Any, ...] = (None, "", [])
    for n, c in enumerate(archive.customers.iterate(pks), start=1):
        if n % BATCH == 0:
            if cancel is not None and cancel.is_set():
                raise UserCancelled()
            if progress:
                progress(n, total)
        head = [status_text[c.status], round(c.completeness * 100), None if c.code_official else c.code] if meta else []
        values = c.values
        yield head + [None if (v := values.get(k)) in empty else conv(v) for k, conv in convs] + [c.id]


def export_customers(
    archive: Archive,
    form: FormDefinition,
    path: Path,
    *,
    lang: str | None = None,
    pks: Sequence[int] | None = None,
    groups: Iterable[str] | None = None,
    meta: bool = True,
    actor: str = "",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    unmasked: bool = False,
    request_id: str | None = None,
) -> int:
    """Write the customers ``pks`` (all when None) to ``path``; returns the number of rows.

    ``groups``: the field-group keys to include (all when None); the ``id`` column is always
    written so that an edited export can be imported back. ``meta``: the status, completeness and
    provisional-code columns. ID and bank numbers are masked unless ``unmasked`` (``export_archive``
    checks the approved request first; ``request_id`` is logged with the file)."""
    lang = lang or current_language()
    groups = None if groups is None else list(groups)
    fields = export_fields(form, groups)
    total = len(pks) if pks is not None else archive.customers.count()
    try:
        n = write_sheet(
            path,
            export_columns(form, lang, fields, meta),
            export_rows(archive, fields, lang, pks, progress, cancel, total, meta, unmasked),
            title=form.title(lang),
            printable=True,
            scratch_dir=scratch.archive_scratch(archive.path),
        )
    except OSError as exc:
        raise UserFacingError(
            N_("{file} cannot be written: {reason}."), file=str(path), reason=exc.strerror or str(exc)
        ) from None
    archive.access.record(
        AccessKind.EXPORT,
        actor or archive.db.actor,
        details={
            "file": path.name,
            "sha256": file_sha256(path),
            "rows": n,
            "lang": lang,
            "meta": meta,
            "groups": groups if groups is not None else [g.key for g in form.groups],
            "masked": not unmasked,
            **({"request": request_id} if request_id else {}),
        },
        source_ref=path.name,
    )
    if progress:
        progress(n, n)
    return n


def needs_request(role: UserRole, fields: Sequence[FieldSpec], unmasked: bool) -> str | None:
    """Why an export of ``fields`` by someone of ``role`` needs an approved request, or None (docs/domain.md
    "Access to personal data"): ``"unmasked"``, ID and bank numbers in full; ``"beyond_team"``, personal
    fields exported by an admin, whose archive holds every team's customers (a collector's or a
    supervisor's holds only their team's: the server's scope). The export dialog asks it as you choose."""
    if unmasked and any(f.type in MASKED_TYPES for f in fields):
        return "unmasked"
    if role is UserRole.ADMIN and any(f.type in PERSONAL_TYPES or f.role in PERSONAL_ROLES for f in fields):
        return "beyond_team"
    return None


def request_needed(session: Session, fields: Sequence[FieldSpec], unmasked: bool) -> str | None:
    """``needs_request`` for the session's user."""
    return needs_request(session.role, fields, unmasked)


def account(session: Session) -> str:
    """The server account of this archive (an export request's applicant), else the archive's own user:
    the name the archive was created with need not be the one its user signs in with."""
    return session._archive.meta.get("sync_user") or session.user


def usable_requests(session: Session) -> list[ExportRequest]:
    """The user's approved, unexpired export requests as the archive last heard of them, newest first."""
    me, now = account(session), time.time()
    return sorted(
        (r for r in session._archive.access.requests() if r.usable(me, now)), key=lambda r: -(r.decided_at or 0)
    )


def fits(request: ExportRequest, why: str) -> bool:
    """Whether an approved ``request`` allows an export that needs one for ``why`` (unmasked: it must say so)."""
    return request.unmasked or why != "unmasked"


def approved_request(session: Session, why: str, request_id: str | None) -> ExportRequest:
    """The approved, valid request of this user that allows the export, else a refusal saying what to do."""
    found = next((r for r in session._archive.access.requests() if r.id == request_id), None) if request_id else None
    if found is not None and found.usable(account(session), time.time()) and fits(found, why):
        return found
    if request_id:
        raise _unusable(found, request_id, account(session))
    if why == "unmasked":
        raise UserFacingError(
            N_(
                "ID and bank numbers are exported in full only with an approved export request "
                "(Archive → Export requests…); without one they are masked (first 6 and last 4 digits)."
            )
        )
    raise UserFacingError(
        N_(
            "Exporting personal fields beyond your own team needs an approved export request "
            "(Archive → Export requests…), or leave out the identification and basic groups."
        )
    )


def _unusable(found: ExportRequest | None, request_id: str, me: str) -> UserFacingError:
    """Why the named request cannot be used, and what to do instead."""
    if found is None:
        return UserFacingError(
            N_(
                "Export request {id} is not on this computer: sync first (its decision arrives with the sync), "
                "or check the number (Archive → Export requests…, or python -m app export-requests list)."
            ),
            id=request_id,
        )
    if found.applicant != me:
        return UserFacingError(
            N_("Export request {id} is someone else's: only its applicant may use it."), id=request_id
        )
    if found.state == "pending":
        return UserFacingError(
            N_("Export request {id} is still waiting for approval by your market manager or an admin."), id=request_id
        )
    if found.state == "refused":
        return UserFacingError(
            N_("Export request {id} was refused ({note}); ask for a new one if the export is still needed."),
            id=request_id,
            note=found.note or "-",
        )
    if not found.unmasked:
        return UserFacingError(
            N_(
                "Export request {id} does not allow ID and bank numbers in full: export them masked, "
                "or ask for a request that allows it."
            ),
            id=request_id,
        )
    return UserFacingError(N_("Export request {id} has expired; ask for a new one."), id=request_id)


def export_archive(
    session: Session,
    path: Path,
    *,
    unmasked: bool = False,
    request_id: str | None = None,
    groups: Iterable[str] | None = None,
    **options: Any,
) -> int:
    """``export_customers`` from the session's archive, with its form, as its user (``options``: the rest),
    refused without the approved request it needs (``request_needed``)."""
    groups = None if groups is None else list(groups)
    why = request_needed(session, export_fields(session.form, groups), unmasked)
    if why is not None:
        request_id = approved_request(session, why, request_id).id
    return export_customers(
        session._archive,
        session.form,
        path,
        actor=session.user,
        groups=groups,
        unmasked=unmasked,
        request_id=request_id if why is not None else None,
        **options,
    )

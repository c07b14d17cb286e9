"""The monthly filings (备案备查报送, issue 17; server/filings.py): what the signed-in user owes this month
and what is overdue, filing one, and each filing as a workbook in the documents' layout as far as they give
it (F3 L284, L288–293 give the titles, the filer and the day; the columns are ours, docs/domain.md
"Monthly filings"): a cover sheet (title, unit, month, filer, due day, state, filed at) and the table.

Nothing of it is kept in the archive: the list is asked when shown and says so when the server cannot be
reached. Customer codes and amounts are text cells (a code keeps its leading zeros, an amount its cents)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.export.xlsx import TEXT, Column, write_sheet
from app.i18n import N_, current_language, translate
from app.models import times
from app.models.filings import Filing, FilingsOwed
from app.models.record import Provenance, Source
from app.services.session import Session
from app.sync.client import SyncClient
from app.sync.filings_client import FilingCalls

#: the server's refusals of a filing, said in the user's language
REFUSALS = {
    "filing.not_owner": N_("This filing is not yours to file."),
    "filing.too_early": N_("A month can be filed from the 1st of the month after it."),
    "filing.already": N_("This filing has been filed already."),
    "filing.unknown_kind": N_("The server does not know this filing."),
    "filing.rows": N_("Every row of the special-use form needs a day of the month filed, a purpose and a brand."),
    "filing.documents": N_("The self-inspection needs its plan, its report and its rectification report."),
    "filing.not_found": N_("There is no such filing."),
}
STATES = {"due": N_("To be filed"), "overdue": N_("Overdue, not filed"), "filed": N_("Filed"), "late": N_("Filed late")}
#: what a kind's content is (the server's ``filing_kinds.content``, by the seeded codes)
ORDERS = ("collector_orders", "supervisor_orders")


def owed(client: SyncClient) -> FilingsOwed:
    """What the user owes for the month just ended and every earlier filing still unfiled."""
    return FilingCalls(client).mine()


def _refused(exc: SyncError) -> None:
    code = getattr(exc, "code", None)
    if exc.kind is SyncErrorKind.REFUSED and code in REFUSALS:
        raise UserFacingError(REFUSALS[str(code)]) from None


def file(client: SyncClient, item: Filing, note: str, **extra: Any) -> dict[str, Any]:
    """File ``item`` with ``note`` (and the special-use ``rows`` or the self-inspection ``documents``);
    the content filed, or a UserFacingError saying why not."""
    try:
        return FilingCalls(client).file(item.kind, item.month, note.strip(), **extra)
    except SyncError as exc:
        _refused(exc)
        raise


def fetch(client: SyncClient, item: Filing) -> Filing:
    """``item`` as the server holds it now, with its content: as filed, or else as it would be filed now
    (the order summaries computed; the forms empty)."""
    try:
        calls = FilingCalls(client)
        shown = calls.show(item.kind, item.month)
        if shown.content is None:
            content = calls.draft(item.kind, item.month)
            return Filing(**{**shown.__dict__, "content": content})
        return shown
    except SyncError as exc:
        _refused(exc)
        raise


def state_text(f: Filing) -> str:
    return translate(STATES.get(f.state, f.state))


# ------------------------------------------------------------------------------------------ workbooks


def _cover(f: Filing, t: Any) -> list[Sequence[Any]]:
    return [
        [t(N_("Filing")), f.name],
        [t(N_("Month")), f.month],
        [t(N_("Filed by")), f.owner_display or f.owner],
        [t(N_("Due")), f.due],
        [t(N_("State")), t(STATES.get(f.state, f.state))],
        [t(N_("Filed at")), times.shown(f.filed_at) if f.filed_at else ""],
        [t(N_("Note")), f.note],
        [t(N_("Sent to")), t(N_("County internal management section (县级内管股)"))],
    ]


def _orders_collector(c: Mapping[str, Any], t: Any) -> tuple[list[Column], list[Sequence[Any]]]:
    cols = [
        Column(t(N_("No.")), 6.0),
        Column(t(N_("Date")), 12.0, number_format=TEXT),
        Column(t(N_("Customer code")), 16.0, number_format=TEXT),
        Column(t(N_("Shop name")), 26.0),
        Column(t(N_("Orders")), 8.0),
        Column(t(N_("Cartons ordered")), 10.0),
        Column(t(N_("Amount (yuan)")), 14.0, number_format=TEXT),
    ]
    rows: list[Sequence[Any]] = [
        [n, x["day"], x["customer_code"] or "", x["shop_name"], x["orders"], x["quantity"], x["amount"]]
        for n, x in enumerate(c.get("lines") or [], start=1)
    ]
    total = c.get("total") or {}
    rows.append([t(N_("Total")), "", "", "", total.get("orders", 0), total.get("quantity", 0), total.get("amount")])
    return cols, rows


def _orders_supervisor(c: Mapping[str, Any], t: Any) -> tuple[list[Column], list[Sequence[Any]]]:
    cols = [
        Column(t(N_("Customer manager")), 22.0),
        Column(t(N_("Number of visits")), 10.0),
        Column(t(N_("Visits with an order")), 12.0),
        Column(t(N_("Customers ordering")), 12.0),
        Column(t(N_("Orders")), 8.0),
        Column(t(N_("Cartons ordered")), 10.0),
        Column(t(N_("Amount (yuan)")), 14.0, number_format=TEXT),
    ]

    def line(who: str, x: Mapping[str, Any]) -> list[Any]:
        keys = ("visits", "visits_with_orders", "customers_ordering", "orders", "quantity")
        return [who, *(x.get(k, 0) for k in keys), x.get("amount")]

    rows: list[Sequence[Any]] = [line(r.get("display_name") or r["collector"], r) for r in c.get("rows") or []]
    rows.append(line(t(N_("Total")), c.get("total") or {}))
    return cols, rows


def _special_use(c: Mapping[str, Any], t: Any) -> tuple[list[Column], list[Sequence[Any]]]:
    cols = [
        Column(t(N_("No.")), 6.0),
        Column(t(N_("Date")), 12.0, number_format=TEXT),
        Column(t(N_("Purpose")), 24.0),
        Column(t(N_("Brand and specification")), 20.0),
        Column(t(N_("Cartons")), 8.0),
        Column(t(N_("Amount (yuan)")), 14.0, number_format=TEXT),
        Column(t(N_("Handled by")), 12.0),
    ]
    rows: list[Sequence[Any]] = [
        [n, r["day"], r["purpose"], r["brand"], r["quantity"], r["amount"], r.get("handled_by", "")]
        for n, r in enumerate(c.get("rows") or [], start=1)
    ]
    return cols, rows


def _documents(c: Mapping[str, Any], t: Any) -> tuple[list[Column], list[Sequence[Any]]]:
    cols = [Column(t(N_("Document")), 24.0), Column(t(N_("Text")), 100.0)]
    docs = c.get("documents") or {}
    names = (
        ("plan", N_("Self-inspection plan")),
        ("report", N_("Self-inspection report")),
        ("rectification", N_("Rectification report")),
    )
    return cols, [[t(name), docs.get(key, "")] for key, name in names]


WRITERS = {
    "collector_orders": _orders_collector,
    "supervisor_orders": _orders_supervisor,
    "special_use": _special_use,
    "self_inspection": _documents,
}


def write_filing(f: Filing, path: Path, lang: str | None = None, scratch_dir: Path | None = None) -> int:
    """The filing's workbook: its cover, then its table (none for the category-adjustment table, which is
    the monthly report's workbook); the number of table rows."""
    lang = lang or current_language()

    def t(msgid: str) -> str:
        return translate(msgid, lang)

    sheets: list[tuple[str, Sequence[Column], Iterable[Sequence[Any]]]] = []
    count = 0
    writer = WRITERS.get(f.kind)
    if writer is not None:
        cols, rows = writer(f.content or {}, t)
        sheets.append((f.name[:31], cols, rows))
        count = len(rows)
    cover_cols = [Column(t(N_("Item")), 20.0), Column(t(N_("Value")), 60.0, number_format=TEXT)]
    try:
        write_sheet(path, cover_cols, _cover(f, t), title=t(N_("Cover")), extra_sheets=sheets, scratch_dir=scratch_dir)
    except OSError as exc:
        raise UserFacingError(
            N_("{file} cannot be written: {reason}."), file=str(path), reason=exc.strerror or str(exc)
        ) from None
    return count


def save(session: Session, item: Filing, path: Path, lang: str | None = None) -> int:
    """Write a filing already fetched (``fetch``) and audit the export (kind, month, owner, state, rows)."""
    n = write_filing(item, path, lang, session._profile.scratch_dir)
    session._archive.audit.record_action(
        "report",
        "export",
        Provenance(session.user, Source.SYSTEM),
        {"kind": f"filing:{item.kind}", "month": item.month, "owner": item.owner, "state": item.state}
        | {"file": path.name, "rows": n},
    )
    return n


def special_use_rows(month: str, table: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    """The special-use form's rows as typed (day, purpose, brand, cartons, amount, handled by), checked: a
    UserFacingError names the first wrong row and what is wrong. Wholly empty rows are left out."""
    out = []
    for n, cells in enumerate(table, start=1):
        day, purpose, brand, quantity, amount, handled = (c.strip() for c in (*cells, "", "", "", "", "", "")[:6])
        if not any((day, purpose, brand, quantity, amount, handled)):
            continue
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) or not day.startswith(month + "-") or not _is_date(day):
            raise UserFacingError(N_("Row {n}: the date is a day of {month} written YYYY-MM-DD."), n=n, month=month)
        if not purpose or not brand:
            raise UserFacingError(N_("Row {n}: the purpose and the brand are required."), n=n)
        if not re.fullmatch(r"[0-9]{1,7}", quantity):
            raise UserFacingError(N_("Row {n}: the cartons are a whole number."), n=n)
        if not re.fullmatch(r"(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?", amount):
            raise UserFacingError(N_("Row {n}: the amount is in yuan with at most two decimals, e.g. 900.50."), n=n)
        row = {"day": day, "purpose": purpose[:200], "brand": brand[:100], "quantity": int(quantity)}
        out.append(row | {"amount": amount, "handled_by": handled[:100]})
    return out


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True

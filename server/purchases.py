"""Purchase figures (购进量, 购进金额) from spreadsheets; the classification run that uses them is
:mod:`server.classify_run`.

Import (all or nothing): the first sheet's header row names the columns 客户编码 (customer code),
期间 or 月份 (period or month; optional when ``--period`` is given), 购进量 (cartons, 条) and
购进金额 (yuan, 元). Each bad row gives one line: row number, column and why. A period is a month
(``2026-07``, also a date cell or ``2026年7月``) or a quarter (``2026-Q3``). Figures for the same
customer and period that are already stored are replaced. A customer cannot have figures for a
quarter and also for a month inside it (they would be counted twice). After an import, each customer's
monthly purchase fields (月进货数量, 月进货金额, 进货均价) show its latest month (system changes).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)

from app.export.reading import read_sheet
from app.validation import parse_field
from app.validation.sheetmap import EXCEL_DIGITS, norm_header
from server.accounts import User
from server.db import Tx, analyze_temporary, bulk_insert, create_temporary, drop_temporary, pages
from server.forms import current_form
from server.schema import customers, purchases
from server.scope import Directory, can_see
from server.system import CHUNK as system_chunk
from server.system import apply_system_changes

MONTH_RE = re.compile(r"([0-9]{4})\s*(?:-|/|年)\s*([0-9]{1,2})\s*月?")
QUARTER_RE = re.compile(r"([0-9]{4})\s*-?\s*[Qq]([1-4])")

COLUMNS = {
    "code": ("客户编码", "客户代码", "customer code", "code"),
    "period": ("期间", "月份", "period", "month"),
    "qty": ("购进量", "进货数量", "进货量", "purchase quantity", "quantity", "qty"),
    "amount": ("购进金额", "进货金额", "purchase amount", "amount"),
}
LABELS = {"code": "客户编码", "period": "期间", "qty": "购进量", "amount": "购进金额"}
MAX_QTY = 10**12
MAX_FEN = 10**15


class PeriodError(ValueError):
    """Not a month (2026-07) or a quarter (2026-Q3)."""


def parse_period(value: Any) -> str:
    """``2026-07`` or ``2026-Q3`` from a text or a date cell."""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value or "").strip()
    m = QUARTER_RE.fullmatch(text)
    if m:
        return f"{m.group(1)}-Q{m.group(2)}"
    m = MONTH_RE.fullmatch(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    raise PeriodError(f"{text!r} is not a month (2026-07) or a quarter (2026-Q3)")


def months_of(period: str) -> list[str]:
    """The months a period covers (one for a month, three for a quarter)."""
    if "Q" in period:
        year, q = period.split("-Q")
        return [f"{year}-{m:02d}" for m in range(3 * int(q) - 2, 3 * int(q) + 1)]
    return [period]


def quarter_of(month: str) -> str:
    year, m = month.split("-")
    return f"{year}-Q{(int(m) - 1) // 3 + 1}"


def _overlapping(period: str) -> list[str]:
    """Other periods that would count the same months twice if a customer had both."""
    return months_of(period) if "Q" in period else [quarter_of(period)]


def _header_key(text: str) -> str | None:
    base = re.split(r"[（(]", norm_header(text), maxsplit=1)[0]
    for key, names in COLUMNS.items():
        if base in (norm_header(n) for n in names):
            return key
    return None


def _qty(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        value = int(value)
    if isinstance(value, str):
        value = value.strip().replace(",", "")
        if not re.fullmatch(r"[0-9]+", value):
            raise ValueError
        value = int(value)
    if not isinstance(value, int) or not 0 <= value < MAX_QTY:
        raise ValueError
    return value


def _fen(value: Any) -> int:
    """Yuan with at most 2 decimals -> whole fen."""
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, float):
            d = Decimal(repr(value))
        elif isinstance(value, (int, Decimal)):
            d = Decimal(value)
        elif isinstance(value, str):
            d = Decimal(value.strip().replace(",", ""))
        else:
            raise ValueError
    except InvalidOperation:
        raise ValueError from None
    if not d.is_finite() or d < 0:
        raise ValueError
    fen = d * 100
    if fen != fen.to_integral_value() or fen >= MAX_FEN:
        raise ValueError
    return int(fen)


@dataclass
class ImportReport:
    imported: int = 0
    replaced: int = 0
    figures_updated: int = 0  # customers whose monthly purchase fields changed
    periods: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def import_purchases(
    tx: Tx, path: Path, default_period: str | None, actor: str, user: User | None = None, sheet: str | None = None
) -> ImportReport:
    """Read, check every row, and store the figures only if no row has a problem.

    With ``user`` (the HTTP endpoint), only customers that user may see exist: a supervisor
    imports figures for their team's customers; a code outside the scope reads as unknown.
    """
    report = ImportReport()
    if default_period is not None:
        try:
            default_period = parse_period(default_period)
        except PeriodError as exc:
            report.problems.append(f"--period: {exc}")
            return report
    header, rows = read_sheet(
        path,
        lambda row: len(
            {k for v in row if isinstance(v, str) and v and len(v) < 100 and (k := _header_key(v)) is not None}
        ),
        sheet,
    )
    cols: dict[str, int] = {}
    for i, text in enumerate(header):
        key = _header_key(text)
        if key is None:
            continue
        if key in cols:
            report.problems.append(
                f"row 1: the column {LABELS[key]} appears twice (columns {cols[key] + 1} and {i + 1})"
            )
        cols.setdefault(key, i)
    for key in ("code", "qty", "amount"):
        if key not in cols:
            report.problems.append(f"row 1: there is no column {LABELS[key]} ({COLUMNS[key][-2]})")
    if "period" not in cols and default_period is None:
        report.problems.append("row 1: there is no column 期间/月份 (period); give --period")
    if report.problems:
        return report
    directory = Directory.load(tx.conn) if user is not None else None
    source = path.name[:150]
    create_temporary(tx.conn, staged)
    found: list[tuple[int, int, str, str]] = []  # (row, order within the row, sort key, problem)
    batch: list[tuple[int, list[Any]]] = []

    def check(batch: list[tuple[int, list[Any]]]) -> None:
        """One batch of rows: each row's own problems; the rows with a code and a period go to ``staged``."""
        wanted = {code for _, cells in batch if (code := _code_of(cells, cols)[0])}
        codes = _codes(tx, sorted(wanted), user, directory)
        out: list[dict[str, Any]] = []
        for n, cells in batch:
            problems, row = _check_row(n, cells, cols, codes, default_period)
            found.extend((n, 0, f"{i:03d}", p) for i, p in enumerate(problems))
            if row is not None:
                row["ok"] = not problems and row["record_id"] is not None
                row["source"] = f"{source} row {n}"
                out.append(row)
        bulk_insert(tx.conn, staged, out)

    for item in rows:
        batch.append(item)
        if len(batch) >= STAGE_CHUNK:
            check(batch)
            batch = []
    check(batch)
    analyze_temporary(tx.conn, staged)  # for the plans below
    found.extend(_repeated(tx))
    found.sort(key=lambda f: f[:3])
    report.problems += [f[3] for f in found]
    imported = tx.conn.execute(select(func.count()).select_from(staged).where(staged.c.ok.is_(True))).scalar_one()
    if not report.problems and not imported:
        report.problems.append("the sheet has no data rows")
    if not report.problems:
        _check_stored_overlaps(tx, report)
    if report.problems:
        drop_temporary(tx.conn, staged)
        return report
    for page in _staged_pages(tx):  # by the purchases' own key, a page at a time: never a join whose plan
        cond = or_(*[and_(purchases.c.period == r.period, purchases.c.customer_code == r.customer_code) for r in page])
        report.replaced += tx.conn.execute(delete(purchases).where(cond)).rowcount or 0  # rests on stale statistics
    cols_in = ["period", "customer_code", "record_id", "qty", "amount_fen", "source"]
    tx.conn.execute(
        insert(purchases).from_select(
            [*cols_in, "imported_by", "imported_at"],
            select(*[staged.c[k] for k in cols_in], literal(actor), literal(time.time())),
        )
    )
    report.imported = imported
    report.periods = set(tx.conn.execute(select(staged.c.period).distinct()).scalars())
    report.figures_updated = refresh_monthly_figures(tx, _staged_record_ids(tx))
    drop_temporary(tx.conn, staged)
    return report


#: Rows of the sheet checked per batch (their customers are looked up together).
STAGE_CHUNK = 2000

_temporary = MetaData()
#: The rows of an import being checked, each with a code and a period (the others have problems of their
#: own already): they wait in the database, not in memory (issue 21). ``quarter``: a month's quarter, a
#: quarter itself; ``first``/``last``: a quarter's months. ``ok``: the row has no problem of its own.
staged = Table(
    "fa_purchase_rows",
    _temporary,
    Column("n", Integer, nullable=False),
    Column("customer_code", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("quarter", Text, nullable=False),
    Column("first", Text, nullable=True),
    Column("last", Text, nullable=True),
    Column("ok", Boolean, nullable=False),
    Column("record_id", Text, nullable=True),
    Column("qty", BigInteger, nullable=True),
    Column("amount_fen", BigInteger, nullable=True),
    Column("source", Text, nullable=False),
    Index("fa_purchase_rows_key", "customer_code", "period", "n"),
    Index("fa_purchase_rows_n", "n"),
    Index("fa_purchase_rows_record", "record_id"),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _codes(tx: Tx, wanted: list[str], user: User | None, directory: Directory | None) -> dict[str, tuple[str, bool]]:
    """code -> (record id, deleted) of the customers with these codes that ``user`` may see (all without one)."""
    out: dict[str, tuple[str, bool]] = {}
    c = customers.c
    for i in range(0, len(wanted), 500):
        q = select(c.code, c.id, c.deleted, c.owner_id, c.created_by_id).where(c.code.in_(wanted[i : i + 500]))
        for r in tx.conn.execute(q):
            if user is None or directory is None or can_see(user, r, directory):
                out[r.code] = (r.id, r.deleted)
    return out


def _code_of(cells: list[Any], cols: dict[str, int]) -> tuple[str, bool]:
    """The row's customer code ("" when empty or lost) and whether Excel lost its last digits (a float, or
    an integer longer than Excel keeps): such a number is never turned back into a code."""
    i = cols["code"]
    raw = cells[i] if i < len(cells) else None
    lost = isinstance(raw, float) or isinstance(raw, int) and len(str(raw)) > EXCEL_DIGITS
    return ("" if raw is None or lost else str(raw).strip()), lost


def _check_row(
    n: int, cells: list[Any], cols: dict[str, int], codes: dict[str, tuple[str, bool]], default_period: str | None
) -> tuple[list[str], dict[str, Any] | None]:
    """The problems of one row on its own, and its row for ``staged`` (None without a code or a period)."""

    def cell(key: str) -> Any:
        i = cols.get(key)
        v = cells[i] if i is not None and i < len(cells) else None
        return None if isinstance(v, str) and not v.strip() else v

    problems: list[str] = []
    code, lost = _code_of(cells, cols)
    rid = None
    if lost:
        problems.append(
            f"row {n}, column {LABELS['code']}: the column was stored as a number by Excel and its "
            "last digits are lost; set the column to Text and enter the codes again"
        )
    elif not code:
        problems.append(f"row {n}, column {LABELS['code']}: the customer code is empty")
    elif code not in codes:
        problems.append(f"row {n}, column {LABELS['code']}: no customer has the code {code}")
    elif codes[code][1]:
        problems.append(f"row {n}, column {LABELS['code']}: the customer {code} was deleted")
    else:
        rid = codes[code][0]
    period = None
    raw_period = cell("period")
    if raw_period is None:
        period = default_period
        if period is None:
            problems.append(f"row {n}, column {LABELS['period']}: the period is empty (and no --period given)")
    else:
        try:
            period = parse_period(raw_period)
        except PeriodError as exc:
            problems.append(f"row {n}, column {LABELS['period']}: {exc}")

    def number(key: str, parse: Callable[[Any], int], empty: str, wrong: str) -> int | None:
        value = cell(key)
        try:
            if value is not None:
                return parse(value)
            problems.append(f"row {n}, column {LABELS[key]}: {empty}")
        except ValueError:
            problems.append(f"row {n}, column {LABELS[key]}: {value!r} {wrong}")
        return None

    qty = number("qty", _qty, "the quantity is empty", "is not a whole number of cartons (0 or more)")
    amount = number("amount", _fen, "the amount is empty", "is not an amount in yuan (0 or more, at most 2 decimals)")
    if not code or not period:
        return problems, None
    months = months_of(period)
    quarter = period if "Q" in period else quarter_of(period)
    row = {
        "n": n,
        "customer_code": code,
        "period": period,
        "quarter": quarter,
        "first": months[0] if "Q" in period else None,
        "last": months[-1] if "Q" in period else None,
        "record_id": rid,
        "qty": qty if qty is not None and amount is not None else None,
        "amount_fen": amount if qty is not None and amount is not None else None,
    }
    return problems, row


def _repeated(tx: Tx) -> Iterator[tuple[int, int, str, str]]:
    """Rows whose customer has figures for the same period, or for a period overlapping it, in an earlier
    row of the sheet: each named with the first such row (the same months would count twice)."""
    first = (
        select(staged.c.customer_code, staged.c.period, staged.c.quarter, func.min(staged.c.n).label("n0"))
        .group_by(staged.c.customer_code, staged.c.period, staged.c.quarter)
        .subquery("first_rows")
    )
    r = staged
    quarterly = r.c.period.like("%Q%") != first.c.period.like("%Q%")
    q = (
        select(r.c.n, r.c.customer_code, r.c.period, first.c.period.label("other"), first.c.n0)
        .join(first, (first.c.customer_code == r.c.customer_code) & (first.c.quarter == r.c.quarter))
        .where(first.c.n0 < r.c.n, (first.c.period == r.c.period) | quarterly)
    )
    for row in tx.conn.execute(q):
        if row.other == row.period:
            yield (
                row.n,
                1,
                "",
                f"row {row.n}: the customer {row.customer_code} already has figures for {row.period} in row {row.n0}",
            )
        else:
            yield (
                row.n,
                2,
                row.other,
                f"row {row.n}: the customer {row.customer_code} has figures for {row.other} in row "
                f"{row.n0}; {row.period} would count the same months twice",
            )


#: The catalogue's monthly purchase fields (月进货数量, 月进货金额, 进货均价), kept by the system.
MONTHLY_FIELDS = ("purchase_qty", "purchase_amount", "avg_price")


def refresh_monthly_figures(tx: Tx, record_ids: Iterable[list[str]]) -> int:
    """Set each record's monthly purchase fields from its latest month with figures (quarters are not
    months and are left out): cartons, yuan, and yuan per carton (none for 0 cartons). They are system
    changes, versioned and sent to the clients, with the month as their source; a record whose fields
    already hold those figures (an older month imported later) is left alone. ``record_ids``: the records
    to look at, a chunk at a time (memory holds one chunk). Returns how many changed."""
    form = current_form(tx.conn)
    specs = {key: form.get(key) for key in MONTHLY_FIELDS}
    if any(spec is None for spec in specs.values()):
        return 0
    changed = 0
    directory = Directory.load(tx.conn)  # once: the figures are written chunk after chunk
    for ids in record_ids:
        latest: dict[str, tuple[str, int, int]] = {}
        q = select(purchases.c.record_id, purchases.c.period, purchases.c.qty, purchases.c.amount_fen).where(
            purchases.c.record_id.in_(ids)
        )
        for r in tx.conn.execute(q):
            if "Q" not in r.period and (r.record_id not in latest or r.period > latest[r.record_id][0]):
                latest[r.record_id] = (r.period, int(r.qty), int(r.amount_fen))
        by_month: dict[str, dict[str, dict[str, Any]]] = {}
        for rid, (month, qty, fen) in latest.items():
            yuan = Decimal(fen) / 100
            avg = (yuan / qty).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if qty else None
            by_month.setdefault(month, {})[rid] = {
                "purchase_qty": _canonical(specs["purchase_qty"], qty),
                "purchase_amount": _canonical(specs["purchase_amount"], f"{yuan:f}"),
                "avg_price": _canonical(specs["avg_price"], f"{avg:f}") if avg is not None else None,
            }
        for month, updates in sorted(by_month.items()):
            changed += len(apply_system_changes(tx, updates, "purchases", month, directory=directory))
    return changed


def _canonical(spec: Any, raw: Any) -> Any:
    """The value as the catalogue's parser stores it (a value it refuses is left out, not stored)."""
    value, issues = parse_field(spec, raw)
    return None if issues else value


def _check_stored_overlaps(tx: Tx, report: ImportReport) -> None:
    """A quarter stored for a customer whose months come now (or the other way round)."""
    found: dict[tuple[str, str], int] = {}  # (code, stored period) -> the last row that meets it
    for page in _staged_pages(tx):
        wanted: dict[tuple[str, str], int] = {}
        for r in page:
            for other in _overlapping(r.period):
                wanted[(r.customer_code, other)] = r.n
        q = select(purchases.c.customer_code, purchases.c.period).where(
            purchases.c.period.in_(sorted({p for _, p in wanted})),
            purchases.c.customer_code.in_(sorted({c for c, _ in wanted})),
        )
        for row in tx.conn.execute(q):
            if (row.customer_code, row.period) in wanted:
                found[(row.customer_code, row.period)] = wanted[(row.customer_code, row.period)]
    for (code, period), n in sorted(found.items(), key=lambda kv: (kv[1], kv[0][1], kv[0][0])):
        report.problems.append(
            f"row {n}: the customer {code} already has stored figures for {period}; the same months would count twice"
        )


def _staged_pages(tx: Tx) -> Iterator[Sequence[Any]]:
    """The staged rows in sheet order, 500 at a time."""
    return pages(tx.conn, select(staged.c.n, staged.c.customer_code, staged.c.period), staged.c.n)


def _staged_record_ids(tx: Tx) -> Iterator[list[str]]:
    """The imported customers' record ids, ``system_chunk`` at a time (each once)."""
    query = select(staged.c.record_id).where(staged.c.record_id.is_not(None)).group_by(staged.c.record_id)
    for page in pages(tx.conn, query, staged.c.record_id, system_chunk):
        yield [r[0] for r in page]

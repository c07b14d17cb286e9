"""The classification run (``classify run --period P``): it sums each customer's purchase figures for P
(a quarter sums its three months; :mod:`server.purchases` imports them), ranks every retail format with
:mod:`server.classify`, and writes the new business scale and classification code as system changes
(:mod:`server.system`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, Column, Index, MetaData, Numeric, Table, Text, cast, func, literal, select

from app.models.catalogue import FieldRole
from server import classify
from server.db import Tx, analyze_temporary, bulk_insert, create_temporary, drop_temporary
from server.forms import current_form
from server.purchases import months_of, parse_period
from server.schema import customers, purchases
from server.scope import Directory
from server.system import CHUNK as system_chunk
from server.system import apply_system_changes


@dataclass(slots=True)
class Change:
    record_id: str
    code: str
    shop: str
    retail_format: str
    score: Fraction | None
    old_scale: str | None
    new_scale: str | None
    old_class: str | None
    new_class: str | None


@dataclass
class RunReport:
    period: str
    ranked: int = 0
    changed: int = 0  # customers whose scale or code changes (would change, in a dry run)
    changes: list[Change] = field(default_factory=list)  # the first ``LISTED`` of them, in the table's order
    unchanged: int = 0
    no_figures: int = 0  # customers with a code but no figures for the period
    no_format: list[str] = field(default_factory=list)  # codes without a retail format
    no_code_letter: list[str] = field(default_factory=list)  # codes whose classification code cannot be built
    formats_without_purchases: list[str] = field(default_factory=list)
    # F3 L11 (1.2): a new customer's scale is a first estimate until it has traded a quarter. Codes still in
    # their first quarter at the period's end (not ranked, their estimate kept), and codes whose first quarter
    # ended within the period (ranked now: the re-assessment the documents ask for)
    first_quarter: list[str] = field(default_factory=list)
    reassessed: list[str] = field(default_factory=list)
    applied: bool = False


def quarter_after(day: dt.date) -> dt.date:
    """The day a customer bound on ``day`` has traded a quarter (three months on; the 31st → the month's end)."""
    y, m = divmod(day.month - 1 + 3, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _period_days(period: str) -> tuple[dt.date, dt.date]:
    """The first day of a period and the first day after it."""
    months = months_of(period)
    y0, m0 = (int(x) for x in months[0].split("-"))
    y, m = (int(x) for x in months[-1].split("-"))
    return dt.date(y0, m0, 1), dt.date(y + m // 12, m % 12 + 1, 1)


def _first_quarter(binding: Any, start: dt.date, after: dt.date) -> str | None:
    """``"in"``: still in its first quarter at the period's end; ``"ended"``: it ended within the period."""
    try:
        bound = dt.date.fromisoformat(str(binding))
    except ValueError:
        return None
    done = quarter_after(bound)
    if done >= after:
        return "in"
    return "ended" if done > start else None


def _sums(conn: Any, period: str) -> Iterator[tuple[str, int, int]]:
    """(record id, cartons, fen) summed over the period (a quarter: its months and itself), in the order of
    the record ids as Python compares them (bytes order: ``COLLATE "C"`` on PostgreSQL)."""
    periods = months_of(period) + ([period] if "Q" in period else [])
    rid = purchases.c.record_id
    q = (
        select(rid, func.sum(purchases.c.qty), func.sum(purchases.c.amount_fen))
        .where(purchases.c.period.in_(periods))
        .group_by(rid)
        .order_by(rid.collate("C") if conn.dialect.name == "postgresql" else rid)
    )
    for r in conn.execute(q.execution_options(yield_per=CHUNK)):
        yield r[0], int(r[1]), int(r[2])


def _with_figures(conn: Any, period: str) -> Iterator[tuple[Any, tuple[int, int] | None]]:
    """Every customer the run may rank (not deleted, official code), with its figures for the period or
    None: the customers and the sums each read in the order of their ids and merged here, never joined by
    a plan that rests on the purchases' statistics (stale right after an import)."""
    cid = customers.c.id
    q = (
        select(cid, customers.c.code, customers.c.data)
        .where(customers.c.deleted.is_(False), customers.c.code_official.is_(True))
        .order_by(cid.collate("C") if conn.dialect.name == "postgresql" else cid)
    )
    sums = _sums(conn, period)
    head = next(sums, None)
    for r in conn.execute(q.execution_options(yield_per=CHUNK)):
        while head is not None and head[0] < r.id:
            head = next(sums, None)
        yield r, ((head[1], head[2]) if head is not None and head[0] == r.id else None)


#: Customers read per round trip by the run.
CHUNK = 2000
#: Rows of the table of changes a run's report lists (the count of all is ``RunReport.changed``): the
#: report goes whole to the CLI and to the admin's window, and a province's run changes 100,000s.
LISTED = 10_000

_run_meta = MetaData()
#: The customers a run ranks, with what it needs of each (issue 21: they wait in the database, and each
#: format is read back in the order of its scores). ``market``/``scale``/``klass`` are JSON.
ranked_rows = Table(
    "fa_ranked_rows",
    _run_meta,
    Column("record_id", Text, nullable=False),
    Column("fmt", Text, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("code", Text, nullable=False),
    Column("market", Text, nullable=False),
    Column("scale", Text, nullable=False),
    Column("klass", Text, nullable=False),
    Column("shop", Text, nullable=False),
    Index("fa_ranked_rows_fmt", "fmt"),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


@dataclass
class _Format:
    """What the run sums of one retail format while it reads the customers."""

    n: int = 0
    qty: int = 0
    fen: int = 0
    max_qty: int = 0
    max_fen: int = 0


def run_classification(tx: Tx, period: str, *, dry_run: bool = False) -> RunReport:
    """Rank every retail format on the period's figures and (unless dry) write the changes.

    Memory holds a batch of customers, the formats' sums and the report: the ranked customers wait in a
    temporary table and each format is read back in the order of its scores (``server.classify``'s rules:
    highest first, ties together and given the best scale of their positions)."""
    period = parse_period(period)
    report = RunReport(period)
    form = current_form(tx.conn)
    fmt_key = _key(form, "retail_format")
    market_key = _key(form, "market_type")
    scale_key = _key(form, "business_scale")
    class_key = _key(form, "classification_code")
    shop_key = _key(form, "shop_name")
    binding_key = _key(form, "binding_date")
    start, after = _period_days(period)
    create_temporary(tx.conn, ranked_rows)
    formats: dict[str, _Format] = {}
    batch: list[dict[str, Any]] = []
    for r, fig in _with_figures(tx.conn, period):
        if fig is None:
            report.no_figures += 1
            continue
        v = json.loads(r.data)
        fmt = v.get(fmt_key)
        if not fmt:
            report.no_format.append(r.code)
            continue
        new = _first_quarter(v.get(binding_key), start, after) if v.get(binding_key) else None
        if new == "in":  # its figures are not a quarter's yet: the first estimate stays (F3 L11)
            report.first_quarter.append(r.code)
            continue
        if new == "ended":
            report.reassessed.append(r.code)
        qty, fen = fig
        f = formats.setdefault(str(fmt), _Format())
        f.n, f.qty, f.fen = f.n + 1, f.qty + qty, f.fen + fen
        f.max_qty, f.max_fen = max(f.max_qty, qty), max(f.max_fen, fen)
        batch.append(
            {
                "record_id": r.id,
                "fmt": str(fmt),
                "qty": qty,
                "amount_fen": fen,
                "code": r.code,
                "market": json.dumps(v.get(market_key)),
                "scale": json.dumps(v.get(scale_key)),
                "klass": json.dumps(v.get(class_key)),
                "shop": str(v.get(shop_key) or ""),
            }
        )
        if len(batch) >= CHUNK:
            bulk_insert(tx.conn, ranked_rows, batch)
            batch = []
    bulk_insert(tx.conn, ranked_rows, batch)
    analyze_temporary(tx.conn, ranked_rows)  # for the plans below
    updates: dict[str, dict[str, Any]] = {}
    directory = Directory.load(tx.conn)  # once: the run writes its changes chunk after chunk

    def flush() -> None:
        if updates and not dry_run:
            apply_system_changes(tx, updates, "classification", f"period {period}", directory=directory)
            report.applied = True
        updates.clear()

    for fmt in sorted(formats):
        f = formats[fmt]
        if f.qty == 0 and f.fen == 0:  # nothing to rank: every customer of the format keeps its scale
            report.formats_without_purchases.append(fmt)
            continue
        report.ranked += f.n
        n_top, n_bottom = classify.band_sizes(f.n)
        group_key: Any = None
        first = 0
        for i, row in enumerate(_in_score_order(tx, fmt, f)):
            key = _order_key(row.qty, row.amount_fen, f)
            if i == 0 or key != group_key:  # a new group of equal scores starts here
                group_key, first = key, i
            new_scale = "1" if first < n_top else "3" if first >= f.n - n_bottom else "2"
            market, old_scale, old_class = json.loads(row.market), json.loads(row.scale), json.loads(row.klass)
            new_class = classify.classification_code(market, fmt, new_scale)
            if new_class is None:
                report.no_code_letter.append(row.code)
            if old_scale == new_scale and (new_class is None or old_class == new_class):
                report.unchanged += 1
                continue
            want = {scale_key: new_scale}
            if new_class is not None:
                want[class_key] = new_class
            updates[row.record_id] = want
            report.changed += 1
            if len(report.changes) >= LISTED:
                if len(updates) >= system_chunk:
                    flush()
                continue
            q_part = Fraction(row.qty, f.qty) if f.qty else Fraction(0)
            a_part = Fraction(row.amount_fen, f.fen) if f.fen else Fraction(0)
            report.changes.append(
                Change(
                    row.record_id,
                    row.code,
                    row.shop,
                    fmt,
                    (q_part + a_part) / 2,
                    old_scale,
                    new_scale,
                    old_class,
                    new_class if new_class is not None else old_class,
                )
            )
            if len(updates) >= system_chunk:
                flush()
    flush()
    drop_temporary(tx.conn, ranked_rows)
    for codes in (report.no_format, report.first_quarter, report.reassessed):
        codes.sort()
    return report


def _order_key(qty: int, fen: int, f: _Format) -> int:
    """An integer in the order of the score (qty/Q + fen/A) / 2, exact: the score times 2·Q·A."""
    if f.qty and f.fen:
        return qty * f.fen + fen * f.qty
    return qty if f.qty else fen


def _in_score_order(tx: Tx, fmt: str, f: _Format) -> Iterator[Any]:
    """The format's customers, highest score first, then by code: sorted by the database, on an exact key
    (PostgreSQL's numeric; SQLite's 64-bit integers when the largest key fits, else sorted here)."""
    r = ranked_rows.c
    cols = (r.record_id, r.qty, r.amount_fen, r.code, r.market, r.scale, r.klass, r.shop)
    q = select(*cols).where(r.fmt == fmt)
    big = _order_key(f.max_qty, f.max_fen, f) >= 2**63
    if tx.db.is_postgres or not big:
        num: Any = Numeric(40, 0) if tx.db.is_postgres else BigInteger
        qty, fen = cast(r.qty, num), cast(r.amount_fen, num)
        if f.qty and f.fen:
            key = qty * literal(f.fen, num) + fen * literal(f.qty, num)
        else:
            key = qty if f.qty else fen
        yield from tx.conn.execute(q.order_by(key.desc(), r.code, r.record_id).execution_options(yield_per=CHUNK))
        return
    rows = tx.conn.execute(q).all()  # SQLite, keys past 64 bits: this format in memory (a small server's)
    yield from sorted(rows, key=lambda row: (-_order_key(row.qty, row.amount_fen, f), row.code, row.record_id))


def _key(form: Any, role: str) -> str:

    spec = form.by_role(FieldRole(role))
    return spec.key if spec is not None else role

"""Operations of the statistics: the dashboard's figures, the monthly report and the modification ledger
(their figures asked of the server on the network pool, the workbook written and audited on the DB thread)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.models.remote import Ledger, MonthlyReport
from app.services import dashboard, ledger, reports
from app.services.dashboard import Dashboard
from app.ui.context import UiContext
from app.ui.ops.syncing import ask_server
from app.ui.tasks import DbOp


def dashboard_figures(ctx: UiContext, parent: Any) -> DbOp[Dashboard]:
    return ctx.op(dashboard.build, parent)


def fetch_monthly(
    ctx: UiContext,
    parent: Any,
    month: str,
    success: Callable[[MonthlyReport], None],
    failure: Callable[[BaseException], None],
) -> None:
    """The month's figures from the server, asked on the network pool."""
    ask_server(ctx, lambda client: client.monthly_report(month), parent, success, failure)


def save_monthly(
    ctx: UiContext, parent: Any, data: MonthlyReport, month: str, target: Path, lang: str
) -> DbOp[dict[str, int]]:
    """Write the fetched figures to ``target`` and audit the export; returns the counts it names."""
    return ctx.op(lambda s: reports.save_monthly(s, data, month, target, lang), parent)


def fetch_ledger(
    ctx: UiContext,
    parent: Any,
    start: dt.date,
    end: dt.date,
    collector: str | None,
    success: Callable[[Ledger], None],
    failure: Callable[[BaseException], None],
) -> None:
    """The period's modification ledger from the server (every page), asked on the network pool."""
    ask_server(
        ctx, lambda client: client.ledger(start.isoformat(), end.isoformat(), collector), parent, success, failure
    )


def save_ledger(ctx: UiContext, parent: Any, data: Ledger, target: Path, lang: str) -> DbOp[int]:
    """Write the fetched ledger to ``target`` and audit the export; returns the number of rows."""
    return ctx.op(lambda s: ledger.save(s, data, target, lang), parent)

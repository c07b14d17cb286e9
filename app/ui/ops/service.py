"""Operations on the service records (客户服务记录): visit plans, care dates, satisfaction surveys and their
steps, the overdue plans and coming care dates, the workbook export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.models.service import ServiceItem, ServiceRecord
from app.services import service
from app.services.events import Changes
from app.ui.context import UiContext
from app.ui.tasks import DbOp


def of_customer(ctx: UiContext, parent: Any, customer_id: str) -> DbOp[list[ServiceRecord]]:
    return ctx.op(lambda s: service.of_customer(s, customer_id), parent)


def plan_visit(ctx: UiContext, parent: Any, customer_id: str, on_date: str, purpose: str, note: str) -> DbOp[Any]:
    return ctx.op(lambda s: service.plan_visit(s, customer_id, on_date, purpose, note), parent).changes(
        lambda _r: Changes.ids([customer_id], lists=False)
    )


def add_care_date(
    ctx: UiContext, parent: Any, customer_id: str, on_date: str, occasion: str, yearly: bool, note: str
) -> DbOp[Any]:
    return ctx.op(lambda s: service.add_care_date(s, customer_id, on_date, occasion, yearly, note), parent).changes(
        lambda _r: Changes.ids([customer_id], lists=False)
    )


def add_survey(
    ctx: UiContext,
    parent: Any,
    customer_id: str,
    on_date: str,
    channel: str,
    informed: bool,
    answers: Mapping[str, int | None],
    note: str,
) -> DbOp[Any]:
    return ctx.op(
        lambda s: service.add_survey(s, customer_id, on_date, channel, informed, answers, note), parent
    ).changes(lambda _r: Changes.ids([customer_id], lists=False))


def add_observation(
    ctx: UiContext,
    parent: Any,
    customer_id: str,
    on_date: str,
    brands: list[list[str]],
    display: str,
    promotion: str,
    competitors: str,
    visit_id: str,
    note: str,
) -> DbOp[Any]:
    return ctx.op(
        lambda s: service.add_observation(
            s, customer_id, on_date, brands, display, promotion, competitors, visit_id, note
        ),
        parent,
    ).changes(lambda _r: Changes.ids([customer_id], lists=False))


def step(
    ctx: UiContext, parent: Any, rec: ServiceRecord, action: str, done_on: str, visit_id: str, reason: str
) -> DbOp[Any]:
    return ctx.op(lambda s: service.step(s, rec.id, action, done_on, visit_id, reason), parent).changes(
        lambda _r: Changes.ids([rec.customer_id], lists=False)
    )


def reminders(ctx: UiContext, parent: Any) -> DbOp[tuple[list[ServiceItem], list[tuple[dt.date, ServiceItem]]]]:
    """The visit plans due this week (overdue ones first) and the care dates coming up."""
    return ctx.op(lambda s: (service.due_plans(s), service.upcoming_care(s)), parent)


def plan_from_cycle(ctx: UiContext, parent: Any) -> DbOp[list[ServiceRecord]]:
    """Plans for the customers whose visit cycle makes a visit due this week (and that have none open)."""
    return ctx.op(service.plan_from_cycle, parent).changes(
        lambda made: Changes.ids(sorted({r.customer_id for r in made}), lists=True)
    )


def survey_results(ctx: UiContext, parent: Any) -> DbOp[list[tuple[str, str, int, int, float | None]]]:
    """The surveys per collector, area and market type (valid, invalid, the mean of the valid ones)."""
    return ctx.op(service.survey_results, parent)


def export(ctx: UiContext, parent: Any, path: Path) -> DbOp[int]:
    return ctx.op(lambda s: service.export_service(s, path), parent)

"""The operation that writes a request's form (app.services.case_forms): the case asked of the server on the
network pool, then the form written and logged on the DB thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.models.onboarding import Case
from app.services import case_forms
from app.ui.context import UiContext
from app.ui.ops.syncing import ask_server


def print_case(
    ctx: UiContext,
    parent: Any,
    kind: str,
    case_id: str,
    target: Path,
    done: Callable[[int], None],
    failure: Callable[[BaseException], None],
) -> None:
    """Write the form of case ``case_id`` (``kind``: "onboarding" or "change") to ``target`` (.pdf or .xlsx);
    ``done`` gets its pages (a PDF) or rows (a workbook)."""

    def write(case: Case) -> None:
        op = ctx.op(lambda s: case_forms.write_form(s, case, target), parent)
        op.success(done).failure(failure).run()

    ask_server(ctx, lambda client: case_forms.fetch_case(client, case_id, kind), parent, write, failure)

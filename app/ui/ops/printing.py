"""The operation that prints one customer's archive to PDF (app.services.printing) behind a progress dialog
with Cancel, on the DB thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QProgressDialog, QWidget

from app.i18n import _, ngettext
from app.services import printing
from app.ui.context import UiContext
from app.ui.ops.progress import run_with_progress


def print_customer(
    ctx: UiContext,
    parent: QWidget,
    customer_id: str,
    target: Path,
    *,
    done: Callable[[int], Any],
    cancelled: Callable[[], Any] | None = None,
) -> QProgressDialog:
    """Write the customer's printable copy to ``target``; ``done(pages)``. Masked, as an export by default."""

    def work(s: Any, progress: Callable[[int, int], None], cancel: threading.Event) -> int:
        return printing.print_customer(s, customer_id, target, progress=progress, cancel=cancel)

    return run_with_progress(
        ctx,
        parent,
        _("Printing the archive…"),
        work,
        done,
        cancelled=cancelled,
        counted=lambda n: ngettext("{n} page", "{n} pages", n).format(n=n),
    )

"""The notice of alerts waiting, in an admin's status bar (issue 18: an alert that reaches someone; docs/server.md
"Alerts", "Reaching someone").

After each sync (so also after signing in) an admin's client asks the server for the alerts not acknowledged
yet (``GET /admin/alerts/waiting``: a count, not written to the admin log, which a list read after every
sync would fill) and shows their number as
a button in the status bar; a click opens the administration area on its Alerts page. It goes when none waits,
and follows what the Alerts page shows (an alert acknowledged there lowers it). Only admins: the alerts API is
theirs, and an alert's subject (an account name tried, an address) belongs to no team. A failure to ask is
quiet (the sync's own status says whether the server answers); the next sync asks again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QPushButton, QWidget

from app.i18n import _, ngettext
from app.services import guards
from app.ui.context import UiContext
from app.ui.ops.syncing import ask_server
from app.ui.style import WARNING


class AlertNotice(QPushButton):
    """``is_admin()``: whether the signed-in account is an admin now; ``open_admin()``: the administration area,
    shown (made when needed)."""

    def __init__(
        self, ctx: UiContext, is_admin: Callable[[], bool], open_admin: Callable[[], Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.is_admin, self.open_admin = ctx, is_admin, open_admin
        self.setFlat(True)
        self.setStyleSheet(f"color: {WARNING}; font-weight: bold")
        self.setToolTip(_("Open the alerts in the administration area to see and acknowledge them."))
        self.clicked.connect(self.open_alerts)
        self.waiting = 0
        self.busy = 0  # questions to the server not answered yet (the tests wait for 0)
        self._page: Any = None
        self.hide()

    def after_sync(self, _outcome: object = None) -> None:
        """Ask how many alerts wait (an admin only; anyone else: no notice)."""
        if not self.is_admin():
            self.show_count(0)
            return
        self.busy += 1
        ask_server(self.ctx, guards.alerts_waiting, self, self._answered, self._not_answered)

    def _answered(self, waiting: int) -> None:
        self.busy -= 1
        self.show_count(waiting if self.is_admin() else 0)

    def _not_answered(self, _exc: BaseException) -> None:
        self.busy -= 1

    def show_count(self, n: int) -> None:
        self.waiting = n
        if n <= 0:
            self.hide()
            return
        self.setText(ngettext("{n} alert to acknowledge", "{n} alerts to acknowledge", n).format(n=n))
        self.show()

    def open_alerts(self) -> None:
        """The administration area on its Alerts page, asked again."""
        area = self.open_admin()
        page = area.alerts
        if page is not self._page:  # a new area: follow what its page shows
            page.sig_waiting.connect(self.show_count)
            self._page = page
        area.show_page(page)

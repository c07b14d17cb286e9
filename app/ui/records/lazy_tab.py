"""The customer's tabs that read only when they are in view (a Submit or a save reads nothing for them):
``LazyTab`` keeps which customer is shown and whether its records were read; ``ServerTab`` is one that asks
the server (the integrity grade, the access log), with a line saying what it is doing and a button to ask
again. The integrity archive is a ``LazyTab`` reading the archive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableWidget, QVBoxLayout, QWidget

from app.errors import UserFacingError
from app.i18n import _
from app.ui.context import UiContext
from app.ui.errors import show_exception

T = TypeVar("T")

#: How a server tab asks: ``ask(ctx, parent, customer_id, success, failure)`` (the builders of app.ui.ops.syncing).
Ask = Callable[[UiContext, QWidget, str, Callable[[T], None], Callable[[BaseException], None]], None]


class LazyTab(QWidget):
    """One customer's tab: ``hold`` shows a customer and reads nothing (``stale``), ``fetch`` reads when stale
    (or when ``force``d), ``load`` does both. What it reads and what it empties are the tab's own: ``read``
    starts reading the customer's records, ``clear`` empties the tab for a new customer."""

    def __init__(
        self, ctx: UiContext, read: Callable[[str], None], clear: Callable[[], None], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id: str | None = None
        self.loaded_for: str | None = None
        self._read, self._clear = read, clear

    @property
    def stale(self) -> bool:
        """A customer is shown whose records this tab has not read yet."""
        return self.customer_id is not None and self.loaded_for != self.customer_id

    def hold(self, customer_id: str | None) -> None:
        """A new customer is shown (or none): forget the last one's records, read nothing yet."""
        self.customer_id = customer_id
        self.loaded_for = None
        self._clear()

    def load(self, customer_id: str | None) -> None:
        """Show ``customer_id`` and read its records now."""
        self.hold(customer_id)
        self.fetch()

    def fetch(self, force: bool = False) -> None:
        """Read the shown customer's records, unless they were read already (and not ``force``)."""
        cid = self.customer_id
        if cid and (force or self.loaded_for != cid):
            self._read(cid)

    def answered(self, cid: str) -> bool:
        """Records of ``cid`` arrived: true (and the tab counts as read) if ``cid`` is still the customer shown."""
        if cid != self.customer_id:
            return False
        self.loaded_for = cid
        return True


class ServerTab(LazyTab, Generic[T]):
    """A tab that asks the server about the customer shown: a line saying what it does (``idle`` before
    asking), "Ask the server again", and a table the answer fills (``show``). While the server is asked,
    the button is off; a failure is said on the line and the button is on again."""

    def __init__(
        self,
        ctx: UiContext,
        columns: list[str],
        ask: Ask[T],
        show: Callable[[T], None],
        idle: Callable[[], str],
        parent: QWidget | None,
    ) -> None:
        super().__init__(ctx, self._ask, self._empty, parent)
        self._asker, self._show, self._idle = ask, show, idle
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.refresh_button = QPushButton(_("Ask the server again"), self)
        self.refresh_button.clicked.connect(lambda: self.fetch(force=True))
        self.table = QTableWidget(0, len(columns), self)
        self.table.setHorizontalHeaderLabels(columns)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.refresh_button)
        self.column = QVBoxLayout(self)
        self.column.addLayout(top)
        self.column.addWidget(self.table)

    def _empty(self) -> None:
        self.table.setRowCount(0)
        self.message.setText(self._idle())

    def _ask(self, cid: str) -> None:
        self.message.setText(_("Asking the server…"))
        self.refresh_button.setEnabled(False)
        self._asker(self.ctx, self, cid, lambda data: self._arrived(cid, data), self._failed)

    def _arrived(self, cid: str, data: T) -> None:
        self.refresh_button.setEnabled(True)
        if self.answered(cid):
            self._show(data)

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        if isinstance(exc, UserFacingError):
            self.message.setText(_("The server could not be asked: {reason}").format(reason=exc.message()))
        else:
            show_exception(self, exc)

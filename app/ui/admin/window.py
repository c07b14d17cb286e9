"""The administration area (Tools → Administration…, admins only): one window with a page per task, each
over the admin API of the server this archive is signed in to. Every call is checked and logged by the
server; nothing here touches the archive.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QTabWidget, QVBoxLayout, QWidget

from app.i18n import _
from app.ui.admin.common import Page
from app.ui.admin.data import AuditPage, CalendarPage, LogPage, PurchasesPage
from app.ui.admin.guards import AlertsPage, CoversPage
from app.ui.admin.incidents import IncidentsPage
from app.ui.admin.people import DevicesPage, TeamsPage, UsersPage
from app.ui.admin.retention import RetentionPage
from app.ui.admin.territories import TerritoriesPage
from app.ui.context import UiContext


class AdminWindow(QDialog):
    """The pages: users, devices, teams and handovers, territories and departments, the work calendar,
    purchases and classification, the audit copy, the admin log, the records due for destruction, the incidents,
    the AB posts, the alerts. A page asks the server when it is first shown and on Refresh."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Administration"))
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.resize(1100, 640)
        layout = QVBoxLayout(self)
        note = QLabel(_("Changes made here take effect on the server at once and are recorded in the admin log."))
        note.setWordWrap(True)
        layout.addWidget(note)
        self.tabs = QTabWidget()
        self.users = UsersPage(ctx)
        self.devices = DevicesPage(ctx)
        self.teams = TeamsPage(ctx)
        self.territories = TerritoriesPage(ctx)
        self.calendar = CalendarPage(ctx)
        self.purchases = PurchasesPage(ctx)
        self.audit = AuditPage(ctx)
        self.log = LogPage(ctx)
        self.retention = RetentionPage(ctx)
        self.incidents = IncidentsPage(ctx)
        self.covers = CoversPage(ctx)
        self.alerts = AlertsPage(ctx)
        self.pages: list[Page] = [
            self.users,
            self.devices,
            self.teams,
            self.territories,
            self.calendar,
            self.purchases,
            self.audit,
            self.log,
            self.retention,
            self.incidents,
            self.covers,
            self.alerts,
        ]
        for page in self.pages:
            self.tabs.addTab(page, page.title)
        self._shown: set[int] = set()
        self.tabs.currentChanged.connect(self._tab)
        layout.addWidget(self.tabs)
        self._tab(0)

    def show_page(self, page: Page) -> None:
        """Bring ``page`` forward, asked again (the first time it is shown, it asks by itself)."""
        index = self.tabs.indexOf(page)
        if index in self._shown:
            self.tabs.setCurrentIndex(index)
            page.refresh()
        else:
            self.tabs.setCurrentIndex(index)

    def _tab(self, index: int) -> None:
        if index not in self._shown and 0 <= index < len(self.pages):
            self._shown.add(index)
            self.pages[index].refresh()

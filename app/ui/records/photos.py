"""The photo field: thumbnails, add from file, drag and drop, enlarge, remove.

Pictures are scaled, stripped of metadata and stored encrypted on the DB thread
(app.services.photos); the widget only ever holds small thumbnails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.models.catalogue import FieldSpec
from app.ui.context import UiContext
from app.ui.ops import records as record_ops
from app.ui.records.editors import FieldEditor

IMAGE_FILTER = "*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp"


class PhotoEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None, ctx: UiContext) -> None:
        super().__init__(spec, parent)
        self.ctx = ctx
        self.refs: list[str] = []
        self.view = QListWidget(self)
        self.view.setViewMode(QListWidget.ViewMode.IconMode)
        self.view.setIconSize(QSize(64, 64))
        self.view.setFixedHeight(84)
        self.view.setFlow(QListWidget.Flow.LeftToRight)
        self.view.setWrapping(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.itemDoubleClicked.connect(lambda item: self.enlarge(item.data(Qt.ItemDataRole.UserRole)))
        self.add_button = QPushButton(_("Add photo…"), self)
        self.add_button.clicked.connect(self._choose)
        self._layout.addWidget(self.view, 1)
        self._layout.addWidget(self.add_button)
        self.setAcceptDrops(True)
        self.setFocusProxy(self.add_button)

    def raw(self) -> Any:
        return list(self.refs)

    def set_value(self, value: Any) -> None:
        self.refs = list(value or [])
        self.view.clear()
        for ref in self.refs:
            self._add_item(ref)

    def set_read_only(self, read_only: bool) -> None:
        self.add_button.setEnabled(not read_only)
        self.setAcceptDrops(not read_only)
        self.view.setEnabled(True)

    def _add_item(self, ref: str) -> None:
        item = QListWidgetItem(_("Loading…"))
        item.setData(Qt.ItemDataRole.UserRole, ref)
        item.setToolTip(_("Double-click to enlarge"))
        self.view.addItem(item)

        def show(thumb: bytes | None) -> None:
            pix = QPixmap()
            if thumb and pix.loadFromData(thumb):
                item.setIcon(QIcon(pix))
                item.setText("")
            else:
                item.setText(_("Photo missing"))

        record_ops.thumbnail(self.ctx, self, ref).success(show).failure(lambda _e: show(None)).run()

    def add_files(self, paths: list[Path]) -> None:
        max_side = self.ctx.settings.photo_max_side
        for path in paths:
            record_ops.add_photo(self.ctx, self, path, max_side).success(self._added).run()

    def _added(self, info: Any) -> None:
        if info.sha256 not in self.refs:
            self.refs.append(info.sha256)
            self._add_item(info.sha256)
            self.sig_edited.emit()
            self.sig_left.emit()

    def _choose(self) -> None:
        files, _f = QFileDialog.getOpenFileNames(self, _("Add photos"), "", f"{_('Pictures')} ({IMAGE_FILTER})")
        self.add_files([Path(f) for f in files])

    def _menu(self, pos: Any) -> None:
        item = self.view.itemAt(pos)
        if item is None or not self.add_button.isEnabled():
            return
        menu = QMenu(self)
        menu.addAction(_("Enlarge"), lambda: self.enlarge(item.data(Qt.ItemDataRole.UserRole)))
        menu.addAction(_("Remove"), lambda: self.remove(item.data(Qt.ItemDataRole.UserRole)))
        menu.popup(self.view.mapToGlobal(pos))

    def remove(self, ref: str) -> None:
        if ref in self.refs:
            idx = self.refs.index(ref)
            self.refs.pop(idx)
            self.view.takeItem(idx)
            self.sig_edited.emit()
            self.sig_left.emit()

    def enlarge(self, ref: str) -> None:
        record_ops.photo(self.ctx, self, ref).success(lambda data: PhotoViewer(data, self).open()).run()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.add_files([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()


class PhotoViewer(QDialog):
    def __init__(self, data: bytes | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Photo"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        pix = QPixmap()
        label = QLabel(self)
        if data and pix.loadFromData(data):
            label.setPixmap(pix)
        else:
            label.setText(_("Photo missing"))
        area = QScrollArea(self)
        area.setWidget(label)
        layout = QVBoxLayout(self)
        layout.addWidget(area)
        self.resize(
            min(pix.width() + 40, 1100) if not pix.isNull() else 300,
            min(pix.height() + 40, 800) if not pix.isNull() else 200,
        )

"""One editor per field type, built from the catalogue. Each gives the raw input for the shared
parsers (app.validation) and shows a canonical value; validation happens in the form."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from app.i18n import _, current_language
from app.models.catalogue import FieldSpec, FieldType
from app.ui import values
from app.ui.flow import FlowLayout
from app.validation import secrecy


class EnterMovesOn(QObject):
    """Enter in a single-line editor moves to the next field, as in paper-form data entry."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers()
        ):
            if isinstance(obj, QWidget):
                obj.focusNextChild()
            return True
        return False


_ENTER = None


def enter_moves_on() -> EnterMovesOn:
    global _ENTER
    if _ENTER is None:
        _ENTER = EnterMovesOn()
    return _ENTER


class FieldEditor(QWidget):
    """The contract: ``raw()`` for the parser, ``set_value(canonical)``, ``sig_edited`` on every change."""

    sig_edited = Signal()
    sig_left = Signal()  # editing finished (focus left / Enter)

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.masked: Any = None  # the placeholder of a value this user may not see (app.validation.secrecy)
        self._mask_label: QLabel | None = None
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)

    # Each editor defines these two. Qt's metaclass is not ABCMeta, so abstractmethod is checked by mypy
    # (in `make test`: an editor that lacks one cannot be instantiated), not at run time.
    @abstractmethod
    def raw(self) -> Any:
        """The input for the parser."""

    @abstractmethod
    def set_value(self, value: Any) -> None:
        """Show ``value`` (canonical, or None for empty)."""

    def show_value(self, value: Any) -> None:
        """Show ``value``; a placeholder is shown as 已屏蔽（机密）, read-only, and kept as the value (saving
        sends it back unchanged: the server never stores it)."""
        reason = secrecy.label(value)
        self.masked = value if reason is not None else None
        if reason is not None and self._mask_label is None:
            self._mask_label = QLabel(self)
            self._mask_label.setObjectName("masked")
            self._layout.addWidget(self._mask_label)
        for w in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if w is not self._mask_label:
                w.setVisible(reason is None)
        if self._mask_label is not None:
            self._mask_label.setVisible(reason is not None)
            self._mask_label.setText(_(reason) if reason is not None else "")
            self._mask_label.setToolTip(
                _("Only those entitled to this field or record see its value.") if reason else ""
            )
        if reason is None:
            self.set_value(value)
        else:
            self.set_read_only(True)

    def value(self) -> Any:
        """The input for the parser, or the placeholder of a masked value."""
        return self.masked if self.masked is not None else self.raw()

    def set_read_only(self, read_only: bool) -> None:
        read_only = read_only or self.masked is not None
        for w in self.findChildren(QWidget):
            if hasattr(w, "setReadOnly"):
                if getattr(w, "isReadOnly", lambda: None)() != read_only:
                    w.setReadOnly(read_only)
                    w.style().unpolish(w)  # the style sheet's [readOnly="true"] look follows at once
                    w.style().polish(w)
            else:
                w.setEnabled(not read_only)

    def focus_widget(self) -> QWidget:
        return self.focusProxy() or self

    def set_invalid(self, invalid: bool, warning: bool = False) -> None:
        state = "error" if invalid else ("warning" if warning else "")
        for w in (self.focus_widget(),):
            w.setProperty("validation", state)
            w.style().unpolish(w)
            w.style().polish(w)


class LineEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = QLineEdit(self)
        self.edit.setClearButtonEnabled(True)
        if spec.max_length:
            self.edit.setMaxLength(spec.max_length * 4)  # room to paste and get a clear "too long" message
        self.edit.installEventFilter(enter_moves_on())
        self.edit.textEdited.connect(lambda _t: self.sig_edited.emit())
        self.edit.editingFinished.connect(self.sig_left.emit)
        self._layout.addWidget(self.edit, 1)
        unit = spec.unit(current_lang())
        if unit:
            self._layout.addWidget(QLabel(unit, self))
        self.setFocusProxy(self.edit)
        placeholder = PLACEHOLDERS.get(spec.type)
        if placeholder:
            self.edit.setPlaceholderText(placeholder())

    def raw(self) -> Any:
        return self.edit.text()

    def set_value(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))


class TextAreaEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(72)
        self.edit.textChanged.connect(self.sig_edited.emit)
        self._layout.addWidget(self.edit, 1)
        self.setFocusProxy(self.edit)

    def raw(self) -> Any:
        return self.edit.toPlainText()

    def set_value(self, value: Any) -> None:
        self.edit.blockSignals(True)
        self.edit.setPlainText("" if value is None else str(value))
        self.edit.blockSignals(False)


def narrow_combo(parent: QWidget) -> QComboBox:
    """A drop-down whose longest choice never widens the form (the list itself shows it whole)."""
    combo = QComboBox(parent)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo


class ChoiceEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = narrow_combo(self)
        self.combo.addItem("—", None)
        for c in spec.choices:
            self.combo.addItem(c.label(current_lang()), c.value)
        self.combo.activated.connect(self._chosen)
        self._layout.addWidget(self.combo, 1)
        self.setFocusProxy(self.combo)

    def _chosen(self, _index: int) -> None:
        self.sig_edited.emit()
        self.sig_left.emit()

    def raw(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        i = self.combo.findData(value)
        self.combo.setCurrentIndex(max(0, i))


class BooleanEditor(ChoiceEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        FieldEditor.__init__(self, spec, parent)
        self.combo = narrow_combo(self)
        for text, data in (("—", None), (_("Yes"), True), (_("No"), False)):
            self.combo.addItem(text, data)
        self.combo.activated.connect(self._chosen)
        self._layout.addWidget(self.combo, 1)
        self.setFocusProxy(self.combo)

    def set_value(self, value: Any) -> None:
        self.combo.setCurrentIndex({True: 1, False: 2}.get(value, 0) if value is not None else 0)


class MultiChoiceEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.boxes: list[tuple[str, QCheckBox]] = []
        holder = QWidget(self)
        flow = FlowLayout(holder)  # the check boxes wrap onto more lines when the form is narrow
        for c in spec.choices:
            box = QCheckBox(c.label(current_lang()), holder)
            box.toggled.connect(lambda _on: self.sig_edited.emit())
            flow.addWidget(box)
            self.boxes.append((c.value, box))
        self._layout.addWidget(holder, 1)
        if self.boxes:
            self.setFocusProxy(self.boxes[0][1])

    def raw(self) -> Any:
        return [v for v, b in self.boxes if b.isChecked()]

    def set_value(self, value: Any) -> None:
        chosen = set(value or [])
        for v, b in self.boxes:
            b.blockSignals(True)
            b.setChecked(v in chosen)
            b.blockSignals(False)


class DateEditor(LineEditor):
    """A date as text (any common form is accepted), a calendar to pick from, and a clear button."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit.setPlaceholderText(_("YYYY-MM-DD"))
        button = QToolButton(self)
        button.setText("▾")
        button.setToolTip(_("Pick a date"))
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        self.calendar = QCalendarWidget(menu)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        button.setMenu(menu)
        menu.aboutToShow.connect(self._sync_calendar)

        def clicked(day: QDate) -> None:
            self._pick(day)
            menu.close()

        self.calendar.clicked.connect(clicked)
        self._layout.addWidget(button)

    def _sync_calendar(self) -> None:
        d = QDate.fromString(self.edit.text().strip(), "yyyy-MM-dd")
        self.calendar.setSelectedDate(d if d.isValid() else values.today())

    def _pick(self, d: QDate) -> None:
        self.edit.setText(d.toString("yyyy-MM-dd"))
        self.sig_edited.emit()
        self.sig_left.emit()


class GpsEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.lat, self.lon = QLineEdit(self), QLineEdit(self)
        self.lat.setPlaceholderText(_("Latitude, e.g. 34.2583"))
        self.lon.setPlaceholderText(_("Longitude, e.g. 108.9426"))
        for e in (self.lat, self.lon):
            e.installEventFilter(enter_moves_on())
            e.textEdited.connect(lambda _t: self.sig_edited.emit())
            e.editingFinished.connect(self.sig_left.emit)
            self._layout.addWidget(e, 1)
        self.setFocusProxy(self.lat)

    def raw(self) -> Any:
        lat, lon = self.lat.text().strip(), self.lon.text().strip()
        if not lat and not lon:
            return None
        if "," in lat and not lon:  # pasted "lat,lon" into the first box
            return lat
        return f"{lat},{lon}"

    def set_value(self, value: Any) -> None:
        lat, _sep, lon = (value or "").partition(",")
        self.lat.setText(lat)
        self.lon.setText(lon)


def current_lang() -> str:
    return current_language()


PLACEHOLDERS: dict[FieldType, Callable[[], str]] = {
    FieldType.MOBILE_PHONE: lambda: _("11 digits, e.g. 13812345678"),
    FieldType.LANDLINE: lambda: _("Area code and number, e.g. 029-88881234"),
    FieldType.PHONE: lambda: _("Mobile, or landline with area code"),
    FieldType.ID_CARD: lambda: _("18 characters"),
    FieldType.USCC: lambda: _("18 characters"),
    FieldType.TOBACCO_LICENCE: lambda: _("12 digits"),
    FieldType.BANK_ACCOUNT: lambda: _("12 to 19 digits"),
    FieldType.REGION_CODE: lambda: _("6 digits, e.g. 610102"),
    FieldType.POSTAL_CODE: lambda: _("6 digits"),
}


def make_editor(
    spec: FieldSpec, parent: QWidget | None = None, photo_factory: Callable[..., FieldEditor] | None = None
) -> FieldEditor:
    t = spec.type
    if t is FieldType.PHOTO and photo_factory is not None:
        return photo_factory(spec, parent)
    if t is FieldType.CHOICE:
        return ChoiceEditor(spec, parent)
    if t is FieldType.BOOLEAN:
        return BooleanEditor(spec, parent)
    if t is FieldType.MULTICHOICE:
        return MultiChoiceEditor(spec, parent)
    if t is FieldType.DATE:
        return DateEditor(spec, parent)
    if t is FieldType.GPS:
        return GpsEditor(spec, parent)
    if t is FieldType.TEXT and (spec.max_length or 0) >= 500:
        return TextAreaEditor(spec, parent)
    return LineEditor(spec, parent)

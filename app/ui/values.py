"""A stored value as a person reads it: choice labels, dates, yes/no; photos as a count."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate

from app.models import times
from app.models.catalogue import FormDefinition
from app.services.exporting import export_value


def shown(form: FormDefinition, key: str, value: Any, lang: str) -> str:
    spec = form.get(key)
    if spec is None or value is None:
        return "" if value is None else str(value)
    v = export_value(spec, value, lang)
    if v is None:
        return ""
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def today() -> QDate:
    """The bureau's day (China's, as the service and the server check it) for a date editor: not
    ``QDate.currentDate()``, the computer's, a day behind from 16:00 UTC on a laptop left in UTC."""
    d = times.today()
    return QDate(d.year, d.month, d.day)

"""What every field parser (app/validation/types.py, app/validation/phones.py) is built from.

``Result`` (canonical value, issues), the issues of a refused or doubtful value (``err``, ``warn``,
``fail``, which names a digit of another script), ``is_empty``, and raw input as text (``as_text``,
``compact`` for identifiers). Pure: no state, no caches.
"""

from __future__ import annotations

import re
from typing import Any

from app.models.catalogue import FieldSpec
from app.validation.normalize import MAX_INSPECT, clean_text, compact_identifier, foreign_digit
from app.validation.report import Issue, Severity

Result = tuple[Any, list[Issue]]


DIGITS = re.compile(r"[0-9]+")


MOBILE = re.compile(r"1[3-9][0-9]{9}")


def err(spec: FieldSpec, code: str, /, **params: Any) -> list[Issue]:
    return [Issue.make(spec.key, Severity.ERROR, code, **params)]


def warn(spec: FieldSpec, code: str, /, **params: Any) -> Issue:
    return Issue.make(spec.key, Severity.WARNING, code, **params)


def is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        stripped = raw.strip()
        return not stripped or (not stripped.isprintable() and not clean_text(stripped))
    if isinstance(raw, (list, tuple, set, dict)):
        return len(raw) == 0
    return False


def as_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def compact(raw: Any) -> str:
    """compact_identifier, skipped for input that is already plain ASCII letters and digits."""
    if isinstance(raw, str) and raw.isascii() and raw.isalnum() and len(raw) <= 64:
        return raw.upper()
    return compact_identifier(as_text(raw)[:MAX_INSPECT])


def fail(spec: FieldSpec, raw: Any, code: str, /, **params: Any) -> Result:
    """A refused value: ``digits.not_ascii`` when it holds a digit of another script (which no pattern here
    accepts, so only refusals need to look), else ``code``. Costs nothing on the accepting path."""
    if type(raw) is str:
        c = foreign_digit(raw[:MAX_INSPECT])
        if c is not None:
            return None, err(spec, "digits.not_ascii", char=c)
    return None, err(spec, code, **params)

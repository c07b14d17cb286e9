"""Validation results: each issue names a field, a severity and a code (Picard's ValidationResult)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from app.i18n import ngettext, translate
from app.validation.messages import MESSAGES, PLURALS


class Severity(str, enum.Enum):
    ERROR = "error"  # a value that is wrong: blocks submission
    WARNING = "warning"  # suspicious: asks for one confirmation
    MISSING = "missing"  # a required field left empty: an incomplete draft, not an invalid one


@dataclass(frozen=True)
class Issue:
    field: str
    severity: Severity
    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def make(cls, field: str, severity: Severity, code: str, /, **params: Any) -> Issue:
        return cls(field, severity, code, tuple(sorted(params.items())) if params else ())

    def message(self, label: str, lang: str | None = None) -> str:
        params = dict(self.params)
        code = "duplicate.unnamed" if self.code == "duplicate" and not params.get("name") else self.code
        msgid = MESSAGES.get(code, MESSAGES["invalid"])
        params.setdefault("label", label)
        plural = PLURALS.get(code)
        try:
            if plural is not None:
                n = params.get(plural[1])
                return ngettext(msgid, plural[0], n if isinstance(n, int) else 2, lang).format(**params)
            return translate(msgid, lang).format(**params)
        except (KeyError, IndexError):
            return translate(MESSAGES["invalid"], lang).format(label=label)

    def to_dict(self, label: str, lang: str | None = None) -> dict[str, Any]:
        return {
            "field": self.field,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message(label, lang),
            "params": {k: v for k, v in self.params},
        }


@dataclass
class Report:
    values: dict[str, Any] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    required_total: int = 0
    required_filled: int = 0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def missing(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.MISSING]

    @property
    def has_errors(self) -> bool:
        return any(i.severity is Severity.ERROR for i in self.issues)

    @property
    def is_complete(self) -> bool:
        return not self.has_errors and not self.missing

    @property
    def completeness(self) -> float:
        """Share of the required fields (that the collector maintains) that hold a valid value."""
        return 1.0 if self.required_total == 0 else self.required_filled / self.required_total

    def for_field(self, key: str) -> list[Issue]:
        return [i for i in self.issues if i.field == key]

    def merge(self, issues: list[Issue]) -> None:
        seen = set(self.issues)
        self.issues.extend(i for i in issues if i not in seen)

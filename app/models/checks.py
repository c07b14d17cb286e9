"""The checks of the customer managers' maintenance as the server answers them (``/checks``; server/checks.py,
issue 17): the market manager's monthly check and the customer-service department's spot audits. Frozen
values only; nothing of them is kept in the archive."""

from __future__ import annotations

from dataclasses import dataclass

#: the two kinds of check, and the two ratings of the monthly check's three points
KINDS = ("monthly", "spot")
RATINGS = ("ok", "deficient")


@dataclass(frozen=True)
class MaintenanceCheck:
    """One check of one customer manager for one month: the monthly check's three ratings (None in a spot
    audit) or the spot audit's sample and score (None in a monthly check), who checked on which day."""

    id: int
    kind: str
    month: str
    collector: str
    checker: str
    checked_on: str
    timeliness: str | None
    objectivity: str | None
    accuracy: str | None
    sample: int | None
    score: int | None
    findings: str
    recorded_at: str

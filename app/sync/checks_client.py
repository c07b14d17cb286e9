"""The calls of the maintenance checks (server/filings_api.py, ``/checks``) over a signed-in ``SyncClient``: the
same transport, tokens and error kinds as the filings; each answer decoded once into ``MaintenanceCheck``, a
wrong shape ``SyncError(PROTOCOL)`` naming the place. A refusal is ``SyncError(REFUSED)`` with the server's
``code`` (``check.not_supervisor``, ``check.already`` …)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from app.models.checks import KINDS, RATINGS, MaintenanceCheck
from app.sync.client import SyncClient
from app.sync.decoding import Bad, decode, listed, obj, opt, req


def _rating(d: dict[str, Any], key: str, where: str) -> str | None:
    value: str | None = opt(d, key, str, where)
    if value is not None and value not in RATINGS:
        raise Bad(f"{where}.{key}")
    return value


def check(d: Any, where: str) -> MaintenanceCheck:
    d = obj(d, where)
    kind = req(d, "kind", str, where)
    if kind not in KINDS:
        raise Bad(f"{where}.kind")
    return MaintenanceCheck(
        id=req(d, "id", int, where),
        kind=kind,
        month=req(d, "month", str, where),
        collector=opt(d, "collector", str, where) or "",
        checker=opt(d, "checker", str, where) or "",
        checked_on=req(d, "checked_on", str, where),
        timeliness=_rating(d, "timeliness", where),
        objectivity=_rating(d, "objectivity", where),
        accuracy=_rating(d, "accuracy", where),
        sample=opt(d, "sample", int, where),
        score=opt(d, "score", int, where),
        findings=opt(d, "findings", str, where) or "",
        recorded_at=req(d, "recorded_at", str, where),
    )


class CheckCalls:
    """The calls of the checks API over ``client``."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client

    def monthly(
        self, collector: str, month: str, checked_on: str, ratings: dict[str, str], findings: str
    ) -> MaintenanceCheck:
        """The market manager's monthly check of ``collector`` (timeliness, objectivity, accuracy: ok|deficient)."""
        body = {"collector": collector, "month": month, "checked_on": checked_on, **ratings, "findings": findings}
        return decode(check, self.client._call("POST", "/checks/monthly", body=body), "checks")

    def spot(
        self, collector: str, month: str, checked_on: str, sample: int, score: int, findings: str
    ) -> MaintenanceCheck:
        """A spot audit of ``collector``'s archives: the number sampled and a score 0–100."""
        body = {"collector": collector, "month": month, "checked_on": checked_on, "sample": sample, "score": score}
        answer = self.client._call("POST", "/checks/spot", body=body | {"findings": findings})
        return decode(check, answer, "checks")

    def listing(self, month: str) -> list[MaintenanceCheck]:
        """The checks and spot audits of ``month`` this user may see."""
        answer = self.client._call("GET", f"/checks?month={quote(month)}")
        return decode(
            lambda d, w: [check(c, f"{w}.checks[{i}]") for i, c in enumerate(listed(obj(d, w), "checks", w))],
            answer,
            "checks",
        )

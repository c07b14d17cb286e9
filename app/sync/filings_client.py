"""The monthly filings' calls (server/filings_api.py) over a signed-in ``SyncClient``: the same transport,
tokens and error kinds; each answer decoded once, a wrong shape ``SyncError(PROTOCOL)`` naming the place.
A refusal is ``SyncError(REFUSED)`` with the server's ``code`` (``filing.too_early``, ``filing.already`` …)."""

from __future__ import annotations

from typing import Any

from app.models.filings import STATES, Filing, FilingsOwed
from app.sync.client import SyncClient
from app.sync.decoding import Bad, decode, listed, obj, opt, req


def filing(d: Any, where: str) -> Filing:
    d = obj(d, where)
    state = req(d, "state", str, where)
    if state not in STATES:
        raise Bad(f"{where}.state")
    content = opt(d, "content", dict, where)
    return Filing(
        kind=req(d, "kind", str, where),
        name=req(d, "name", str, where),
        month=req(d, "month", str, where),
        owner=req(d, "owner", str, where),
        owner_display=opt(d, "owner_display", str, where) or "",
        due=req(d, "due", str, where),
        remind_from=req(d, "remind_from", str, where),
        state=state,
        remind=req(d, "remind", bool, where),
        filed_at=opt(d, "filed_at", str, where),
        filed_by=opt(d, "filed_by", str, where),
        note=opt(d, "note", str, where) or "",
        content=content,
    )


def owed(d: Any, where: str) -> FilingsOwed:
    d = obj(d, where)
    return FilingsOwed(
        month=req(d, "month", str, where),
        remind_workdays=req(d, "remind_workdays", int, where),
        current=tuple(filing(f, f"{where}.current[{i}]") for i, f in enumerate(listed(d, "current", where))),
        overdue=tuple(filing(f, f"{where}.overdue[{i}]") for i, f in enumerate(listed(d, "overdue", where))),
    )


def content(d: Any, where: str) -> dict[str, Any]:
    return obj(req(obj(d, where), "content", dict, where), f"{where}.content")


class FilingCalls:
    """The calls of the filings API over ``client``."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client

    def mine(self) -> FilingsOwed:
        """What this user owes for the month just ended and what is overdue."""
        return decode(owed, self.client._call("GET", "/filings/mine"), "filings")

    def listing(self, month: str | None = None, state: str | None = None) -> list[Filing]:
        """The filings this user may see (their own; a market manager's team's; an admin's all)."""
        query = "&".join(f"{k}={v}" for k, v in (("month", month), ("state", state)) if v)
        answer = self.client._call("GET", "/filings" + (f"?{query}" if query else ""))
        return decode(
            lambda d, w: [filing(f, f"{w}.filings[{i}]") for i, f in enumerate(listed(obj(d, w), "filings", w))],
            answer,
            "filings",
        )

    def show(self, kind: str, month: str) -> Filing:
        """This user's filing of ``kind`` for ``month``, with its content once filed."""
        return decode(filing, self.client._call("GET", f"/filings/{kind}/{month}"), "filings")

    def draft(self, kind: str, month: str) -> dict[str, Any]:
        """What the filing would hold if filed now (the order-collection summaries computed)."""
        return decode(content, self.client._call("GET", f"/filings/{kind}/{month}/draft"), "filings")

    def file(self, kind: str, month: str, note: str, **extra: Any) -> dict[str, Any]:
        """File it (``rows`` of the special-use form, ``documents`` of the self-inspection); what was filed."""
        answer = self.client._call("POST", f"/filings/{kind}/{month}", body={"note": note, **extra})
        return decode(content, answer, "filings")

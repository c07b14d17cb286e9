"""The banner over the customer form (app/ui/records/form.py): what the person must know about the
customer's state (closed (销户), in conflict with the server, refused by it, returned by the market manager with
the fields to correct, waiting for review), as a style, a text with its links, whether the form is
locked meanwhile, and the fields to mark."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as html_escape

from app.i18n import _
from app.models.catalogue import FormDefinition
from app.models.record import Customer, CustomerStatus
from app.models.wire import UserRole
from app.services.refusals import reasons_of
from app.ui.records import closure
from app.ui.style import ACCENT, ERROR


@dataclass(frozen=True)
class Banner:
    style: str = ""
    html: str = ""  # empty: no banner
    locked: bool = False  # waiting for review: nothing can be changed or saved
    flagged: tuple[str, ...] = ()  # the keys of the fields the market manager asks to correct


def banner_for(c: Customer, form: FormDefinition, role: UserRole, lang: str) -> Banner:
    if c.closed:  # 销户: read-only, with when, why and by whom (app/ui/records/closure.py)
        style, html = closure.banner(c)
        return Banner(style, html, locked=True)
    if c.sync_state == "conflict":
        return Banner(
            "background:#fff3e0; border:1px solid #e0a000;",
            _("This customer was also changed on the server. Some fields differ.")
            + f' <a href="conflict">{_("Resolve the conflict…")}</a>',
        )
    if c.sync_state == "rejected" and c.sync_errors:
        return Banner(
            f"background:#ffebee; border:1px solid {ERROR};",
            _("The server did not accept the last change:")
            + " "
            + "; ".join(html_escape(r) for r in reasons_of(form, c.sync_errors[:4], lang)),
        )
    if c.status.value == "returned" and c.review:
        fields = c.review.get("fields", [])
        flagged = [form[f].label(lang) for f in fields if f in form]
        html = _("Returned by {by}: {reason}").format(
            by=c.review.get("by_name") or c.review.get("by", ""), reason=c.review.get("reason", "")
        )
        if flagged:
            html += "<br>" + _("To correct: {fields}").format(fields="、".join(flagged))
        return Banner(f"background:#ffebee; border:1px solid {ERROR};", html, flagged=tuple(fields))
    if c.status is CustomerStatus.PENDING and role == UserRole.COLLECTOR:
        return Banner(
            f"background:#e3f2fd; border:1px solid {ACCENT};",
            _("Waiting for the market manager's review; it cannot be changed meanwhile.")
            + f' <a href="withdraw">{_("Withdraw the submission")}</a>',
            locked=True,
        )
    return Banner()

"""The answers of the onboarding endpoints decoded once (server/onboarding_api.py); a malformed answer is
``SyncError(PROTOCOL)`` naming the place (app.sync.decoding)."""

from __future__ import annotations

from typing import Any

from app.models.onboarding import Case, CaseNotice, CaseStep, ChangeItem, OpenedChange, WaitingChange, WaitingStep
from app.sync.decoding import listed, obj, opt, req


def case_step(d: Any, where: str) -> CaseStep:
    d = obj(d, where)
    left = opt(d, "hours_left", (int, float), where)
    return CaseStep(
        position=req(d, "position", int, where),
        code=req(d, "code", str, where),
        name=req(d, "name", str, where),
        owner=req(d, "owner", str, where),
        owner_name=opt(d, "owner_name", str, where),
        hours=float(hours) if (hours := opt(d, "hours", (int, float), where)) is not None else None,
        started_at=opt(d, "started_at", str, where),
        deadline=opt(d, "deadline", str, where),
        done_at=opt(d, "done_at", str, where),
        done_by=opt(d, "done_by", str, where),
        done_by_display=opt(d, "done_by_display", str, where),
        note=opt(d, "note", str, where) or "",
        overdue=req(d, "overdue", bool, where),
        hours_left=float(left) if left is not None else None,
        phone=bool(opt(d, "phone", bool, where)),
    )


def waiting_answer(d: Any, where: str) -> list[WaitingStep]:
    """``GET /onboarding/waiting``."""
    d = obj(d, where)
    out = []
    for i, w in enumerate(listed(d, "steps", where)):
        at = f"{where}.steps[{i}]"
        w = obj(w, at)
        out.append(
            WaitingStep(
                case_id=req(w, "case_id", str, at),
                record_id=req(w, "record_id", str, at),
                customer_code=opt(w, "customer_code", str, at),
                shop_name=opt(w, "shop_name", str, at),
                customer_manager=opt(w, "customer_manager", str, at),
                revision=req(w, "revision", int, at),
                source=req(w, "source", str, at),
                step=case_step(w.get("step"), f"{at}.step"),
                late_feed=bool(opt(w, "late_feed", bool, at)),
            )
        )
    return out


def case_revision(d: Any, where: str) -> int:
    """``POST /onboarding/cases/{id}/steps``: the case as it is now; its revision."""
    return int(req(obj(d, where), "revision", int, where))


def _item(d: Any, where: str) -> ChangeItem:
    d = obj(d, where)
    return ChangeItem(
        record_id=req(d, "record_id", str, where),
        customer_code=opt(d, "customer_code", str, where),
        shop_name=opt(d, "shop_name", str, where),
        changes=dict(obj(d.get("changes"), f"{where}.changes")),
    )


def changes_waiting(d: Any, where: str) -> list[WaitingChange]:
    """``GET /changes/waiting``."""
    d = obj(d, where)
    out = []
    for i, w in enumerate(listed(d, "steps", where)):
        at = f"{where}.steps[{i}]"
        w = obj(w, at)
        step = obj(w.get("step"), f"{at}.step")
        flags = listed(step, "flags", f"{at}.step")
        out.append(
            WaitingChange(
                case_id=req(w, "case_id", str, at),
                path=req(w, "path", str, at),
                revision=req(w, "revision", int, at),
                items=tuple(_item(x, f"{at}.items[{n}]") for n, x in enumerate(listed(w, "items", at))),
                step=case_step(step, f"{at}.step"),
                flags=frozenset(str(f) for f in flags),
                notify_customer=req(w, "notify_customer", bool, at),
            )
        )
    return out


def opened_change(d: Any, where: str) -> OpenedChange:
    """``POST /changes``: the request as opened."""
    d = obj(d, where)
    return OpenedChange(
        case_id=req(d, "id", str, where),
        path=req(d, "path", str, where),
        status=req(d, "status", str, where),
        revision=req(d, "revision", int, where),
        steps=tuple(case_step(s, f"{where}.steps[{n}]") for n, s in enumerate(listed(d, "steps", where))),
        items=tuple(_item(x, f"{where}.items[{n}]") for n, x in enumerate(listed(d, "items", where))),
    )


def _notice(d: Any, where: str) -> CaseNotice:
    d = obj(d, where)
    return CaseNotice(
        position=req(d, "position", int, where),
        kind=req(d, "kind", str, where),
        party=req(d, "party", str, where),
        number=opt(d, "number", str, where) or "",
        at=req(d, "at", str, where),
        outcome=req(d, "outcome", str, where),
        recorded_by=opt(d, "recorded_by", str, where),
    )


def case_answer(d: Any, where: str) -> Case:
    """``GET /onboarding/cases/{id}`` or ``GET /changes/{id}``: the case with every step (a change request's
    customers, new values and notices too)."""
    d = obj(d, where)
    return Case(
        id=req(d, "id", str, where),
        kind=req(d, "kind", str, where),
        record_id=req(d, "record_id", str, where),
        customer_code=opt(d, "customer_code", str, where),
        shop_name=opt(d, "shop_name", str, where),
        customer_manager=opt(d, "customer_manager", str, where),
        status=req(d, "status", str, where),
        source=req(d, "source", str, where),
        opened_at=req(d, "opened_at", str, where),
        closed_at=opt(d, "closed_at", str, where),
        steps=tuple(case_step(s, f"{where}.steps[{n}]") for n, s in enumerate(listed(d, "steps", where))),
        items=tuple(_item(x, f"{where}.items[{n}]") for n, x in enumerate(listed(d, "items", where))),
        notices=tuple(_notice(x, f"{where}.notices[{n}]") for n, x in enumerate(listed(d, "notices", where))),
    )

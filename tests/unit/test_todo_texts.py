"""The 待办's texts as a person reads them: a change's new values with the choices' labels, and a step's
time left that agrees with its red colour."""

from __future__ import annotations

import datetime as dt

from app.i18n import set_language
from app.models.catalogue import load_form
from app.models.onboarding import CaseStep, ChangeItem, WaitingChange
from app.services import changes, onboarding


def step(deadline: dt.datetime, hours_left: float, overdue: bool = False) -> CaseStep:
    return CaseStep(
        position=1,
        code="visit",
        name="客户经理实地走访",
        owner="role:collector",
        owner_name=None,
        hours=4.0,
        started_at=(deadline - dt.timedelta(hours=4)).isoformat(),
        deadline=deadline.isoformat(),
        done_at=None,
        done_by=None,
        done_by_display=None,
        note="",
        overdue=overdue,
        hours_left=hours_left,
    )


def test_a_changes_new_choices_read_as_their_labels() -> None:
    set_language("zh_CN")
    try:
        item = ChangeItem("r1", "C001", "永辉商行", {"order_cycle": ["mon", "thu"], "shop_name": "永辉超市"})
        waiting = WaitingChange("c1", "city", 1, (item,), step(dt.datetime.now(dt.UTC), 2.0), frozenset(), False)
        text = changes.changes_text(waiting, load_form())
        assert "周一、周四" in text, text
        assert "mon" not in text and "thu" not in text
        assert "永辉超市" in text
    finally:
        set_language("zh_CN")


def test_a_step_whose_deadline_passed_since_it_was_fetched_reads_overdue_not_left() -> None:
    set_language("en")
    try:
        now = dt.datetime.now(dt.UTC)
        ahead = step(now + dt.timedelta(hours=3), 2.5)
        assert onboarding.left_text(ahead) == "2.5 h left"
        passed = step(now - dt.timedelta(hours=1), 2.5)  # the server said 2.5 h left an hour and a half ago
        assert onboarding.overdue_now(passed)
        assert "left" not in onboarding.left_text(passed)
        assert onboarding.left_text(passed).startswith("Overdue")
        flagged = step(now - dt.timedelta(hours=1), -1.0, overdue=True)
        assert onboarding.left_text(flagged) == "Overdue by 1 h"
    finally:
        set_language("zh_CN")

"""The market manager's queue: deadlines in working days (holidays and make-up days), emergency
changes in hours, diffs against the approved version, duplicates, decisions and reusable reasons."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.errors import UserFacingError
from app.models.record import CustomerStatus
from app.models.workdays import WorkCalendar
from app.services import records, review
from app.services.demo import generate
from app.storage import schema
from tests.complete import complete_customers

CHINA = review.CHINA
CAL = WorkCalendar.load()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CHINA)


def test_deadlines_count_working_days_and_skip_the_national_day_holiday() -> None:
    # 2026: National Day holiday 1–7 Oct, make-up working days on Sun 27 Sep and Sat 10 Oct
    assert not CAL.is_workday(dt.date(2026, 10, 5)) and CAL.is_workday(dt.date(2026, 10, 10))
    due = review.deadline("change", False, at("2026-09-30T10:00"), None, CAL, at("2026-09-30T10:00"))
    # 3 working days after Wed 30 Sep: Thu 8, Fri 9, Sat 10 (a make-up working day)
    assert due == dt.datetime(2026, 10, 10, 23, 59, 59, tzinfo=CHINA)
    new = review.deadline("new", False, at("2026-11-20T09:00"), "2026-11-18", CAL, at("2026-11-20T09:00"))
    assert new.date() == dt.date(2026, 11, 25)  # binding Wed 18 + 5 working days
    urgent = review.deadline("change", True, at("2026-11-20T09:00"), None, CAL, at("2026-11-20T09:00"))
    assert urgent == at("2026-11-20T10:30")


def test_time_left_in_the_units_people_count_in() -> None:
    from app.i18n import set_language

    set_language("zh_CN")
    due = at("2026-11-25T23:59:59")
    assert review.time_left(due, at("2026-11-20T09:00"), CAL, False) == (False, "剩余 3 个工作日")
    assert review.time_left(due, at("2026-11-27T09:00"), CAL, False) == (True, "已逾期 2 个工作日")
    assert review.time_left(at("2026-11-20T10:30"), at("2026-11-20T10:00"), CAL, True) == (False, "剩余 30 分钟")
    assert review.time_left(at("2026-11-20T10:30"), at("2026-11-20T12:45"), CAL, True) == (
        True,
        "已逾期 2 小时 15 分钟",
    )


@pytest.fixture
def supervisor(session):
    session.role = "supervisor"
    return session


def make_pending(session, n: int, seed: int, note: str = "", urgent: bool = False) -> list[str]:
    ids = [records.save_draft(session, v)[0].id for v in complete_customers(session, n, seed)]
    done, refused = records.submit(session, ids, note=note, urgent=urgent)
    assert not refused and done == ids
    return ids


def approve_locally(session, cid: str) -> None:
    """As if the server had approved it earlier: its approved values kept beside the record."""
    c = session._archive.customers.get(cid)
    with session._archive.db.transaction() as tx:
        tx.execute(
            schema.customer.update()
            .where(schema.customer.c.id == cid)
            .values(approved_data=json.dumps(c.values, ensure_ascii=False), code_official=1)
        )


def test_the_queue_lists_emergencies_first_then_the_oldest(supervisor) -> None:
    first = make_pending(supervisor, 2, seed=1, note="两户新店")
    urgent = make_pending(supervisor, 1, seed=2, note="电话停机，客户要求立即改号", urgent=True)
    items = review.queue(supervisor)
    assert [i.id for i in items] == urgent + first
    u = items[0]
    assert u.urgent and u.kind == "new" and u.note == "电话停机，客户要求立即改号" and u.submitted_by == "tester"
    assert u.deadline - u.submitted_at == dt.timedelta(hours=1, minutes=30)
    assert all(i.unsent for i in items)  # decided here and not yet sent


def test_a_change_shows_only_what_changed_against_the_approved_version(supervisor) -> None:
    [cid] = make_pending(supervisor, 1, seed=3)
    approve_locally(supervisor, cid)
    supervisor._archive.customers.set_status([cid], CustomerStatus.DRAFT, records.Provenance("tester"))
    old_phone = supervisor._archive.customers.get(cid).values["contact_phone"]
    records.save_changes(supervisor, cid, {"contact_phone": "13709112233", "landline": "029-88881234"})
    records.submit(supervisor, [cid], note="客户换了号码")
    sub = review.submission(supervisor, cid)
    assert sub.item.kind == "change"
    changed = {c.key: (c.old, c.new) for c in sub.changes}
    assert changed["contact_phone"] == (old_phone, "13709112233")
    assert changed["landline"][1] == "029-88881234"
    assert len(changed) == 2


def test_duplicates_and_warnings_are_shown(supervisor) -> None:
    a, b = list(generate(2, seed=4))
    first = records.save_draft(supervisor, a)[0]
    dup = records.save_draft(supervisor, {**b, "licence_no": first.values["licence_no"]})[0]
    records.submit(supervisor, [dup.id])
    sub = review.submission(supervisor, dup.id)
    assert [(d.field, d.customer_id) for d in sub.duplicates] == [("licence_no", first.id)]


def test_decisions_need_the_role_and_a_reason_and_remember_it(supervisor) -> None:
    ids = make_pending(supervisor, 3, seed=5)
    supervisor.role = "collector"
    with pytest.raises(UserFacingError):
        review.decide(supervisor, ids[:1], "approve")
    supervisor.role = "supervisor"
    with pytest.raises(UserFacingError):
        review.decide(supervisor, ids[:1], "return", "  ")
    assert review.decide(supervisor, ids[:2], "approve") == 2
    assert review.decide(supervisor, ids[2:], "return", "门头照片不清晰，请重拍", ["photo_storefront"]) == 1
    assert review.decide(supervisor, ids[:1], "approve") == 0  # no longer pending: left alone
    c = supervisor._archive.customers.get(ids[2])
    assert c.status is CustomerStatus.RETURNED
    assert c.review["reason"] == "门头照片不清晰，请重拍" and c.review["fields"] == ["photo_storefront"]
    assert review.reasons(supervisor)[0] == "门头照片不清晰，请重拍"  # offered first next time
    assert len(review.reasons(supervisor)) == len(set(review.reasons(supervisor)))
    kinds = [r.kind for r, _local in supervisor._archive.outbox.outbox_heads(50)]
    assert kinds.count("customer.save") >= 3  # and the decisions queue behind the saves
    assert review.queue(supervisor) == []


def test_clean_submissions_can_be_approved_together(supervisor) -> None:
    ids = make_pending(supervisor, 3, seed=6)
    items = review.queue(supervisor)
    clean = review.approvable(items)
    assert 0 < len(clean) <= 3
    assert {i.id for i in clean} == {i.id for i in items if not i.errors and not i.warnings}
    assert review.decide(supervisor, [i.id for i in clean], "approve") == len(clean)
    assert len(review.queue(supervisor)) == 3 - len(clean)
    assert set(ids) >= {i.id for i in clean}


def test_an_incomplete_new_customer_cannot_be_approved_and_the_screen_says_why(supervisor) -> None:
    """F3 L141–146: the review shows what keeps a new customer from approval, the clean selection
    leaves it out, and an approval is refused before anything is queued (the server refuses it too)."""
    [ok] = make_pending(supervisor, 1, seed=7)
    [values] = complete_customers(supervisor, 1, seed=8)
    for key in ("photo_storefront", "law_abiding"):
        values.pop(key)
    short = records.save_draft(supervisor, values)[0].id
    assert records.submit(supervisor, [short])[0] == [short]  # a submission may be incomplete
    sub = review.submission(supervisor, short)
    assert set(sub.gaps) == {"店面照片", "守法情况"}
    assert review.submission(supervisor, ok).gaps == []
    assert [i.id for i in review.approvable(review.queue(supervisor))] == [ok]
    with pytest.raises(UserFacingError) as refused:
        review.decide(supervisor, [ok, short], "approve")
    assert "店面照片" in str(refused.value) and "守法情况" in str(refused.value)
    assert supervisor._archive.outbox.outbox_heads(50) and not any(
        r.kind == "review.decide" for r, _local in supervisor._archive.outbox.outbox_heads(50)
    )
    assert review.decide(supervisor, [ok], "approve") == 1
    assert review.decide(supervisor, [short], "return", "补全必填项", ["photo_storefront", "law_abiding"]) == 1

"""The service records through a real server with two clients (SV1, SV2, CA1, VS1): visit plans, care dates
and surveys made on one computer reach the market manager's and not another collector's; a plan marked
visited arrives as such; a refused step goes back to the server's state with the reason; bad values are
refused on entry with a message; an overdue plan is in the owner's to-do list."""

from __future__ import annotations

import datetime as dt

import pytest

from app.errors import UserFacingError
from app.models.record import ListQuery
from app.services import listing, records, service
from app.services.demo import generate
from app.validation.service import questionnaire


def _customer(c1, server, seed: int = 51) -> str:
    c, _ = records.save_draft(c1.session, next(generate(1, seed=seed)))
    c1.login(server)
    assert c1.sync().complete
    return c.id


def _rows(c1) -> list:
    customers = c1.session._archive.customers
    return customers.rows(customers.list_pks(ListQuery()))


def _answers(*scores: int | None) -> dict[str, int | None]:
    return dict(zip(questionnaire().question_ids, scores, strict=True))


def test_plans_care_dates_and_surveys_reach_the_market_manager_and_not_another_collector(server, clients) -> None:
    c1, s1, c2 = clients("c1"), clients("s1"), clients("c2")
    cid = _customer(c1, server)
    today = c1.session.today()
    plan = service.plan_visit(c1.session, cid, (today + dt.timedelta(days=2)).isoformat(), "季度走访")
    care = service.add_care_date(
        c1.session, cid, (today + dt.timedelta(days=3)).replace(year=1985).isoformat(), "birthday", True, "店主生日"
    )
    good = service.add_survey(c1.session, cid, today.isoformat(), "visit", True, _answers(5, 4, 4, 3, 5, 4, 2, 4, 5, 4))
    gaps = service.add_survey(
        c1.session, cid, today.isoformat(), "phone", True, _answers(5, 4, None, 3, 5, 4, 2, 4, 5, 4)
    )
    assert (good.status, gaps.status, gaps.body["invalid"]) == ("valid", "invalid", "incomplete")
    observed = service.add_observation(c1.session, cid, today.isoformat(), [["中华(硬)", "12", "30", "45"]], "fair")
    assert {r.state for r in service.of_customer(c1.session, cid)} == {"pending"}
    out = c1.sync()
    assert out.complete and out.remaining == 0
    assert {r.state for r in service.of_customer(c1.session, cid)} == {"synced"}
    s1.login(server)
    assert s1.sync().complete
    seen = {r.id: r for r in service.of_customer(s1.session, cid)}
    assert set(seen) == {plan.id, care.id, good.id, gaps.id, observed.id}
    assert seen[observed.id].body["brands"] == [{"brand": "中华(硬)", "sales": 12, "stock": 30, "price": 45}]
    assert seen[plan.id].body["purpose"] == "季度走访" and seen[plan.id].recorded_by == "c1"
    assert seen[gaps.id].status == "invalid" and seen[good.id].body["score"] == 4.0
    assert [d for d, _i in service.upcoming_care(s1.session)] == [today + dt.timedelta(days=3)]
    # the market manager's plan comes back to the collector; the collector marks the first one visited
    service.plan_visit(s1.session, cid, today.isoformat(), "送达通知")
    assert s1.sync().complete and c1.sync().complete
    assert sorted(r.body.get("purpose", "") for r in service.of_customer(c1.session, cid) if r.kind == "plan") == [
        "季度走访",
        "送达通知",
    ]
    service.step(c1.session, plan.id, "done", done_on=today.isoformat())
    assert c1.sync().complete and s1.sync().complete
    assert {r.id: r for r in service.of_customer(s1.session, cid)}[plan.id].status == "done"
    c2.login(server)
    assert c2.sync().complete
    assert service.of_customer(c2.session, cid) == []  # outside c2's scope: nothing of it arrives


def test_a_step_the_server_refuses_goes_back_with_its_reason(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    cid = _customer(c1, server, 52)
    today = c1.session.today().isoformat()
    plan = service.plan_visit(c1.session, cid, today, "复查陈列")
    assert c1.sync().complete
    s1.login(server)
    assert s1.sync().complete
    service.step(s1.session, plan.id, "cancel", reason="店主外出")
    assert s1.sync().complete
    service.step(c1.session, plan.id, "done", done_on=today)  # c1 has not heard of the cancellation yet
    assert c1.session._archive.service.get(plan.id).status == "done"
    assert c1.sync().complete
    back = c1.session._archive.service.get(plan.id)
    assert back.status == "cancelled" and back.body["cancel_reason"] == "店主外出"
    assert back.error and back.state == "synced"


def test_bad_values_are_refused_on_entry_with_a_message(server, clients) -> None:
    c1 = clients("c1")
    cid = _customer(c1, server, 53)
    today = c1.session.today()
    with pytest.raises(UserFacingError) as e:
        service.plan_visit(c1.session, cid, (today + dt.timedelta(days=400)).isoformat(), "走访")
    assert "一年" in e.value.message("zh_CN")
    with pytest.raises(UserFacingError):
        service.plan_visit(c1.session, cid, today.isoformat(), "  ")
    with pytest.raises(UserFacingError):
        service.add_care_date(c1.session, cid, "2026-02-30", "wedding", False)
    with pytest.raises(UserFacingError):
        service.add_care_date(c1.session, cid, today.isoformat(), "party", False)
    with pytest.raises(UserFacingError) as e:  # not told before the questions: refused, not stored
        service.add_survey(c1.session, cid, today.isoformat(), "visit", False, _answers(5, 4, 4, 3, 5, 4, 2, 4, 5, 4))
    assert "告知" in e.value.message("zh_CN")
    with pytest.raises(UserFacingError):
        service.add_survey(
            c1.session, cid, (today + dt.timedelta(days=1)).isoformat(), "visit", True, _answers(*[4] * 10)
        )
    assert service.of_customer(c1.session, cid) == []
    assert c1.session._archive.outbox.outbox_count() == 0


def test_an_overdue_visit_plan_is_in_the_owners_to_do_list(server, clients) -> None:
    c1 = clients("c1")
    cid = _customer(c1, server, 54)
    today = c1.session.today()
    rule = listing.overdue_rule(today, c1.session.calendar)
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    plan = service.plan_visit(c1.session, cid, yesterday, "季度走访")
    row = next(r for r in _rows(c1) if r.id == cid)
    assert row.plan_due == yesterday and "plan" in listing.overdue_reasons(row, rule)
    assert cid in {
        r.id
        for r in c1.session._archive.customers.rows(c1.session._archive.customers.list_pks(ListQuery(overdue=rule)))
    }
    assert [i.record.id for i in service.overdue_plans(c1.session)] == [plan.id]
    service.step(c1.session, plan.id, "done", done_on=today.isoformat())
    row = next(r for r in _rows(c1) if r.id == cid)
    assert row.plan_due is None and "plan" not in listing.overdue_reasons(row, rule)
    assert service.overdue_plans(c1.session) == []


def test_a_recorded_visit_closes_its_plan_and_the_server_agrees(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    cid = _customer(c1, server, 57)
    today = c1.session.today()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    late = service.plan_visit(c1.session, cid, yesterday, "季度走访")
    ahead = service.plan_visit(c1.session, cid, (today + dt.timedelta(days=20)).isoformat(), "下月走访")
    visit = records.add_visit(c1.session, cid, today.isoformat(), "季度走访", "", "")
    got = {r.id: r for r in service.of_customer(c1.session, cid)}
    assert got[late.id].status == "done" and got[late.id].body["visit_id"] == visit.id
    assert got[late.id].body["done_on"] == today.isoformat()
    assert got[ahead.id].status == "open"  # not this visit's plan
    assert service.overdue_plans(c1.session) == []
    assert c1.sync().complete
    s1.login(server)
    assert s1.sync().complete
    theirs = {r.id: r for r in service.of_customer(s1.session, cid)}
    assert theirs[late.id].status == "done" and theirs[late.id].body["visit_id"] == visit.id
    assert theirs[ahead.id].status == "open"


def test_plans_from_the_visit_cycle_for_the_customers_due_this_week(server, clients) -> None:
    c1 = clients("c1")
    today = c1.session.today()
    due = records.save_draft(c1.session, {"shop_name": "每周店", "visit_cycle": "weekly", "visit_batch": "周二"})[0]
    later = records.save_draft(c1.session, {"shop_name": "每月店", "visit_cycle": "monthly"})[0]
    records.add_visit(c1.session, later.id, today.isoformat(), "走访", "", "")
    records.save_draft(c1.session, {"shop_name": "无周期店"})
    made = service.plan_from_cycle(c1.session)
    assert [(r.customer_id, r.on_date) for r in made] == [(due.id, today.isoformat())]
    assert "每周" in made[0].body["purpose"] and made[0].body["note"] == "拜访批次：周二"
    assert service.plan_from_cycle(c1.session) == []  # an open plan already: none again
    c1.login(server)
    assert c1.sync().complete
    assert {r.state for r in service.of_customer(c1.session, due.id)} == {"synced"}

"""The integrity archive through a real server with two clients: entries, a complaint's lifecycle, refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from app.errors import UserFacingError
from app.models import times
from app.services import integrity, records
from app.services.demo import generate


def _customer(c1, server, seed: int = 41) -> str:
    c, _ = records.save_draft(c1.session, next(generate(1, seed=seed)))
    c1.login(server)
    assert c1.sync().complete
    return c.id


def test_entries_reach_the_market_manager_and_not_another_collector(server, clients) -> None:
    c1, s1, c2 = clients("c1"), clients("s1"), clients("c2")
    cid = _customer(c1, server)
    today = times.today().isoformat()
    e = integrity.add_entry(c1.session, cid, "violation", "monopoly", today, "超范围经营", "责令整改，已改正")
    integrity.add_entry(c1.session, cid, "commendation", "service", today, "年度诚信经营户")
    assert [x.state for x in integrity.entries(c1.session, cid)] == ["pending", "pending"]
    out = c1.sync()
    assert out.complete and out.remaining == 0
    assert {x.state for x in integrity.entries(c1.session, cid)} == {"synced"}
    s1.login(server)
    assert s1.sync().complete
    seen = {x.id: x for x in integrity.entries(s1.session, cid)}
    assert set(seen) == {x.id for x in integrity.entries(c1.session, cid)}
    assert seen[e.id].kind == "violation" and seen[e.id].handling == "责令整改，已改正"
    assert seen[e.id].recorded_by == "c1" and seen[e.id].state == "synced"
    # an entry of the market manager comes back to the collector
    integrity.add_entry(s1.session, cid, "inspection", "monopoly", today, "日常检查，无问题")
    assert s1.sync().complete
    assert c1.sync().complete
    assert sorted(x.kind for x in integrity.entries(c1.session, cid)) == ["commendation", "inspection", "violation"]
    c2.login(server)
    assert c2.sync().complete
    assert integrity.entries(c2.session, cid) == []  # outside c2's scope: nothing of it arrives


def test_bad_entries_are_refused_on_entry_with_a_message(server, clients) -> None:
    c1 = clients("c1")
    cid = _customer(c1, server, 42)
    tomorrow = (times.today() + dt.timedelta(days=2)).isoformat()
    with pytest.raises(UserFacingError) as e:
        integrity.add_entry(c1.session, cid, "violation", "monopoly", tomorrow, "x")
    assert "未来" in e.value.message("zh_CN") or "future" in e.value.message("en")
    with pytest.raises(UserFacingError):
        integrity.add_entry(c1.session, cid, "rumour", "monopoly", "2026-01-01", "x")
    with pytest.raises(UserFacingError):
        integrity.add_entry(c1.session, cid, "violation", "monopoly", "2026-01-01", "   ")
    with pytest.raises(UserFacingError):
        integrity.add_entry(c1.session, cid, "violation", "neighbour", "2026-01-01", "x")
    with pytest.raises(UserFacingError):
        integrity.add_entry(c1.session, cid, "violation", "monopoly", "2026-01-01", "长" * 2001)
    assert integrity.entries(c1.session, cid) == []
    assert c1.session._archive.outbox.outbox_count() == 0


def test_a_complaint_is_received_assigned_handled_answered_and_closed(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    cid = _customer(c1, server, 43)
    today = times.today()
    opened = integrity.open_complaint(
        c1.session, cid, "phone", today.isoformat(), "售卖过期卷烟", "张三丰", "13912345678"
    )
    assert opened.deadline == c1.session.calendar.add_workdays(today, 5).isoformat()
    assert opened.masked_name == "张**" and opened.masked_phone == "139****5678"
    with pytest.raises(UserFacingError):  # a collector's archive cannot skip the assignment
        integrity.step_complaint(c1.session, opened.id, "close", text="好")
    assert c1.sync().complete
    s1.login(server)
    assert s1.sync().complete
    [got] = integrity.complaints(s1.session, cid)
    assert got.complainant_name == "张三丰" and got.status == "received" and got.created_by == "c1"
    # the complainant is kept apart from the outlet's values
    assert "张三丰" not in str(s1.session._archive.customers.get(cid).values)
    integrity.step_complaint(s1.session, got.id, "assign", assignee="c1")
    assert s1.sync().complete
    assert c1.sync().complete
    [mine] = integrity.complaints(c1.session, cid)
    assert mine.status == "assigned" and mine.assignee == "c1" and mine.revision == 2
    integrity.step_complaint(c1.session, mine.id, "handle", text="已上门核实，下架过期卷烟")
    integrity.step_complaint(c1.session, mine.id, "answer", text="已电话答复投诉人")
    # meanwhile the market manager, offline, assigns it again: it will be refused as stale
    integrity.step_complaint(s1.session, got.id, "assign", assignee="s1")
    assert c1.sync().complete
    out = s1.sync()
    assert out.remaining == 0
    [theirs] = integrity.complaints(s1.session, cid)
    assert theirs.status == "answered" and theirs.state == "synced" and theirs.error  # the reason is kept
    assert s1.session._archive.customers.get(cid).sync_state == "synced"  # a refused step blocks nothing else
    integrity.step_complaint(c1.session, mine.id, "close", text="投诉人表示满意")
    assert c1.sync().complete
    assert s1.sync().complete
    [closed] = integrity.complaints(s1.session, cid)
    assert closed.status == "closed" and closed.response == "投诉人表示满意"
    server_day = times.now().date().isoformat()  # the server closes it on its day (China's; from 16:00 UTC, tomorrow)
    assert closed.closed_on == server_day and closed.revision == 5 and not closed.error


def test_overdue_complaints_are_in_the_to_do_list(server, clients) -> None:
    c1 = clients("c1")
    cid = _customer(c1, server, 44)
    old = (times.today() - dt.timedelta(days=30)).isoformat()
    late = integrity.open_complaint(c1.session, cid, "letter", old, "服务态度差")
    integrity.open_complaint(c1.session, cid, "visit", times.today().isoformat(), "今天的投诉")
    assert [o.complaint.id for o in integrity.overdue(c1.session)] == [late.id]
    assert c1.sync().complete
    assert [o.complaint.id for o in integrity.overdue(c1.session)] == [late.id]


def test_the_photos_of_an_entry_reach_the_market_manager(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    cid = _customer(c1, server, 43)
    shot = c1.session._archive.media.put_photo(b"\xff\xd8integrity-entry-photo" * 40, "image/jpeg", 640, 480)
    today = times.today().isoformat()
    integrity.add_entry(c1.session, cid, "inspection", "monopoly", today, "检查现场照片", photos=[shot.sha256])
    out = c1.sync()
    assert out.complete and out.photos_up == 1
    s1.login(server)
    out = s1.sync()
    assert out.complete and out.photos_down == 1
    [e] = integrity.entries(s1.session, cid)
    assert e.photos == (shot.sha256,)
    assert s1.session._archive.media.photo_data(shot.sha256) is not None  # shown in the tab, not "missing"

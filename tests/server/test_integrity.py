"""The integrity archive on the server (DM17, CP1, CR1, CR3), on SQLite and PostgreSQL: entries and
complaints checked, scoped and fed with their customer; the complaint's transitions and who may take them;
the grading procedure reading the entries; the public notice list."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import select

from server.config import CHINA_TZ
from server.schema import complaint_steps, complaints, credit_ratings
from tests.server.helpers import TODAY, create, decide, mid, submit


def entry(rid: str, **over: Any) -> dict[str, Any]:
    e = {"id": str(uuid.uuid4()), "kind": "violation", "source": "monopoly", "occurred_on": TODAY.isoformat()}
    e.update({"text": "无证经营", "handling": "", **over})
    return {"mutation_id": mid(), "kind": "integrity.add", "record_id": rid, "base_version": 1, "entry": e}


def complaint(rid: str, **over: Any) -> dict[str, Any]:
    c = {"id": str(uuid.uuid4()), "channel": "phone", "received_on": TODAY.isoformat(), "content": "价格不明示"}
    c.update({"complainant_name": "李四", "complainant_phone": "13812345678", **over})
    return {"mutation_id": mid(), "kind": "complaint.open", "record_id": rid, "base_version": 1, "complaint": c}


def step(rid: str, cid: str, action: str, revision: int, **over: Any) -> dict[str, Any]:
    s = {"complaint_id": cid, "action": action, "revision": revision, **over}
    return {"mutation_id": mid(), "kind": "complaint.step", "record_id": rid, "base_version": 1, "step": s}


def file_of(api, token: str, rid: str) -> dict[str, Any] | None:
    changes, _cursor = api.pull_all(token)
    found = [c["record"] for c in changes if c["record_id"] == rid and c["record"]]
    return found[-1].get("integrity") if found else None


def test_entries_are_checked_and_reach_those_who_see_the_customer(api, world) -> None:
    rec = create(api, world["c1"], {"shop_name": "诚信测试店"})
    rid = rec["id"]
    future = (TODAY + dt.timedelta(days=5)).isoformat()
    bad = api.push(
        world["c1"],
        entry(rid, kind="rumour"),
        entry(rid, source="neighbour"),
        entry(rid, occurred_on=future),
        entry(rid, text="  "),
    )
    assert [r["status"] for r in bad] == ["rejected"] * 4
    assert [r["errors"][0]["code"] for r in bad] == [
        "integrity.kind",
        "integrity.source",
        "integrity.date",
        "integrity.text",
    ]
    assert api.push1(world["c3"], entry(rid))["errors"][0]["code"] == "not_found"  # another team's customer
    good = entry(rid, handling="责令改正")
    assert api.push1(world["c1"], good)["status"] == "applied"
    again = api.push1(world["c1"], {**good, "mutation_id": mid()})
    assert again["errors"][0]["code"] == "integrity.duplicate"
    for who in ("c1", "s1", "admin"):
        f = file_of(api, world[who], rid)
        assert f is not None and [e["id"] for e in f["entries"]] == [good["entry"]["id"]], who
        assert f["entries"][0]["recorded_by"] == "c1" and f["entries"][0]["handling"] == "责令改正"
    assert file_of(api, world["c2"], rid) is None  # c2 (same team, not the owner) does not see the customer
    assert file_of(api, world["s2"], rid) is None
    r = api.call("GET", f"/records/{rid}", world["s1"])
    assert r.status_code == 200 and len(r.json()["integrity"]["entries"]) == 1


def test_a_complaint_moves_only_by_its_transitions_and_by_those_allowed(api, world, db) -> None:
    rid = create(api, world["c1"], {"shop_name": "投诉测试店"})["id"]
    opened = complaint(rid)
    cid = opened["complaint"]["id"]
    assert api.push1(world["c1"], opened)["status"] == "applied"
    refused = api.push(
        world["c1"],
        step(rid, cid, "assign", 1, assignee="c1"),  # a collector does not assign
        step(rid, cid, "close", 1, text="好"),  # not the assignee, and not from "received"
    )
    assert [r["errors"][0]["code"] for r in refused] == ["forbidden", "forbidden"]
    r = api.push(
        world["s1"],
        step(rid, cid, "handle", 1, text="x"),  # handling before it is assigned
        step(rid, cid, "assign", 1, assignee="c2"),  # c2 does not keep this customer
        step(rid, cid, "assign", 1, assignee="c1", deadline="2000-01-01"),  # before it came in
    )
    assert [x["errors"][0]["code"] for x in r] == ["complaint.transition", "complaint.assignee", "complaint.deadline"]
    assert api.push1(world["s1"], step(rid, cid, "assign", 1, assignee="c1"))["status"] == "applied"
    assert api.push1(world["s1"], step(rid, cid, "assign", 1, assignee="c1"))["errors"][0]["code"] == "complaint.stale"
    assert api.push1(world["c1"], step(rid, cid, "handle", 2, text="已核实"))["status"] == "applied"
    assert api.push1(world["c1"], step(rid, cid, "answer", 3, text="已答复"))["status"] == "applied"
    assert api.push1(world["c1"], step(rid, cid, "close", 4))["errors"][0]["code"] == "complaint.response"
    assert api.push1(world["c1"], step(rid, cid, "close", 4, text="满意"))["status"] == "applied"
    f = file_of(api, world["s1"], rid)
    assert f is not None
    [c] = f["complaints"]
    assert (c["status"], c["assignee"], c["revision"], c["response"]) == ("closed", "c1", 5, "满意")
    assert c["complainant_name"] == "李四"
    with db.read() as conn:
        row = conn.execute(select(complaints).where(complaints.c.id == cid)).one()
        steps = conn.execute(
            select(complaint_steps.c.action).where(complaint_steps.c.complaint_id == cid).order_by(complaint_steps.c.id)
        ).scalars()
        assert list(steps) == ["open", "assign", "handle", "answer", "close"]
    received = dt.date.fromisoformat(row.received_on)
    assert row.deadline > received.isoformat()  # 5 working days later by the server's calendar
    # the outlet's own values never hold the complainant
    rec = api.call("GET", f"/records/{rid}", world["c1"]).json()
    assert "李四" not in json.dumps(rec["values"], ensure_ascii=False)


def test_grading_reads_the_integrity_archive_and_the_notice_list(api, world, run, db) -> None:
    assert run("user", "add", "gina", "--role", "supervisor")[0] == 0
    rec = create(api, world["c1"])
    rid = rec["id"]
    assert api.push1(world["c1"], submit(rid, 1))["status"] == "applied"
    approved = api.push1(world["s1"], decide(rid, 2))
    assert approved["status"] == "applied", approved
    code = approved["record"]["code"]
    assert api.push1(world["c1"], entry(rid))["status"] == "applied"  # a violation this year
    code_a, _out, err = run("credit", "rate", "--by", "gina", code, "A", "--notice-days", "7")
    assert code_a == 2 and "grade A means no violation" in err
    assert api.push1(world["c1"], complaint(rid))["status"] == "applied"  # unanswered when rated
    rated, _out, err = run("credit", "rate", "--by", "gina", code, "B", "--notice-days", "7")
    assert rated == 0 and "Basis: integrity archive" in err and "violation 1" in err, err
    shown, out, err = run("credit", "show", code)
    assert shown == 0 and json.loads(out)[0]["basis"]["counts"]["violation"] == 1
    day = dt.datetime.now(CHINA_TZ).date()  # the server rates on its day (China's: from 16:00 UTC, tomorrow)
    since = (day - dt.timedelta(days=365)).isoformat()
    assert f"{day.isoformat()}: grade B (notice) by gina" in err, err
    assert f"basis: integrity archive {since} to {day.isoformat()}: licensing 0, routine inspection 0," in err
    assert "violation 1, consumer complaint 0, commendation or honour 0; 1 complaint(s) received, 1 not answered" in err
    with db.read() as conn:
        basis = json.loads(conn.execute(select(credit_ratings.c.basis)).scalar_one())
    assert basis["counts"]["violation"] == 1 and len(basis["entries"]) == 1
    r = api.call("GET", f"/records/{rid}/credit", world["s1"]).json()
    assert r["ratings"][0]["basis"]["counts"]["violation"] == 1
    notices = api.call("GET", "/credit/notices", world["s1"]).json()
    assert [(n["code"], n["grade"]) for n in notices["notices"]] == [(code, "B")]
    assert api.call("GET", "/credit/notices", world["s2"]).json()["notices"] == []  # another team
    later = (TODAY + dt.timedelta(days=60)).isoformat()
    assert api.call("GET", f"/credit/notices?on={later}", world["s1"]).json()["notices"] == []
    assert api.call("GET", "/credit/notices?on=soon", world["s1"]).status_code == 422

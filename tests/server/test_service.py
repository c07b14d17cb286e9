"""The service records on the server (SV1, SV2, CA1, VS1), on SQLite and PostgreSQL: visit plans, care dates
and satisfaction surveys checked by the shared rules, fed with the customer to whoever sees it and to no one
else; a survey's validity worked out by the server; steps follow the revision they name."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import select

from app.validation.service import questionnaire
from server.schema import service_records
from tests.server.helpers import TODAY, create, mid


def add(rid: str, kind: str, on_date: str, body: dict[str, Any], **over: Any) -> dict[str, Any]:
    s = {"id": str(uuid.uuid4()), "kind": kind, "on_date": on_date, "body": body, **over}
    return {"mutation_id": mid(), "kind": "service.add", "record_id": rid, "base_version": 1, "service": s}


def step(rid: str, record_id: str, action: str, revision: int, **over: Any) -> dict[str, Any]:
    s = {"record_id": record_id, "action": action, "revision": revision, **over}
    return {"mutation_id": mid(), "kind": "service.step", "record_id": rid, "base_version": 1, "service_step": s}


def served(api, token: str, rid: str) -> list[dict[str, Any]] | None:
    changes, _cursor = api.pull_all(token)
    found = [c["record"] for c in changes if c["record_id"] == rid and c["record"]]
    return found[-1].get("service") if found else None


def survey(**over: Any) -> dict[str, Any]:
    ids = questionnaire().question_ids
    answers = dict(zip(ids, [5, 4, 4, 3, 5, 4, 2, 4, 5, 4], strict=True))
    return {"questionnaire": questionnaire().id, "channel": "visit", "informed": True, "answers": answers, **over}


def test_plans_care_dates_and_surveys_are_checked_kept_and_fed(api, world, db) -> None:
    rec = create(api, world["c1"])
    rid = rec["id"]
    day = TODAY.isoformat()
    later = (TODAY + dt.timedelta(days=3)).isoformat()
    bad = api.push(
        world["c1"],
        add(rid, "plan", later, {"purpose": "  "}),
        add(rid, "plan", "2999-01-01", {"purpose": "季度走访"}),
        add(rid, "care", day, {"occasion": "party", "yearly": True}),
        add(rid, "gift", day, {}),
        add(rid, "survey", day, survey(informed=False)),
        add(rid, "survey", day, survey(answers={"ordering": 9})),
    )
    assert [r["errors"][0]["code"] for r in bad] == [
        "service.purpose",
        "service.plan_date",
        "service.occasion",
        "service.kind",
        "service.informed",
        "service.answers",
    ]
    plan = add(rid, "plan", later, {"purpose": "季度走访"})
    care = add(rid, "care", "1980-05-12", {"occasion": "birthday", "yearly": True, "note": "店主生日"})
    straight = survey(answers=dict.fromkeys(questionnaire().question_ids, 3))
    ok = api.push(world["c1"], plan, care, add(rid, "survey", day, survey()), add(rid, "survey", day, straight))
    assert [r["status"] for r in ok] == ["applied"] * 4, ok
    again = api.push1(world["c1"], {**plan, "mutation_id": mid()})
    assert again["errors"][0]["code"] == "service.duplicate"
    assert api.push1(world["c3"], add(rid, "plan", later, {"purpose": "x"}))["errors"][0]["code"] == "not_found"
    for who in ("c1", "s1", "admin"):
        got = served(api, world[who], rid)
        assert got is not None and len(got) == 4, who
    assert served(api, world["c2"], rid) is None  # same team, not the owner: does not see the customer
    got = {s["id"]: s for s in served(api, world["s1"], rid) or []}
    assert got[plan["service"]["id"]]["status"] == "open" and got[plan["service"]["id"]]["recorded_by"] == "c1"
    assert got[care["service"]["id"]]["status"] == "active"
    surveys = sorted((s for s in got.values() if s["kind"] == "survey"), key=lambda s: s["status"])
    assert [s["status"] for s in surveys] == ["invalid", "valid"]
    assert surveys[0]["body"]["invalid"] == "straight" and surveys[1]["body"]["score"] == 4.0
    # a terminal observation, structured per brand (F0 L221–238)
    seen = add(rid, "observation", day, {"brands": [{"brand": "中华(硬)", "sales": 12, "stock": 30, "price": 45}]})
    wrong = add(rid, "observation", day, {"brands": [{"brand": "中华(硬)", "sales": "很多"}]})
    assert [r["status"] for r in api.push(world["c1"], seen, wrong)] == ["applied", "rejected"]
    fed = {s["id"]: s for s in served(api, world["s1"], rid) or []}[seen["service"]["id"]]
    assert fed["status"] == "recorded" and fed["body"]["brands"][0] == {
        "brand": "中华(硬)",
        "sales": 12,
        "stock": 30,
        "price": 45,
    }
    # a survey claiming to be valid is judged by the server all the same
    lying = survey(answers=dict.fromkeys(questionnaire().question_ids, 5), invalid="")
    assert api.push1(world["c1"], add(rid, "survey", day, lying))["status"] == "applied"
    # steps: done with the visit, a stale one refused, a done plan cannot be cancelled
    pid = plan["service"]["id"]
    visit = str(uuid.uuid4())
    assert api.push1(world["c1"], step(rid, pid, "done", 1, done_on=day, visit_id=visit))["status"] == "applied"
    stale = api.push1(world["s1"], step(rid, pid, "cancel", 1, reason="店主外出"))
    assert stale["errors"][0]["code"] == "service.stale"
    late = api.push1(world["s1"], step(rid, pid, "cancel", 2, reason="店主外出"))
    assert late["errors"][0]["code"] == "service.transition"
    future = api.push1(world["c1"], step(rid, care["service"]["id"], "done", 1, done_on=day))
    assert future["errors"][0]["code"] == "service.action"  # a care date is not "visited"
    with db.read() as conn:
        row = conn.execute(select(service_records).where(service_records.c.id == pid)).one()
        assert row.status == "done" and row.revision == 2
        assert json.loads(row.body)["visit_id"] == visit and json.loads(row.body)["done_on"] == day
    got = api.call("GET", f"/records/{rid}", world["c1"]).json()
    assert {s["id"]: s["status"] for s in got["service"]}[pid] == "done"

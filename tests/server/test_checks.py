"""The market manager's monthly check and the customer-service department's spot audits (issue 17; audit P2,
P7), on SQLite and PostgreSQL over a real server process: who may record which, the refusals, who sees what,
and the month's results in the monthly report's completeness rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select

from server.config import CHINA_TZ
from server.schema import admin_log
from tests.server.helpers import PASSWORD, PROTO
from tests.server.test_filings import months_ago


def test_monthly_checks_and_spot_audits(server_process, db, run) -> None:
    assert run("user", "add", "s1", "--role", "supervisor")[0] == 0
    assert run("user", "add", "s2", "--role", "supervisor")[0] == 0
    for name, sup in (("c1", "s1"), ("c2", "s1"), ("c3", "s2")):
        assert run("user", "add", name, "--role", "collector", "--supervisor", sup)[0] == 0
    assert run("user", "add", "svc", "--role", "collector")[0] == 0
    assert run("user", "add", "admin", "--role", "admin")[0] == 0
    assert run("place", "svc", "--department", "service")[0] == 0  # 客服部, added by migration 0024
    server_process.start()
    month = months_ago(1)
    day = f"{month}-20"
    today = dt.datetime.now(CHINA_TZ).date()
    with httpx.Client(base_url=server_process.url + "/api/v1", headers=PROTO, timeout=30) as c:
        tokens: dict[str, dict[str, str]] = {}

        def as_(name: str) -> dict[str, str]:
            if name not in tokens:
                body = {"username": name, "password": PASSWORD, "device_id": f"pc-{name}", "device_name": "pc"}
                tokens[name] = {"Authorization": f"Bearer {c.post('/auth/login', json=body).json()['access_token']}"}
            return tokens[name]

        def check(name: str, **body: Any) -> httpx.Response:
            ok = {"month": month, "checked_on": day, "timeliness": "ok", "objectivity": "ok", "accuracy": "ok"}
            return c.post("/checks/monthly", headers=as_(name), json=ok | body)

        def spot(name: str, collector: str, score: int, **body: Any) -> httpx.Response:
            audit = {"collector": collector, "month": month, "checked_on": day, "sample": 20, "score": score}
            return c.post("/checks/spot", headers=as_(name), json=audit | body)

        r = check("s1", collector="c1", findings="按时维护")
        assert r.status_code == 200 and (r.json()["checker"], r.json()["checked_on"]) == ("s1", day)
        assert (check("s1", collector="c1").json()["code"]) == "check.already"
        wrong = check("s1", collector="c3")  # another team's
        assert (wrong.status_code, wrong.json()["code"]) == (403, "check.not_supervisor")
        assert check("c2", collector="c2").json()["code"] == "check.not_supervisor"
        bare = check("s1", collector="c2", accuracy="deficient")
        assert (bare.status_code, bare.json()["code"]) == (422, "check.findings")
        future = check("s1", collector="c2", checked_on=(today + dt.timedelta(days=2)).isoformat())
        assert (future.status_code, future.json()["code"]) == (422, "check.day")
        assert check("s1", collector="c2", checked_on=f"{months_ago(2)}-28").json()["code"] == "check.day"
        assert check("s1", collector="c2", accuracy="poor").status_code == 422
        assert check("s1", collector="c2", findings="记\x00录", accuracy="deficient").status_code == 422
        assert check("s1", collector="nobody").json()["code"] == "check.no_collector"
        r = check("s1", collector="c2", accuracy="deficient", findings="3 户经营面积与实地不符")
        assert r.status_code == 200 and r.json()["accuracy"] == "deficient"

        refused = spot("c1", "c2", 90)
        assert (refused.status_code, refused.json()["code"]) == (403, "check.not_service")
        assert spot("s1", "c2", 90).json()["code"] == "check.not_service"
        assert spot("svc", "c1", 80).status_code == 200
        assert spot("svc", "c1", 91, findings="2 户照片过期").status_code == 200
        assert spot("svc", "c2", 70).status_code == 200
        assert spot("admin", "c3", 60).status_code == 200
        assert spot("svc", "c1", 101).status_code == 422

        def seen(name: str) -> list[tuple[str, str, str]]:
            got = c.get(f"/checks?month={month}", headers=as_(name)).json()["checks"]
            return sorted((x["kind"], x["collector"], x["checker"]) for x in got)

        assert seen("s1") == [
            ("monthly", "c1", "s1"),
            ("monthly", "c2", "s1"),
            ("spot", "c1", "svc"),
            ("spot", "c1", "svc"),
            ("spot", "c2", "svc"),
        ]
        assert seen("c3") == [("spot", "c3", "admin")]
        assert len(seen("svc")) == 6 and seen("admin") == seen("svc")

        report = c.get(f"/reports/monthly?month={month}", headers=as_("s1")).json()
        rows = {r["collector"]: r for r in report["completeness"]}
        got = {n: (rows[n]["spot_audits"], rows[n]["spot_audit_score"], rows[n]["monthly_check"]) for n in rows}
        assert got == {"c1": (2, 85.5, "ok"), "c2": (1, 70.0, "deficient")}
    with db.read() as conn:
        actions = conn.execute(select(admin_log.c.action).where(admin_log.c.action.like("check.%"))).scalars()
        assert sorted(actions) == ["check.monthly"] * 2 + ["check.spot"] * 4

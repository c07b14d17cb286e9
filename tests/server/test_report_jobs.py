"""Monthly reports produced in the background: started, polled, downloaded; the same contents as the
one-request report; only their starter sees them; a job whose worker stopped reads as failed."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import insert

from server.schema import report_jobs, users
from tests.server.helpers import create, demo_values, save
from tests.server.test_reports import MONTH, TODAY, _visit


def _wait(api, token: str, job: dict) -> dict:
    deadline = time.monotonic() + 60
    seen = []
    while job["state"] == "running" and time.monotonic() < deadline:
        seen.append((job["done"], job["total"]))
        time.sleep(0.05)
        r = api.call("GET", f"/reports/monthly/jobs/{job['id']}", token)
        assert r.status_code == 200, r.text
        job = r.json()
    assert all(done <= total or total == 0 for done, total in seen)
    return job


def test_a_report_job_gives_the_report_of_the_request(api, world):
    a_vals, b_vals, c_vals = demo_values(3, seed=3)
    a_vals.update(market_type="urban")
    a = create(api, world["c1"], a_vals)
    create(api, world["c2"], b_vals)
    create(api, world["c3"], c_vals)
    assert api.push1(world["c1"], save(a["id"], {"market_type": ("urban", "rural")}, base=a["version"]))["status"] in (
        "applied",
        "merged",
    )
    api.push(world["c1"], _visit(a["id"], TODAY, anomaly="销量下降"))

    r = api.call("POST", f"/reports/monthly/jobs?month={MONTH}", world["s1"])
    assert r.status_code == 202, r.text
    job = _wait(api, world["s1"], r.json())
    assert job == {**job, "state": "done", "month": MONTH, "done": 2, "total": 2, "error": None}
    got = api.call("GET", f"/reports/monthly/jobs/{job['id']}/result", world["s1"])
    assert got.status_code == 200, got.text
    direct = api.call("GET", f"/reports/monthly?month={MONTH}", world["s1"]).json()
    report = got.json()
    assert report.pop("generated_at") and direct.pop("generated_at")
    assert report == direct
    plain = api.call(
        "GET", f"/reports/monthly/jobs/{job['id']}/result", world["s1"], headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers and plain.json() == {
        **report,
        "generated_at": plain.json()["generated_at"],
    }
    assert len(report["category_adjustments"]) == 1 and report["visits"][0]["with_anomaly"] == 1

    # another user's job does not exist for them
    for path in (f"/reports/monthly/jobs/{job['id']}", f"/reports/monthly/jobs/{job['id']}/result"):
        assert api.call("GET", path, world["s2"]).status_code == 404
    # a month that has not begun is refused at once
    r = api.call("POST", f"/reports/monthly/jobs?month={TODAY.year + 1}-01", world["s1"])
    assert r.status_code == 422 and r.json()["code"] == "future_month", r.text


def test_a_job_whose_worker_stopped_reads_as_failed(api, world, db):
    job_id, old = str(uuid.uuid4()), time.time() - 3600
    with db.engine.begin() as conn:
        uid = conn.execute(users.select().where(users.c.name == "s1")).first().id
        conn.execute(
            insert(report_jobs).values(
                id=job_id, user_id=uid, month=MONTH, state="running", done=10, total=100, created_at=old, updated_at=old
            )
        )
    r = api.call("GET", f"/reports/monthly/jobs/{job_id}", world["s1"])
    assert r.json() == {
        "id": job_id,
        "month": MONTH,
        "state": "failed",
        "done": 10,
        "total": 100,
        "error": "interrupted",
    }
    r = api.call("GET", f"/reports/monthly/jobs/{job_id}/result", world["s1"])
    assert r.status_code == 409 and r.json()["code"] == "not_ready", r.text

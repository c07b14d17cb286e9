"""Integrity (credit) grading, §3.11: notice of at least 7 working days counted with the work calendar,
appeals only within the notice, the decision only after it, and only the decision changes the
record (as a system change in the feed); GET /records/{id}/credit; on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from server.schema import customer_versions, customers, users
from tests.server.test_classify import seed

CODE = "610102000001"


@pytest.fixture
def customer(run, tmp_path):
    seed(run, tmp_path, [(CODE, "grocery", "urban"), ("610102000002", "grocery", "urban")])
    assert run("user", "add", "gina", "--role", "supervisor")[0] == 0  # the person designated to grade
    return CODE


def grade_of(db, code=CODE):
    with db.read() as conn:
        return json.loads(conn.execute(select(customers.c.data).where(customers.c.code == code)).scalar_one()).get(
            "credit_grade"
        )


def test_notice_shorter_than_7_working_days_is_refused(run, db, customer):
    code, _, err = run("credit", "rate", "--by", "gina", CODE, "B", "--notice-days", "6", "--on", "2026-09-01")
    assert code == 2 and "at least 7 working days (asked for 6)" in err
    code, _, err = run("credit", "rate", "--by", "gina", CODE, "E", "--notice-days", "7", "--on", "2026-09-01")
    assert code == 2 and "one of A, B, C, D" in err
    code, _, err = run("credit", "rate", "--by", "gina", "999", "A", "--notice-days", "7")
    assert code == 2 and "no customer" in err
    code, _, err = run(
        "credit",
        "rate",
        "--by",
        "gina",
        CODE,
        "A",
        "--notice-days",
        "7",
        "--on",
        "2026-09-01",
        "--notice-start",
        "2026-08-30",
    )
    assert code == 2 and "before the rating date" in err


def test_notice_counts_working_days_over_a_holiday(run, db, customer):
    # 2026-09-28 (Mon): 29, 30, then 国庆 Oct 1-7 are holidays (Oct 8 is a working day again in the
    # bundled calendar); the 7 working days are Sep 28, 29, 30 and the following working days.
    code, _, err = run("credit", "rate", "--by", "gina", CODE, "C", "--notice-days", "7", "--on", "2026-09-28")
    assert code == 0, err
    history = json.loads(run("credit", "show", CODE)[1])
    assert history[0]["notice_start"] == "2026-09-28"
    from app.models.workdays import WorkCalendar

    cal = WorkCalendar.load()
    end = history[0]["notice_end"]
    import datetime as dt

    start, stop = dt.date(2026, 9, 28), dt.date.fromisoformat(end)
    days = [start + dt.timedelta(days=i) for i in range((stop - start).days + 1)]
    assert sum(cal.is_workday(d) for d in days) == 7 and cal.is_workday(stop)
    assert stop > dt.date(2026, 10, 7)  # the holiday week does not count
    # a notice starting on a Saturday: day 1 is the Monday after
    assert (
        run("credit", "rate", "--by", "gina", "610102000002", "A", "--notice-days", "7", "--on", "2026-09-05")[0] == 0
    )
    h2 = json.loads(run("credit", "show", "610102000002")[1])[0]
    assert (h2["notice_start"], h2["notice_end"]) == ("2026-09-05", "2026-09-15")


def test_appeal_only_within_the_notice_and_decision_only_after(run, db, customer):
    # Tue 2026-09-01 + 7 working days: Sep 1-4, 7-9 → the notice ends on Wed 2026-09-09
    assert run("credit", "rate", "--by", "gina", CODE, "D", "--notice-days", "7", "--on", "2026-09-01")[0] == 0
    assert grade_of(db) is None  # nothing changes before the decision
    code, _, err = run("credit", "rate", "--by", "gina", CODE, "C", "--notice-days", "7", "--on", "2026-09-02")
    assert code == 2 and "already has a rating in progress" in err
    code, _, err = run("credit", "decide", "--by", "gina", CODE, "--on", "2026-09-09")
    assert code == 2 and "the notice runs until 2026-09-09" in err
    code, _, err = run("credit", "appeal", CODE, "the violation was someone else's", "--on", "2026-09-10")
    assert code == 2 and "only within the notice period, 2026-09-01 to 2026-09-09" in err
    code, _, err = run("credit", "appeal", CODE, "the violation was someone else's", "--on", "2026-09-09")
    assert code == 0, err
    code, _, err = run("credit", "appeal", CODE, "again", "--on", "2026-09-09")
    assert code == 2 and "already appealed" in err
    code, _, err = run("credit", "decide", "--by", "gina", CODE, "--grade", "C", "--on", "2026-09-14")
    assert code == 2 and "say how the appeal was settled" in err
    assert grade_of(db) is None
    code, _, err = run(
        "credit", "decide", "--by", "gina", CODE, "--grade", "C", "--note", "partly upheld", "--on", "2026-09-14"
    )
    assert code == 0 and "Final grade of 610102000001: C" in err
    assert grade_of(db) == "C"
    history = json.loads(run("credit", "show", CODE)[1])
    assert [(h["grade"], h["status"], h["appeal_on"], h["final_grade"], h["decided_on"]) for h in history] == [
        ("D", "decided", "2026-09-09", "C", "2026-09-14")
    ]
    with db.read() as conn:
        sysid = conn.execute(select(users.c.id).where(users.c.name == "system")).scalar_one()
        v = conn.execute(select(customer_versions).where(customer_versions.c.actor_id == sysid)).all()
    assert len(v) == 1 and v[0].kind == "system.credit"
    assert json.loads(v[0].changes) == {"credit_grade": {"old": None, "new": "C"}}
    assert json.loads(v[0].provenance)["source"] == "credit"
    # nothing open any more: no appeal, no decision; a new rating may start
    assert run("credit", "appeal", CODE, "late", "--on", "2026-09-14")[0] == 2
    assert run("credit", "decide", "--by", "gina", CODE, "--on", "2026-09-20")[0] == 2


def test_without_appeal_the_notified_grade_becomes_final(run, db, customer):
    assert run("credit", "rate", "--by", "gina", CODE, "A", "--notice-days", "10", "--on", "2026-09-01")[0] == 0
    code, _, err = run("credit", "decide", "--by", "gina", CODE, "--grade", "B", "--on", "2026-09-30")
    assert code == 2 and "without an appeal the final grade is the notified one (A)" in err
    assert run("credit", "decide", "--by", "gina", CODE, "--on", "2026-09-30")[0] == 0
    assert grade_of(db) == "A"
    # the same grade again later: the procedure is recorded, the record gets no new version
    assert run("credit", "rate", "--by", "gina", CODE, "A", "--notice-days", "7", "--on", "2026-10-09")[0] == 0
    assert run("credit", "decide", "--by", "gina", CODE, "--on", "2026-10-30")[0] == 0
    with db.read() as conn:
        n = conn.execute(
            select(customer_versions.c.version)
            .join(customers, customers.c.id == customer_versions.c.record_id)
            .where(customers.c.code == CODE, customer_versions.c.kind == "system.credit")
        ).all()
    assert len(n) == 1
    assert len(json.loads(run("credit", "show", CODE)[1])) == 2


def test_credit_history_endpoint_follows_the_record_scope(run, db, tmp_path, api, settings):
    from tests.server.helpers import add_user

    add_user(db, settings, "s9", "supervisor")
    add_user(db, settings, "ann", "collector", "s9")
    add_user(db, settings, "zed", "collector")
    add_user(db, settings, "gina", "supervisor")
    seed(run, tmp_path, [(CODE, "grocery", "urban")])
    assert run("credit", "rate", "--by", "gina", CODE, "B", "--notice-days", "7", "--on", "2026-09-01")[0] == 0
    with db.read() as conn:
        rid = conn.execute(select(customers.c.id).where(customers.c.code == CODE)).scalar_one()
    for who in ("ann", "s9"):
        r = api.call("GET", f"/records/{rid}/credit", api.token(who))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["record_id"] == rid and [x["grade"] for x in body["ratings"]] == ["B"]
        assert body["ratings"][0]["notice_end"] == "2026-09-09" and body["ratings"][0]["status"] == "notice"
    assert api.call("GET", f"/records/{rid}/credit", api.token("zed")).status_code == 404
    assert api.call("GET", f"/records/{rid}/credit").status_code == 401


def test_each_step_names_the_person_who_took_it(run, db, customer):
    """F3 L169: a designated person (指定专人) grades; the steps record that person, never "admin"."""
    code, _, err = run("credit", "rate", CODE, "B", "--notice-days", "7", "--on", "2026-09-01")
    assert code == 2 and "--by USER" in err
    code, _, err = run("credit", "rate", "--by", "ann", CODE, "B", "--notice-days", "7", "--on", "2026-09-01")
    assert code == 2 and "'ann' is a collector" in err
    code, _, err = run("credit", "rate", "--by", "nobody", CODE, "B", "--notice-days", "7", "--on", "2026-09-01")
    assert code == 2 and "no enabled user 'nobody'" in err
    assert run("user", "add", "hal", "--role", "admin")[0] == 0
    assert run("credit", "rate", "--by", "gina", CODE, "B", "--notice-days", "7", "--on", "2026-09-01")[0] == 0
    assert run("credit", "decide", "--by", "hal", CODE, "--on", "2026-09-10")[0] == 0
    [step] = json.loads(run("credit", "show", CODE)[1])
    assert (step["rated_by"], step["decided_by"]) == ("gina", "hal")

"""The work calendar the server publishes: the bundled calendar plus years kept on the server
(calendar set / import), served at GET /api/v1/calendar with a version; credit notices count with it."""

from __future__ import annotations

import json

from app.models.workdays import WorkCalendar
from tests.server.test_classify import seed


def test_served_calendar_starts_as_the_bundled_one_and_changes_version(run, api, world):
    r = api.call("GET", "/calendar", world["c1"])
    assert r.status_code == 200, r.text
    first = r.json()
    bundled = WorkCalendar.load()
    assert set(first["years"]) == set(bundled.years)
    assert set(first["holidays"]) == {d.isoformat() for d in bundled.holidays}
    assert set(first["workdays"]) == {d.isoformat() for d in bundled.workdays}
    assert api.call("GET", "/calendar").status_code == 401

    assert run("calendar", "set", "2026-09-04", "holiday")[0] == 0  # a Friday off
    assert run("calendar", "set", "2026-09-06", "workday")[0] == 0  # a Sunday worked
    second = api.call("GET", "/calendar", world["c1"]).json()
    assert second["version"] != first["version"]
    assert "2026-09-04" in second["holidays"] and "2026-09-06" in second["workdays"]
    # the rest of 2026 is kept (the bundled year was copied before the change)
    assert set(first["holidays"]) - set(second["holidays"]) == set()
    assert api.call("GET", "/calendar", world["c1"]).json()["version"] == second["version"]  # stable
    assert run("calendar", "set", "2026-09-04", "normal")[0] == 0
    third = api.call("GET", "/calendar", world["c1"]).json()
    assert "2026-09-04" not in third["holidays"]


def test_import_replaces_whole_years_and_refuses_bad_files(run, api, world, tmp_path):
    f = tmp_path / "cal.json"
    f.write_text(json.dumps({"holidays": {"2027": ["2027-01-01", "2027-02-08"]}, "workdays": {"2027": ["2027-02-06"]}}))
    code, _, err = run("calendar", "import", str(f))
    assert code == 0 and "2027" in err
    body = api.call("GET", "/calendar", world["c1"]).json()
    assert 2027 in body["years"] and "2027-02-08" in body["holidays"] and "2027-02-06" in body["workdays"]
    f.write_text(json.dumps({"holidays": {"2027": ["2027-13-01"]}}))
    assert run("calendar", "import", str(f))[0] == 2
    f.write_text(json.dumps({"workdays": {"2027": ["2027-02-03"]}}))  # a Wednesday
    code, _, err = run("calendar", "import", str(f))
    assert code == 2 and "Saturdays or Sundays" in err
    f.write_text(json.dumps({"holidays": {"2027": ["2028-01-01"]}}))
    code, _, err = run("calendar", "import", str(f))
    assert code == 2 and "listed under the year 2027" in err
    assert run("calendar", "set", "2027-02-03", "workday")[0] == 2
    assert run("calendar", "set", "2027-02-31", "holiday")[0] == 2
    assert "2027-02-08" in api.call("GET", "/calendar", world["c1"]).json()["holidays"]  # unchanged


def test_credit_notice_counts_with_the_server_calendar(run, tmp_path):
    seed(run, tmp_path, [("610102000001", "grocery", "urban")])
    assert run("user", "add", "gina", "--role", "supervisor")[0] == 0
    assert run("calendar", "set", "2026-09-03", "holiday")[0] == 0  # Thursday off: one more day of notice
    assert (
        run("credit", "rate", "--by", "gina", "610102000001", "A", "--notice-days", "7", "--on", "2026-09-01")[0] == 0
    )
    h = json.loads(run("credit", "show", "610102000001")[1])[0]
    assert h["notice_end"] == "2026-09-10"

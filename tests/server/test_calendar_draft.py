"""The work calendar's draft stage (issue 20): an admin's change goes to a draft no client sees, the draft
lists every day it would change, publishing makes it one new version that clients fetch, discarding
leaves the published calendar as it was; the admin API and the command line share it, each call logged."""

from __future__ import annotations

import json

from tests.server.test_admin_api import A, log_of, ok


def test_a_draft_is_invisible_until_published_then_one_new_version(api, world, db):
    h, c1 = world["admin"], world["c1"]
    before = ok(api.call("GET", "/calendar", c1))
    assert ok(api.call("GET", A + "/calendar/draft", h)) == {
        "years": [],
        "changes": [],
        "published_version": before["version"],
    }
    body = {"holidays": {"2031": ["2031-01-01", "2031-02-10"]}, "workdays": {"2031": ["2031-02-08"]}}
    out = ok(api.call("PUT", A + "/calendar?draft=true", h, json=body))
    assert out["version"] == before["version"] and out["draft_changes"] >= 1
    out = ok(api.call("PUT", A + "/calendar/days/2031-05-01?draft=true", h, json={"kind": "holiday"}))
    assert out["version"] == before["version"]
    assert ok(api.call("GET", "/calendar", c1)) == before  # no client sees the draft

    draft = ok(api.call("GET", A + "/calendar/draft", h))
    assert draft["years"] == [2031]
    changed = {c["day"]: (c["published"], c["draft"]) for c in draft["changes"]}
    assert changed["2031-05-01"][1] == "holiday" and changed["2031-02-08"] == ("normal", "workday")
    assert all(old != new for old, new in changed.values())  # only days that change are listed
    assert out["draft_changes"] == len(draft["changes"])

    done = ok(api.call("POST", A + "/calendar/draft/publish", h))
    assert done["years"] == [2031] and done["changed_days"] == len(draft["changes"])
    fetched = ok(api.call("GET", "/calendar", c1))
    assert fetched["version"] == done["version"] != before["version"]
    assert {"2031-01-01", "2031-02-10", "2031-05-01"} <= set(fetched["holidays"]) and "2031-02-08" in fetched[
        "workdays"
    ]
    assert ok(api.call("GET", A + "/calendar/draft", h))["years"] == []  # the draft is gone

    r = api.call("POST", A + "/calendar/draft/publish", h)
    assert r.status_code == 422 and "no draft to publish" in r.json()["message"]
    assert [r["action"] for r in log_of(db) if r["actor"] == "admin" and r["action"].startswith("calendar")] == [
        "calendar.draft.show",
        "calendar.draft.import",
        "calendar.draft.set",
        "calendar.draft.show",
        "calendar.publish",
        "calendar.draft.show",
        "calendar.publish",
    ]
    assert [r["outcome"] for r in log_of(db, "calendar.publish")] == ["ok", "refused"]


def test_a_draft_day_starts_from_the_published_year_and_discard_keeps_it(api, world, db):
    h = world["admin"]
    ok(api.call("PUT", A + "/calendar", h, json={"holidays": {"2032": ["2032-01-01", "2032-10-01"]}}))
    published = ok(api.call("GET", "/calendar", world["c1"]))
    ok(api.call("PUT", A + "/calendar/days/2032-10-01?draft=true", h, json={"kind": "normal"}))
    draft = ok(api.call("GET", A + "/calendar/draft", h))
    # the draft year is the published one with that day changed: 2032-01-01 stays a holiday, unlisted
    assert draft["changes"] == [{"day": "2032-10-01", "published": "holiday", "draft": "normal"}]
    r = api.call("PUT", A + "/calendar/days/2032-10-04?draft=true", h, json={"kind": "workday"})  # a Monday
    assert r.status_code == 422 and "weekday" in r.json()["message"]
    out = ok(api.call("DELETE", A + "/calendar/draft", h))
    assert out["years"] == [2032] and out["version"] == published["version"]
    assert ok(api.call("GET", "/calendar", world["c1"])) == published
    assert ok(api.call("GET", A + "/calendar/draft", h))["years"] == []
    assert ok(api.call("PUT", A + "/calendar/days/2032-10-01?draft=true", world["c1"], json={"kind": "normal"}), 403)


def test_the_command_line_drafts_shows_and_publishes(run, db, tmp_path):
    code, _out, err = run("calendar", "set", "2033-01-03", "holiday", "--draft")
    assert code == 0 and "in the draft" in err
    code, out, _err = run("calendar", "draft")
    assert json.loads(out)["changes"] == [{"day": "2033-01-03", "published": "normal", "draft": "holiday"}]
    assert "2033-01-03" not in json.loads(run("calendar", "show")[1])["holidays"]
    code, _out, err = run("calendar", "publish")
    assert code == 0 and "1 day(s) changed in 2033" in err
    assert "2033-01-03" in json.loads(run("calendar", "show")[1])["holidays"]
    code, _out, err = run("calendar", "publish")
    assert code != 0 and "no draft to publish" in err
    (tmp_path / "cal.json").write_text(json.dumps({"holidays": {"2033": ["2033-02-01"]}}), encoding="utf-8")
    assert run("calendar", "import", str(tmp_path / "cal.json"), "--draft")[0] == 0
    code, _out, err = run("calendar", "discard")
    assert code == 0 and "2033" in err and "unchanged" in err
    assert "2033-02-01" not in json.loads(run("calendar", "show")[1])["holidays"]
    assert [r["detail"].get("kind") for r in log_of(db, "calendar.draft.set")] == ["holiday"]

"""The archive's lifecycle on the server (SQLite and PostgreSQL): closing an outlet (销户) and reopening it,
read-only while closed, out of the working figures; retention and the approved destruction, checked in
the database (docs/domain.md, "The archive's lifecycle")."""

from __future__ import annotations

import dataclasses
import json
import secrets
from typing import Any

import pytest
from sqlalchemy import func, select

from server import administration as adm
from server import backup, lifecycle
from server.accounts import User
from server.reports import count_customers
from server.schema import (
    admin_log,
    customer_versions,
    customers,
    destructions,
    mutations,
    photo_refs,
    photos,
    users,
    visits,
)
from tests.server.helpers import TODAY, create, decide, mid, save, submit, visit


def close(record_id: str, base: int, action: str = "close", reason: str = "许可证已注销", day: str | None = None):
    closure: dict[str, Any] = {"action": action, "reason": reason}
    if day is not None or action == "close":
        closure["day"] = day or TODAY.isoformat()
    return {
        "mutation_id": mid(),
        "kind": "customer.close",
        "record_id": record_id,
        "base_version": base,
        "closure": closure,
    }


def codes(res: dict[str, Any]) -> list[str]:
    return [e["code"] for e in res["errors"]]


def test_a_supervisor_closes_an_outlet_which_becomes_read_only_until_an_admin_reopens_it(api, world, db):
    rec = create(api, world["c1"])
    # the collector reports, the market manager decides: a collector may not close (F3 L14, L16)
    assert codes(api.push1(world["c1"], close(rec["id"], 1))) == ["forbidden"]
    assert codes(api.push1(world["s2"], close(rec["id"], 1))) == ["not_found"]  # another team: unseen
    assert codes(api.push1(world["s1"], close(rec["id"], 1, reason="  "))) == ["closure.reason"]
    assert codes(api.push1(world["s1"], close(rec["id"], 1, day="2999-01-01"))) == ["closure.date"]
    assert codes(api.push1(world["s1"], close(rec["id"], 1, action="reopen"))) == ["closure.not_closed"]
    done = api.push1(world["s1"], close(rec["id"], 1, day="2026-03-01"))
    assert done["status"] == "applied", done
    closure = done["record"]["closure"]
    assert closure["state"] == "closed" and closure["day"] == "2026-03-01" and closure["reason"] == "许可证已注销"
    assert closure["by"] == "s1" and done["record"]["version"] == 2
    # read-only for everyone while closed, with its own code
    assert codes(api.push1(world["c1"], save(rec["id"], {"brand_count": 7}, base=2))) == ["closed"]
    assert codes(api.push1(world["s1"], save(rec["id"], {"brand_count": 7}, base=2))) == ["closed"]
    assert codes(api.push1(world["c1"], submit(rec["id"], 2))) == ["closed"]
    assert codes(api.push1(world["c1"], visit(rec["id"]))) == ["closed"]
    assert codes(api.push1(world["s1"], close(rec["id"], 2))) == ["closure.already_closed"]
    # still there: the feed carries it with its closure, to the collector and the manager
    for who in ("c1", "s1"):
        changes, _ = api.pull_all(world[who])
        mine = [c for c in changes if c["record_id"] == rec["id"]]
        assert mine and mine[-1]["record"]["closure"]["state"] == "closed"
    # the version chain keeps the step
    with db.read() as conn:
        kinds = conn.execute(
            select(customer_versions.c.kind).where(customer_versions.c.record_id == rec["id"]).order_by("version")
        ).scalars()
        assert list(kinds) == ["customer.save", "customer.close"]
    # an admin reopens it with a reason; it can be edited again
    again = api.push1(world["admin"], close(rec["id"], 2, action="reopen", reason="复业，重新办证"))
    assert again["status"] == "applied" and again["record"]["closure"]["state"] == "reopened"
    assert api.push1(world["c1"], save(rec["id"], {"brand_count": 7}, base=3))["status"] == "applied"


def test_a_pending_submission_is_decided_before_closing_and_a_closed_outlet_leaves_the_working_figures(api, world, db):
    rec = create(api, world["c1"])
    assert api.push1(world["c1"], submit(rec["id"], 1))["status"] == "applied"
    assert codes(api.push1(world["s1"], close(rec["id"], 2))) == ["closure.pending"]
    assert api.push1(world["s1"], decide(rec["id"], 2, "return", reason="补照片"))["status"] == "applied"
    other = create(api, world["c1"])
    with db.read() as conn:
        s1 = conn.execute(select(users).where(users.c.name == "s1")).one()
        user = User(s1.id, s1.name, s1.display_name, s1.role, s1.supervisor_id, False)
        before = count_customers(conn, user)
    assert api.push1(world["s1"], close(rec["id"], 3))["status"] == "applied"
    with db.read() as conn:
        assert count_customers(conn, user) == before - 1
    assert other["id"] != rec["id"]


def _everything_about(db, rid: str, shas: list[str]) -> dict[str, int]:
    with db.read() as conn:
        return {
            "customers": conn.execute(select(func.count()).where(customers.c.id == rid)).scalar_one(),
            "versions": conn.execute(select(func.count()).where(customer_versions.c.record_id == rid)).scalar_one(),
            "visits": conn.execute(select(func.count()).where(visits.c.customer_id == rid)).scalar_one(),
            "photo_refs": conn.execute(select(func.count()).where(photo_refs.c.record_id == rid)).scalar_one(),
            "photos": conn.execute(select(func.count()).where(photos.c.sha256.in_(shas))).scalar_one(),
            "mutations": conn.execute(select(func.count()).where(mutations.c.result.contains(rid))).scalar_one(),
        }


def test_a_closed_record_past_its_retention_is_destroyed_on_an_admins_approval(api, world, db, settings):
    rec = create(api, world["c1"])
    kept = create(api, world["c1"])  # another customer: untouched
    shop = rec["values"]["shop_name"]
    shas = [h for k in ("photo_storefront", "photo_counter", "photo_owner", "photo_licence") for h in rec["values"][k]]
    vphoto = api.upload(world["c1"], b"visit photo of the closed outlet")
    assert api.push1(world["c1"], visit(rec["id"], [vphoto]))["status"] == "applied"
    assert api.push1(world["s1"], close(rec["id"], 1))["status"] == "applied"
    actor = adm.Actor("admin", "api")
    # kept for the deployment's period: nothing is due yet, and a destruction is refused
    assert adm.retention_due(db, actor, settings) == []
    with pytest.raises(lifecycle.LifecycleError, match="kept until"):
        adm.destroy_records(db, actor, settings, [rec["id"]], "admin", "年度销毁")
    now_due = dataclasses.replace(settings, retention_closed_days=0)
    due = adm.retention_due(db, actor, now_due)
    assert [(d["record_id"], d["class"]) for d in due] == [(rec["id"], "closed")]
    # a person approves: an enabled admin, with a reason; an open record is never destroyed
    with pytest.raises(lifecycle.LifecycleError, match="not an enabled admin"):
        adm.destroy_records(db, actor, now_due, [rec["id"]], "s1", "年度销毁")
    with pytest.raises(lifecycle.LifecycleError, match="say why"):
        adm.destroy_records(db, actor, now_due, [rec["id"]], "admin", " ")
    with pytest.raises(lifecycle.LifecycleError, match="neither closed nor deleted"):
        adm.destroy_records(db, actor, now_due, [rec["id"], kept["id"]], "admin", "年度销毁")
    assert _everything_about(db, rec["id"], [*shas, vphoto])["customers"] == 1  # all or none
    done = adm.destroy_records(db, actor, now_due, [rec["id"]], "admin", "2031 年度销毁决定 第 3 号")
    assert done[0]["removed"]["customers"] == 1 and done[0]["removed"]["photos"] == 5
    assert (done[0]["removed"]["onboarding_cases"], done[0]["removed"]["onboarding_steps"]) == (1, 7)  # issue 17
    assert _everything_about(db, rec["id"], [*shas, vphoto]) == dict.fromkeys(
        ("customers", "versions", "visits", "photo_refs", "photos", "mutations"), 0
    )
    assert _everything_about(db, kept["id"], [])["customers"] == 1
    # what stays: one row without personal values, and the admin log
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(destructions)).all()]
        logged = [dict(r._mapping) for r in conn.execute(select(admin_log)).all()]
    assert len(rows) == 1 and rows[0]["record_id"] == rec["id"] and rows[0]["approved_by"] == "admin"
    assert rows[0]["record_class"] == "closed" and rows[0]["retention_days"] == 0
    text = json.dumps(rows, default=str, ensure_ascii=False) + json.dumps(logged, default=str, ensure_ascii=False)
    for value in (shop, rec["values"]["id_card"], rec["values"]["licence_no"]):
        assert value not in text
    assert any(r["action"] == "retention.destroy" and r["outcome"] == "ok" for r in logged)
    assert any(r["action"] == "retention.destroy" and r["outcome"] == "refused" for r in logged)
    # every client is told to erase it; the record itself is gone from every feed
    for who in ("c1", "s1", "c3"):
        changes, _ = api.pull_all(world[who])
        erased = [c for c in changes if c["record_id"] == rec["id"]]
        assert [c["kind"] for c in erased] == ["erase"] and erased[0]["record"] is None
    assert api.call("GET", f"/records/{rec['id']}", world["admin"]).status_code == 404
    with pytest.raises(lifecycle.LifecycleError, match="no customer"):
        adm.destroy_records(db, actor, now_due, [rec["id"]], "admin", "again")


def test_a_photo_another_customer_shares_is_kept_and_deleted_records_have_their_own_period(api, world, db, settings):
    rec = create(api, world["c1"])
    other = create(
        api, world["c1"], {"shop_name": "同一张门头照", "photo_storefront": rec["values"]["photo_storefront"]}
    )
    gone = api.push1(
        world["c1"], {"mutation_id": mid(), "kind": "customer.delete", "record_id": rec["id"], "base_version": 1}
    )
    assert gone["status"] == "applied"
    actor = adm.Actor("admin", "api")
    assert adm.retention_due(db, actor, dataclasses.replace(settings, retention_closed_days=0)) == []
    now_due = dataclasses.replace(settings, retention_deleted_days=0)
    assert [d["class"] for d in adm.retention_due(db, actor, now_due)] == ["deleted"]
    done = adm.destroy_records(db, actor, now_due, [rec["id"]], "admin", "删除满期")
    assert done[0]["removed"]["photos"] == 3  # the storefront photo is still another customer's
    with db.read() as conn:
        assert (
            conn.execute(
                select(func.count()).where(photos.c.sha256 == rec["values"]["photo_storefront"][0])
            ).scalar_one()
            == 1
        )
    assert api.call("GET", f"/records/{other['id']}", world["c1"]).status_code == 200


def test_the_command_line_lists_what_is_due_and_destroys_it(api, world, db, run, monkeypatch, tmp_path):
    rec = create(api, world["c1"])
    assert api.push1(world["s1"], close(rec["id"], 1))["status"] == "applied"
    code, out, err = run("retention", "due")
    assert code == 0 and out == "" and "0 records" in err
    monkeypatch.setenv("FIELDARCHIVE_RETENTION_CLOSED_DAYS", "0")
    code, out, _err = run("retention", "due")
    assert code == 0 and out.startswith(rec["id"]) and "\tclosed\t" in out
    code, _out, err = run("retention", "destroy", rec["id"], "--by", "admin")
    assert code == 2 and "--reason" in err
    folder = tmp_path / "backups"
    folder.mkdir()
    made, _manifest = backup.backup(db, folder, secrets.token_bytes(32))  # a real one, holding the record
    monkeypatch.setenv("FIELDARCHIVE_BACKUP_FOLDER", str(folder))
    code, out, err = run("retention", "destroy", rec["id"], "--by", "admin", "--reason", "年度销毁")
    assert code == 0 and "1 records destroyed" in err and "1 backups made before still hold them" in err
    assert made.name in err
    code, out, _err = run("retention", "log")
    logged = json.loads(out)[0]
    assert logged["record_id"] == rec["id"]
    assert logged["kept_in_backups"] == [made.name]  # the backups that still hold it, named in its entry
    assert "kept_in_backups" not in logged["removed"]


def test_the_admin_api_lists_what_is_due_and_destroys_it_on_the_calling_admins_approval(api, world, db, settings):
    """``GET /admin/retention/due`` and ``POST /admin/retention/destroy`` (the desktop app's "Due for
    destruction" page): admins only, each call in the admin log, the approver is the caller."""
    rec = create(api, world["c1"])
    assert api.push1(world["s1"], close(rec["id"], 1))["status"] == "applied"
    due = api.call("GET", "/admin/retention/due", world["admin"])
    assert due.status_code == 200 and due.json() == []  # kept for the deployment's period
    api.client.app.state.settings = dataclasses.replace(settings, retention_closed_days=0)
    for who in ("c1", "s1"):
        assert api.call("GET", "/admin/retention/due", world[who]).status_code == 403
        body = {"records": [rec["id"]], "reason": "年度销毁"}
        assert api.call("POST", "/admin/retention/destroy", world[who], json=body).status_code == 403
    due = api.call("GET", "/admin/retention/due", world["admin"]).json()
    assert [(d["record_id"], d["class"], d["retention_days"]) for d in due] == [(rec["id"], "closed", 0)]
    assert due[0]["due_since"] and due[0]["since"]
    # a reason is needed; an unknown record refuses the whole request with a clear message
    r = api.call("POST", "/admin/retention/destroy", world["admin"], json={"records": [rec["id"]], "reason": ""})
    assert r.status_code == 422
    r = api.call("POST", "/admin/retention/destroy", world["admin"], json={"records": ["nope"], "reason": "x"})
    assert r.status_code == 422 and "There is no customer nope" in r.json()["message"]
    r = api.call("POST", "/admin/retention/destroy", world["admin"], json={"records": [rec["id"]], "reason": "第 7 号"})
    assert r.status_code == 200, r.text
    assert r.json()[0]["record_id"] == rec["id"] and r.json()[0]["class"] == "closed"
    assert r.json()[0]["removed"]["customers"] == 1
    with db.read() as conn:
        row = conn.execute(select(destructions)).one()
        logged = [(x.actor, x.action, x.outcome) for x in conn.execute(select(admin_log).order_by(admin_log.c.id))]
    assert row.approved_by == "admin" and row.reason == "第 7 号"
    assert ("admin", "retention.due", "ok") in logged and ("admin", "retention.destroy", "ok") in logged
    assert ("admin", "retention.destroy", "refused") in logged
    assert api.call("GET", "/admin/retention/due", world["admin"]).json() == []

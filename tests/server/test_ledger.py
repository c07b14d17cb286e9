"""The modification ledger (客户信息修改台帐, F3 L440) through the protocol, on SQLite and PostgreSQL: two
teams, a collector's direct change, a change approved by the market manager, a returned one, another
team's, a system change; scope, masking, paging and the summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models.catalogue import load_form
from server.config import CHINA_TZ
from server.db import Database
from server.ledger import mask
from server.system import apply_system_changes
from tests.server.helpers import complete_values, create, decide, save, submit

FORM = load_form()
TODAY = dt.datetime.now(CHINA_TZ).date()
DAY = TODAY.isoformat()


def _approved(api: Any, world: Any, collector: str, supervisor: str, seed: int) -> dict[str, Any]:
    """A customer of ``collector`` approved by ``supervisor`` (its onboarding: not a modification)."""
    rec = create(api, world[collector], complete_values(api, world[collector], seed=seed))
    assert api.push1(world[collector], submit(rec["id"], 1))["record"]["status"] == "pending"
    res = api.push1(world[supervisor], decide(rec["id"], 2))
    assert res["record"]["status"] == "approved", res
    return res["record"]


def _changed(api: Any, token: str, rec: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    res = api.push1(token, save(rec["id"], {k: (rec["values"].get(k), v) for k, v in changes.items()}, rec["version"]))
    assert res["status"] == "applied", res
    return res["record"]


def _ledger(api: Any, token: str, **params: Any) -> Any:
    query = "&".join(f"{k}={v}" for k, v in {"start": DAY, "end": DAY, **params}.items())
    return api.call("GET", f"/reports/ledger?{query}", token)


def _all(api: Any, token: str, **params: Any) -> list[dict[str, Any]]:
    r = _ledger(api, token, **params)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return r.json()["rows"]


def _label(key: str, value: str) -> str:
    return FORM.get(key).choice(value).label("zh_CN")


def test_the_ledger_lists_completed_modifications_once_with_path_and_approver(api, world, db: Database):
    a = _approved(api, world, "c1", "s1", seed=31)
    b = _approved(api, world, "c2", "s1", seed=32)
    d = _approved(api, world, "c3", "s2", seed=33)
    assert _all(api, world["s1"]) == []  # a first approval is onboarding, not a modification

    # 1. c1 changes a field of their own (direct): complete at once, nobody approves
    a = _changed(api, world["c1"], a, {"contact_name": "王小明"})
    # 2. c1 changes the shop name, the owner's ID and the market type (approval fields): a draft until s1 approves
    new_id = complete_values(api, world["c1"], seed=34)["id_card"]
    market = "rural" if a["values"].get("market_type") != "rural" else "urban"
    old = dict(a["values"])
    a = _changed(api, world["c1"], a, {"shop_name": "临时店名", "id_card": new_id, "market_type": market})
    assert a["status"] == "draft"
    a = _changed(api, world["c1"], a, {"shop_name": "新世纪便利店"})  # changed again before submitting: one row
    assert [r["field"] for r in _all(api, world["s1"], collector="c1")] == ["contact_name"]  # the rest waits
    a = api.push1(world["c1"], submit(a["id"], a["version"]))["record"]
    a = api.push1(world["s1"], decide(a["id"], a["version"]))["record"]
    assert a["status"] == "approved"
    # 3. c2's change of the shop name is returned: it is not completed
    b = _changed(api, world["c2"], b, {"shop_name": "被退回的店名"})
    b = api.push1(world["c2"], submit(b["id"], b["version"]))["record"]
    b = api.push1(world["s1"], decide(b["id"], b["version"], "return", "店名与许可证不符", ["shop_name"]))["record"]
    assert b["status"] == "returned"
    # 4. another team's change, approved by s2
    d = _changed(api, world["c3"], d, {"shop_name": "别队的店"})
    d = api.push1(world["c3"], submit(d["id"], d["version"]))["record"]
    assert api.push1(world["s2"], decide(d["id"], d["version"]))["record"]["status"] == "approved"
    # 5. the system classifies A
    db.write(lambda tx: apply_system_changes(tx, {a["id"]: {"classification_code": "ZZ9"}}, "classify", "2026Q3"))

    rows = _all(api, world["s1"])
    got = [(r["code"], r["field"], r["path"], r["changed_by"], r["approved_by"]) for r in rows]
    assert got == [
        (a["code"], "contact_name", "own_save", "c1", None),
        (a["code"], "shop_name", "review", "c1", "s1"),
        (a["code"], "id_card", "review", "c1", "s1"),
        (a["code"], "market_type", "review", "c1", "s1"),
        (a["code"], "classification_code", "system", "system", None),
    ]
    by_field = {r["field"]: r for r in rows}
    shop = by_field["shop_name"]
    assert (shop["old"], shop["new"]) == (old["shop_name"], "新世纪便利店")  # the net change, once
    assert shop["shop_name"] == "新世纪便利店" and shop["collector"] == "c1" and shop["approved_by_name"] == "s1"
    assert shop["field_label_zh"] == "店铺名称" and shop["group"] == "identification"
    assert (by_field["market_type"]["old"], by_field["market_type"]["new"]) == (old["market_type"], market)
    ident = by_field["id_card"]
    assert ident["new"] == new_id[:6] + "********" + new_id[-4:] and ident["old"] == mask(old["id_card"])
    assert by_field["contact_name"]["completed_at"] < shop["completed_at"]
    assert all(r["completed_at"].endswith("Z") for r in rows)
    body = _ledger(api, world["s1"]).json()
    assert body["masked"] is True and [c["name"] for c in body["scope"]["collectors"]] == ["c1", "c2", "s1"]

    # scope: c1 sees their own; c2 nothing (their change was returned); s2 only their team's; admin all, unmasked
    assert [r["field"] for r in _all(api, world["c1"])] == [r["field"] for r in rows]
    assert _all(api, world["c2"]) == []
    assert [(r["code"], r["field"], r["approved_by"]) for r in _all(api, world["s2"])] == [
        (d["code"], "shop_name", "s2")
    ]
    admin = _all(api, world["admin"])
    assert len(admin) == 6 and {r["code"] for r in admin} == {a["code"], d["code"]}
    assert next(r for r in admin if r["field"] == "id_card")["new"] == new_id
    assert _all(api, world["s1"], collector="c2") == []

    # pages of one event each give the same rows
    paged, cursor, pages = [], None, 0
    while True:
        r = _ledger(api, world["s1"], limit=1, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        paged += r.json()["rows"]
        pages += 1
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert paged == rows
    assert pages == 5  # two first approvals (pages without rows), the own save, the approval, the system change

    s = api.call("GET", f"/reports/ledger/summary?start={DAY}&end={DAY}", world["s1"]).json()
    assert s["total"] == 5 and s["customers"] == 1
    assert s["by_path"] == {"own_save": 1, "review": 3, "system": 1}
    assert s["by_collector"] == [
        {"collector": "c1", "display_name": "c1", "count": 5, "by_path": {"own_save": 1, "review": 3, "system": 1}}
    ]
    groups = {g["group"]: g["count"] for g in s["by_group"]}
    assert groups["identification"] == 2 and sum(groups.values()) == 5
    # per owning department (the catalogue's default owners): the shop name is the monopoly office's, the
    # contact and the ID the county's (its collectors collect them), market type and classification 市场部's
    assert s["by_department"] == [
        {"department": "monopoly", "name": "专卖管理所", "count": 1},
        {"department": "county", "name": "县区营销部", "count": 2},
        {"department": "market", "name": "市场部", "count": 2},
    ]

    # an earlier period holds nothing
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    assert _all(api, world["s1"], start=yesterday, end=yesterday) == []


def test_bad_periods_and_filters_are_refused_with_a_clear_message(api, world):
    def refused(token: str, **params: Any) -> dict[str, Any]:
        r = _ledger(api, token, **params)
        assert r.status_code == 422, r.text
        return r.json()

    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    assert "not begun" in refused(world["s1"], start=tomorrow, end=tomorrow)["message"]
    earlier = (TODAY - dt.timedelta(days=3)).isoformat()
    assert "before its start" in refused(world["s1"], end=earlier)["message"]
    assert "YYYY-MM-DD" in refused(world["s1"], start="2026-02-30")["message"]
    assert "c3" in refused(world["s1"], collector="c3")["message"]  # another team's collector
    assert "c2" in refused(world["c1"], collector="c2")["message"]
    assert "cursor" in refused(world["s1"], cursor="nonsense")["message"]
    assert api.call("GET", f"/reports/ledger?start={DAY}&end={DAY}").status_code == 401

"""The outbound feed of approved changes (issue 19): GET /integrations/changes against a real server
process on SQLite and PostgreSQL: approvals, re-approvals, system changes and deletions in commit order,
the integration's territory and fields, the scope, and no change skipped or repeated across pages while
other transactions commit."""

from __future__ import annotations

import threading
import uuid

import httpx
from sqlalchemy import select

from server.accounts import get_user
from server.db import Database
from server.forms import current_form
from server.records import UnitOfWork
from server.schema_integrations import outbound_changes
from server.scope import Directory
from server.system import apply_system_changes
from tests.server.conftest import FAST
from tests.server.helpers import PROTO, Api, add_user, create, decide, delete, demo_values, save, submit

FAST_ENV = {"FIELDARCHIVE_HASH_TIME_COST": "1", "FIELDARCHIVE_HASH_MEMORY_KIB": "1024"}
CRM_FIELDS = ["contact_phone", "customer_code", "shop_name"]


def people(db: Database) -> None:
    for name, role, sup in (
        ("admin", "admin", None),
        ("s1", "supervisor", None),
        ("s2", "supervisor", None),
        ("c1", "collector", "s1"),
        ("c3", "collector", "s2"),
    ):
        add_user(db, FAST, name, role, sup)


def add(run, name: str, *args: str) -> str:
    code, out, err = run("integration", "add", name, *args)
    assert code == 0, err
    return out.strip()


def changes(client: httpx.Client, token: str, cursor: int = 0, limit: int = 100) -> httpx.Response:
    return client.get(
        "/api/v1/integrations/changes",
        params={"cursor": cursor, "limit": limit},
        headers={**PROTO, "Authorization": f"Bearer {token}"},
    )


def read_all(client: httpx.Client, token: str, limit: int = 100, cursor: int = 0) -> tuple[list[dict], int]:
    out: list[dict] = []
    for _ in range(10_000):
        r = changes(client, token, cursor, limit)
        assert r.status_code == 200, r.text
        page = r.json()
        out += page["changes"]
        assert page["cursor"] >= cursor
        cursor = page["cursor"]
        if not page["more"]:
            return out, cursor
    raise AssertionError("the feed did not end")


def approved_customers(db: Database, owner: str, n: int) -> list[str]:
    """``n`` approved customers of ``owner``, written by the server's unit of work as an import of
    existing customers does (each one an ``approved`` change)."""

    def work(tx) -> list[str]:
        user = get_user(tx.conn, owner)
        assert user is not None
        uow = UnitOfWork(tx, user, current_form(tx.conn), Directory.load(tx.conn))
        ids = []
        for values in demo_values(n):
            rec = uow.new_record(str(uuid.uuid4()), user)
            code = f"9{uuid.uuid4().int % 10**11:011d}"
            rec.values = {**values, "customer_code": code}
            rec.status, rec.code, rec.code_official = "approved", code, True
            uow.touch(rec, "import", {}, None)
            ids.append(rec.id)
        uow.flush()
        return ids

    return db.write(work)


def test_approved_changes_in_commit_order_within_territory_and_fields(server_process, db, run):
    people(db)
    server_process.start(env=FAST_ENV)
    crm = add(
        run, "crm", "--department", "营销中心", "--scope", "feed:read", "--team", "s1", "--field", ",".join(CRM_FIELDS)
    )
    v6 = add(run, "v6", "--department", "财务", "--scope", "feed:read")
    gis = add(run, "gis", "--department", "物流", "--scope", "calendar:read")
    # a field that is not in the form is refused, and nothing is added
    code, out, err = run("integration", "add", "bad", "--department", "x", "--scope", "feed:read", "--field", "nope")
    assert code == 2 and "'nope' is not a field of the form" in err and out == ""
    assert run("integration", "show", "bad")[0] == 2

    with httpx.Client(base_url=server_process.url, timeout=60) as client:
        api = Api(client)
        c1, s1, c3, s2 = (api.token(n) for n in ("c1", "s1", "c3", "s2"))
        a = create(api, c1)
        api.push1(c1, submit(a["id"], 1))
        assert changes(client, crm).json()["changes"] == []  # waiting for review: not approved yet
        a = api.push1(s1, decide(a["id"], 2))["record"]
        b = create(api, c3)
        api.push1(c3, submit(b["id"], 1))
        b = api.push1(s2, decide(b["id"], 2))["record"]
        create(api, c1)  # a draft: never in the feed
        old_name = a["values"]["shop_name"]
        # the collector changes a field that needs approval: the approved values stay, nothing is sent
        res = api.push1(c1, save(a["id"], {"shop_name": (old_name, "新名字便民超市")}, base=3))
        assert res["record"]["status"] == "draft"
        page = changes(client, crm).json()
        assert [(c["record_id"], c["kind"], c["version"]) for c in page["changes"]] == [(a["id"], "approved", 3)]
        first = page["changes"][0]
        assert sorted(first["values"]) == CRM_FIELDS and first["values"]["shop_name"] == old_name
        assert first["code"] == a["code"] and first["values"]["customer_code"] == a["code"]
        assert first["changed"] == CRM_FIELDS  # everything is new to a first approval
        api.push1(c1, submit(a["id"], 4))
        api.push1(s1, decide(a["id"], 5))
        # a system change of approved customers (classification) reaches the feed without a review
        scales = {r["id"]: "1" if r["values"].get("business_scale") != "1" else "3" for r in (a, b)}
        db.write(
            lambda tx: apply_system_changes(
                tx, {rid: {"business_scale": v} for rid, v in scales.items()}, "classification", "2026-Q3"
            )
        )
        b_now = api.call("GET", f"/records/{b['id']}", s2).json()
        api.push1(s2, delete(b["id"], b_now["version"]))

        # crm: its territory (s1's team) and its fields only; a change of fields it does not carry is left out
        got, cursor = read_all(client, crm)
        assert [(c["record_id"], c["kind"], c["version"], c["changed"]) for c in got] == [
            (a["id"], "approved", 3, CRM_FIELDS),
            (a["id"], "approved", 6, ["shop_name"]),
        ]
        assert got[1]["values"]["shop_name"] == "新名字便民超市"
        # v6: every customer, every field, in commit order
        everything, top = read_all(client, v6)
        kinds = [(c["record_id"], c["kind"]) for c in everything]
        assert kinds[:3] == [(a["id"], "approved"), (b["id"], "approved"), (a["id"], "approved")]
        assert sorted(kinds[3:5]) == sorted([(a["id"], "changed"), (b["id"], "changed")])  # one transaction
        assert kinds[5] == (b["id"], "deleted")
        seqs = [c["seq"] for c in everything]
        assert seqs == sorted(set(seqs))
        scale = next(c for c in everything[3:5] if c["record_id"] == a["id"])
        assert scale["changed"] == ["business_scale"] and scale["values"]["business_scale"] == scales[a["id"]]
        assert everything[5]["values"] is None and everything[5]["changed"]
        assert "bank_account" in everything[0]["values"]
        # pages of one change: the same changes, none twice; a cursor at the end gives nothing new
        assert read_all(client, v6, limit=1)[0] == everything
        assert read_all(client, v6, cursor=seqs[2])[0] == everything[3:]
        end = changes(client, v6, top).json()
        assert (end["changes"], end["more"], end["cursor"]) == ([], False, top)

        # outside its scope, a person, a cursor from elsewhere, a bad limit
        r = changes(client, gis)
        assert r.status_code == 403 and "feed:read" in r.json()["message"]
        r = changes(client, s1)
        assert r.status_code == 403 and "integration token" in r.json()["message"]
        assert changes(client, v6, top + 1000).status_code == 410
        assert changes(client, v6, 0, 0).status_code == 422
        assert changes(client, v6, 0, 5000).status_code == 422

        # the field list can change: every field again
        assert run("integration", "fields", "crm", "--all-fields")[0] == 0
        assert "bank_account" in read_all(client, crm)[0][0]["values"]
        code, _, err = run("integration", "fields", "crm")
        assert code == 2 and "--field" in err


def test_pages_skip_and_repeat_nothing_while_others_commit(server_process, db, run):
    people(db)
    server_process.start(env=FAST_ENV)
    token = add(run, "crm", "--department", "营销中心", "--scope", "feed:read")
    writers, rounds = 4, 8  # brand counts from 1001: never a demo customer's own (20–159), so each write is a change
    records = [approved_customers(db, "c1", 1)[0] for _ in range(writers)]
    done = threading.Event()
    failures: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for n in range(rounds):
                db.write(
                    lambda tx, n=n: apply_system_changes(
                        tx, {records[i]: {"brand_count": 1000 + 100 * i + n + 1}}, "classification", f"w{i}-{n}"
                    )
                )
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    seen: list[int] = []
    with httpx.Client(base_url=server_process.url, timeout=60) as client:
        cursor = 0
        for t in threads:
            t.start()
        for _ in range(100_000):
            page = changes(client, token, cursor, 2).json()
            seen += [c["seq"] for c in page["changes"]]
            cursor = page["cursor"]
            if done.is_set() and not page["more"]:
                break
            if not any(t.is_alive() for t in threads):
                done.set()  # one more full pass after the last commit
        for t in threads:
            t.join(60)
    assert not failures, failures
    with db.read() as conn:
        stored = [r.seq for r in conn.execute(select(outbound_changes.c.seq).order_by(outbound_changes.c.seq))]
    assert len(stored) == writers * (rounds + 1)
    assert seen == stored  # in order, none skipped, none twice

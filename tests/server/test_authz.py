"""Authorization matrix: every endpoint x role x ownership, including guessed record ids.

The record belongs to c1 (team of s1). Seen from each caller it must exist (and be editable) or
not exist at all; "forbidden" only where the caller may see but not do.
"""

from __future__ import annotations

import uuid

import pytest

from tests.server.helpers import complete_values, create, decide, delete, save, submit, visit

CALLERS = ["c1", "c2", "c3", "s1", "s2", "admin"]
SEES = {"c1", "s1", "admin"}


def fresh(api, world, pending=False):
    rec = create(api, world["c1"], complete_values(api, world["c1"], seed=3))
    if pending:
        rec = api.push1(world["c1"], submit(rec["id"], 1))["record"]
    return rec


def status_of(res):
    return res["status"] if res["status"] != "rejected" else res["errors"][0]["code"]


MUTATIONS = {
    "save": (
        lambda rec: save(rec["id"], {"brand_count": 77}, base=rec["version"]),
        {"c1": "applied", "s1": "applied", "admin": "applied"},
    ),
    "submit": (lambda rec: submit(rec["id"], rec["version"]), {"c1": "applied", "s1": "applied", "admin": "applied"}),
    "delete": (lambda rec: delete(rec["id"], rec["version"]), {"c1": "applied", "s1": "applied", "admin": "applied"}),
    "visit": (lambda rec: visit(rec["id"]), {"c1": "applied", "s1": "applied", "admin": "applied"}),
    "decide": (lambda rec: decide(rec["id"], rec["version"]), {"c1": "forbidden", "s1": "applied", "admin": "applied"}),
}


@pytest.mark.parametrize("op", sorted(MUTATIONS))
def test_push_matrix(api, world, op):
    build, expected = MUTATIONS[op]
    for who in CALLERS:
        rec = fresh(api, world, pending=(op == "decide"))
        res = api.push1(world[who], build(rec))
        assert status_of(res) == expected.get(who, "not_found"), (op, who, res)
        if who not in SEES:
            assert res["record"] is None  # nothing about the record leaks
        guessed = build({"id": str(uuid.uuid4()), "version": 1})
        assert status_of(api.push1(world[who], guessed)) == "not_found", (op, who)


def test_read_matrix(api, world):
    rec = fresh(api, world)
    for who in CALLERS:
        r = api.call("GET", f"/records/{rec['id']}", world[who])
        assert r.status_code == (200 if who in SEES else 404), who
        if who not in SEES:
            assert r.json()["code"] == "not_found"
        assert api.call("GET", f"/records/{uuid.uuid4()}", world[who]).status_code == 404


def test_pull_matrix(api, world):
    rec = fresh(api, world)
    for who in CALLERS:
        changes, _ = api.pull_all(world[who])
        assert (rec["id"] in {c["record_id"] for c in changes}) == (who in SEES), who


def test_photo_matrix(api, world):
    rec = fresh(api, world)
    sha = api.upload(world["c1"], b"storefront " + uuid.uuid4().bytes)
    assert api.push1(world["c1"], save(rec["id"], {"photo_storefront": [sha]}, base=1))["status"] == "applied"
    for who in CALLERS:
        r = api.call("GET", f"/photos/{sha}", world[who])
        assert r.status_code == (200 if who in SEES else 404), who
    assert api.call("GET", f"/photos/{'c' * 64}", world["admin"]).status_code == 404


def test_photo_status_and_reference_matrix(api, world):
    """Only the uploader learns that the photo is there; those who see c1's customer may put its photo
    on another customer of theirs, the others are rejected with photo.forbidden on the field."""
    rec = fresh(api, world)
    sha = api.upload(world["c1"], b"counter " + uuid.uuid4().bytes)
    assert api.push1(world["c1"], save(rec["id"], {"photo_storefront": [sha]}, base=1))["status"] == "applied"
    for who in CALLERS:
        status = api.call("GET", f"/photos/{sha}/status", world[who]).json()
        assert status["complete"] is (who == "c1"), who
        own = create(api, world[who], {"shop_name": f"shop of {who}"})
        res = api.push1(world[who], save(own["id"], {"photo_counter": [sha]}, base=1))
        assert status_of(res) == ("applied" if who in SEES else "photo.forbidden"), who


def test_every_endpoint_needs_a_token(api, world):
    sha = "d" * 64
    calls = [
        ("GET", "/me"),
        ("POST", "/auth/logout"),
        ("POST", "/sync/push"),
        ("GET", "/sync/pull"),
        ("GET", f"/records/{uuid.uuid4()}"),
        ("GET", f"/photos/{sha}/status"),
        ("GET", f"/photos/{sha}"),
        ("PATCH", f"/photos/{sha}"),
        ("POST", "/audit"),
    ]
    for method, path in calls:
        kw = (
            {"json": {"mutations": []}}
            if path == "/sync/push"
            else {"json": {"entries": []}}
            if path == "/audit"
            else {}
        )
        if method == "PATCH":
            kw = {"content": b"x", "headers": {"Upload-Offset": "0", "Upload-Length": "1"}}
        r = api.call(method, path, **kw)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized", (method, path, r.text)


def test_audit_upload_matrix(api, world):
    """Everyone uploads the trail of the device they signed in from, and no other device's."""
    from tests.server.test_audit import chain

    for who in CALLERS:
        token = api.token(who, device=f"laptop-{who}")
        assert (
            api.call("POST", "/audit", token, json={"entries": chain(f"laptop-{who}", 2, actor=who)}).status_code == 200
        ), who
        for other in CALLERS:
            if other != who:
                r = api.call("POST", "/audit", token, json={"entries": chain(f"laptop-{other}", 3, actor=who)})
                assert r.status_code == 422 and r.json()["fields"][0]["field"] == "entries[0].device", (who, other)

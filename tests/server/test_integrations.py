"""Integrations (machine accounts, issue 19): tokens shown once and stored hashed, scopes, territory,
routes for people refused, rotation with a grace period, revocation, expiry, the call audit and the
rate limit, against a real server process on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select, update

from server import integrations
from server.errors import ApiError
from server.integrations import Machine, RateLimiter
from server.schema_integrations import integration_calls, integration_tokens
from server.schema_integrations import integrations as integrations_table
from tests.server.conftest import FAST
from tests.server.helpers import Api, add_user, create

FAST_ENV = {"FIELDARCHIVE_HASH_TIME_COST": "1", "FIELDARCHIVE_HASH_MEMORY_KIB": "1024"}


def _people(db):
    for name, role, sup in (("s1", "supervisor", None), ("s2", "supervisor", None), ("c1", "collector", "s1")):
        add_user(db, FAST, name, role, sup)
    add_user(db, FAST, "c3", "collector", "s2")


def _add(run, name, *args):
    code, out, err = run("integration", "add", name, *args)
    assert code == 0, err
    token = out.strip()
    assert token.startswith("fa_") and len(out.strip().splitlines()) == 1
    return token


def _calls(db, name):
    with db.read() as conn:
        return conn.execute(
            select(integration_calls)
            .where(integration_calls.c.integration_name == name)
            .order_by(integration_calls.c.id)
        ).all()


def test_scopes_territory_people_only_routes_and_audit(server_process, db, run):
    _people(db)
    server_process.start(env=FAST_ENV)
    with httpx.Client(base_url=server_process.url, timeout=30) as client:
        api = Api(client)
        mine = create(api, api.token("c1"))  # team s1
        other = create(api, api.token("c3"))  # team s2
        token = _add(run, "crm", "--department", "销售部", "--scope", "records:read,calendar:read", "--team", "s1")

        # shown once, stored hashed: the secret is nowhere in the database, its SHA-256 is
        _, token_id, secret = token.split("_")
        with db.read() as conn:
            row = conn.execute(select(integration_tokens)).one()
            stored = [
                str(v)
                for t in (integration_tokens, integrations_table)
                for r in conn.execute(select(t)).all()
                for v in r
            ]
        assert row.token_id == token_id and row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert not any(secret in v for v in stored)
        shown = run("integration", "show", "crm")[1]
        assert secret not in shown and token_id in shown and "销售部" in shown

        # its scopes, within its territory
        assert api.call("GET", f"/records/{mine['id']}", token).json()["id"] == mine["id"]
        assert api.call("GET", f"/records/{mine['id']}/credit", token).status_code == 200
        assert api.call("GET", f"/records/{other['id']}", token).status_code == 404  # outside: does not exist
        assert api.call("GET", "/calendar", token).status_code == 200
        # outside its scopes: 403 naming the scope
        r = api.call("POST", "/purchases", token, content=b"PK")
        assert r.status_code == 403 and "purchases:write" in r.json()["message"]
        assert r.json()["fields"][0]["message"] == "purchases:write"
        # routes for people refuse it clearly, whatever the scopes
        for method, path in (("GET", "/me"), ("GET", "/sync/pull"), ("POST", "/auth/logout")):
            r = api.call(method, path, token)
            assert r.status_code == 403 and "for people" in r.json()["message"], (path, r.text)
        r = api.call("POST", "/sync/push", token, json={"mutations": []})
        assert r.status_code == 403

        # forged or garbled: 401, one message, nothing audited
        forged_secret = token[:-1] + ("0" if token[-1] != "0" else "1")
        unknown_id = f"fa_{'0' * 16}_{secret}"
        for bad in (forged_secret, unknown_id, "fa_garbage", "fa_" + "x" * 90, token + "0"):
            r = api.call("GET", "/calendar", bad)
            assert r.status_code == 401 and r.json()["message"] == integrations.INVALID, bad
        # a person's access token still works on the shared routes
        assert api.call("GET", f"/records/{mine['id']}", api.token("s1")).status_code == 200

    calls = _calls(db, "crm")
    assert [(c.method, c.path.rsplit("/", 1)[-1], c.status) for c in calls] == [
        ("GET", mine["id"], 200),
        ("GET", "credit", 200),
        ("GET", other["id"], 404),
        ("GET", "calendar", 200),
        ("POST", "purchases", 403),
        ("GET", "me", 403),
        ("GET", "pull", 403),
        ("POST", "logout", 403),
        ("POST", "push", 403),
    ]
    assert {c.token_id for c in calls} == {token_id}


def test_rotate_with_grace_revoke_and_expiry(server_process, db, run):
    _people(db)
    server_process.start(env={**FAST_ENV, "FIELDARCHIVE_INTEGRATION_TOKEN_DAYS": "30"})
    with httpx.Client(base_url=server_process.url, timeout=30) as client:
        api = Api(client)
        first = _add(run, "gis", "--department", "物流", "--scope", "calendar:read")
        assert api.call("GET", "/calendar", first).status_code == 200
        code, out, _ = run("integration", "rotate", "gis", "--grace", "3600")
        second = out.strip()
        assert code == 0 and second.startswith("fa_") and second != first
        assert api.call("GET", "/calendar", first).status_code == 200  # within its grace period
        assert api.call("GET", "/calendar", second).status_code == 200
        third = run("integration", "rotate", "gis")[1].strip()  # default grace 0: the older ones end now
        for old in (first, second):
            r = api.call("GET", "/calendar", old)
            assert r.status_code == 401 and "replaced" in r.json()["message"]
        assert api.call("GET", "/calendar", third).status_code == 200

        # older than the deployment's integration_token_days: expired
        db.write(
            lambda tx: tx.conn.execute(
                update(integration_tokens)
                .where(integration_tokens.c.token_id == third.split("_")[1])
                .values(created_at=time.time() - 31 * 86400)
            )
        )
        r = api.call("GET", "/calendar", third)
        assert r.status_code == 401 and "expired" in r.json()["message"]

        fourth = _add(run, "crm", "--department", "营销", "--scope", "calendar:read")
        assert api.call("GET", "/calendar", fourth).status_code == 200
        assert run("integration", "revoke", "crm")[0] == 0
        r = api.call("GET", "/calendar", fourth)
        assert r.status_code == 401 and "revoked" in r.json()["message"]
        assert run("integration", "rotate", "crm")[0] == 2  # a revoked integration gets no new token
    listed = run("integration", "list")[1]
    assert '"revoked": true' in listed and "fa_" not in listed


def test_rate_limit_answers_429_with_retry_after_under_concurrent_calls(server_process, db, run):
    server_process.start(env=FAST_ENV)
    token = _add(run, "bulk", "--department", "信息中心", "--scope", "calendar:read", "--rate", "1", "--burst", "3")
    with httpx.Client(base_url=server_process.url, timeout=30) as client:
        api = Api(client)
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: api.call("GET", "/calendar", token), range(12)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] * 3 + [429] * 9  # the burst, then one a minute
    for r in answers:
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1 and r.json()["code"] == "rate_limited"
    assert sorted(c.status for c in _calls(db, "bulk")) == statuses  # refused calls are audited too


def test_every_secret_is_compared_in_constant_time(db, settings, monkeypatch):
    """Garbled, unknown id, wrong secret: each is hashed and compared once with hmac.compare_digest."""
    token = db.write(lambda tx: integrations.add_integration(tx, "erp", "财务", ["records:read"]))[1]
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def counting(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(integrations.hmac, "compare_digest", counting)
    _, token_id, secret = token.split("_")
    for bad in ("fa_short", f"fa_{'f' * 16}_{secret}", f"fa_{token_id}_{'0' * 64}", "fa_\ud800"):
        with pytest.raises(ApiError) as exc:
            integrations.authenticate(db, settings, bad)
        assert exc.value.status == 401 and exc.value.message == integrations.INVALID
    assert len(compared) == 4 and all(len(a) == len(b) == 64 for a, b in compared)
    assert integrations.authenticate(db, settings, token).name == "erp"


def test_token_bucket_refills_at_its_rate():
    m = Machine(1, "x", "d", frozenset(), None, "t", rate_per_minute=60, burst=2)
    bucket = RateLimiter()
    assert bucket.take(m, now=100.0) == 0 and bucket.take(m, now=100.0) == 0
    assert bucket.take(m, now=100.0) == pytest.approx(1.0)
    assert bucket.take(m, now=100.5) == pytest.approx(0.5)
    assert bucket.take(m, now=101.0) == 0


def test_bad_arguments_are_one_line_refusals(run, db):
    _people(db)
    assert run("integration", "add", "x", "--department", "d", "--scope", "nope:read")[0] == 2
    assert run("integration", "add", "x", "--department", "d")[0] == 2  # no scope
    assert run("integration", "add", "x", "--department", "d", "--scope", "records:read", "--team", "c1")[0] == 2
    assert run("integration", "add", "bad name", "--department", "d", "--scope", "records:read")[0] == 2
    assert run("integration", "rotate", "ghost")[0] == 2
    _add(run, "x", "--department", "d", "--scope", "records:read", "--team", "s1", "--team", "s2")
    assert run("integration", "add", "x", "--department", "d", "--scope", "records:read")[0] == 2


def test_a_distribution_system_sends_purchase_figures_for_its_territory(run, db, tmp_path, api, world):
    from tests.server.test_classify import HEADER, XLSX, seed, sheet

    seed(run, tmp_path, [("610102000001", "grocery", "urban")], owner="c1")  # team of s1
    f = tmp_path / "p.xlsx"
    sheet(f, HEADER, [("610102000001", "2026-07", 12, 345.6)])
    ours = _add(run, "dist-s1", "--department", "配送中心", "--scope", "purchases:write", "--team", "s1")
    theirs = _add(run, "dist-s2", "--department", "配送中心", "--scope", "purchases:write", "--team", "s2")

    def post(token):
        return api.call("POST", "/purchases", token, content=f.read_bytes(), headers={"Content-Type": XLSX})

    r = post(ours)
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 1, "replaced": 0, "periods": ["2026-07"], "figures_updated": 1}
    r = post(theirs)  # outside its territory the code is unknown
    assert r.status_code == 422 and "no customer has the code 610102000001" in r.json()["fields"][0]["message"]
    assert [c.status for c in _calls(db, "dist-s1")] == [200] and [c.status for c in _calls(db, "dist-s2")] == [422]

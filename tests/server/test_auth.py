"""Accounts and tokens: login, rotation with reuse detection, revocation and disabled users take
effect at once, throttling and locking that never reveal whether a user exists."""

from __future__ import annotations

import time

from sqlalchemy import update

from app.models.catalogue import load_form
from server import accounts
from server.schema import access_tokens
from tests.server.helpers import PASSWORD, add_user


def test_login_returns_user_and_tokens(api, world):
    r = api.login("c1", device="laptop-9")
    assert r.status_code == 200
    body = r.json()
    assert body["user"] == {"name": "c1", "display_name": "c1", "role": "collector", "supervisor": "s1"}
    assert body["access_expires_in"] == 900 and body["access_token"] != body["refresh_token"]
    me = api.call("GET", "/me", body["access_token"])
    assert me.status_code == 200 and me.json()["name"] == "c1"


def test_tokens_are_stored_hashed(api, world, db):
    body = api.login("c2").json()
    with db.read() as conn:
        stored = {r[0] for r in conn.execute(access_tokens.select().with_only_columns(access_tokens.c.token_hash))}
    assert body["access_token"] not in stored
    assert accounts.token_hash(body["access_token"]) in stored


def test_refresh_rotates_and_reuse_revokes_the_device(api, world):
    first = api.login("c1", device="d-rot").json()
    second = api.call("POST", "/auth/refresh", json={"refresh_token": first["refresh_token"], "device_id": "d-rot"})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api.call("GET", "/me", second["access_token"]).status_code == 200
    # the old refresh token is presented again: someone else has a copy -> the device is revoked
    reuse = api.call("POST", "/auth/refresh", json={"refresh_token": first["refresh_token"], "device_id": "d-rot"})
    assert reuse.status_code == 401 and reuse.json()["code"] == "unauthorized"
    assert api.call("GET", "/me", second["access_token"]).status_code == 401
    again = api.call("POST", "/auth/refresh", json={"refresh_token": second["refresh_token"], "device_id": "d-rot"})
    assert again.status_code == 401
    # another device of the same user is untouched
    assert api.call("GET", "/me", world["c1"]).status_code == 200


def test_refresh_for_another_device_is_refused(api, world):
    body = api.login("c1", device="d-a").json()
    r = api.call("POST", "/auth/refresh", json={"refresh_token": body["refresh_token"], "device_id": "d-b"})
    assert r.status_code == 401


def test_logout_revokes_the_calling_device(api, world):
    token = api.token("c2", device="d-out")
    assert api.call("POST", "/auth/logout", token).json() == {"ok": True}
    assert api.call("GET", "/me", token).status_code == 401
    assert api.call("GET", "/me", world["c2"]).status_code == 200


def test_disabled_user_and_revoked_device_are_refused_at_once(api, world, db):
    db.write(lambda tx: accounts.revoke_device(tx, "c3", "dev-c3"))
    assert api.call("GET", "/me", world["c3"]).status_code == 401
    db.write(lambda tx: accounts.set_disabled(tx, "c2"))
    r = api.call("GET", "/sync/pull", world["c2"])
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert api.login("c2").status_code == 401


def test_expired_access_token_is_refused(api, world, db):
    db.write(lambda tx: tx.conn.execute(update(access_tokens).values(expires_at=time.time() - 1)))
    r = api.call("GET", "/me", world["c1"])
    assert r.status_code == 401
    assert api.call("GET", "/me").json()["code"] == "unauthorized"
    assert api.call("GET", "/me", "not-a-token").status_code == 401


def test_failed_logins_never_reveal_the_user_and_lock_the_name(api, world):
    wrong = api.login("c1", password="wrong-password")
    unknown = api.login("nobody", password="wrong-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    for _ in range(4):
        assert api.login("c1", password="wrong-password").status_code == 401
    locked = api.login("c1")  # the right password, but the name is locked after 5 failures
    assert locked.status_code == 423 and locked.json()["code"] == "locked"
    for _ in range(4):
        api.login("nobody", password="x")
    assert api.login("nobody", password="x").status_code == 423  # unknown names lock the same way
    assert api.login("c2").status_code == 200


def test_failures_slow_down(api, db):
    from server.config import Settings

    slow = Settings(failure_delay=0.2, failure_delay_cap=0.3, hash_time_cost=1, hash_memory_kib=1024)
    api.client.app.state.settings = slow
    add_user(db, slow, "slowpoke", "collector")
    add_user(db, slow, "warm", "collector")
    assert api.login("warm").status_code == 200  # one-off costs of the first request are not the first failure's
    t0 = time.monotonic()
    api.login("slowpoke", password="bad-1")
    first = time.monotonic() - t0
    t0 = time.monotonic()
    api.login("slowpoke", password="bad-2")
    api.login("slowpoke", password="bad-3")
    later = time.monotonic() - t0
    assert later >= 0.2 + 0.3 - 0.01 and first < later
    assert api.login("slowpoke", password=PASSWORD).status_code == 200


def test_password_change_logs_out_everywhere(api, world, db, settings):
    db.write(lambda tx: accounts.set_password(tx, settings, "s2", "another-pass-1"))
    assert api.call("GET", "/me", world["s2"]).status_code == 401
    assert api.login("s2").status_code == 401
    assert api.login("s2", password="another-pass-1").status_code == 200


def test_protocol_header_is_required(api, world):
    r = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {world['c1']}"})
    assert r.status_code == 426 and r.json()["code"] == "client_too_old"
    r = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {world['c1']}", "X-FieldArchive-Protocol": "0"})
    assert r.status_code == 426
    info = api.client.get("/api/v1/info").json()
    assert info["protocol"] == 1 and info["min_protocol"] == 1 and info["form_version"] == load_form().version


def _budget_rows(db):
    from server.schema import login_budgets

    with db.read() as conn:
        return conn.execute(login_budgets.select()).all()


def test_a_locked_name_answers_the_same_for_any_password_and_verifies_nothing(api, world, monkeypatch):
    from server import auth

    calls = []
    real = auth._verify
    monkeypatch.setattr(auth, "_verify", lambda h, p: calls.append(p) or real(h, p))  # counts, still verifies
    for i in range(5):
        assert api.login("s1", password=f"wrong-{i}", device="stranger").status_code == 401
    assert len(calls) == 5
    answers = [api.login("s1", password=p, device="stranger") for p in (PASSWORD, "wrong-9", "x")]
    assert len(calls) == 5  # nothing verified while the name waits
    assert {a.status_code for a in answers} == {423}
    assert len({a.text for a in answers}) == 1 and len({a.headers["Retry-After"] for a in answers}) == 1
    assert int(answers[0].headers["Retry-After"]) > 0


def test_delays_double_up_to_the_cap_and_budgets_are_forgotten_then_purged(api, db):
    from server import auth
    from server.config import Settings
    from server.schema import login_budgets

    s = Settings(
        max_failures=2,
        lock_base=10,
        lock_seconds=35,
        failure_window=60,
        failure_delay=0,
        hash_time_cost=1,
        hash_memory_kib=1024,
    )
    api.client.app.state.settings = s
    add_user(db, s, "dora", "collector")

    def wait_over() -> None:  # the delay has passed (instead of sleeping through it)
        db.write(lambda tx: tx.conn.execute(update(login_budgets).values(next_at=time.time() - 0.01)))

    assert [api.login("dora", password="bad").status_code for _ in range(2)] == [401, 401]
    waits = []
    for _ in range(3):
        r = api.login("dora", password=PASSWORD)
        assert r.status_code == 423
        waits.append(int(r.headers["Retry-After"]))
        wait_over()
        assert api.login("dora", password="bad").status_code == 401
    assert waits == [10, 20, 35]  # 10, then doubled, then capped at lock_seconds
    # the window passes: the budget starts again and the right password works at once
    db.write(
        lambda tx: tx.conn.execute(update(login_budgets).values(next_at=time.time() - 100, expires_at=time.time() - 1))
    )
    assert len(_budget_rows(db)) == 2  # the name's and the address's
    assert auth.purge_logins(db, s) == 2 and _budget_rows(db) == []
    assert api.login("dora", password=PASSWORD).status_code == 200


def test_reenabling_a_user_does_not_bring_back_old_sessions(api, world, db):
    stolen = api.login("c2", device="stolen-laptop").json()
    db.write(lambda tx: accounts.set_disabled(tx, "c2", True))
    db.write(lambda tx: accounts.set_disabled(tx, "c2", False))
    assert api.call("GET", "/me", stolen["access_token"]).status_code == 401
    r = api.call("POST", "/auth/refresh", json={"refresh_token": stolen["refresh_token"], "device_id": "stolen-laptop"})
    assert r.status_code == 401
    assert api.call("GET", "/me", world["c2"]).status_code == 401  # every device of the user
    assert api.login("c2", device="new-laptop").status_code == 200  # the password still works


def test_login_names_that_cannot_be_stored_are_refused_clearly(api, world):
    body = b'{"username": "s1\\ud800", "password": "x", "device_id": "d", "device_name": "n"}'
    r = api.call("POST", "/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "username"
    body = b'{"username": "s1", "password": "x", "device_id": "d\\udc00", "device_name": "n"}'
    r = api.call("POST", "/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "device_id"


def test_settings_come_from_the_environment():
    import pytest

    from server.config import Settings

    s = Settings.from_env(
        {
            "FIELDARCHIVE_MAX_FAILURES": "8",
            "FIELDARCHIVE_LOCK_BASE": "2.5",
            "FIELDARCHIVE_HASH_CONCURRENCY": " 3 ",
            "FIELDARCHIVE_TRUST_SECONDS": "",
        }
    )
    assert (s.max_failures, s.lock_base, s.hash_concurrency, s.trust_seconds) == (8, 2.5, 3, Settings().trust_seconds)
    assert Settings.from_env({}) == Settings()
    with pytest.raises(ValueError, match="FIELDARCHIVE_MAX_FAILURES"):
        Settings.from_env({"FIELDARCHIVE_MAX_FAILURES": "five"})
    with pytest.raises(ValueError, match="at least"):
        Settings.from_env({"FIELDARCHIVE_HASH_CONCURRENCY": "0"})
    with pytest.raises(ValueError, match="finite"):
        Settings.from_env({"FIELDARCHIVE_LOCK_BASE": "nan"})

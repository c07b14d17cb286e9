"""Test helpers: a thin protocol client over any httpx-style client, users, and mutation builders; the people
of the case tests (``people``: a team, two counties' 营销部 and the city's departments) and their sign-ins
(``logins``)."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.models import times
from app.models.wire import PROTOCOL_HEADER
from app.services.demo import generate
from server import accounts
from server.config import Settings
from server.db import Database

PROTO = {PROTOCOL_HEADER: "1"}
PASSWORD = "pass-word-123"
TODAY = times.today()


def mid() -> str:
    return str(uuid.uuid4())


def demo_values(n: int = 1, seed: int | None = None) -> list[dict[str, Any]]:
    """Realistic customers (app.services.demo), complete enough to validate without errors."""
    return list(generate(n, seed=seed if seed is not None else random.randrange(1 << 30), today=TODAY))


def complete_values(api: Api, token: str, seed: int | None = None) -> dict[str, Any]:
    """A customer with every mandatory field a person keeps (what approval needs): demo values and the
    required photos, uploaded from ``token``'s account."""
    values = next(generate(1, seed=seed if seed is not None else random.randrange(1 << 30), today=TODAY, complete=True))
    for key in ("photo_storefront", "photo_counter", "photo_owner", "photo_licence"):
        values[key] = [api.upload(token, f"{key} ".encode() + uuid.uuid4().bytes)]
    return values


def save(record_id: str, changes: dict[str, Any], base: int = 0, **extra: Any) -> dict[str, Any]:
    """A customer.save; ``changes`` maps field -> new value, or -> (old, new)."""
    ch = {
        k: ({"old": v[0], "new": v[1]} if isinstance(v, tuple) else {"old": None, "new": v}) for k, v in changes.items()
    }
    return {
        "mutation_id": mid(),
        "kind": "customer.save",
        "record_id": record_id,
        "base_version": base,
        "form_version": 1,
        "changes": ch,
        **extra,
    }


def submit(record_id: str, base: int, note: str = "") -> dict[str, Any]:
    return {"mutation_id": mid(), "kind": "customer.submit", "record_id": record_id, "base_version": base, "note": note}


def decide(
    record_id: str, base: int, action: str = "approve", reason: str = "", fields: list[str] | None = None
) -> dict[str, Any]:
    return {
        "mutation_id": mid(),
        "kind": "review.decide",
        "record_id": record_id,
        "base_version": base,
        "decision": {"action": action, "reason": reason, "fields": fields or []},
    }


def delete(record_id: str, base: int) -> dict[str, Any]:
    return {"mutation_id": mid(), "kind": "customer.delete", "record_id": record_id, "base_version": base}


def visit(record_id: str, photos: list[str] | None = None, day: str | None = None) -> dict[str, Any]:
    return {
        "mutation_id": mid(),
        "kind": "visit.create",
        "record_id": record_id,
        "base_version": 0,
        "visit": {
            "id": str(uuid.uuid4()),
            "visited_on": day or TODAY.isoformat(),
            "purpose": "routine",
            "notes": "ok",
            "photos": photos or [],
        },
    }


class Api:
    """Protocol calls over a TestClient or an httpx.Client; every request carries the protocol header."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {**PROTO, **kw.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, "/api/v1" + path, headers=headers, **kw)

    def login(self, name: str, password: str = PASSWORD, device: str | None = None) -> Any:
        """Sign in from ``device`` (default ``dev-<name>``: a device id belongs to one account)."""
        return self.call(
            "POST",
            "/auth/login",
            json={
                "username": name,
                "password": password,
                "device_id": device or f"dev-{name}",
                "device_name": "laptop",
            },
        )

    def token(self, name: str, device: str | None = None) -> str:
        r = self.login(name, device=device)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def push(self, token: str, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.call("POST", "/sync/push", token, json={"mutations": list(mutations)})
        assert r.status_code == 200, r.text
        return r.json()["results"]

    def push1(self, token: str, mutation: dict[str, Any]) -> dict[str, Any]:
        return self.push(token, mutation)[0]

    def pull(self, token: str, cursor: int = 0, limit: int = 1000) -> dict[str, Any]:
        r = self.call("GET", f"/sync/pull?cursor={cursor}&limit={limit}", token)
        assert r.status_code == 200, r.text
        return r.json()

    def pull_all(self, token: str, cursor: int = 0, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
        changes: list[dict[str, Any]] = []
        for _ in range(10_000):
            page = self.pull(token, cursor, limit)
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["more"]:
                return changes, cursor
        raise AssertionError("the feed did not end")

    def upload(self, token: str, data: bytes, chunk: int = 256 * 1024) -> str:
        sha = hashlib.sha256(data).hexdigest()
        for off in range(0, len(data), chunk):
            r = self.call(
                "PATCH",
                f"/photos/{sha}",
                token,
                content=data[off : off + chunk],
                headers={
                    "Upload-Offset": str(off),
                    "Upload-Length": str(len(data)),
                    "Content-Type": "application/offset+octet-stream",
                },
            )
            assert r.status_code == 200, r.text
        return sha


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.tokens[name]


TEAM = [
    ("admin", "admin", None),
    ("s1", "supervisor", None),
    ("s2", "supervisor", None),
    ("c1", "collector", "s1"),
    ("c2", "collector", "s1"),
    ("c3", "collector", "s2"),
]


def add_user(db: Database, settings: Settings, name: str, role: str, supervisor: str | None = None) -> None:
    db.write(lambda tx: accounts.add_user(tx, settings, name, role, PASSWORD, supervisor=supervisor))


def make_world(db: Database, api: Api, settings: Settings) -> World:
    w = World()
    for name, role, sup in TEAM:
        add_user(db, settings, name, role, sup)
        w.tokens[name] = api.token(name)
    return w


def create(api: Api, token: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new customer with realistic values, complete enough to be approved; returns its record."""
    rid = str(uuid.uuid4())
    res = api.push1(token, save(rid, values if values is not None else complete_values(api, token)))
    assert res["status"] == "applied", res
    return res["record"]


DEPARTMENTS = {"mono": "monopoly", "cty": "county", "cty2": "county", "mkt": "market", "dlv": "delivery"}
DEPARTMENTS["sal"] = "sales"


def people(run: Any) -> None:
    """s1 leads c1 in team 'Team 1' of county 'Xincheng'; cty works for Xincheng's 营销部, cty2 for another
    county's; the city's departments (monopoly, market, delivery, sales) are placed at no node."""
    assert run("user", "add", "s1", "--role", "supervisor")[0] == 0
    assert run("user", "add", "c1", "--role", "collector", "--supervisor", "s1")[0] == 0
    assert run("user", "add", "c3", "--role", "collector")[0] == 0
    for name in DEPARTMENTS:
        assert run("user", "add", name, "--role", "collector")[0] == 0
    city = run("territory", "add", "西安市", "--level", "city")[1].strip()
    county = run("territory", "add", "新城区", "--level", "county", "--parent", city)[1].strip()
    other = run("territory", "add", "碑林区", "--level", "county", "--parent", city)[1].strip()
    team = run("territory", "add", "一组", "--level", "team", "--parent", county, "--supervisor", "s1")[1].strip()
    assert run("place", "c1", "--node", team)[0] == 0
    for name, dep in DEPARTMENTS.items():
        node = {"cty": county, "cty2": other}.get(name)
        assert run("place", name, "--department", dep, *(["--node", node] if node else []))[0] == 0


def logins(client: Any) -> Callable[[str], dict[str, str]]:
    """``as_(name)``: the bearer header of ``name`` signed in on ``client`` (a real server's API) with PASSWORD
    from its own device, signed in once and kept."""
    tokens: dict[str, dict[str, str]] = {}

    def as_(name: str) -> dict[str, str]:
        if name not in tokens:
            body = {"username": name, "password": PASSWORD, "device_id": f"pc-{name}", "device_name": "pc"}
            r = client.post("/auth/login", json=body)
            assert r.status_code == 200, r.text
            tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return tokens[name]

    return as_

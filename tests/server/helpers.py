"""Test helpers: a thin protocol client over any httpx-style client, users, and mutation builders."""

from __future__ import annotations

import hashlib
import random
import uuid
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

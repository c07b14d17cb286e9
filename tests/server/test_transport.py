"""Transport: gzip both ways, size limits (also for gzip bombs), and the one JSON error shape for
every kind of bad request, never a 5xx."""

from __future__ import annotations

import gzip
import json
import uuid

from tests.server.helpers import PROTO, demo_values, save


def headers(token, **extra):
    return {**PROTO, "Authorization": f"Bearer {token}", "Content-Type": "application/json", **extra}


def is_error_shape(body, code):
    return body["code"] == code and isinstance(body["message"], str) and isinstance(body["fields"], list)


def test_gzip_request_and_response(api, world):
    body = json.dumps({"mutations": [save(str(uuid.uuid4()), v) for v in demo_values(50)]}).encode()
    r = api.client.post(
        "/api/v1/sync/push",
        content=gzip.compress(body),
        headers=headers(world["c1"], **{"Content-Encoding": "gzip", "Accept-Encoding": "gzip"}),
    )
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert len(r.json()["results"]) == 50 and {x["status"] for x in r.json()["results"]} == {"applied"}


def test_gzip_bomb_is_413_not_a_memory_blowup(api, world):
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]")
    assert len(bomb) < 1024 * 1024
    r = api.client.post("/api/v1/sync/push", content=bomb, headers=headers(world["c1"], **{"Content-Encoding": "gzip"}))
    assert r.status_code == 413 and is_error_shape(r.json(), "too_large")


def test_bad_gzip_and_unknown_encoding(api, world):
    r = api.client.post(
        "/api/v1/sync/push", content=b"not gzip", headers=headers(world["c1"], **{"Content-Encoding": "gzip"})
    )
    assert r.status_code == 400 and is_error_shape(r.json(), "bad_request")
    trunc = gzip.compress(b'{"mutations": []}')[:-6]
    r = api.client.post(
        "/api/v1/sync/push", content=trunc, headers=headers(world["c1"], **{"Content-Encoding": "gzip"})
    )
    assert r.status_code == 400
    r = api.client.post("/api/v1/sync/push", content=b"{}", headers=headers(world["c1"], **{"Content-Encoding": "br"}))
    assert r.status_code == 415 and is_error_shape(r.json(), "bad_request")


def test_oversized_body_is_413(api, world):
    r = api.client.post("/api/v1/sync/push", content=b"x" * (8 * 1024 * 1024 + 1), headers=headers(world["c1"]))
    assert r.status_code == 413 and is_error_shape(r.json(), "too_large")


def test_bad_json_and_bad_shapes_are_4xx_with_fields(api, world):
    r = api.client.post("/api/v1/sync/push", content=b"{not json", headers=headers(world["c1"]))
    assert r.status_code == 400 and is_error_shape(r.json(), "bad_request")
    r = api.call("POST", "/sync/push", world["c1"], json={"mutations": [{"mutation_id": "x", "kind": "nope"}]})
    assert r.status_code == 422 and is_error_shape(r.json(), "validation")
    fields = {f["field"] for f in r.json()["fields"]}
    assert {"mutations.0.kind", "mutations.0.record_id", "mutations.0.base_version"} <= fields
    too_many = [save(str(uuid.uuid4()), {"shop_name": "x"}) for _ in range(201)]
    assert api.call("POST", "/sync/push", world["c1"], json={"mutations": too_many}).status_code == 422
    assert api.call("GET", "/sync/pull?limit=1001", world["c1"]).status_code == 422
    assert api.call("GET", "/sync/pull?cursor=-1", world["c1"]).status_code == 422
    assert api.call("POST", "/auth/login", json={"username": 5}).status_code == 422


def test_unknown_routes_and_wrong_methods(api, world):
    r = api.call("GET", "/nowhere", world["c1"])
    assert r.status_code == 404 and is_error_shape(r.json(), "not_found")
    r = api.call("DELETE", "/sync/push", world["c1"])
    assert r.status_code == 405 and is_error_shape(r.json(), "bad_request")
    assert api.client.get("/elsewhere").status_code == 404

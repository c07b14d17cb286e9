"""Photos: resumable chunked upload, offsets, checksum verification, and records waiting for a photo."""

from __future__ import annotations

import hashlib
import os

from tests.server.helpers import create, save, submit

OCTETS = "application/offset+octet-stream"


def patch(api, token, sha, offset, total, data):
    return api.call(
        "PATCH",
        f"/photos/{sha}",
        token,
        content=data,
        headers={"Upload-Offset": str(offset), "Upload-Length": str(total), "Content-Type": OCTETS},
    )


def test_resumable_upload_with_wrong_offset_and_resume(api, world):
    data = os.urandom(600_000)
    sha = hashlib.sha256(data).hexdigest()
    t = world["c1"]
    assert api.call("GET", f"/photos/{sha}/status", t).json() == {"complete": False, "offset": 0}
    assert patch(api, t, sha, 0, len(data), data[:250_000]).json() == {"complete": False, "offset": 250_000}
    wrong = patch(api, t, sha, 100, len(data), data[100:200])
    assert wrong.status_code == 409 and wrong.json()["offset"] == 250_000
    assert wrong.headers["Upload-Offset"] == "250000"
    # the connection "dropped": the client asks where to resume
    assert api.call("GET", f"/photos/{sha}/status", t).json()["offset"] == 250_000
    done = patch(api, t, sha, 250_000, len(data), data[250_000:])
    assert done.json() == {"complete": True, "offset": len(data)}
    assert api.call("GET", f"/photos/{sha}", t).content == data
    # another user's upload of the same photo is their own: it does not say the photo is there
    assert api.call("GET", f"/photos/{sha}/status", world["c2"]).json() == {"complete": False, "offset": 0}
    assert patch(api, world["c2"], sha, 0, len(data), data[:10]).json() == {"complete": False, "offset": 10}


def test_checksum_mismatch_discards_the_upload(api, world):
    data = b"real bytes of a photo"
    sha = hashlib.sha256(b"other bytes").hexdigest()
    r = patch(api, world["c1"], sha, 0, len(data), data)
    assert r.status_code == 422 and r.json()["code"] == "checksum"
    assert api.call("GET", f"/photos/{sha}/status", world["c1"]).json() == {"complete": False, "offset": 0}


def test_chunk_and_photo_limits(api, world):
    sha = "e" * 64
    big = patch(api, world["c1"], sha, 0, 2 * 1024 * 1024, b"x" * (1024 * 1024 + 1))
    assert big.status_code == 413 and big.json()["code"] == "too_large"
    huge = patch(api, world["c1"], sha, 0, 10**12, b"x")
    assert huge.status_code == 413
    bad = api.call("GET", "/photos/NOT-A-HASH/status", world["c1"])
    assert bad.status_code == 422 and bad.json()["code"] == "validation"
    over = patch(api, world["c1"], sha, 0, 3, b"abcd")
    assert over.status_code == 400


def test_record_with_a_missing_photo_is_reported_until_the_photo_arrives(api, world):
    data = b"storefront jpeg bytes"
    sha = hashlib.sha256(data).hexdigest()
    from tests.server.helpers import demo_values

    values = demo_values(1, seed=21)[0]
    values["photo_storefront"] = [sha]
    rec = create(api, world["c1"], values)
    assert rec["missing_photos"] == [sha]
    assert api.push1(world["c1"], submit(rec["id"], 1))["errors"][0]["code"] == "photo.missing"
    _, cursor = api.pull_all(world["c1"])
    api.upload(world["c1"], data)
    changes, _ = api.pull_all(world["c1"], cursor)
    assert changes and changes[0]["record"]["missing_photos"] == []  # the feed tells the client
    assert api.push1(world["c1"], submit(rec["id"], 1))["record"]["status"] == "pending"


def test_photo_values_must_be_hashes(api, world):
    rec = create(api, world["c1"], {"shop_name": "x"})
    res = api.push1(world["c1"], save(rec["id"], {"photo_counter": ["not-a-hash"]}, base=1))
    assert res["status"] == "rejected" and res["errors"][0]["code"] == "photo.invalid"


# ---- knowing a photo's hash gives nothing (docs/server.md, "Photos") ------------------------------


def _photo_on_c1s_customer(api, world, tag: bytes = b""):
    from tests.server.helpers import demo_values

    data = b"licence scan " + tag + os.urandom(16)
    sha = api.upload(world["c1"], data)
    values = demo_values(1, seed=31)[0]
    values["photo_storefront"] = [sha]
    rec = create(api, world["c1"], values)
    assert rec["missing_photos"] == []
    return data, sha, rec


def test_a_known_hash_neither_confirms_nor_opens_a_photo(api, world):
    from tests.server.helpers import visit

    data, sha, _ = _photo_on_c1s_customer(api, world)
    never = hashlib.sha256(b"a photo nobody sent").hexdigest()
    for who in ("c2", "c3", "s2"):  # none of them may see c1's customer
        t = world[who]
        status = api.call("GET", f"/photos/{sha}/status", t)
        assert status.status_code == 200 and status.json() == api.call("GET", f"/photos/{never}/status", t).json() == {
            "complete": False,
            "offset": 0,
        }, who
        assert api.call("GET", f"/photos/{sha}", t).status_code == 404, who
        own = create(api, t, {"shop_name": f"{who}'s shop"})
        res = api.push1(t, save(own["id"], {"photo_counter": [sha]}, base=1))  # attach it to their own customer
        assert res["status"] == "rejected" and [(e["field"], e["code"]) for e in res["errors"]] == [
            ("photo_counter", "photo.forbidden")
        ], (who, res)
        res = api.push1(t, visit(own["id"], photos=[sha]))
        assert res["status"] == "rejected" and [(e["field"], e["code"]) for e in res["errors"]] == [
            ("visit.photos", "photo.forbidden")
        ], (who, res)
        assert api.call("GET", f"/photos/{sha}", t).status_code == 404, who
    # c1's supervisor sees the customer: may read the photo and use it on another customer
    assert api.call("GET", f"/photos/{sha}", world["s1"]).content == data
    other = create(api, world["s1"], {"shop_name": "s1 shop"})
    assert api.push1(world["s1"], save(other["id"], {"photo_counter": [sha]}, base=1))["status"] == "applied"
    assert api.call("GET", f"/photos/{sha}/status", world["s1"]).json()["complete"] is False  # not s1's upload


def test_sending_the_bytes_proves_holding_the_photo(api, world):
    data, sha, _ = _photo_on_c1s_customer(api, world)
    t = world["c3"]
    assert patch(api, t, sha, 0, len(data), data).json() == {"complete": True, "offset": len(data)}
    assert api.call("GET", f"/photos/{sha}/status", t).json() == {"complete": True, "offset": len(data)}
    own = create(api, t, {"shop_name": "c3 shop"})
    assert api.push1(t, save(own["id"], {"photo_counter": [sha]}, base=1))["status"] == "applied"
    assert api.call("GET", f"/photos/{sha}", t).content == data


def test_a_hash_named_in_advance_is_not_opened_by_someone_elses_upload(api, world):
    data = b"a photo c1 will send " + os.urandom(8)
    sha = hashlib.sha256(data).hexdigest()
    spy = create(api, world["c3"], {"shop_name": "c3 shop", "photo_counter": [sha]})  # not on the server yet
    assert spy["missing_photos"] == [sha]
    api.upload(world["c1"], data)
    assert api.call("GET", f"/photos/{sha}", world["c3"]).status_code == 404
    changes, _ = api.pull_all(world["c3"])
    mine = [c["record"] for c in changes if c.get("record") and c["record"]["id"] == spy["id"]]
    assert mine[-1]["missing_photos"] == [sha]  # still waiting for c3's own upload
    api.upload(world["c3"], data)  # which needs the bytes
    assert api.call("GET", f"/photos/{sha}", world["c3"]).content == data


def test_a_partial_upload_belongs_to_its_uploader(api, world):
    data = os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    c1, c3 = world["c1"], world["c3"]
    assert patch(api, c1, sha, 0, len(data), data[:100_000]).json()["offset"] == 100_000
    assert api.call("GET", f"/photos/{sha}/status", c3).json() == {"complete": False, "offset": 0}
    spoil = patch(api, c3, sha, 100_000, len(data), os.urandom(200_000))  # append to c1's upload
    assert spoil.status_code == 409 and spoil.json()["offset"] == 0  # c3 has no upload there
    junk = patch(api, c3, sha, 0, len(data), os.urandom(len(data)))  # a whole wrong upload of its own
    assert junk.status_code == 422 and junk.json()["code"] == "checksum"
    assert api.call("GET", f"/photos/{sha}/status", c1).json() == {"complete": False, "offset": 100_000}
    assert patch(api, c1, sha, 100_000, len(data), data[100_000:]).json() == {"complete": True, "offset": len(data)}
    assert api.call("GET", f"/photos/{sha}", c1).content == data


def test_abandoned_partial_uploads_are_purged(api, world, db, settings):
    import dataclasses
    import time

    from server import photos
    from server.schema import upload_chunks

    data = os.urandom(50_000)
    sha = hashlib.sha256(data).hexdigest()
    assert patch(api, world["c1"], sha, 0, len(data), data[:20_000]).json()["offset"] == 20_000
    assert patch(api, world["c2"], sha, 0, len(data), data[:10_000]).json()["offset"] == 10_000
    with db.engine.begin() as conn:  # c1 left theirs two days ago; c2's is fresh
        conn.execute(
            upload_chunks.update().where(upload_chunks.c.data == data[:20_000]).values(at=time.time() - 2 * 86400)
        )
    short = dataclasses.replace(settings, upload_ttl=86400)
    assert photos.purge_partial(db, short) == 1
    assert api.call("GET", f"/photos/{sha}/status", world["c1"]).json() == {"complete": False, "offset": 0}
    assert api.call("GET", f"/photos/{sha}/status", world["c2"]).json() == {"complete": False, "offset": 10_000}
    assert photos.purge_partial(db, short, now=time.time() + 86400 + 1) == 1  # a day later c2's is abandoned too
    with db.read() as conn:
        assert conn.execute(upload_chunks.select()).all() == []


def test_upload_activity_purges_abandoned_uploads(api, world, db):
    import time

    from server import photos
    from server.schema import upload_chunks

    data = os.urandom(40_000)
    sha = hashlib.sha256(data).hexdigest()
    assert patch(api, world["c1"], sha, 0, len(data), data[:10_000]).json()["offset"] == 10_000
    with db.engine.begin() as conn:
        conn.execute(upload_chunks.update().values(at=time.time() - 2 * 86400))
    photos._last_purge.clear()  # the last purge of this process is long ago
    other = os.urandom(1000)
    api.upload(world["c2"], other)  # any upload purges (at most once a minute)
    assert api.call("GET", f"/photos/{sha}/status", world["c1"]).json() == {"complete": False, "offset": 0}


def test_the_server_purges_abandoned_uploads_at_start(server_process, db, run):
    import time

    import httpx
    from sqlalchemy import insert, select

    from server.schema import upload_chunks, users
    from tests.server.helpers import PASSWORD, PROTO

    assert run("user", "add", "cx", "--role", "collector")[0] == 0
    with db.engine.begin() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.name == "cx")).scalar_one()
        conn.execute(
            insert(upload_chunks).values(
                sha256="a" * 64, user_id=uid, start=0, total=10, data=b"12345", at=time.time() - 7200
            )
        )
        conn.execute(
            insert(upload_chunks).values(sha256="b" * 64, user_id=uid, start=0, total=10, data=b"12345", at=time.time())
        )
    server_process.start("--upload-ttl", "3600")
    with db.read() as conn:
        assert conn.execute(select(upload_chunks.c.sha256)).scalars().all() == ["b" * 64]
    with httpx.Client(base_url=server_process.url + "/api/v1", headers=PROTO) as c:
        token = c.post(
            "/auth/login", json={"username": "cx", "password": PASSWORD, "device_id": "dev-cx", "device_name": "x"}
        ).json()["access_token"]
        assert c.get(f"/photos/{'b' * 64}/status", headers={"Authorization": f"Bearer {token}"}).json() == {
            "complete": False,
            "offset": 5,
        }

"""Photos: resumable chunked upload, offsets, checksum verification, and records waiting for a photo."""
from __future__ import annotations

import hashlib
import os

from tests.server.helpers import create, save, submit

OCTETS = "application/offset+octet-stream"


def patch(api, token, sha, offset, total, data):
    return api.call("PATCH", f"/photos/{sha}", token, content=data,
                    headers={"Upload-Offset": str(offset), "Upload-Length": str(total), "Content-Type": OCTETS})


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
    assert patch(api, world["c2"], sha, 0, len(data), data[:10]).json()["complete"] is True  # already there


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
    huge = patch(api, world["c1"], sha, 0, 10 ** 12, b"x")
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

"""No loss and no duplicate under network and process faults, against a real server process."""

from __future__ import annotations

import io
import json
import random

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from app.errors import SyncError
from app.models.record import CustomerStatus
from app.services import photos, records, syncing
from app.services.demo import generate
from tests.sync.fault_proxy import FaultProxy
from tests.sync.test_audit_upload import local_trail, server_hashes

WEIGHTS = {"pass": 62, "drop_request": 6, "drop_response": 8, "duplicate": 8, "delay": 3, "reset": 6, "truncate": 7}


def server_state(server) -> tuple[dict[str, dict], dict[str, bytes]]:
    engine = create_engine(f"sqlite:///{server.data / 'fieldarchive-server.db'}")
    with engine.connect() as c:
        customers = {
            r[0]: json.loads(r[1]) for r in c.execute(text("SELECT id, data FROM customers WHERE NOT deleted"))
        }
        stored = {r[0]: bytes(r[1]) for r in c.execute(text("SELECT sha256, data FROM photos"))}
    engine.dispose()
    return customers, stored


def client_state(session) -> tuple[dict[str, dict], set[str]]:
    customers = {c.id: c.values for c in session._archive.customers.iterate()}
    refs = {r for v in customers.values() for k in ("photo_storefront", "photo_counter") for r in v.get(k, [])}
    return customers, refs


def tiny_photo(rng: random.Random) -> bytes:
    img = Image.new(
        "RGB",
        (rng.randrange(40, 90), rng.randrange(40, 90)),
        (rng.randrange(256), rng.randrange(256), rng.randrange(256)),
    )
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def edit_offline(session, rng: random.Random, values: list[dict]) -> None:
    """What a day in the field does: new customers, edits, a photo now and then."""
    for _ in range(2):
        records.save_draft(session, values.pop())
    ids = [c.id for c in session._archive.customers.iterate() if c.status is CustomerStatus.DRAFT]
    for cid in rng.sample(ids, min(2, len(ids))):
        c = session._archive.customers.get(cid)
        new = dict(c.values, service_notes=f"第{rng.randrange(10**6)}次走访", brand_count=rng.randrange(20, 150))
        if rng.random() < 0.25:
            info = photos.add_photo(session, tiny_photo(rng))
            new["photo_storefront"] = [*c.values.get("photo_storefront", []), info.sha256]
        records.save_draft(session, new, cid)


@pytest.mark.slow
def test_no_loss_no_duplicate_over_a_thousand_faulty_batches(server, clients, monkeypatch) -> None:
    proxy = FaultProxy(server.port, seed=20261122, weights=WEIGHTS, delay=1.2).start()
    try:
        c1 = clients("c1")
        rng = random.Random(7)
        values = list(generate(6000, seed=11))  # two new customers a round, for as many rounds as the loop allows
        proxy.enabled = False
        c1.login(type("S", (), {"url": proxy.url})())
        monkeypatch.setattr("app.sync.client.READ_TIMEOUT", 0.8)
        proxy.enabled = True
        failures = rounds = 0
        while proxy.pushes < 1000 and rounds < 3000:  # at least 1,000 batches pushed under faults
            rounds += 1
            edit_offline(c1.session, rng, values)
            try:
                syncing.sync(c1.session, batch=3)
            except SyncError:
                failures += 1
        faults = {k: v for k, v in proxy.counts.items() if k != "pass"}
        assert sum(faults.values()) > 250 and all(faults.get(m, 0) > 10 for m in WEIGHTS if m != "pass"), faults
        assert failures > 100 and proxy.pushes >= 1000
        print("fault proxy:", proxy.stats(), "failed syncs:", failures, "rounds:", rounds)
        proxy.enabled = False  # the faults stop: everything drains
        for _ in range(20):
            out = syncing.sync(c1.session, batch=50)
            if out.complete:
                break
        assert out.complete, out
        mine, refs = client_state(c1.session)
        theirs, stored = server_state(server)
        assert set(theirs) == set(mine)  # every record, none twice, none invented
        assert all(theirs[i] == mine[i] for i in mine), [i for i in mine if theirs[i] != mine[i]][:3]
        import hashlib

        assert refs and refs <= set(stored)
        assert all(hashlib.sha256(stored[s]).hexdigest() == s for s in refs)
        assert not out.audit_problem  # the audit trail too: all of it, each entry once
        assert server_hashes(server, c1.session._archive.meta.device_id) == local_trail(c1.session)
    finally:
        proxy.stop()

"""The new customer's deadline (F3 L146) decided alike by the client and the server: generated records
(complete or not, approved, pending or draft, bound on different days) go through the client's list
(its SQL filter on a real SQLCipher archive and ``overdue_reasons``) and through the server's monthly
report (``_count_complete`` and ``_overdue_rows`` on a real database); both must name the same customers."""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from types import SimpleNamespace

from PIL import Image

from app.models.record import CustomerStatus, ListQuery, Provenance, Source
from app.services import listing, records
from app.services.demo import generate
from app.services.photos import add_photo
from server import reports
from server.scope import Directory

PHOTOS = ("photo_storefront", "photo_counter", "photo_owner", "photo_licence")


def test_the_client_list_and_the_server_report_agree_on_late_new_customers(session, db) -> None:
    rng = random.Random(17)
    form, cal, today = session.form, session.calendar, session.today()
    required = [f.key for f in form.fields if f.required.is_required and f.editable_by.value != "system"]
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 80, 40)).save(buf, "JPEG")
    photo = add_photo(session, buf.getvalue()).sha256  # a photo the archive holds (one per record would do too)
    made: dict[str, CustomerStatus] = {}
    for values in generate(60, seed=17, today=today, complete=True):
        for key in PHOTOS:
            values[key] = [photo]
        for key in rng.sample(required, rng.choice((0, 0, 1, 2))):  # about half are incomplete
            values.pop(key, None)
        values["binding_date"] = (today - dt.timedelta(days=rng.randrange(0, 25))).isoformat()
        customer, _report = records.save_draft(session, values)
        status = rng.choice((CustomerStatus.APPROVED, CustomerStatus.DRAFT, CustomerStatus.PENDING))
        if status is not CustomerStatus.DRAFT:
            session._archive.customers.set_status([customer.id], status, Provenance("tester", Source.MANUAL))
        made[customer.id] = status

    # the client: the list's SQL filter and the reasons shown for each row
    rule = listing.overdue_rule(today, cal)
    filtered = {r.id for r in listing.rows(session, listing.pks(session, ListQuery(overdue=rule)))}
    every = listing.rows(session, listing.pks(session, ListQuery()))
    client = {r.id for r in every if "new" in listing.overdue_reasons(r, rule)}
    assert filtered == client  # created today: no quarterly or half-yearly reason in the filter

    # the server: the monthly report's completeness and overdue rows, on the values the client stored
    stored = {cid: session._archive.customers.get(cid).values for cid in made}
    recs = [
        SimpleNamespace(id=cid, code=None, status=made[cid].value, owner_id=None, created_at=time.time() - 86400 * 30)
        for cid in made
    ]
    complete = {r.id: reports._count_complete({}, form, r, stored[r.id], today) for r in recs}
    with db.read() as conn:
        rows = reports._overdue_rows(conn, Directory.load(conn), cal, recs, stored, today, {}, complete)
    server = {t[3] for t in rows if t[7] == "new"}

    assert client == server, sorted(client ^ server)
    late_approved = {cid for cid in client if made[cid] is CustomerStatus.APPROVED}
    assert late_approved and all(not complete[cid] for cid in late_approved)  # approved but incomplete: still late
    assert any(made[cid] is CustomerStatus.APPROVED and complete[cid] for cid in made)  # the case that is not late
    assert 5 < len(client) < len(made)

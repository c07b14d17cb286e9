"""The customer's signature through a real server with two clients (V8): the PNG uploaded with it, the
signature reaching the market manager with its picture, outdated on both clients after a signed field
changes; a signature over values the server no longer holds refused with the reason; a submit without
recorded consent refused by the client (S3)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from app.services import photos, records, signatures
from app.services.demo import generate
from tests.consent import stored_without_consent


def _png() -> bytes:
    img = Image.new("RGB", (200, 80), "white")
    ImageDraw.Draw(img).line([(10, 60), (60, 20), (120, 65), (190, 15)], fill="black", width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_a_signature_syncs_with_its_picture_and_goes_out_of_date_everywhere(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    c, _ = records.save_draft(c1.session, next(generate(1, seed=51)))
    c1.login(server)
    assert c1.sync().complete
    sig = signatures.sign(c1.session, c.id, _png())
    assert sig.state == "pending" and sig.verified_by == "c1"
    out = c1.sync()
    assert out.complete and out.remaining == 0
    [mine] = signatures.of_customer(c1.session, c.id)
    assert mine.state == "synced" and not mine.outdated
    s1.login(server)
    assert s1.sync().complete
    [seen] = signatures.of_customer(s1.session, c.id)
    assert seen.id == sig.id and seen.verified_by == "c1" and dict(seen.values) == dict(sig.values)
    assert photos.photo_data(s1.session, seen.image) == photos.photo_data(c1.session, sig.image)  # downloaded
    records.save_changes(c1.session, c.id, {"contact_phone": "13700001111"})
    assert signatures.of_customer(c1.session, c.id)[0].changed == ("contact_phone",)
    assert c1.sync().complete and s1.sync().complete
    assert signatures.of_customer(s1.session, c.id)[0].changed == ("contact_phone",)


def test_a_signature_over_values_the_server_no_longer_holds_is_refused_with_the_reason(server, clients) -> None:
    c1, s1 = clients("c1"), clients("s1")
    c, _ = records.save_draft(c1.session, next(generate(1, seed=52)))
    c1.login(server)
    assert c1.sync().complete
    s1.login(server)
    assert s1.sync().complete
    records.save_changes(s1.session, c.id, {"home_address": "西安市莲湖区3号"})  # the supervisor's change first
    assert s1.sync().complete
    signatures.sign(c1.session, c.id, _png())  # c1 has not seen it: signs the older address
    assert c1.sync().complete
    [sig] = signatures.of_customer(c1.session, c.id)
    assert sig.state == "refused" and sig.error
    # after the feed, the customer holds the new address: the signature names it as changed
    assert sig.changed == ("home_address",)


def test_a_submit_without_recorded_consent_is_refused_by_the_client(clients) -> None:
    c1 = clients("c1")
    values = {k: v for k, v in next(generate(1, seed=53, complete=True)).items() if not k.startswith("consent")}
    c = stored_without_consent(c1.session, values)  # as archives hold it from before saving needed consent
    ok, refused = records.submit(c1.session, [c.id])
    assert ok == [] and [i.code for i in refused[c.id].errors] == ["consent.missing"]
    records.save_changes(c1.session, c.id, {"consent_signed": True, "consent_date": "2026-01-05"})
    ok, refused = records.submit(c1.session, [c.id])
    assert ok == [] and [i.code for i in refused[c.id].errors] == ["consent.missing"]  # its form is missing
    records.save_changes(c1.session, c.id, {"consent_form": "electronic"})
    ok, refused = records.submit(c1.session, [c.id])
    assert ok == [c.id], {k: [i.code for i in r.errors] for k, r in refused.items()}

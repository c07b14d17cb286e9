"""The customer's signature on a real archive (V8): drawn on the pad with mouse events, an empty pad refused
with its message, the PNG kept in the encrypted archive and queued for the server, the box on the customer's
page showing the day, the verifier and the state, and 已过期 / outdated with the field after a signed field
changes; the consent rule on the form (S3): Submit refused with its message until consent is recorded."""

from __future__ import annotations

import io
import json

from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from app.i18n import current_language, translate
from app.models.wire import MutationKind
from app.services import records, signatures
from app.services.photos import photo_data
from app.storage.schema import outbox
from app.ui.records.form import CustomerForm
from app.ui.records.signature import SignatureBox, SignatureDialog
from app.validation.consent import SIGNED_FIELDS, digest
from tests.consent import CONSENT

VALUES = {"shop_name": "签字测试店", "legal_person": "王小明", "home_address": "西安市碑林区南大街1号", **CONSENT}


def _sign_stroke(pad) -> None:
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(30, 100))
    for x in range(40, 300, 20):
        QTest.mouseMove(pad, QPoint(x, 100 + (x % 60) - 30))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 110))


def test_a_signature_drawn_on_the_pad_is_kept_shown_and_outdated_by_a_change(qtbot, ctx) -> None:
    customer, _ = records.save_draft(ctx.session, dict(VALUES))
    box = SignatureBox(ctx, ctx.session.form)
    qtbot.addWidget(box)
    box.load(customer.id)
    assert box.state.text() == translate("Not signed by the customer yet.")
    assert box.sign_button.isEnabled()

    box.ask_signature()
    dialog = box.dialog
    assert isinstance(dialog, SignatureDialog)
    qtbot.addWidget(dialog)
    dialog.buttons.accepted.emit()  # OK on an empty pad: refused, the dialog stays
    assert dialog.message.text() and dialog.isVisible() and signatures.of_customer(ctx.session, customer.id) == []
    _sign_stroke(dialog.pad)
    assert not dialog.pad.is_empty()
    dialog.clear_button.click()
    assert dialog.pad.is_empty() and not dialog.message.text()
    _sign_stroke(dialog.pad)
    dialog.buttons.accepted.emit()
    assert not dialog.isVisible()

    [sig] = signatures.of_customer(ctx.session, customer.id)
    assert sig.verified_by == "tester" and sig.state == "pending" and not sig.outdated
    assert dict(sig.values) == {k: VALUES[k] for k in SIGNED_FIELDS if k in VALUES}
    assert sig.digest == digest(sig.values)
    stored = photo_data(ctx.session, sig.image)
    assert stored is not None
    with Image.open(io.BytesIO(stored)) as img:  # the strokes, dark on white
        assert img.format == "PNG" and img.convert("L").getextrema()[0] < 100
    with ctx.session._archive.db.reading() as c:
        queued = c.execute(select(outbox.c.extra).where(outbox.c.kind == MutationKind.SIGNATURE.value)).scalars().all()
    assert len(queued) == 1 and json.loads(queued[0])["signature"]["image"] == sig.image
    assert sig.signed_on in box.state.text() and "tester" in box.state.text()
    assert box.thumb.pixmap() is not None and not box.thumb.pixmap().isNull()

    # an unsigned field changes: still current; a signed field changes: outdated, naming it
    records.save_changes(ctx.session, customer.id, {"service_notes": "周末客流大"})
    box.load(customer.id)
    assert not box.signatures[0].outdated
    records.save_changes(ctx.session, customer.id, {"home_address": "西安市新城区2号"})
    box.load(customer.id)
    assert box.signatures[0].changed == ("home_address",)
    text, label = box.state.text(), ctx.session.form["home_address"].label(current_language())
    assert label in text and ("已过期" in text or "Outdated" in text)


def test_a_blank_or_unreadable_picture_is_refused(ctx) -> None:
    customer, _ = records.save_draft(ctx.session, dict(VALUES))
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buf, "PNG")
    for data in (b"", b"not a picture", buf.getvalue()):
        try:
            signatures.sign(ctx.session, customer.id, data)
        except Exception as exc:
            assert type(exc).__name__ == "UserFacingError", exc
        else:
            raise AssertionError("a blank or unreadable signature was kept")
    assert signatures.of_customer(ctx.session, customer.id) == []


def test_submit_without_recorded_consent_is_refused_on_the_form(qtbot, ctx) -> None:
    form = CustomerForm(ctx, ctx.session.form)
    qtbot.addWidget(form)
    form.load(None)
    form.rows["shop_name"].editor.set_value("同意测试店")
    form.rows["legal_person"].editor.set_value("李四")
    report = form.validate_record()
    assert [(i.field, i.code) for i in report.errors] == [
        ("consent_signed", "consent.missing"),
        ("legal_person", "consent.required"),  # not even saved without it (below)
    ]
    assert any(i.code == "consent.missing" for i in form.invalid)
    form.submit()  # refused at once: the error is named, nothing is submitted
    assert form.customer is None
    form.rows["consent_signed"].editor.set_value(True)
    form.rows["consent_date"].editor.set_value("2026-03-01")
    form.rows["consent_form"].editor.set_value("written")
    assert [i.code for i in form.validate_record().errors] == []


def test_save_without_recorded_consent_is_refused_and_nothing_typed_is_lost(qtbot, ctx, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "open", lambda box: shown.append(box.text()))
    form = CustomerForm(ctx, ctx.session.form)
    qtbot.addWidget(form)
    form.load(None)
    form.rows["shop_name"].editor.set_value("同意测试店")
    form.rows["contact_phone"].editor.set_value("13812345678")
    form.validate_record()
    required = [i for i in form.invalid if i.code == "consent.required"]
    assert [i.field for i in required] == ["contact_phone"]  # shown on the field as it is typed
    label = ctx.session.form["contact_phone"].label(current_language())
    assert required[0].message(label, current_language()).startswith(label)
    form.save()
    assert form.customer is None
    assert ctx.session._archive.customers.count() == 0  # refused: nothing stored
    assert (
        len(shown) == 1
        and translate(
            "Not saved: personal information ({fields}) cannot be collected without "
            "the customer's recorded consent. Record the consent first (signed, its date and its form: written or "
            "electronic), or leave these fields as they were.",
            current_language(),
        ).format(fields=label)
        == shown[0]
    )
    assert form.rows["contact_phone"].editor.raw() == "13812345678"  # what was typed is kept in the form
    for key, value in (("consent_signed", True), ("consent_date", "2026-03-01"), ("consent_form", "written")):
        form.rows[key].editor.set_value(value)
    form.save()
    assert form.customer is not None and form.customer.values["contact_phone"] == "13812345678"
    assert not [i for i in form.validate_record().errors if i.code.startswith("consent")]

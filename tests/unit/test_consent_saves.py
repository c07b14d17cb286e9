"""Collecting personal fields needs a recorded consent (issue 18, audit V8/S3; F3 L211 第五条): the form's
save and the sheet import refuse to store a personal value a save adds or changes without one, naming the
field; a record already in the archive without consent stays readable and editable in its other fields (and a
personal value can be cleared); ``meta.consent = "optional"`` keeps the older behaviour (docs/domain.md)."""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pytest

from app.errors import UserFacingError
from app.i18n import language
from app.models.record import NewCustomer, Provenance, Quality, new_id
from app.services import records
from app.services.sheet_results import ImportMode
from app.services.sheets import process_sheet
from app.validation.consent import consent_save_issues
from app.validation.secrecy import placeholder
from tests.consent import CONSENT, CONSENT_CELLS

PERSON = {"shop_name": "老王烟酒店", "contact_phone": "13812345678", "legal_person": "王小明"}


def run(session, path):
    return process_sheet(
        path, session.form, session._archive, actor="tester", today=session.today(), mode=ImportMode.WRITE_VALID_ROWS
    )


def sheet(path, header, *rows):
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def old_record(session, values):
    """A customer stored before the rule (an older archive, a sync from before): no consent recorded."""
    cid = new_id()
    session._archive.customers.insert(session.form, [NewCustomer(cid, values, Quality())], Provenance("tester"))
    return cid


def test_a_new_customer_with_personal_values_and_no_consent_is_not_saved(session) -> None:
    with pytest.raises(UserFacingError) as refused:
        records.save_draft(session, PERSON)
    zh = refused.value.message("zh_CN")
    assert zh.startswith("未保存：未记录客户同意时不能采集个人信息（") and "联系电话" in zh and "负责人" in zh, zh
    with language("en"):
        with pytest.raises(UserFacingError) as again:
            records.save_draft(session, {**PERSON, "consent_signed": True, "consent_date": "2025-01-05"})
    assert "(Person in charge, Contact phone)" in again.value.message("en"), again.value.message("en")
    assert session._archive.customers.count() == 0  # nothing stored
    c, _report = records.save_draft(session, {**PERSON, **CONSENT})
    assert c.values["contact_phone"] == "13812345678" and c.values["consent_form"] == "written"
    shop, _report = records.save_draft(session, {"shop_name": "只有店名"})  # nothing personal: saved
    assert shop.values == {"shop_name": "只有店名"}


def test_a_record_without_consent_stays_editable_in_its_other_fields(session) -> None:
    cid = old_record(session, dict(PERSON))
    c, _ = records.save_changes(session, cid, {"shop_name": "老王烟酒商行", "business_area": "40"})
    assert c.values == {**PERSON, "shop_name": "老王烟酒商行", "business_area": "40"}  # the phone kept
    with pytest.raises(UserFacingError) as refused:
        records.save_changes(session, cid, {"contact_phone": "13912345678"})
    assert "联系电话" in refused.value.message("zh_CN") and "负责人" not in refused.value.message("zh_CN")
    assert records.get(session, cid).values["contact_phone"] == "13812345678"
    c, _ = records.save_changes(session, cid, {"legal_person": None})  # clearing is not collecting
    assert "legal_person" not in c.values
    history = [(h.field, h.old, h.new) for h in session._archive.audit.history(cid) if h.action == "update"]
    assert ("legal_person", "王小明", None) in history  # the cleared value is still in its history
    c, _ = records.save_changes(session, cid, {**CONSENT, "contact_phone": "13912345678"})  # with the consent
    assert c.values["contact_phone"] == "13912345678"


def test_an_optional_consent_keeps_saving_with_the_warning(session) -> None:
    session.form = replace(session.form, meta={**session.form.meta, "consent": "optional"})
    c, report = records.save_draft(session, {**PERSON, "consent_signed": False})
    assert c.values["contact_phone"] == "13812345678"
    assert [i.code for i in report.issues if i.field == "consent_signed"] == ["consent.not_signed"]  # a warning
    assert not [i for i in report.errors if i.code.startswith("consent")]


def test_the_sheet_import_refuses_new_rows_with_personal_values_without_consent(session, tmp_path) -> None:
    cid = old_record(session, dict(PERSON))
    head = ["店铺名称", "联系电话", *CONSENT_CELLS, "id"]
    path = sheet(
        tmp_path / "in.xlsx",
        head,
        ["甲店", "13500000001", None, None, None, None],
        ["乙店", "13500000002", *CONSENT_CELLS.values(), None],
        ["丙店", None, None, None, None, None],
        ["老王烟酒商行", "13812345678", None, None, None, cid],  # its other field changed: allowed
    )
    result = run(session, path)
    bad = [(p.row, p.field, p.code, p.message) for p in result.problems if p.severity == "error"]
    assert [b[:3] for b in bad] == [(2, "contact_phone", "consent.required")], bad
    assert bad[0][3].startswith("联系电话：未记录客户同意"), bad[0][3]
    assert (result.created, result.updated) == (2, 1)
    names = {c.values["shop_name"]: c.values for c in session._archive.customers.iterate()}
    assert "甲店" not in names and names["乙店"]["contact_phone"] == "13500000002" and "丙店" in names
    assert names["老王烟酒商行"]["contact_phone"] == "13812345678"
    changed = sheet(tmp_path / "in2.xlsx", ["联系电话", "id"], ["13912345678", cid])
    result = run(session, changed)
    assert [(p.row, p.field, p.code) for p in result.problems if p.severity == "error"] == [
        (2, "contact_phone", "consent.required")
    ]
    assert records.get(session, cid).values["contact_phone"] == "13812345678"


def test_secrecy_placeholders_are_no_personal_value_collected(session) -> None:
    """A value this user may not see comes as a placeholder (app.validation.secrecy) and is kept as the server
    holds it: a save whose personal values are only placeholders needs no consent; a real one still does."""
    hidden = {
        "shop_name": "老王烟酒店",
        "id_card": placeholder("secret"),
        "contact_phone": placeholder("personal"),
        "photo_owner": [placeholder("top_secret")],
    }
    c, report = records.save_draft(session, hidden)
    assert not report.errors, report.errors
    assert session._archive.customers.get(c.id).values["contact_phone"] == placeholder("personal")
    with pytest.raises(UserFacingError) as refused:
        records.save_draft(session, {**hidden, "legal_person": "王小明"})
    zh = refused.value.message("zh_CN")
    assert "负责人" in zh and "联系电话" not in zh and "身份证" not in zh, zh
    assert [i.field for i in consent_save_issues(session.form, c.values, {**c.values, "legal_person": "王小明"})] == [
        "legal_person"
    ]

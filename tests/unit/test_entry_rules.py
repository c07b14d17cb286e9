"""Who may enter what, at entry: a sheet row is refused when the server would refuse the change
(app.validation.editing, shared with server.apply), for the role of the profile."""

from __future__ import annotations

import openpyxl
import pytest

from app.models.catalogue import EditableBy
from app.models.record import NewCustomer, Provenance, Source, new_id
from app.services import records
from app.services.exporting import export_customers
from app.services.sheet_results import ImportMode
from app.services.sheets import process_sheet
from app.validation import validate_values
from app.validation.editing import changed_keys, entry_issues, may_edit
from tests.consent import CONSENT, CONSENT_CELLS
from tests.unit.test_sheets import sheet

#: Values the server writes into fields nobody enters (a customer as the feed brings it).
SYSTEM_VALUES = {
    "customer_code": "610113000123",
    "credit_grade": "A",
    "avg_price": "23.50",
    "purchase_amount": "12345.60",
    "purchase_qty": 40,
    "quota_category": "二类",
    "business_scale": None,
    "monitored": True,
    "monthly_agreed_volume": 30,
    "customer_manager": "李经理",
}


def run(session, path, role="collector", **kw):
    return process_sheet(path, session.form, session._archive, actor="tester", role=role, today=session.today(), **kw)


def errors(result):
    return {(p.row, p.field, p.code) for p in result.problems if p.severity == "error"}


def server_kept(session, **extra):
    """A customer with system-maintained values, stored as a sync from the server stores it."""
    values = {"shop_name": "老王烟酒店", "contact_phone": "13812345678", **CONSENT, **SYSTEM_VALUES, **extra}
    spec = session.form["business_scale"]
    values["business_scale"] = spec.choices[0].value
    report = validate_values(session.form, values, today=session.today(), role="system")
    assert not report.errors, report.errors
    cid = new_id()
    session._archive.customers.insert(
        session.form,
        [NewCustomer(cid, records.clean_values(report), records.quality(report))],
        Provenance("system", Source.SYNC, "seed"),
    )
    return cid


def test_may_edit_follows_the_catalogue_for_every_field_and_role(form) -> None:
    rank = {"collector": 0, "supervisor": 1, "admin": 2}
    need = {EditableBy.COLLECTOR: 0, EditableBy.SUPERVISOR: 1}
    for spec in form.fields:
        for role, r in rank.items():
            expected = spec.editable_by is not EditableBy.SYSTEM and r >= need[spec.editable_by]
            assert may_edit(spec, role) is expected, (spec.key, role)
    assert not may_edit(form["customer_code"], "admin") and not may_edit(form["avg_price"], "supervisor")
    assert may_edit(form["monitored"], "supervisor") and not may_edit(form["monitored"], "collector")


def test_an_entry_counts_what_it_changes(form) -> None:
    old = {"shop_name": "甲", "avg_price": "23.50", "credit_grade": "A"}
    assert changed_keys(form, old, dict(old)) == []
    assert changed_keys(form, old, {**old, "avg_price": "24.00", "shop_name": "乙"}) == ["shop_name", "avg_price"]
    assert changed_keys(form, old, {**old, "credit_grade": None}) == ["credit_grade"]
    assert changed_keys(form, None, {"shop_name": "甲", "avg_price": None, "credit_grade": "", "nonsense": 1}) == [
        "shop_name"
    ]
    got = {(i.field, i.code) for i in entry_issues(form, "collector", None, {"customer_code": "1", "monitored": True})}
    assert got == {("customer_code", "readonly.new"), ("monitored", "supervisor_only.new")}
    got = {
        (i.field, i.code) for i in entry_issues(form, "supervisor", old, {**old, "monitored": True, "avg_price": "1"})
    }
    assert got == {("avg_price", "readonly")}


def test_a_collectors_new_row_setting_code_or_average_price_is_an_error(session, tmp_path) -> None:
    path = sheet(
        tmp_path / "in.xlsx",
        ["店铺名称", "客户代码", "进货均价", "监控户", "联系电话", *CONSENT_CELLS],
        ["老王烟酒店", "610113000999", 23.5, None, "13812345678", *CONSENT_CELLS.values()],
        ["李记便利店", None, None, "是", "13912345678", *CONSENT_CELLS.values()],
        ["张家超市", None, None, None, "13712345678", *CONSENT_CELLS.values()],
    )
    result = run(session, path)  # validate: writes nothing
    assert errors(result) == {
        (2, "customer_code", "readonly.new"),
        (2, "avg_price", "readonly.new"),
        (3, "monitored", "supervisor_only.new"),
    }
    messages = {p.field: p.message for p in result.problems if p.severity == "error"}
    assert messages["avg_price"] == "进货均价由系统维护，新客户请留空。"
    assert messages["monitored"] == "监控户只能由市场经理填写，新客户请留空。"
    result = run(session, path, mode=ImportMode.WRITE)
    assert not result.written and session._archive.customers.count() == 0
    en = run(session, path, lang="en")
    assert {p.message for p in en.problems if p.field == "customer_code"} == {
        "Customer code is maintained by the system: leave it empty for a new customer."
    }


def test_changing_system_fields_of_an_existing_customer_is_an_error(session, tmp_path) -> None:
    cid = server_kept(session)
    path = sheet(
        tmp_path / "in.xlsx",
        ["id", "店铺名称", "客户代码", "进货均价", "合理定量类别", "诚信等级"],
        [cid, "老王烟酒店", "610113000777", 23.5, "三类", "A"],
    )
    got = errors(run(session, path))
    assert got == {(2, "customer_code", "code.changed"), (2, "quota_category", "readonly")}
    before = session._archive.customers.get(cid).values
    assert not run(session, path, mode=ImportMode.WRITE).written
    assert session._archive.customers.get(cid).values == before
    # clearing a system value is a change too
    path = sheet(tmp_path / "in2.xlsx", ["id", "进货均价"], [cid, None])
    assert errors(run(session, path)) == {(2, "avg_price", "readonly")}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_our_own_export_imported_back_unchanged_has_no_error(session, tmp_path, lang) -> None:
    cid = server_kept(session)
    records.save_draft(session, {"shop_name": "李记便利店", "contact_phone": "13912345678", **CONSENT})
    out = tmp_path / "out.xlsx"
    assert export_customers(session._archive, session.form, out, lang=lang) == 2
    result = run(session, out, mode=ImportMode.WRITE)
    assert not errors(result), result.problems[:5]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    # the same file with one field the collector keeps changed: only that change, no refusal
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    row = next(r[0].row for r in ws.iter_rows(min_row=2) if cid in [c.value for c in r])
    ws.cell(
        row=row,
        column=header.index("联系电话" if lang == "zh_CN" else "Contact phone") + 1,
        value="13612345678",
    )
    wb.save(out)
    result = run(session, out, mode=ImportMode.WRITE)
    assert not errors(result) and result.updated == 1
    assert session._archive.customers.get(cid).values["avg_price"] == "23.5"  # canonical, untouched


def test_a_supervisor_may_enter_what_the_catalogue_allows_a_supervisor(session, tmp_path) -> None:
    cid = server_kept(session, monitored=False)
    path = sheet(
        tmp_path / "in.xlsx",
        ["id", "店铺名称", "监控户", "示范户", "月度商定量", "守法情况"],
        [cid, "老王烟酒店", "是", "是", 50, None],
        [None, "新店", "否", None, 20, None],
    )
    assert errors(run(session, path, role="collector")) == {
        (2, "monitored", "supervisor_only"),
        (2, "demonstration", "supervisor_only"),
        (2, "monthly_agreed_volume", "supervisor_only"),
        (3, "monitored", "supervisor_only.new"),
        (3, "monthly_agreed_volume", "supervisor_only.new"),
    }
    result = run(session, path, role="supervisor", mode=ImportMode.WRITE)
    assert not errors(result) and result.written and (result.created, result.updated) == (1, 1)
    assert session._archive.customers.get(cid).values["monitored"] is True
    # still not what the system keeps
    path = sheet(tmp_path / "in2.xlsx", ["id", "进货均价", "诚信等级"], [cid, 30, "B"])
    assert errors(run(session, path, role="supervisor")) == {
        (2, "avg_price", "readonly"),
        (2, "credit_grade", "readonly"),
    }


def test_the_profiles_role_decides(session, tmp_path) -> None:
    """A profile never signed in is a collector; after sign-in it is the role the server gave."""
    from app.services.session import unlock
    from tests.conftest import PASSPHRASE

    assert session.role == "collector"
    path = sheet(tmp_path / "in.xlsx", ["店铺名称", "监控户"], ["新店", "是"])
    assert errors(run(session, path, role=session.role)) == {(2, "monitored", "supervisor_only.new")}
    session._archive.meta.set("sync_role", "supervisor")
    session.close()
    again = unlock(passphrase=PASSPHRASE)
    try:
        assert again.role == "supervisor"
        assert not errors(run(again, path, role=again.role))
    finally:
        again.close()


def test_onboarding_fields_are_the_collectors_only_while_the_customer_is_new(form) -> None:
    """守法情况 and the first estimate of 经营规模 (F3 L11): a collector sets them on a new customer (never
    approved); afterwards only a market manager or an admin may, and the collector is told why."""
    old = {"shop_name": "甲", "law_abiding": "good", "business_scale": "2"}
    new = {**old, "law_abiding": "minor", "business_scale": "1"}
    assert entry_issues(form, "collector", None, new) == []
    assert entry_issues(form, "collector", old, new, onboarding=True) == []
    got = {(i.field, i.code) for i in entry_issues(form, "collector", old, new, onboarding=False)}
    assert got == {("law_abiding", "onboarding_only"), ("business_scale", "onboarding_only")}
    assert entry_issues(form, "supervisor", old, new, onboarding=False) == []
    assert may_edit(form["law_abiding"], "collector") and not may_edit(
        form["law_abiding"], "collector", onboarding=False
    )

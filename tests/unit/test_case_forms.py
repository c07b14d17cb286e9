"""The request forms' rules on a real archive with cases as the server answers them (the server's side:
tests/sync/test_case_forms.py): which form a case prints as; a bulk request's customers in turn with their ID
numbers masked; a customer not in this archive printed with what the case holds and a note; the emergency
path's phone calls; the phone form's old number; an unwritable folder leaving nothing and no log entry."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.errors import UserFacingError
from app.models.onboarding import Case, CaseNotice, CaseStep, ChangeItem
from app.models.wire import ACCESS_ENTITY, AccessKind
from app.services import case_forms, records
from app.services.exporting import mask
from tests.consent import consented

#: the PDF is laid out by Qt: a QApplication made by pytest-qt, not the command line's offscreen
#: QGuiApplication, which would abort every later widget test in this process
pytestmark = pytest.mark.usefixtures("qapp")

ID_CARD = "610103199001011000"


def step(n: int, name: str, done: bool = False) -> CaseStep:
    return CaseStep(
        n, f"s{n}", name, "department:market", "市场部", 8.0,
        "2026-12-01T09:00:00+08:00", "2026-12-02T09:00:00+08:00",
        "2026-12-01T10:00:00+08:00" if done else None, "mkt" if done else None, "刘洋" if done else None,
        "", False, None if done else 3.0,
    )  # fmt: skip


def case(kind: str, items: tuple[ChangeItem, ...], notices: tuple[CaseNotice, ...] = ()) -> Case:
    rid = items[0].record_id if items else "00000000-0000-4000-8000-000000000001"
    steps = (step(1, "市场部代填《客户信息修改维护表》", done=True), step(2, "县区营销部审核"))
    return Case("9a0e1c52-3b7d-4f1e-8a2c-6d5e4f3a2b10", kind, rid, None, None, "c1", "open", f"{kind}:mkt",
                "2026-12-01T09:00:00+08:00", None, steps, items, notices)  # fmt: skip


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_which_form_a_case_prints_as() -> None:
    phone = ChangeItem("r", "1", "店", {"contact_phone": "13912345678", "order_phone": "13912345679"})
    mixed = ChangeItem("r", "1", "店", {"contact_phone": "13912345678", "address": "南大街1号"})
    onboarding = Case("i", "onboarding", "r", None, None, None, "open", "office", "2026-12-01T09:00:00+08:00", None, ())
    assert case_forms.form_kind(onboarding) == "onboarding"
    assert case_forms.form_kind(case("county", (phone,))) == "phone"
    assert case_forms.form_kind(case("city", (phone,))) == "phone"  # a phone change is the customer's own form
    assert case_forms.form_kind(case("county", (mixed,))) == "modify"
    assert case_forms.form_kind(case("city", (mixed,))) == "task_order"
    assert case_forms.form_kind(case("emergency", (mixed,))) == "modify"
    assert case_forms.form_kind(case("bulk", (mixed, mixed))) == "modify"


def test_bulk_customers_absent_ones_phone_calls_and_an_unwritable_folder(session, tmp_path: Path) -> None:
    a, _ = records.save_draft(
        session, consented({"shop_name": "南大街老王烟酒店", "legal_person": "王小明", "id_card": ID_CARD})
    )
    b, _ = records.save_draft(session, consented({"shop_name": "北关便民店", "contact_phone": "13709112233"}))
    absent = ChangeItem(
        "00000000-0000-4000-8000-0000000000ff", "610102000999", "不在本机的店", {"address": "西大街9号"}
    )
    items = (
        ChangeItem(a.id, a.code, "南大街老王烟酒店", {"id_card": "610103199001012017"}),
        ChangeItem(b.id, b.code, "北关便民店", {"address": "北关正街8号"}),
        absent,
    )
    call = CaseNotice(1, "phone", "县区营销部 王科长", "029-88886666", "2026-12-01T09:20:00+08:00", "已接听", "mkt")
    pdf = tmp_path / "维护表.pdf"
    case_forms.write_form(session, case("emergency", items, (call,)), pdf, lang="zh_CN")
    text = pdf_text(pdf)
    assert "客户信息修改维护表" in text and "客户 1" in text and "客户 3" in text
    assert mask(ID_CARD) not in text and ID_CARD not in text  # the old number is not printed on a change form
    assert mask("610103199001012017") in text and "610103199001012017" not in text
    assert "北关正街8号" in text and "西大街9号" in text and "610102000999" in text
    assert "本机档案中没有这个客户" in text
    assert "电话通知记录" in text and "县区营销部 王科长 029-88886666 2026-12-01 09:20: 已接听" in text
    assert "刘洋 于 2026-12-01 10:00 办理" in text and "待办理，期限 2026-12-02 09:00" in text
    for signer in ("县区营销部负责人（核实填表）", "市场部客户服务管理员（维护）", "县区营销部（审核存档）"):
        assert signer in text

    phone = case("county", (ChangeItem(b.id, b.code, "北关便民店", {"contact_phone": "13912345678"}),))
    xlsx = tmp_path / "电话.xlsx"
    case_forms.write_form(session, phone, xlsx, lang="zh_CN")
    values = [(r[0].value, r[1].value) for r in load_workbook(xlsx).active.iter_rows()]
    assert values[0][0] == "电话号码申请变更表" and ("联系电话", "原号码 13709112233，变更为 13912345678") in values

    def printed(record_id: str) -> list:
        entries = session._archive.access.entries(record_id)
        return [e for e in entries if e.entity == ACCESS_ENTITY and e.action == AccessKind.PRINT.value]

    assert [e.new["form"] for e in printed(a.id)] == ["modify"]
    assert sorted(e.new["form"] for e in printed(b.id)) == ["modify", "phone"]
    nowhere = tmp_path / "没有" / "x.pdf"
    with pytest.raises(UserFacingError) as refused:
        case_forms.write_form(session, phone, nowhere, lang="zh_CN")
    assert refused.value.message("zh_CN").startswith(f"无法写入 {nowhere}") and not nowhere.parent.exists()
    assert len(printed(b.id)) == 2


def test_a_case_answer_of_the_wrong_shape_names_the_place() -> None:
    from app.sync.decoding import Bad
    from app.sync.protocol_onboarding import case_answer

    good = {
        "id": "i", "kind": "county", "record_id": "r", "customer_code": None, "shop_name": "店", "status": "open",
        "source": "county:s1", "opened_at": "2026-12-01T09:00:00+08:00", "steps": [], "customer_manager": "c1",
        "items": [{"record_id": "r", "customer_code": "1", "shop_name": "店", "changes": {"address": "x"}}],
        "notices": [{"position": 1, "kind": "phone", "party": "王", "at": "2026-12-01T09:00", "outcome": "接"}],
    }  # fmt: skip
    got = case_answer(good, "change")
    assert got.items[0].changes == {"address": "x"} and got.notices[0].number == "" and got.steps == ()
    with pytest.raises(Bad) as bad:
        case_answer({**good, "notices": [{**good["notices"][0], "outcome": 3}]}, "change")
    assert str(bad.value) == "change.notices[0].outcome"
    with pytest.raises(Bad) as bad:
        case_answer({**good, "items": {"record_id": "r"}}, "change")
    assert str(bad.value) == "change.items"

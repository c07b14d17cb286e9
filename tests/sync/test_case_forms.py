"""The request forms (docs/domain.md, "The request forms") against a real server on 127.0.0.1: an onboarding
case whose first step the monopoly office did, a county change of the contact phone and a city task order of the
order days, synced into the customer manager's real archive; each form written as PDF (read back with poppler's
pdftotext: the document's title, the customer's values with the ID number masked, the steps with who and when,
the signature lines) and as .xlsx (read back with openpyxl: the same values, string cells, a formula-looking
value kept as text); the access log's print entries; the command line ``print-case``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.errors import UserFacingError
from app.models.wire import ACCESS_ENTITY, AccessKind
from app.services import case_forms, syncing
from app.services.exporting import mask
from tests.server.helpers import demo_values
from tests.server.test_cli import write_xlsx
from tests.sync.test_cli_review import cli, ok

#: the PDF is laid out by Qt: a QApplication made by pytest-qt, not the command line's offscreen
#: QGuiApplication, which would abort every later widget test in this process
pytestmark = pytest.mark.usefixtures("qapp")

CODES = ["610102007770", "610102007771", "610102007772"]
KEYS = ["customer_code", "shop_name", "licence_no", "region_code", "address", "legal_person", "id_card"]


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def prints(session, customer_id: str) -> list:
    return [
        e
        for e in session._archive.access.entries(customer_id)
        if e.entity == ACCESS_ENTITY and e.action == AccessKind.PRINT.value
    ]


def setup_cases(server, tmp_path: Path) -> tuple[list[dict], str, str, str]:
    """Three customers of c1; an onboarding case (step 1 done by the monopoly office's zm), a county change of
    the contact phone (filled in by s1 for the county), a city task order of the order days (ordered by mkt)."""
    for name, dept in (("zm", "monopoly"), ("mkt", "market")):
        server.admin("user", "add", name, "--role", "collector")
        server.admin("place", name, "--department", dept)
    server.admin("place", "s1", "--department", "county")
    rows = demo_values(3, seed=23)
    for code, r in zip(CODES, rows, strict=True):
        r["customer_code"] = code
    rows[0]["shop_name"] = "=西关新开烟酒店"  # looks like a formula: a string cell all the same
    sheet = tmp_path / "customers.xlsx"
    write_xlsx(sheet, rows, KEYS)
    server.admin("import-customers", str(sheet), "--owner", "c1")
    onboarding = (
        server.admin("onboarding", "open", CODES[0], "--received", "2026-11-02T09:00").stdout.strip().split("\t")[0]
    )
    first = json.loads(server.admin("onboarding", "show", onboarding, "--user", "zm").stdout)["steps"][0]["code"]
    server.admin(
        "onboarding",
        "do",
        onboarding,
        "--step",
        first,
        "--revision",
        "1",
        "--user",
        "zm",
        "--note",
        "已转发营销科",
        "--phone",
        "营销科李四|029-88886666|已告知",  # the hand-over's phone notice (0029_workflow_posts)
    )
    phone = (
        server.admin(
            "change", "open", CODES[1], "--path", "county", "--set", "contact_phone=13912345678", "--user", "c1"
        )
        .stdout.strip()
        .split("\t")[0]
    )
    server.admin("change", "do", phone, "--step", "fill", "--revision", "1", "--user", "s1", "--note", "已核实")
    city = (
        server.admin(
            "change", "open", CODES[2], "--path", "city", "--set", 'order_cycle=["mon", "thu"]', "--user", "mkt"
        )
        .stdout.strip()
        .split("\t")[0]
    )
    server.admin("change", "do", city, "--step", "order", "--revision", "1", "--user", "mkt", "--note", "已下发任务单")
    return rows, onboarding, phone, city


def test_the_request_forms_as_pdf_and_xlsx(server, clients, tmp_path: Path) -> None:
    rows, onboarding_id, phone_id, city_id = setup_cases(server, tmp_path)
    c1 = clients("c1")
    c1.login(server)
    c1.sync()
    s = c1.session
    client = syncing.client_for(s)
    try:
        onboarding = case_forms.fetch_case(client, onboarding_id, "onboarding")
        phone = case_forms.fetch_case(client, phone_id)  # either kind: found as a change request
        city = case_forms.fetch_case(client, city_id.upper(), "change")
    finally:
        client.close()
    assert [case_forms.form_kind(c) for c in (onboarding, phone, city)] == ["onboarding", "phone", "task_order"]

    pdf = tmp_path / "新入网.pdf"
    pages = case_forms.write_form(s, onboarding, pdf, lang="zh_CN")
    text = pdf_text(pdf)
    assert pages >= 1 and "客户新入网申请表" in text and onboarding.id in text
    for value in (CODES[0], rows[0]["licence_no"], rows[0]["legal_person"], mask(rows[0]["id_card"])):
        assert value in text, value
    assert rows[0]["id_card"] not in text and "身份证号码和银行账号已部分隐去" in text
    assert "1. 专卖部门转发新办证客户信息" in text and "（专卖管理所）" in text
    assert "zm 于" in text and "备注：已转发营销科" in text and "待办理，期限" in text and "尚未开始" in text
    assert "营销科李四" in text and "029-88886666" in text and "已告知" in text  # the hand-over's phone notice
    for signer in ("申请人（客户经理）", "营销科负责人审核", "市场部负责人审核"):
        assert signer in text
    assert text.count("签字：____") == 3 and "打印人 c1" in text

    xlsx = tmp_path / "新入网.xlsx"
    case_forms.write_form(s, onboarding, xlsx, lang="zh_CN")
    ws = load_workbook(xlsx).active
    cells = {(r[0].value, r[1].value): (r[0].data_type, r[1].data_type) for r in ws.iter_rows()}
    assert ("客户新入网申请表", CODES[0] + " =西关新开烟酒店") in cells
    assert cells[("店铺名称", "=西关新开烟酒店")] == ("s", "s")  # a string, not a formula
    assert ("负责人身份证号码", mask(rows[0]["id_card"])) in cells and ("客户代码", CODES[0]) in cells
    assert any(str(k[1]).startswith("zm 于") for k in cells) and ("【办理过程】", None) in cells

    phone_pdf = tmp_path / "电话.pdf"
    case_forms.write_form(s, phone, phone_pdf, lang="zh_CN")
    text = pdf_text(phone_pdf)
    old = next(c for c in (c1.session._archive.customers.by_code(CODES[1]),)).values.get("contact_phone")
    assert "电话号码申请变更表" in text and "13912345678" in text and "县区营销部核实并填写" in text
    assert (f"原号码 {old}，变更为 13912345678" if old else "原号码 ____________，变更为 13912345678") in text
    assert "s1 于" in text and "备注：已核实" in text
    for signer in ("申请人（客户）", "客户经理审查确认", "市场经理审批", "系统维护人"):
        assert signer in text

    city_xlsx = tmp_path / "task.xlsx"
    case_forms.write_form(s, city, city_xlsx, lang="en")
    values = [(r[0].value, r[1].value) for r in load_workbook(city_xlsx).active.iter_rows()]
    assert values[0][0] == "Customer information modification task order"
    assert ("Order days", "Monday; Thursday") in values and ("Customer code", CODES[2]) in values
    assert any(str(v[0]).startswith("1. 营销中心填写《客户信息修改维护任务单》") and "mkt" in str(v[1]) for v in values)
    line = "Signature: ____________________    Date: ______ / ____ / ____"
    assert ("【Signatures】", None) in values and ("Customer manager (verified)", line) in values

    entries = prints(s, onboarding.record_id)
    assert sorted(e.new["format"] for e in entries) == ["pdf", "xlsx"]
    assert {e.new["form"] for e in entries} == {"onboarding"} and all(e.new["masked"] for e in entries)
    assert {e.new["case"] for e in entries} == {onboarding.id}
    assert [e.new["form"] for e in prints(s, city.record_id)] == ["task_order"]

    bad = tmp_path / "form.docx"
    with pytest.raises(UserFacingError) as refused:
        case_forms.write_form(s, city, bad, lang="zh_CN")
    assert "以 .pdf 或 .xlsx 结尾" in refused.value.message("zh_CN") and not bad.exists()


def test_print_case_from_the_command_line(server, clients, tmp_path: Path) -> None:
    _rows, onboarding_id, phone_id, _city = setup_cases(server, tmp_path)
    c1 = clients("c1")
    c1.session.close()
    c1.session = None
    ok(cli(c1.home, "login", "--server", server.url, "--user", "c1"))
    ok(cli(c1.home, "sync"))
    out = tmp_path / "phone.xlsx"
    said = ok(cli(c1.home, "print-case", phone_id, str(out)))
    assert f"申请 {phone_id} 的《电话号码申请变更表》已保存到" in said
    ws = load_workbook(out).active
    assert ws["A1"].value == "电话号码申请变更表" and any("13912345678" in str(c.value) for c in ws["B"])
    pdf = tmp_path / "onboarding.pdf"
    ok(cli(c1.home, "print-case", onboarding_id, str(pdf), "--kind", "onboarding"))
    assert "客户新入网申请表" in pdf_text(pdf)
    wrong = cli(c1.home, "print-case", phone_id, str(tmp_path / "x.doc"))
    assert wrong.returncode != 0 and "以 .pdf 或 .xlsx 结尾" in wrong.stderr
    missing = cli(c1.home, "print-case", "00000000-0000-4000-8000-000000000000", str(tmp_path / "y.pdf"))
    assert missing.returncode != 0 and "没有您可查看的申请 00000000-0000-4000-8000-000000000000" in missing.stderr
    assert not (tmp_path / "y.pdf").exists()

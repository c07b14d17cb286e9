"""The server's imports read sheets with the client's reader (issue 14): title rows, decorated headers,
number cells that lost digits (an error naming the row, never a checksum), CSV; on both databases."""

from __future__ import annotations

import json

from openpyxl import Workbook
from sqlalchemy import select

from server.schema import customers, purchases

ID = "610103196001011007"


def book(path, *rows):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return str(path)


def values_of(db, code):
    with db.read() as conn:
        return json.loads(conn.execute(select(customers.c.data).where(customers.c.code == code)).scalar_one())


def test_import_customers_refuses_an_id_excel_has_rounded_and_reads_decorated_headers(run, db, tmp_path):
    assert run("user", "add", "ann", "--role", "collector")[0] == 0
    header = ["*客户代码", "店铺名称（必填）", "负责人身份证号码", "邮政\n编码", "烟草专卖零售许可证号"]
    title = ["某市烟草专卖局零售客户档案表"]
    bad = book(
        tmp_path / "bad.xlsx",
        title,
        header,
        ["610102000001", "甲店", int(ID), 710061, 610102100123],  # the ID as a number: a float
        ["610102000002", "乙店", ID, 10010, 610102100124],
    )  # postal code 010010 as a number
    code, out, err = run("import-customers", bad, "--owner", "ann")
    assert code == 1 and "nothing was imported" in err
    assert (
        "row 3: ID card no. of the person in charge: the column was stored as a number by Excel and its "
        "last digits are lost; set the column to Text and enter it again." in out
    )
    assert "row 4:" in out and "leading 0 is lost (10010)" in out
    assert "check character" not in out
    with db.read() as conn:
        assert conn.execute(select(customers.c.id)).first() is None

    typo = book(tmp_path / "typo.xlsx", ["客户代码", "店铺名称", "经营地扯"], ["610102000001", "甲店", "x"])
    code, out, err = run("import-customers", typo, "--owner", "ann")
    assert code == 1 and "The column “经营地扯” is not recognised and looks like Business address" in out

    good = book(
        tmp_path / "good.xlsx", title, ["填报单位：某市局"], header, ["610102000001", "甲店", ID, 710061, 610102100123]
    )
    code, out, err = run("import-customers", good, "--owner", "ann")
    assert code == 0, out + err
    v = values_of(db, "610102000001")
    assert (v["shop_name"], v["id_card"], v["postal_code"], v["licence_no"]) == ("甲店", ID, "710061", "610102100123")


def test_purchases_read_a_csv_with_a_title_row_and_number_codes(run, db, tmp_path):
    assert run("user", "add", "ann", "--role", "collector")[0] == 0
    seed = book(tmp_path / "seed.xlsx", ["客户代码", "店铺名称"], ["610102000001", "甲店"])
    assert run("import-customers", seed, "--owner", "ann")[0] == 0
    csv = tmp_path / "figures.csv"
    csv.write_bytes(
        "2026年9月购进情况\r\n*客户编码,期间,购进量（条）,购进金额（元）\r\n610102000001,2026-09,12,345.5\r\n".encode(
            "gbk"
        )
    )
    code, out, err = run("purchases", "import", str(csv))
    assert code == 0, out + err
    with db.read() as conn:
        rows = conn.execute(select(purchases.c.period, purchases.c.customer_code, purchases.c.qty)).all()
    assert [tuple(r) for r in rows] == [("2026-09", "610102000001", 12)]


def test_several_sheets_need_sheet_on_the_server_too(run, db, tmp_path):
    assert run("user", "add", "ann", "--role", "collector")[0] == 0
    wb = Workbook()
    old = wb.active
    old.title = "旧"
    old.append(["客户代码", "店铺名称"])
    old.append(["610102000009", "旧店"])
    new = wb.create_sheet("新")
    new.append(["客户代码", "店铺名称"])
    new.append(["610102000001", "新店"])
    wb.active = 1
    wb.save(tmp_path / "two.xlsx")
    code, _, err = run("import-customers", str(tmp_path / "two.xlsx"), "--owner", "ann")
    assert code == 2 and "has data on several sheets: 旧、新" in err and "--sheet NAME" in err
    code, out, err = run("import-customers", str(tmp_path / "two.xlsx"), "--owner", "ann", "--sheet", "新")
    assert code == 0, out + err
    with db.read() as conn:
        assert [r.code for r in conn.execute(select(customers.c.code))] == ["610102000001"]

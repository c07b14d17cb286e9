"""Intake you can trust (issue 14, the reader): every kind of sheet people send, imported into a real
archive and checked field by field: number cells Excel damaged, decorated headers, title rows,
several sheets, .xls/.ods written by LibreOffice, CSV in UTF-8/BOM/GBK/GB18030, files that are not
spreadsheets. LibreOffice (soffice; through UNO for the encrypted .xls) and msoffcrypto-tool make the .xls/.ods and the
encrypted files."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.errors import UserFacingError
from app.export.reading import open_book
from app.export.sheetfile import SheetError
from app.services.sheet_results import ImportMode
from app.services.sheets import intake_summary, process_sheet
from app.validation.sheetmap import HeaderMap, norm_header
from app.validation.types import id_check_digit, luhn_valid
from tests.consent import CONSENT_CELLS

ID = "610103196001011007"  # the issue's ID: its float 610103196001010944 passes the check digit too
HEADER = [
    "店铺名称",
    "负责人身份证号码",
    "银行账号",
    "邮政编码",
    "固定电话",
    "烟草专卖零售许可证号",
    "联系电话",
]
LOST = "该列被 Excel 存成了数字，末尾几位已丢失；请把该列设为“文本”后重新输入"


def run(session, path, **kw):
    return process_sheet(path, session.form, session._archive, actor="tester", today=session.today(), **kw)


def stored(session, shop: str) -> dict:
    rows = session._archive.customers.rows(session._archive.customers.search_pks(shop))
    assert len(rows) == 1, rows
    return session._archive.customers.get(rows[0].id).values


def card(prefix: str, length: int) -> str:
    """A Luhn-valid bank card number."""
    for last in "0123456789":
        s = prefix.ljust(length - 1, "7") + last
        if luhn_valid(s):
            return s
    raise AssertionError


def workbook(path: Path, *sheets: tuple[str, list[list]], active: int = 0) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.active = active
    wb.save(path)
    return path


def errors(result) -> list[tuple]:
    return [(p.row, p.field, p.code) for p in result.problems if p.severity == "error"]


def test_the_issue_id_really_passes_its_check_digit_when_damaged() -> None:
    damaged = str(int(float(ID)))
    assert damaged == "610103196001010944" and id_check_digit(ID) == ID[17] and id_check_digit(damaged) == damaged[17]


def test_number_cells_that_lost_digits_are_errors_with_their_own_message(session, tmp_path) -> None:
    card16, card19 = card("622202", 16), card("622848", 19)
    path = workbook(
        tmp_path / "numbers.xlsx",
        (
            "客户",
            [
                [*HEADER, *CONSENT_CELLS],
                ["甲店", int(ID), None, None, None, None, None],  # 18 digits: Excel keeps 15
                ["乙店", None, int(card16), None, None, None, None],  # 16 digits, below 2^53, last digit lost
                ["丙店", None, int(card19), None, None, None, None],  # 19 digits: a float
                ["丁店", None, None, 10010, None, None, None],  # postal code 010010
                ["戊店", None, None, None, 2988881234, None, None],  # landline 029-88881234
                ["己店", None, None, 710061.5, None, None, None],  # a float with a fraction
                ["庚店", ID, card16, 710061, "029-88881234", 610102100123, 13912345678, *CONSENT_CELLS.values()],
            ],
        ),
    )
    result = run(session, path)
    assert errors(result) == [
        (2, "id_card", "cell.number_lost"),
        (3, "bank_account", "cell.number_lost"),
        (4, "bank_account", "cell.number_lost"),
        (5, "postal_code", "cell.leading_zero"),
        (6, "landline", "cell.leading_zero"),
        (7, "postal_code", "cell.number_lost"),
    ]
    assert not [p for p in result.problems if p.code in ("id_card.checksum", "bank.luhn", "bank.format")]
    by_row = {p.row: p.message for p in result.problems if p.severity == "error"}
    assert by_row[2] == f"负责人身份证号码：{LOST}。"
    assert "开头的 0 已丢失（10010）" in by_row[5] and "开头的 0 已丢失（2988881234）" in by_row[6]
    en = run(session, path, lang="en")
    assert "the column was stored as a number by Excel and its last digits are lost; set the column to Text" in next(
        p.message for p in en.problems if p.row == 2
    )

    done = run(session, path, mode=ImportMode.WRITE_VALID_ROWS)
    assert done.written and done.created == 1 and session._archive.customers.count() == 1
    v = stored(session, "庚店")
    assert (v["id_card"], v["bank_account"], v["postal_code"], v["landline"], v["licence_no"], v["contact_phone"]) == (
        ID,
        card16,
        "710061",
        "029-88881234",
        "610102100123",
        "13912345678",
    )


def test_a_long_number_in_a_plain_text_field_is_not_stored_as_its_float(session, tmp_path) -> None:
    path = workbook(
        tmp_path / "text.xlsx",
        ("s", [["店铺名称", "新商盟账号", "服务备注"], ["文本店", int(ID), 3.5], ["短号店", 12345678, None]]),
    )
    result = run(session, path, mode=ImportMode.WRITE_VALID_ROWS)
    assert errors(result) == [(2, "newshangmeng_account", "cell.number_lost")]
    assert stored(session, "短号店")["newshangmeng_account"] == "12345678"


def test_dates_from_serial_numbers_and_yyyymmdd(session, tmp_path) -> None:
    path = workbook(
        tmp_path / "dates.xlsx",
        (
            "s",
            [
                ["店铺名称", "发证日期", "有效期至", "年审日期"],
                ["日期店", 45356, 20290304, "20250305"],
                ["年份店", 2024, None, None],  # a year is not a serial number
            ],
        ),
    )
    result = run(session, path, mode=ImportMode.WRITE_VALID_ROWS)
    assert result.written and errors(result) == [(3, "licence_issue_date", "date.invalid")]
    v = stored(session, "日期店")
    assert (v["licence_issue_date"], v["licence_expiry_date"], v["annual_review_date"]) == (
        "2024-03-05",
        "2029-03-04",
        "2025-03-05",
    )


def test_decorated_headers_and_title_rows(session, tmp_path) -> None:
    path = tmp_path / "decorated.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某市烟草专卖局零售客户档案表"])
    ws.merge_cells("A1:H1")
    ws.append(["填报单位：某市局", None, None, "填报日期：2026-11-01"])
    ws.append([])
    ws.append(
        [
            "*店铺名称",
            "＊负责人（经营者）姓名",
            "经营地址（必填）",
            "联系电话\n（手机）",
            " 邮政 编码 ",
            "负责人身份证号码(选填)",
            "烟草专卖零售许可证号 *",
            "备用列",
            *CONSENT_CELLS,
        ]
    )
    ws.append(
        ["装饰店", "王五", "雁塔路 1 号", "13912345678", "710061", ID, "610102100123", "x", *CONSENT_CELLS.values()]
    )
    wb.save(path)
    result = run(session, path, mode=ImportMode.WRITE)
    assert result.written and result.created == 1, result.problems
    assert result.header_rows == {"Sheet": 4} and result.ignored_columns == ["备用列"]
    v = stored(session, "装饰店")
    assert (v["legal_person"], v["address"], v["contact_phone"], v["postal_code"], v["id_card"], v["licence_no"]) == (
        "王五",
        "雁塔路 1 号",
        "13912345678",
        "710061",
        ID,
        "610102100123",
    )
    summary = intake_summary(result, "zh_CN")
    assert "表头在第 4 行" in summary[0] and summary[1] == "已忽略的列：1 列。 备用列"


def test_a_misspelt_column_is_an_error_naming_the_field(session, tmp_path) -> None:
    path = workbook(tmp_path / "typo.xlsx", ("s", [["店铺名称", "经营地扯", "负责人身分证号码"], ["错字店", "x", ID]]))
    result = run(session, path, mode=ImportMode.WRITE)
    assert not result.written and session._archive.customers.count() == 0
    assert errors(result) == [(1, "address", "column.close"), (1, "id_card", "column.close")]
    msg = next(p.message for p in result.problems if p.field == "address")
    assert msg == "无法识别列“经营地扯”，它看起来像“经营地址”：请把列名改为“经营地址”（如果是其他内容，请删除该列）。"
    assert result.ignored_columns == ["经营地扯", "负责人身分证号码"]
    hm = HeaderMap(session.form)
    assert (hm.nearest("身份证号"), hm.nearest("许可证号"), hm.nearest("联系人电话")) == (
        "id_card",
        "licence_no",
        "contact_phone",
    )
    assert (hm.nearest("序号"), hm.nearest("备注"), hm.nearest("颜色")) == (None, None, None)  # ignored, with a warning


def test_header_normalisation() -> None:
    assert norm_header(" *店铺\n名称（必填） ") == norm_header("店铺名称") == "店铺名称"
    assert norm_header("Shop name (required)") == norm_header("shopname")


def test_no_header_in_the_first_rows_is_refused_saying_where_it_must_be(session, tmp_path) -> None:
    rows = (
        [["某市烟草专卖局零售客户档案表"]]
        + [[f"说明 {i}"] for i in range(12)]
        + [["店铺名称", "经营地址"], ["迟店", "x"]]
    )
    path = workbook(tmp_path / "late.xlsx", ("s", rows))
    with pytest.raises(UserFacingError) as e:
        run(session, path)
    assert e.value.message("zh_CN").startswith("late.xlsx 的工作表“s”：前 10 行中没有找到表头行")


def test_several_sheets_with_data_need_a_choice(session, tmp_path) -> None:
    path = workbook(
        tmp_path / "two.xlsx",
        ("旧名单", [["店铺名称", "联系电话"], ["旧店", "12345"]]),
        ("新名单", [["店铺名称", "联系电话", *CONSENT_CELLS], ["新店", "13912345678", *CONSENT_CELLS.values()]]),
        active=1,
    )
    result = run(session, path, mode=ImportMode.WRITE)
    assert result.sheet_choices == ["旧名单", "新名单"] and result.active_sheet == "新名单"
    assert result.has_errors and not result.written and session._archive.customers.count() == 0
    assert "有多个工作表含有数据：旧名单、新名单" in result.problems[0].message

    one = run(session, path, mode=ImportMode.WRITE, sheet="新名单")
    assert one.written and one.created == 1 and one.sheets == ["新名单"] and one.ignored_sheets == ["旧名单"]
    assert stored(session, "新店")["contact_phone"] == "13912345678"

    every = run(session, path, sheet="all")
    assert every.sheets == ["旧名单", "新名单"]
    bad = [p for p in every.problems if p.severity == "error"]
    assert [(p.sheet, p.row, p.code) for p in bad] == [("旧名单", 2, "phone.format")]
    assert every.error_rows == ["旧名单 2"]
    with pytest.raises(SheetError) as e:
        run(session, path, sheet="三")
    assert "没有名为“三”的工作表" in e.value.message("zh_CN")


def test_the_only_sheet_with_data_is_read_and_the_others_are_named(session, tmp_path) -> None:
    path = workbook(
        tmp_path / "guide.xlsx",
        ("说明", [["请在“客户”表中填写"], ["每行一户"]]),
        ("客户", [["店铺名称", "经营地址"], ["唯一店", "x"]]),
        active=0,
    )
    book = open_book(path, HeaderMap(session.form).score)
    assert book.active.name == "说明" and [s.name for s in book.data_sheets] == ["客户"]
    book.close()
    result = run(session, path, mode=ImportMode.WRITE)
    assert result.written and result.sheets == ["客户"] and result.ignored_sheets == ["说明"]
    assert "未读取的工作表：说明。" in intake_summary(result, "zh_CN")


def test_the_active_sheet_of_an_ods_is_read_from_its_settings(session, tmp_path) -> None:
    src = workbook(
        tmp_path / "src.xlsx",
        ("A", [["店铺名称", "经营地址"], ["a", "x"]]),
        ("B", [["店铺名称", "经营地址"], ["b", "y"]]),
    )
    ods = convert(src, "ods", tmp_path)
    settings = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-settings xmlns:office="urn:oasis:names:tc:'
        'opendocument:xmlns:office:1.0" xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0">'
        '<office:settings><config:config-item-set config:name="ooo:view-settings">'
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        '<config:config-item config:name="ViewId" config:type="string">view1</config:config-item>'
        '<config:config-item config:name="ActiveTable" config:type="string">B</config:config-item>'
        "</config:config-item-map-entry></config:config-item-map-indexed></config:config-item-set>"
        "</office:settings></office:document-settings>"
    )
    out = tmp_path / "active.ods"
    with zipfile.ZipFile(ods) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = settings.encode() if item.filename == "settings.xml" else zin.read(item.filename)
            zout.writestr(item, data)
    book = open_book(out, HeaderMap(session.form).score)
    assert book.kind == "ods" and book.active.name == "B"
    book.close()


# -- files written by LibreOffice, and CSV ------------------------------------------------------------
def convert(src: Path, fmt: str, out: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed: apt-get install -y libreoffice-calc-nogui"
    proc = subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{out}/lo-profile",
            "--convert-to",
            fmt,
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    target = out / f"{src.stem}.{fmt.split(':')[0]}"
    assert target.exists(), proc.stdout + proc.stderr
    return target


#: the tests of the files LibreOffice writes run in one worker, and its four conversions (2–3 s each) are made
#: once per worker: module-scoped, they were made again whenever a worker came back to this module
OFFICE = pytest.mark.xdist_group("office_files")


@pytest.fixture(scope="session")
def office_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("office")
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = "说明"
    guide.append(["请在“客户”表中填写，每行一户"])
    ws = wb.create_sheet("客户")
    ws.append(
        [
            "店铺名称",
            "负责人身份证号码",
            "邮政编码",
            "发证日期",
            "送货顺序",
            "营业面积",
            "定点取货",
            "联系电话",
            *CONSENT_CELLS,
        ]
    )
    ws.append(["办公店", ID, 710061, dt.date(2024, 3, 5), 12, 35.5, True, 13912345678, *CONSENT_CELLS.values()])
    ws.append(["坏号店", int(ID), 10010, None, None, None, None, None])
    ws["D2"].number_format = "yyyy-mm-dd"
    wb.active = 1
    src = d / "office.xlsx"
    wb.save(src)
    files = {"xlsx": src, "xls": convert(src, "xls", d), "ods": convert(src, "ods", d)}
    files["et"] = d / "wps.et"  # WPS's own name for a workbook in the .xls format
    files["et"].write_bytes(files["xls"].read_bytes())
    files["xlsm"] = d / "macro.xlsm"
    files["xlsm"].write_bytes(src.read_bytes())
    single = workbook(d / "single.xlsx", ("客户", [list(r) for r in ws.iter_rows(values_only=True)]))
    openpyxl.load_workbook(single)  # sanity
    files["csv"] = convert(single, "csv:Text - txt - csv (StarCalc):44,34,76", d)
    lo = d / "lo"
    lo.mkdir()
    files["lo-xlsx"] = convert(files["ods"], "xlsx", lo)  # shared strings and styles as LibreOffice writes
    return files


@OFFICE
@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods", "csv", "et", "xlsm"])
def test_files_written_by_libreoffice(session, office_files, kind) -> None:
    path = office_files[kind]
    book = open_book(path, HeaderMap(session.form).score)
    assert book.kind == {"et": "xls", "xlsm": "xlsx"}.get(kind, kind)
    if kind != "ods" and kind != "csv":
        assert book.active.name == "客户"  # the sheet the file opens on
    book.close()
    result = run(session, path, mode=ImportMode.WRITE_VALID_ROWS)
    assert result.written and result.created == 1, result.problems
    assert result.sheets == (["客户"] if kind != "csv" else [path.stem])
    if kind != "csv":
        assert result.ignored_sheets == ["说明"]
        # the damaged ID is a number cell: its own message, never a checksum
        assert (3, "id_card", "cell.number_lost") in errors(result)
        assert (3, "postal_code", "cell.leading_zero") in errors(result)
    else:  # a CSV holds text: Excel's 6.10103E+17 is caught as text; LibreOffice writes all digits
        assert not [e for e in errors(result) if e[0] == 2]
    v = stored(session, "办公店")
    assert (
        v["id_card"],
        v["postal_code"],
        v["licence_issue_date"],
        v["delivery_sequence"],
        v["business_area"],
        v["contact_phone"],
    ) == (ID, "710061", "2024-03-05", 12, "35.5", "13912345678")


CSV_TEXT = (
    "店铺名称,负责人身份证号码,邮政编码,联系电话,客户书面同意采集,同意日期,同意形式\r\n"
    "{shop},{id},010010,13912345678,是,2025-01-05,书面同意书\r\n坏店,6.10103E+17,710061,,,,\r\n"
)


@pytest.mark.parametrize(
    "encoding,shop",
    [
        ("utf-8", "𠮷祥烟酒"),
        ("utf-8-sig", "𠮷祥烟酒"),
        ("gbk", "老王烟酒店"),
        ("gb18030", "𠮷祥烟酒"),
        ("utf-16", "老王烟酒店"),
    ],
)
def test_csv_in_utf8_bom_gbk_gb18030_and_utf16(session, tmp_path, encoding, shop) -> None:
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(CSV_TEXT.format(shop=shop, id=ID).encode(encoding))
    result = run(session, path, mode=ImportMode.WRITE_VALID_ROWS)
    assert result.written and result.created == 1
    assert errors(result) == [(3, "id_card", "cell.number_lost")]  # Excel's CSV of a number cell
    v = stored(session, shop)
    assert (v["shop_name"], v["id_card"], v["postal_code"], v["contact_phone"]) == (shop, ID, "010010", "13912345678")


# -- files that are not (readable) spreadsheets ------------------------------------------------------------
def refusal(session, path: Path) -> str:
    with pytest.raises(UserFacingError) as e:
        run(session, path)
    zh = e.value.message("zh_CN")
    assert not re.search(r"[A-Za-z]*(Error|Exception|Zip|File)\b", zh), zh  # no English exception name
    assert e.value.message("en") != zh
    return zh


def test_files_that_are_not_spreadsheets_are_refused_with_what_to_do(session, tmp_path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert "是空文件（0 字节）" in refusal(session, empty)
    renamed = tmp_path / "notes.xlsx"
    renamed.write_text("客户名单\n老王\n", encoding="utf-8")
    assert "不是可读取的电子表格（可能是改了扩展名的其他文件）" in refusal(session, renamed)
    other_zip = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "不是可读取的电子表格" in refusal(session, other_zip)
    good = workbook(tmp_path / "good.xlsx", ("s", [["店铺名称", "经营地址"], ["a", "b"]]))
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "已损坏或不完整" in refusal(session, cut)
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 10)
    assert "不是可读取的电子表格" in refusal(session, binary)
    assert session._archive.customers.count() == 0


def test_an_encrypted_workbook_is_refused_asking_to_remove_the_password(session, tmp_path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = workbook(tmp_path / "plain.xlsx", ("s", [["店铺名称", "经营地址"], ["a", "b"]]))
    out = io.BytesIO()
    with open(plain, "rb") as f:
        OOXMLFile(f).encrypt("secret", out)
    enc = tmp_path / "secret.xlsx"
    enc.write_bytes(out.getvalue())
    assert enc.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # an OLE2 (CFB) file, like a real .xls
    assert "设置了打开密码" in refusal(session, enc)
    renamed = tmp_path / "secret.xls"  # the same file named .xls
    renamed.write_bytes(out.getvalue())
    assert "设置了打开密码" in refusal(session, renamed)


SYSTEM_PYTHON = "/usr/bin/python3"  # the Python that has LibreOffice's uno module (python3-uno)


def _has_uno() -> bool:
    if not ((shutil.which("soffice") or shutil.which("libreoffice")) and Path(SYSTEM_PYTHON).exists()):
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


@pytest.mark.skipif(
    not (_has_uno() or os.environ.get("CI")),
    reason="LibreOffice with its Python bridge (python3-uno) is not installed here (.ci/run installs it)",
)
def test_an_encrypted_xls_is_refused_asking_to_remove_the_password(session, tmp_path) -> None:
    """An .xls saved with an opening password (by LibreOffice Calc through UNO: Save As with a password;
    msoffcrypto-tool cannot encrypt the Excel 97 format and ``--convert-to`` cannot set a password)."""
    import msoffcrypto
    import python_calamine as pc

    plain = workbook(tmp_path / "plain.xlsx", ("客户", [["店铺名称", "经营地址"], ["密店", "某路 1 号"]]))
    enc = tmp_path / "secret.xls"
    proc = subprocess.run(
        [
            SYSTEM_PYTHON,
            str(Path(__file__).resolve().parents[1] / "lo_password.py"),
            str(plain),
            str(enc),
            str(tmp_path / "lo-profile"),
            "MS Excel 97",
            "secret",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0 and enc.exists(), proc.stderr
    with open(enc, "rb") as f:  # really an encrypted Excel 97 workbook:
        office = msoffcrypto.OfficeFile(f)
        assert type(office).__name__ == "Xls97File" and office.is_encrypted()
        office.load_key(password="secret")
        clear = io.BytesIO()
        office.decrypt(clear)  # ... which opens with its password
    clear.seek(0)
    assert pc.CalamineWorkbook.from_filelike(clear).get_sheet_by_index(0).to_python()[1] == ["密店", "某路 1 号"]
    zh = refusal(session, enc)
    assert "设置了打开密码" in zh and "取消密码" in zh, zh
    assert "password" in refusal_en(session, enc)
    renamed = tmp_path / "secret.et"  # as WPS names its own sheets
    renamed.write_bytes(enc.read_bytes())
    assert "设置了打开密码" in refusal(session, renamed)
    assert session._archive.customers.count() == 0


def refusal_en(session, path: Path) -> str:
    with pytest.raises(UserFacingError) as e:
        run(session, path)
    return e.value.message("en")


def test_blank_rows_and_columns_before_the_table_keep_the_row_numbers(session, tmp_path) -> None:
    path = tmp_path / "offset.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C3"], ws["D3"] = "店铺名称", "联系电话"
    ws["C4"], ws["D4"] = "偏移店", "13912345678"
    for col, (head, value) in zip("EFG", CONSENT_CELLS.items(), strict=True):
        ws[f"{col}3"], ws[f"{col}4"] = head, value
    ws["C6"], ws["D6"] = "错号店", "12345"
    wb.save(path)
    result = run(session, path, mode=ImportMode.WRITE_VALID_ROWS)
    assert result.header_rows == {"Sheet": 3} and errors(result) == [(6, "contact_phone", "phone.format")]
    assert stored(session, "偏移店")["contact_phone"] == "13912345678"


def test_the_command_line_refuses_several_sheets_without_sheet_and_takes_it(home, tmp_path) -> None:
    from tests.unit.test_cli import cli

    path = workbook(
        tmp_path / "two.xlsx",
        ("东区", [["店铺名称", "联系电话", *CONSENT_CELLS], ["东店", "13912345678", *CONSENT_CELLS.values()]]),
        ("西区", [["店铺名称", "联系电话"], ["西店", "12345"]]),
        active=1,
    )
    refused = cli(home, "validate", str(path), passphrase=None)
    assert refused.returncode == 1 and "有多个工作表含有数据：东区、西区" in refused.stdout + refused.stderr
    assert "--sheet" in refused.stdout
    east = cli(home, "validate", str(path), "--sheet", "东区", passphrase=None)
    assert east.returncode == 0, east.stdout + east.stderr
    assert "工作表“东区”，表头在第 1 行" in east.stderr and "已忽略的列：0 列。" in east.stderr
    assert "未读取的工作表：西区。" in east.stderr
    every = cli(home, "validate", str(path), "--sheet", "all", "--json", passphrase=None)
    assert every.returncode == 1
    summary = json.loads(every.stdout)
    assert [s["name"] for s in summary["sheets"]] == ["东区", "西区"] and summary["ignored_sheets"] == []
    problems = [p for p in summary["problems"] if p["severity"] == "error"]
    assert [(p["sheet"], p["row"], p["code"]) for p in problems] == [("西区", 2, "phone.format")]
    missing = cli(home, "validate", str(path), "--sheet", "北区", passphrase=None)
    assert missing.returncode == 2 and "没有名为“北区”的工作表" in missing.stderr


# -- big .xlsx files are streamed: the same rows as calamine's --------------------------------------------
def raw_rows(path: Path, stream: bool, monkeypatch) -> tuple[str, dict]:
    from app.export import reading

    monkeypatch.setattr(reading, "STREAM_BYTES", 0 if stream else 1 << 40)
    book = open_book(path, lambda row: 1 if any(row) else 0)
    assert (book._stream is not None) is stream
    out = {}
    for s in book.sheets:
        rows = []
        for n, values in book._raw_rows(s.name):
            while values and values[-1] is None:
                values.pop()
            if values:
                rows.append((n, values))
        out[s.name] = rows
    active = book.active.name
    book.close()
    return active, out


@OFFICE
@pytest.mark.parametrize("kind", ["xlsx", "lo-xlsx"])
def test_the_streamed_reader_reads_what_calamine_reads(office_files, tmp_path, monkeypatch, kind) -> None:
    extra = workbook(
        tmp_path / "mixed.xlsx",
        (
            "A",
            [
                ["店铺名称", "数", "日期", "真"],
                ["x", 1.5, dt.date(2024, 3, 5), True],
                [None, int(ID), dt.datetime(2024, 3, 5, 8, 30), "=1+1"],
            ],
        ),
        ("B", [["only"]]),
        active=1,
    )
    for path in (office_files[kind], extra):
        calamine = raw_rows(path, False, monkeypatch)
        streamed = raw_rows(path, True, monkeypatch)
        assert streamed == calamine
    assert raw_rows(extra, True, monkeypatch)[1]["A"][1] == (2, ["x", 1.5, dt.date(2024, 3, 5), True])


def test_a_streamed_import_stores_the_same_values(session, tmp_path, monkeypatch) -> None:
    from app.export import reading

    monkeypatch.setattr(reading, "STREAM_BYTES", 0)
    path = workbook(
        tmp_path / "streamed.xlsx",
        (
            "客户",
            [
                ["某市烟草专卖局零售客户档案表"],
                ["*店铺名称", "负责人身份证号码", "邮政编码", "发证日期", "烟草专卖零售许可证号", *CONSENT_CELLS],
                ["流店", ID, 710061, dt.date(2024, 3, 5), 610102100123, *CONSENT_CELLS.values()],
                ["坏店", int(ID), 10010, 45356, None],
            ],
        ),
    )
    result = run(session, path, mode=ImportMode.WRITE_VALID_ROWS)
    assert result.header_rows == {"客户": 2}
    assert errors(result) == [(4, "id_card", "cell.number_lost"), (4, "postal_code", "cell.leading_zero")]
    v = stored(session, "流店")
    assert (v["id_card"], v["postal_code"], v["licence_issue_date"], v["licence_no"]) == (
        ID,
        "710061",
        "2024-03-05",
        "610102100123",
    )


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_HAND_SHEET = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{_MAIN_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><dimension ref="A1:H8"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>数</t></is></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="inlineStr"><is><t>真</t></is></c><c r="E1" t="inlineStr"><is><t>错</t></is></c><c r="F1" t="inlineStr"><is><t>科学</t></is></c><c r="G1" t="inlineStr"><is><t>大</t></is></c></row><row r="2" spans="1:7"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>1.5</v></c><c r="C2" s="1"><v>45356</v></c><c r="D2" t="b"><v>1</v></c><c r="E2" t="e"><v>#DIV/0!</v></c><c r="F2"><v>1.2E+3</v></c><c r="G2" t="n"><v>6.1010219900101E+17</v></c></row><row r="3"><c r="A3" s="1"/><c r="B3"></c><c r="C3" s="1"><v>45356.5</v></c><c r="D3" t="b"><v>0</v></c><c r="F3" t="str"><f>A1</f><v>x &amp; y</v></c><c r="H3" t="inlineStr"><is><t xml:space="preserve"> a&lt;b&#x4E2D; </t></is></c></row><row r="5"><c r="A5" t="s"><v>1</v></c><c r="B5" t="inlineStr"><is><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r></is></c><c r="E5"><v>-3.5E-2</v></c><c r="G5" t="s"><v>4</v></c></row><row r="6"/><row r="7"><!-- a note --><c r="A7" t="inlineStr"><is><t>注</t></is></c><c r="C7" t="s"><v>2</v></c></row><row r="8">
  <c r="A8" t="n">
    <v>7</v>
  </c>
  <c r="C8" t="inlineStr"><is><t>行&#13;尾</t></is></c>
</row></sheetData></worksheet>"""
_HAND_STRINGS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="{_MAIN_NS}" count="5" uniqueCount="5"><si><t>店铺名称</t></si><si><t/></si><si><t>日期</t></si><si><r><t>富</t></r><r><t xml:space="preserve"> 店</t></r><rPh sb="0" eb="1"><t>フ</t></rPh></si><si><t>a&amp;b</t></si></sst>"""


def hand_written_xlsx(path: Path, prefixed: bool, sheet: str | None = None) -> Path:
    """An .xlsx written by hand: shared and inline strings (rich text, a phonetic run, entities), a date
    style, booleans, an error, empty and self-closed cells, sparse and missing rows, numbers in scientific
    notation, a formula's cached text, a comment and line breaks inside rows; ``prefixed``: every element
    of the sheet with a namespace prefix (which the fast reader leaves to expat)."""
    sheet = sheet or _HAND_SHEET
    if prefixed:
        sheet = re.sub(r"<(/?)(?=[a-zA-Z])", r"<\1x:", sheet).replace(f'xmlns="{_MAIN_NS}"', f'xmlns:x="{_MAIN_NS}"')
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN_NS}" xmlns:r="{rel}"><sheets><sheet name="手写" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        )
        z.writestr(
            "xl/styles.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_MAIN_NS}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
        z.writestr("xl/sharedStrings.xml", _HAND_STRINGS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


@pytest.mark.parametrize("prefixed", [False, True], ids=["plain", "prefixed"])
def test_the_streamed_reader_reads_every_kind_of_cell_as_calamine(tmp_path, monkeypatch, prefixed) -> None:
    path = hand_written_xlsx(tmp_path / "hand.xlsx", prefixed)
    streamed = raw_rows(path, True, monkeypatch)[1]["手写"]
    assert streamed == raw_rows(path, False, monkeypatch)[1]["手写"]
    assert streamed[:3] == [
        (1, ["店铺名称", "数", "日期", "真", "错", "科学", "大"]),
        (2, ["富 店", 1.5, dt.date(2024, 3, 5), True, None, 1200, 6.1010219900101e17]),
        (3, [None, None, dt.datetime(2024, 3, 5, 12, 0), False, None, "x & y", None, " a<b中 "]),
    ]
    assert streamed[3:] == [
        (5, [None, "富文本", None, None, -0.035, None, "a&b"]),
        (7, ["注", None, "日期"]),
        (8, [7, None, "行\r尾"]),
    ]


# a cell as the usual writers write it (the streamed reader's plain path) or not quite (its general loop)
_CELL_CONTENT = [
    "/>",
    "></c>",
    "><v></v></c>",
    "><v>0</v></c>",
    "><v>1</v></c>",
    "><v>45356.25</v></c>",
    "><v>-3.5E-2</v></c>",
    "><v>x &amp; y</v></c>",
    "><v>2024-03-05T12:00:00</v></c>",
    "><is><t>中&lt;文</t></is></c>",
    "><is><t></t></is></c>",
    "><is><t>a\r\nb</t></is></c>",
    '><is><t xml:space="preserve"> a </t></is></c>',
    "><f>A1</f><v>3</v></c>",
]
_PLAIN_CELL = st.tuples(
    st.sampled_from(["A", "B", "C", "E", "Z", "AA", "AB"]),
    st.sampled_from(["", ' s="0"', ' s="1"']),
    st.one_of(
        st.tuples(
            st.sampled_from(["", ' t="n"', ' t="b"', ' t="e"', ' t="str"', ' t="inlineStr"', ' t="d"']),
            st.sampled_from(_CELL_CONTENT),
        ),
        st.tuples(st.just(' t="s"'), st.sampled_from(["/>", "><v>0</v></c>", "><v>3</v></c>", "><v>4</v></c>"])),
    ),
)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.lists(_PLAIN_CELL, max_size=8), min_size=1, max_size=6))
@example(  # every kind of content once, as an inline string, then as a number; a self-closed cell over a value
    rows=[[("A", "", (' t="inlineStr"', c)), ("B", ' s="1"', (' t="str"', c))] for c in _CELL_CONTENT]
    + [
        [("C", "", (' t="inlineStr"', "><is><t>x</t></is></c>")), ("C", "", (' t="inlineStr"', "/>"))],
        [("A", "", (' t="s"', "><v>3</v></c>")), ("B", ' s="1"', (' t="n"', "><v>45356.5</v></c>"))],
    ]
)
def test_the_streamed_readers_plain_path_reads_what_its_general_loop_reads(rows, tmp_path_factory) -> None:
    """Rows of cells written the usual way are cut by one regular expression; with that path turned off
    (every row through the general loop) the values are the same, and the same as calamine's."""
    from app.export import xlsx_stream

    body = "".join(
        f'<row r="{n}">'
        + "".join(f'<c r="{col}{n}"{style}{kind}{rest}' for col, style, (kind, rest) in cells)
        + "</row>"
        for n, cells in enumerate(rows, start=1)
    )
    sheet = _HAND_SHEET.split("<sheetData>")[0] + f"<sheetData>{body}</sheetData></worksheet>"
    path = hand_written_xlsx(tmp_path_factory.mktemp("plain") / "plain.xlsx", False, sheet)

    def read(mp: pytest.MonkeyPatch) -> Any:
        try:
            return raw_rows(path, True, mp)[1]
        except SheetError as exc:  # a shared string index that is not one: damaged, either way
            return exc.msgid

    with pytest.MonkeyPatch.context() as mp:
        fast = read(mp)
        # finds only "anything else" pieces (the last of its 7 groups): every row goes to the general loop
        mp.setattr(xlsx_stream, "_PLAIN_CELLS", re.compile("()()()()()()(.+)", re.S))
        general = read(mp)
    assert fast == general

"""The export and the template as people print and fill them: page setup, print titles, autofilter,
the id as the last column; identifier columns as Text and date columns as dates, checked in the file's
XML, and in LibreOffice (headless): the export printed to PDF (pages counted with pdfinfo), and values
typed into the empty template as a person types them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from app.export.xlsx import Column, write_sheet
from app.models.catalogue import FieldType
from app.services import records
from app.services.demo import generate
from app.services.exporting import IDENTIFIER_TYPES, export_customers
from app.services.sheets import write_template
from tests.consent import CONSENT

ROOT = Path(__file__).resolve().parents[2]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFINFO = shutil.which("pdfinfo")
SYSTEM_PYTHON = "/usr/bin/python3"
CI = bool(os.environ.get("CI"))


def _has_uno() -> bool:
    if not (SOFFICE and os.path.exists(SYSTEM_PYTHON)):
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def text_keys_of(form) -> set[str]:
    return {f.key for f in form.visible_fields if f.type in IDENTIFIER_TYPES or f.type is FieldType.TEXT}


def col_styles(path: Path, sheet: int = 1) -> dict[int, int]:
    """Column number → numFmtId of the column's style, from the sheet's XML (<col min max style>)."""
    with zipfile.ZipFile(path) as z:
        xml = z.read(f"xl/worksheets/sheet{sheet}.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    cell_xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    fmt_ids = [int(m) for m in re.findall(r'<xf[^>]*numFmtId="(\d+)"', cell_xfs)]
    out = {}
    for col in re.findall(r"<col [^>]*/>", xml):
        style = re.search(r'style="(\d+)"', col)
        lo, hi = int(re.search(r'min="(\d+)"', col).group(1)), int(re.search(r'max="(\d+)"', col).group(1))
        for c in range(lo, hi + 1):
            out[c] = fmt_ids[int(style.group(1))] if style else 0
    return out


def four(session):
    for v in generate(4, seed=21, today=session.today()):
        records.save_draft(session, v)


def test_the_export_is_set_up_for_printing(session, tmp_path) -> None:
    four(session)
    out = tmp_path / "four.xlsx"
    assert export_customers(session._archive, session.form, out, lang="zh_CN") == 4
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[0] == "状态" and header[-1] == "id" and header.count("id") == 1
    setup = ws.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == 9  # A4
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0) and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(header))}5"
    ids = {c.id for c in session._archive.customers.iterate()}
    assert {ws.cell(row=r, column=len(header)).value for r in range(2, 6)} == ids


def test_a_plain_sheet_is_not_set_up_for_printing(tmp_path) -> None:
    out = tmp_path / "plain.xlsx"
    write_sheet(out, [Column("a"), Column("b")], [[1, 2]])
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.page_setup.orientation is None and ws.auto_filter.ref is None and ws.print_title_rows is None


def test_template_columns_are_text_for_identifiers_and_dates_for_dates(form, tmp_path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(form, path, "zh_CN")
    ws = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[-1] == "id" and header[0] != "id"
    by_label = {f.label("zh_CN"): f for f in form.visible_fields}
    xml_fmt = col_styles(path)
    text_keys = text_keys_of(form)
    assert {
        "id_card",
        "bank_account",
        "licence_no",
        "uscc",
        "customer_code",
        "contact_phone",
        "postal_code",
        "region_code",
        "taxpayer_no",
        "classification_code",
    } <= text_keys
    for n, head in enumerate(header, start=1):
        dim = ws.column_dimensions[get_column_letter(n)].number_format
        spec = by_label.get(head)
        if head == "id" or (spec and spec.key in text_keys):
            assert dim == "@" and xml_fmt[n] == 49, head  # numFmtId 49 is Text
        elif spec and spec.type is FieldType.DATE:
            assert dim == "yyyy-mm-dd" and xml_fmt[n] >= 164, head  # a custom date format
        else:
            assert dim == "General" and xml_fmt.get(n, 0) == 0, head


def test_export_cells_of_identifier_columns_are_text(session, tmp_path) -> None:
    records.save_draft(
        session,
        {
            "shop_name": "=老王烟酒店",
            "contact_phone": "13812345678",
            "postal_code": "010010",
            "licence_no": "610103100001",
            "licence_issue_date": "2024-03-01",
            "order_method": "online",
            **CONSENT,
        },
    )
    out = tmp_path / "one.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    cell = {h: ws.cell(row=2, column=n) for n, h in enumerate(header, start=1)}
    for head, value in (
        ("联系电话", "13812345678"),
        ("邮政编码", "010010"),
        ("烟草专卖零售许可证号", "610103100001"),
    ):
        assert cell[head].value == value and cell[head].data_type == "s" and cell[head].number_format == "@", head
    assert cell["id"].number_format == "@" and cell["店铺名称"].number_format == "@"
    assert cell["店铺名称"].value == "=老王烟酒店" and cell["店铺名称"].quotePrefix  # still quoted, never a formula
    assert cell["订货方式"].value == "网上订货" and cell["订货方式"].number_format == "General"  # a choice label
    assert cell["发证日期"].is_date and cell["发证日期"].number_format == "yyyy-mm-dd"
    assert col_styles(out)[header.index("邮政编码") + 1] == 49


def lo_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(tmp_path)}


@pytest.mark.skipif(
    not ((SOFFICE and PDFINFO) or CI),
    reason="LibreOffice and pdfinfo (poppler-utils) are not installed here (.ci/run installs both)",
)
def test_four_customers_print_on_one_page(session, tmp_path) -> None:
    four(session)
    out = tmp_path / "four.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env=lo_env(tmp_path),
    )
    info = subprocess.run(
        [PDFINFO, str(tmp_path / "pdf" / "four.pdf")], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    width, height = map(float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M).groups())
    assert pages == 1, info
    assert width > height  # landscape


@pytest.mark.skipif(
    not (_has_uno() or CI),
    reason="LibreOffice with its Python bridge (python3-uno) is not installed here (.ci/run installs it)",
)
def test_values_typed_into_the_template_keep_their_type(form, tmp_path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(form, path, "zh_CN")
    header = [c.value for c in openpyxl.load_workbook(path).worksheets[0][1]]
    col = {h: n for n, h in enumerate(header)}
    typed = {
        "负责人身份证号码": "610102199001011234",
        "邮政编码": "010010",
        "烟草专卖零售许可证号": "610103100001",
        "联系电话": "13812345678",
        "绑定日期": "2024-03-05",
        "营业面积": "610102199001011234",
    }
    edits = [[col[h], 1, text] for h, text in typed.items()]
    out = tmp_path / "typed.xlsx"
    proc = subprocess.run(
        [
            SYSTEM_PYTHON,
            str(ROOT / "tests" / "lo_typing.py"),
            str(path),
            str(out),
            str(tmp_path / "lo-profile"),
            json.dumps(edits),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=lo_env(tmp_path),
    )
    assert proc.returncode == 0 and out.exists(), proc.stderr
    ws = openpyxl.load_workbook(out).worksheets[0]
    got = {h: ws.cell(row=2, column=col[h] + 1).value for h in typed}
    for head in ("负责人身份证号码", "邮政编码", "烟草专卖零售许可证号", "联系电话"):
        assert got[head] == typed[head], (head, got[head])  # text, all digits, the leading zero kept
    assert got["绑定日期"].date().isoformat() == "2024-03-05"  # a date cell
    assert isinstance(got["营业面积"], float)  # a General column makes a number of it

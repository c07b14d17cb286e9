"""The retailer's printable copy of one customer's archive (docs/domain.md, "The printable copy"): a real
archive, a real signature, the PDF read back with poppler (pdftotext, pdfinfo, pdfimages): the title, the
labels and values in Chinese, the ID number masked, the consent and the signature's state (有效 → 已过期 after
a signed field changes), the footer (China time, who, page x/y), the access log's entry; unmasked refused
without an approved request, a cancelled or unwritable printout leaving nothing; the command line; and the
button on the customer's page of the real main window."""

from __future__ import annotations

import io
import re
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from PySide6.QtWidgets import QMessageBox

from app.errors import UserCancelled, UserFacingError
from app.models.wire import ACCESS_ENTITY, AccessKind, UserRole
from app.services import printing, records, signatures
from app.services.exporting import file_sha256
from app.ui.main_window import MainWindow
from app.ui.records import customer_panel
from tests.conftest import PASSPHRASE
from tests.consent import stored_without_consent
from tests.ui.test_form_all_day import retype
from tests.unit.test_cli import cli, one_line_error

ID_CARD = "610103199001011000"
VALUES = {
    "shop_name": "南大街老王烟酒店",
    "legal_person": "王小明",
    "id_card": ID_CARD,
    "home_address": "西安市碑林区南大街1号",
    "contact_phone": "13709112233",
    "consent_signed": True,
    "consent_date": "2026-03-01",
    "consent_form": "written",
}


def signature_png() -> bytes:
    img = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(img).line((10, 70, 120, 20, 200, 80, 290, 30), fill="black", width=4)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert found, info
    return int(found.group(1))


def pdf_images(path: Path) -> int:
    listed = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return len(listed.strip().splitlines()) - 2  # two header lines


def prints(session, customer_id: str) -> list:
    return [
        e
        for e in session._archive.access.entries(customer_id)
        if e.entity == ACCESS_ENTITY and e.action == AccessKind.PRINT.value
    ]


def test_the_printout_holds_the_basic_information_masked_consent_and_the_signature(ctx, tmp_path) -> None:
    s = ctx.session
    customer, _ = records.save_draft(s, dict(VALUES))
    signatures.sign(s, customer.id, signature_png())
    out = tmp_path / "老王烟酒店.pdf"

    pages = printing.print_customer(s, customer.id, out, lang="zh_CN")

    assert pages == pdf_pages(out) == 2  # the basic information and signature, then the history and integrity
    text = pdf_text(out)
    flat = " ".join(text.split())
    assert "卷烟零售客户档案" in text and "基础信息确认单" in text
    for label in (
        "识别信息",
        "基本信息",
        "店铺名称",
        "负责人（经营者）姓名",
        "负责人身份证号码",
        "家庭住址",
        "联系电话",
    ):
        assert label in text, label
    assert customer.code and customer.code in text
    assert "南大街老王烟酒店" in text and "王小明" in text and "13709112233" in text
    assert "610103********1000" in text and ID_CARD not in text and "身份证号码和银行账号已部分隐去" in text
    assert "同意日期" in text and "2026-03-01" in text and "书面" in text
    assert "客户签字确认" in text and "核实人" in text and "tester" in text and "有效。" in text
    assert "已过期" not in text
    assert re.search(r"打印时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}（北京时间）", flat), flat
    assert "打印人 tester" in flat and "第 1/2 页" in flat and "第 2/2 页" in flat
    assert pdf_images(out) == 1  # the signature's picture

    [entry] = prints(s, customer.id)
    assert entry.actor == "tester" and entry.entity_id == customer.id
    assert entry.new["file"] == out.name and entry.new["sha256"] == file_sha256(out)
    assert entry.new["pages"] == 2 and entry.new["masked"] is True

    # a signed field changes: the signature is outdated (已过期), naming the field
    records.save_changes(s, customer.id, {"home_address": "西安市新城区东大街2号"})
    again = tmp_path / "again.pdf"
    printing.print_customer(s, customer.id, again, lang="zh_CN")
    text = " ".join(pdf_text(again).split())
    assert "已过期：签字后已修改：家庭住址。" in text and "西安市新城区东大街2号" in text
    assert len(prints(s, customer.id)) == 2


def test_english_labels_a_long_record_and_no_signature(ctx, tmp_path) -> None:
    values = {k: v for k, v in VALUES.items() if not k.startswith("consent")}
    values["home_address"] = "西安市碑林区南大街1号" * 20
    customer = stored_without_consent(ctx.session, values)  # an archive's record from before the consent rule
    out = tmp_path / "en.pdf"
    printing.print_customer(ctx.session, customer.id, out, lang="en")
    text = " ".join(pdf_text(out).split())
    assert "Retail customer archive" in text and "Not signed by the customer yet." in text
    assert "No written consent is recorded for this customer." in text
    assert "610103********1000" in text and ID_CARD not in text
    assert re.search(r"Page 1/\d", text)


def test_in_full_only_under_an_approved_request_and_nothing_left_behind(ctx, tmp_path) -> None:
    s = ctx.session
    customer, _ = records.save_draft(s, dict(VALUES))
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "full.pdf"
    with pytest.raises(UserFacingError) as refused:
        printing.print_customer(s, customer.id, out, lang="zh_CN", unmasked=True)
    assert "审批" in refused.value.message("zh_CN")
    assert not out.exists() and prints(s, customer.id) == []

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(UserCancelled):
        printing.print_customer(s, customer.id, out, cancel=cancel)
    assert list(folder.iterdir()) == [] and prints(s, customer.id) == []

    with pytest.raises(UserFacingError) as unwritable:
        printing.print_customer(s, customer.id, folder / "missing" / "x.pdf")
    assert "无法写入" in unwritable.value.message("zh_CN")
    with pytest.raises(UserFacingError) as unknown:
        printing.find_customer(s, "NO-SUCH-CODE")
    assert "NO-SUCH-CODE" in unknown.value.message("zh_CN")


def test_the_command_line_prints_a_customer_by_its_code(session, home, tmp_path) -> None:
    customer, _ = records.save_draft(session, dict(VALUES))
    signatures.sign(session, customer.id, signature_png())
    session.close()
    out = tmp_path / "cli.pdf"
    proc = cli(home, "print-customer", customer.code, str(out), passphrase=PASSPHRASE)
    assert proc.returncode == 0, proc.stderr
    assert out.name in proc.stderr and "2 页" in proc.stderr
    text = pdf_text(out)
    assert "基础信息确认单" in text and "610103********1000" in text and ID_CARD not in text
    unknown = cli(home, "print-customer", "NO-SUCH", str(tmp_path / "y.pdf"), passphrase=PASSPHRASE)
    assert unknown.returncode == 2 and "NO-SUCH" in one_line_error(unknown)
    not_pdf = cli(home, "print-customer", customer.code, str(tmp_path / "y.txt"), passphrase=PASSPHRASE)
    assert not_pdf.returncode == 2 and ".pdf" in one_line_error(not_pdf)
    unmasked = cli(home, "print-customer", customer.code, str(tmp_path / "z.pdf"), "--unmasked", passphrase=PASSPHRASE)
    assert unmasked.returncode == 2 and "审批" in one_line_error(unmasked)
    assert not (tmp_path / "z.pdf").exists()


def test_the_print_button_on_the_customer_page(qtbot, ctx, monkeypatch, tmp_path) -> None:
    customer, _ = records.save_draft(ctx.session, dict(VALUES))
    signatures.sign(ctx.session, customer.id, signature_png())
    win = MainWindow(ctx, ctx.session.form, "tester", UserRole.COLLECTOR)
    qtbot.addWidget(win)
    win.show()
    panel = win.panel
    win.open_customer(customer.id)
    assert panel.print_button.isEnabled() and panel.print_button.text() == "打印档案…"
    out = tmp_path / "按钮"
    asked: list[str] = []

    def save_as(parent, title, suggested, filter_):
        asked.append(suggested)
        return str(out), ""

    monkeypatch.setattr(customer_panel.QFileDialog, "getSaveFileName", save_as)
    messages: list[str] = []
    panel.sig_message.connect(messages.append)
    panel.print_button.click()
    target = out.with_suffix(".pdf")
    qtbot.waitUntil(lambda: target.exists() and bool(messages), timeout=10_000)
    assert asked and asked[0].endswith(f"{customer.code}.pdf")
    assert messages[-1] == f"档案已写入 {target.name}：共 2 页。"
    assert "南大街老王烟酒店" in pdf_text(target) and len(prints(ctx.session, customer.id)) == 1

    # unsaved changes: asked first (save, discard, stay); staying prints nothing, saving prints what is saved
    retype(panel.form_widget, "shop_name", "改了名字的店")
    assert panel.form_widget.is_dirty()
    asked.clear()
    monkeypatch.setattr(QMessageBox, "open", lambda box: None)
    panel.print_button.click()
    panel.leave_box.finished.emit(QMessageBox.StandardButton.Cancel.value)
    assert asked == [] and len(prints(ctx.session, customer.id)) == 1
    target.unlink()
    panel.print_button.click()
    panel.leave_box.finished.emit(QMessageBox.StandardButton.Save.value)
    qtbot.waitUntil(lambda: target.exists() and len(prints(ctx.session, customer.id)) == 2, timeout=10_000)
    assert not panel.form_widget.is_dirty() and "改了名字的店" in pdf_text(target)


def test_printing_on_the_real_db_thread(qtbot, running, monkeypatch, tmp_path) -> None:
    """The real controller: the PDF is laid out on the DB thread, the window stays with the GUI thread."""
    made = running.runner.call_db(lambda: records.save_draft(running.ctx.session, dict(VALUES))[0])
    running.runner.call_db(lambda: signatures.sign(running.ctx.session, made.id, signature_png()))
    win = running.window
    win.open_customer(made.id)
    panel = win.panel
    qtbot.waitUntil(lambda: panel.customer_id == made.id and panel.print_button.isEnabled(), timeout=5000)
    target = tmp_path / "thread.pdf"
    monkeypatch.setattr(customer_panel.QFileDialog, "getSaveFileName", lambda *a: (str(target), ""))
    messages: list[str] = []
    panel.sig_message.connect(messages.append)
    panel.print_button.click()
    qtbot.waitUntil(lambda: bool(messages), timeout=20_000)
    assert messages[-1] == "档案已写入 thread.pdf：共 2 页。"
    assert "南大街老王烟酒店" in pdf_text(target) and pdf_images(target) == 1
    assert len(running.runner.call_db(lambda: prints(running.ctx.session, made.id))) == 1


def test_the_retailers_copy_holds_its_history_and_integrity_entries_masked_and_logged(ctx, tmp_path) -> None:
    """The copy for a retailer's request (F3 L236) carries the record's history (every change: when, who, the
    field, before and after, ID numbers masked there too) and its integrity entries (day, kind, source, what,
    handling, who recorded it), and is logged as a print naming what it holds."""
    from app.services import integrity

    s = ctx.session
    customer, _ = records.save_draft(s, dict(VALUES))
    records.save_changes(s, customer.id, {"contact_phone": "13709114455"})
    records.save_changes(s, customer.id, {"id_card": "610103199202022005"})
    today = s.today().isoformat()
    integrity.add_entry(s, customer.id, "violation", "monopoly", today, "超范围经营", "责令整改，已改正")
    integrity.add_entry(s, customer.id, "commendation", "service", today, "年度诚信经营户")
    integrity.open_complaint(s, customer.id, "phone", today, "售卖过期卷烟", "王投诉人", "13800001111")
    out = tmp_path / "copy.pdf"
    printing.print_customer(s, customer.id, out, lang="zh_CN")
    text = pdf_text(out)
    flat = " ".join(text.split())
    assert "变更记录" in text and "诚信档案" in text
    assert "联系电话" in flat and "13709112233" in flat and "13709114455" in flat  # before and after
    assert "建档" in flat
    # the ID number's change, masked on both sides
    assert "610103********1000" in flat and "610103********2005" in flat
    assert "610103199001011000" not in flat and "610103199202022005" not in flat
    assert "超范围经营" in flat and "责令整改，已改正" in flat and "违法违规" in flat and "表彰奖励" in flat
    assert "年度诚信经营户" in flat and "tester" in flat
    # the complaint and its state; the complainant is not on the retailer's copy
    assert "售卖过期卷烟" in flat and "电话（热线）" in flat and "已受理" in flat and "投诉" in flat
    assert "王投诉人" not in flat and "13800001111" not in flat
    [entry] = prints(s, customer.id)
    assert "history" in entry.new["contents"] and "integrity" in entry.new["contents"]
    assert "complaints" in entry.new["contents"]

    empty, _ = records.save_draft(s, {"shop_name": "无记录小店"})
    bare = tmp_path / "bare.pdf"
    printing.print_customer(s, empty.id, bare, lang="zh_CN")
    assert "无诚信档案记录。" in " ".join(pdf_text(bare).split())
    assert "无投诉记录。" in " ".join(pdf_text(bare).split())

"""``python -m tests.screenshots [OUT_DIR]``: render every main screen with demo data to PNG files,
in zh_CN and in English, for people to look at (``make screenshots``).

Each language runs in its own process (a clean Qt and translation state). Rendering is offscreen;
Chinese needs a CJK font installed (fonts-wqy-microhei on Debian), or it shows as boxes.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "screenshot passphrase"
WINDOW = (0, 0)  # main-window shots: taken at each of WINDOW_SIZES
WINDOW_SIZES = [(1280, 720), (1920, 1080)]


def render(lang: str, out: Path) -> None:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["FIELDARCHIVE_HOME"] = tempfile.mkdtemp(prefix="fieldarchive-shots-")
    from PySide6.QtWidgets import QMessageBox

    from app.i18n import set_language
    from app.main import make_app
    from app.models.record import CustomerStatus, NewCustomer, Provenance, Source
    from app.models.remote import FieldConflict
    from app.services import records
    from app.services import session as ss
    from app.services.demo import generate
    from app.settings import Settings
    from app.storage import schema
    from app.ui.context import UiContext
    from app.ui.controller import AppController, LockScreen
    from app.ui.settings_dialog import SettingsDialog
    from app.ui.style import apply_style
    from app.ui.tasks import TaskRunner
    from app.ui.translator import install_qt_translations
    from app.ui.unlock_dialog import UnlockDialog
    from app.ui.wizard import FirstStartWizard
    from app.validation import validate_values

    set_language(lang)
    app = make_app()
    install_qt_translations(app, lang)
    apply_style(app)
    settings = Settings()
    settings.ui_language = lang
    settings.save()
    QMessageBox.open = lambda box: None  # type: ignore[method-assign]

    def shot(widget: object, name: str, size: tuple[int, int] | None = None, then: Any = None) -> None:
        """``size`` WINDOW: the main window at the smallest supported size and at full HD; ``then``: what
        to do again once the window has its size (scroll to a field)."""
        for each in WINDOW_SIZES if size == WINDOW else [size]:
            if each:
                widget.resize(*each)  # type: ignore[attr-defined]
            widget.show()  # type: ignore[attr-defined]
            for _ in range(5):
                app.processEvents()
            if then is not None:
                then()
                for _ in range(3):
                    app.processEvents()
            suffix = f"-{each[0]}x{each[1]}" if size == WINDOW and each else ""
            widget.grab().save(str(out / f"{lang}-{name}{suffix}.png"))  # type: ignore[attr-defined]

    ctx = UiContext(TaskRunner(inline=True), settings)
    wizard = FirstStartWizard(ctx, "default", lang)
    shot(wizard, "01-wizard-welcome")
    wizard.next()
    page = wizard.pages[1]
    page.first.setText("南大街12号老王烟酒店")
    page.second.setText("南大街12号老王烟酒店")
    shot(wizard, "02-wizard-passphrase")
    wizard.next()
    shot(wizard, "03-wizard-options")
    wizard.pages[2].user.setText("王小明" if lang == "zh_CN" else "Wang Xiaoming")
    # the archive itself is created below with a known passphrase; show the recovery page's look
    wizard.pages[3].code.setText("7KQ2M-XW4PD-9RHCT-3VJ8N-B6EYA")
    wizard.setStartId(3)
    wizard.restart()
    shot(wizard, "04-wizard-recovery-code")
    wizard.hide()

    session, _code = ss.create(passphrase=PASSPHRASE, actor="王小明")
    today = dt.date.today()
    demo = list(generate(1000, seed=2026, today=today))
    items = []
    for values in demo:
        report = validate_values(session.form, values, today=today)
        items.append(NewCustomer(records.new_id(), records.clean_values(report), records.quality(report)))
    with session._archive.db.transaction() as tx:
        session._archive.customers.insert(session.form, items, Provenance("王小明", Source.IMPORT, "老档案.xlsx"), tx)
    first = items[0].id
    c = session._archive.customers.get(first)
    records.save_draft(
        session,
        {**c.values, "contact_phone": "13992458810", "order_method": "phone"},
        first,
        Provenance("王小明", Source.PHONE, "电话核实", today.isoformat()),
    )
    records.add_visit(session, first, today.isoformat(), "日常拜访", "店主反映高档烟走货慢", "本月中档烟销量下降约两成")
    records.add_visit(
        session,
        first,
        today.isoformat(),
        "日常拜访",
        "店主反映近期客流减少，周边新开一家便利店，希望下月增加畅销品规的供应量并调整柜台陈列位置。"
        "已建议其延长营业时间并办理线上订货。",
        "",
    )
    session._archive.customers.set_status([i.id for i in items[1:40]], CustomerStatus.PENDING, Provenance("王小明"))
    session._archive.customers.set_status([i.id for i in items[40:60]], CustomerStatus.APPROVED, Provenance("市场经理"))
    with session._archive.db.transaction() as tx:  # approved customers carry the code the server gave them
        for n, item in enumerate(items[40:60], start=1):
            region = item.values.get("region_code") or "610103"
            tx.execute(
                schema.customer.update()
                .where(schema.customer.c.id == item.id)
                .values(code=f"{region}{n:06d}", code_official=1)
            )
    session.close()

    unlock = UnlockDialog(ctx, "default")
    unlock.passphrase.setText("wrong one")
    unlock.try_unlock()
    shot(unlock, "05-unlock-wrong-passphrase")
    unlock.toggle_recovery()
    unlock.code.setText("7KQ2M-XW4PD-9RHCT-3VJ8N-B6EYA")
    unlock.new1.setText("12345678")
    unlock.new2.setText("12345678")
    unlock.try_unlock()
    shot(unlock, "05b-unlock-recovery-weak-passphrase")
    unlock.close()

    controller = AppController(app, settings, "default", TaskRunner(inline=True))
    controller.start()
    controller.unlock_dialog.passphrase.setText(PASSPHRASE)
    controller.unlock_dialog.try_unlock()
    win = controller.window
    win.resize(*WINDOW_SIZES[0])
    win.open_customer(first)
    shot(win, "06-main-list-and-form", WINDOW)
    form = win.panel.form_widget
    form.rows["contact_phone"].editor.edit.setText("1399245881")
    form._edited("contact_phone")
    form.rows["licence_expiry_date"].editor.edit.setText("2020-01-01")
    form._edited("licence_expiry_date")
    form.validate_record()
    shot(win, "07-form-validation-messages", WINDOW, then=lambda: form.focus_field("contact_phone"))
    form.discard_changes()
    win.panel.tabs.setCurrentIndex(2)
    shot(win, "08-history", WINDOW)
    win.panel.tabs.setCurrentIndex(1)
    shot(win, "09-visits", WINDOW)
    win.panel.tabs.setCurrentIndex(0)
    win.list_panel.search.setText("王")
    win.list_panel.apply()
    shot(win, "10-search", WINDOW)
    settings.server_url = "https://fieldarchive.tobacco-company.example.com.cn:8443"
    dialog = SettingsDialog(settings, win)
    dialog.language.setCurrentIndex(1 if lang == "zh_CN" else 0)  # a new language: applies after a restart
    shot(dialog, "11-settings")
    dialog.close()
    win.show_about()
    shot(win.about_box, "11b-about")
    win.about_box.close()
    # sync: the sign-in dialog with a refused password, the status bar's states, a conflict
    import dataclasses

    from app.models.sync_state import SyncOutcome
    from app.models.sync_status import SyncState, SyncStatus
    from app.ui.sync.conflict_dialog import ConflictDialog
    from app.ui.sync.signin_dialog import SignInDialog

    signin = SignInDialog(controller.ctx, win, user="wangxm")
    signin.server.setText("https://archive.example.cn")
    signin._failed(
        __import__("app.errors", fromlist=["SyncError"]).SyncError(
            __import__("app.errors", fromlist=["SyncErrorKind"]).SyncErrorKind.AUTH, "Wrong user name or password."
        )
    )
    shot(signin, "13-sign-in-refused")
    signin.close()
    insecure = SignInDialog(controller.ctx, win, user="wangxm")  # plain http to another computer
    insecure.server.setText("http://192.168.1.20:8765")
    insecure.password.setText("password")
    insecure.sign_in()
    shot(insecure, "13-sign-in-http-refused")
    insecure.close()
    coordinator = win.coordinator
    coordinator.sig_state.emit(SyncStatus(SyncState.SYNCING))
    coordinator.sig_progress.emit("push", 120, 480, 1_650_000)
    shot(win, "14-syncing", WINDOW)
    coordinator.sig_state.emit(SyncStatus(SyncState.OFFLINE))
    shot(win.statusBar(), "15-status-offline")
    coordinator.sig_state.emit(
        SyncStatus(
            SyncState.PROBLEMS,
            outcome=SyncOutcome(
                pushed=3,
                pulled_to_end=True,
                audit_problem=(
                    "The server did not accept this computer's audit log. Your records are synced; the log stays here. "
                    "Tell your administrator."
                ),
            ),
        )
    )
    shot(win.statusBar(), "15b-status-audit-refused")
    coordinator.sig_state.emit(
        SyncStatus(SyncState.PROBLEMS, outcome=SyncOutcome(pushed=12, conflicts=1, remaining=1, pulled_to_end=True))
    )
    c = controller.runner.call_db(lambda: controller.ctx.session._archive.customers.get(first))
    form.load(dataclasses.replace(c, sync_state="conflict"))
    shot(win, "16-conflict-banner", WINDOW)
    returned = dataclasses.replace(
        c,
        status=CustomerStatus.RETURNED,
        sync_state="synced",
        review={
            "action": "return",
            "reason": "联系电话与店主不符，请核实"
            if lang == "zh_CN"
            else "The phone does not match the owner; check it",
            "by": "李经理",
            "fields": ["contact_phone", "address"],
        },
    )
    form.load(returned)
    shot(win, "17-returned-banner", WINDOW)
    closed = dataclasses.replace(
        c,
        sync_state="synced",
        closure={
            "state": "closed",
            "day": "2026-11-20",
            "reason": "许可证已注销，门店停业" if lang == "zh_CN" else "Licence cancelled, shop closed for good",
            "by": "li.ming",
            "by_name": "李经理" if lang == "zh_CN" else "Manager Li",
            "at": "2026-11-23T02:15:00.000Z",
        },
    )
    form.load(closed)
    shot(win, "17b-closed-outlet", WINDOW)
    fields = [
        FieldConflict("contact_phone", "13992458810", "13992458811", "13709112233"),
        FieldConflict("business_area", "20", "25", "30"),
    ]
    conflict = ConflictDialog(controller.ctx, win.form, first, fields, win)
    shot(conflict, "18-conflict-dialog")
    conflict.close()
    # the market manager's review tab and the statistics
    import json as _json

    sess = controller.ctx.session
    sess.role = "supervisor"
    drafts = [i.id for i in items[200:206]]
    records.submit(
        sess, drafts[:4], note="本周新开的四户，已实地核实" if lang == "zh_CN" else "Four new shops, visited"
    )
    records.submit(
        sess,
        drafts[4:5],
        note="客户手机停机，要求立即改号" if lang == "zh_CN" else "Phone cut off; change now",
        urgent=True,
    )
    change = sess._archive.customers.get(drafts[5])
    with sess._archive.db.transaction() as tx:
        tx.execute(
            schema.customer.update()
            .where(schema.customer.c.id == change.id)
            .values(approved_data=_json.dumps(change.values, ensure_ascii=False), code_official=1)
        )
    records.save_changes(
        sess,
        change.id,
        {"contact_phone": "13709112233", "order_method": "online", "address": "陕西省西安市碑林区南大街12号"},
    )
    records.submit(
        sess, [change.id], note="店主换了手机号，附《电话号码申请变更表》" if lang == "zh_CN" else "New phone"
    )
    win.set_role("supervisor")
    win.tabs.setCurrentIndex(win.review_tab)
    win.review.select(change.id)
    shot(win, "19-review-change", WINDOW)
    win.review.select(drafts[0])
    shot(win, "20-review-new-customer", WINDOW)
    # the server's classification and integrity grades, as a synced archive holds them
    from sqlalchemy import func as _func

    with sess._archive.db.transaction() as tx:
        c = schema.customer.c
        for n, (scale, grade) in enumerate(
            [("1", "A"), ("2", "B"), ("2", "A"), ("3", "C"), ("2", "B"), ("1", "B"), ("3", "D"), ("2", "A")]
        ):
            tx.execute(
                schema.customer.update()
                .where(c.pk % 8 == n)
                .values(data=_func.json_set(c.data, "$.business_scale", scale, "$.credit_grade", grade))
            )
    win.tabs.setCurrentIndex(win.dashboard_tab)
    shot(win, "21-statistics", WINDOW)
    import datetime as _dt

    from app.ui.report_flow import MonthlyReportDialog

    monthly = MonthlyReportDialog(_dt.date(2026, 11, 2), win)
    shot(monthly, "22-monthly-report")
    monthly.close()
    # the list export's options, and a bulk maintenance sheet checked before it is imported
    from openpyxl import load_workbook as _load

    from app.services.exporting import export_customers
    from app.services.sheets import process_sheet
    from app.ui.export_dialog import ExportOptionsDialog
    from app.ui.import_preview import ImportPreview

    options = ExportOptionsDialog(sess.form, controller.ctx.settings, 1000, win)
    shot(options, "23-export-options")
    options.close()
    request_shots(shot, controller.ctx, win, lang, sess.form)
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / ("批量维护.xlsx" if lang == "zh_CN" else "bulk-update.xlsx")
        pks = sess._archive.customers.search_pks("", CustomerStatus.DRAFT, False, limit=6)
        export_customers(sess._archive, sess.form, sheet, lang=lang, pks=pks)
        wb = _load(sheet)
        ws = wb.worksheets[0]
        head = [c.value for c in ws[1]]
        phone = head.index(sess.form["contact_phone"].label(lang)) + 1
        order = head.index(sess.form["order_method"].label(lang)) + 1
        ws.cell(row=2, column=phone, value="13709112233")
        ws.cell(row=3, column=order, value=sess.form["order_method"].choices[1].label(lang))
        ws.cell(row=4, column=phone, value="1370911")
        ws.append(
            [None] * (head.index(sess.form["shop_name"].label(lang)))
            + ["新开便民超市" if lang == "zh_CN" else "New corner shop"]
        )
        wb.save(sheet)
        checked = process_sheet(sheet, sess.form, sess._archive, actor=sess.user, role="collector", lang=lang)
        preview = ImportPreview(controller.ctx, sheet, checked, win)
        shot(preview, "24-bulk-maintenance-preview", (1100, 700))
        preview.close()
    integrity_and_ledger_shots(shot, controller.ctx, win, lang)
    service_shots(shot, controller.ctx, win, lang)
    admin_shots(shot, controller.ctx, win, lang)
    from tests.screenshots_incidents import incidents_shots  # noqa: PLC0415  (incidents, issue 18)

    incidents_shots(shot, controller.ctx, win, lang)
    from tests.screenshots_filings import filings_shots  # noqa: PLC0415  (the monthly filings, issue 17)

    filings_shots(shot, controller.ctx, win, lang)
    from tests.screenshots_cases import case_shots  # noqa: PLC0415  (onboarding and change cases, issue 17)

    case_shots(shot, controller.ctx, win, lang, out)
    from tests.screenshots_access import access_shots  # noqa: PLC0415  (access log and signature, issue 18)

    access_shots(shot, controller.ctx, win, lang, WINDOW)
    win.tabs.setCurrentIndex(0)
    win.show_locked(LockScreen())
    shot(win, "12-locked", (1100, 700))
    printout_shot(sess, out, lang)  # last: the signature it adds waits in the outbox
    controller.ctx.session.close()
    controller.ctx.session = None


def service_shots(shot: Any, ctx: Any, win: Any, lang: str) -> None:
    """A customer's service records tab (an overdue visit plan, a done one, a care date, a valid and an invalid
    survey, a terminal observation) and the satisfaction questionnaire being answered."""
    from app.services import service
    from app.ui.records.service import SurveyDialog
    from app.validation.service import questionnaire

    zh = lang == "zh_CN"
    sess = ctx.session
    arc = sess._archive
    [row] = arc.customers.rows(arc.customers.search_pks("", None, False, limit=1))
    cid, today = row.id, sess.today()

    def day(days: int) -> str:
        return (today + dt.timedelta(days=days)).isoformat()

    ids = questionnaire().question_ids
    service.plan_visit(sess, cid, day(-3), "季度核查" if zh else "Quarterly check")
    done = service.plan_visit(sess, cid, day(-10), "送达货源通知" if zh else "Deliver the supply notice")
    service.step(sess, done.id, "done", done_on=day(-9))
    service.plan_visit(sess, cid, day(4), "投诉回访" if zh else "Follow up the complaint")
    service.add_care_date(
        sess, cid, (today + dt.timedelta(days=2)).replace(year=1978).isoformat(), "birthday", True, "店主王先生"
    )
    service.add_care_date(sess, cid, day(30), "relocation", False, "迁至东大街12号" if zh else "Moving to 12 East St")
    scores = [5, 4, 4, 3, 5, 4, 2, 4, 5, 4]
    service.add_survey(sess, cid, day(-5), "visit", True, dict(zip(ids, scores, strict=True)))
    service.add_survey(sess, cid, day(-40), "phone", True, dict.fromkeys(ids, 5))
    service.add_observation(
        sess,
        cid,
        day(-9),
        [
            ["中华(硬)" if zh else "Zhonghua (hard)", "12", "30", "45"],
            ["芙蓉王" if zh else "Furongwang", "20", "", "25"],
        ],
        "fair",
        "",
        "电子烟摆在收银台" if zh else "E-cigarettes at the till",
    )
    win.tabs.setCurrentIndex(0)
    win.open_customer(cid)
    win.panel.tabs.setCurrentIndex(win.panel.service_tab)
    shot(win, "21c-service-records", WINDOW)
    dialog = SurveyDialog(ctx, cid, win)
    for qid, score in zip(ids, scores, strict=True):
        dialog.groups[qid].button(score).setChecked(True)
    dialog.informed.setChecked(True)
    shot(dialog, "21d-satisfaction-survey", (760, 640))
    dialog.close()
    win.panel.tabs.setCurrentIndex(0)


def integrity_and_ledger_shots(shot: Any, ctx: Any, win: Any, lang: str) -> None:
    """A customer's integrity archive tab with entries and two complaints (one assigned and past its
    deadline), and the modification ledger screen given what a server would answer."""
    from app.models.remote import (
        Ledger,
        LedgerCollectorCount,
        LedgerDepartmentCount,
        LedgerGroupCount,
        LedgerPath,
        LedgerPerson,
        LedgerRow,
        LedgerSummary,
    )
    from app.services import integrity
    from app.ui.ledger_view import LedgerWindow

    zh = lang == "zh_CN"
    sess = ctx.session
    arc = sess._archive
    [row] = arc.customers.rows(arc.customers.search_pks("", None, False, limit=1))
    cid, today = row.id, sess.today()

    def ago(days: int) -> str:
        return (today - dt.timedelta(days=days)).isoformat()

    integrity.add_entry(
        sess, cid, "licence", "monopoly", ago(200), "烟草专卖零售许可证延续" if zh else "Retail licence renewed"
    )
    integrity.add_entry(
        sess, cid, "inspection", "monopoly", ago(60), "日常检查，经营规范" if zh else "Routine inspection, in order"
    )
    integrity.add_entry(
        sess,
        cid,
        "violation",
        "monopoly",
        ago(30),
        "未在显著位置悬挂许可证" if zh else "Licence not displayed",
        "责令当场改正，已改正" if zh else "Told to correct it on the spot; corrected",
    )
    integrity.add_entry(
        sess, cid, "commendation", "service", ago(10), "2026年度诚信经营示范户" if zh else "Honest outlet of the year"
    )
    late = integrity.open_complaint(
        sess, cid, "phone", ago(20), "香烟价格未明码标价" if zh else "Prices not marked", "李四", "13812345678"
    )
    integrity.step_complaint(sess, late.id, "assign", assignee=sess.user)
    integrity.open_complaint(sess, cid, "visit", ago(1), "营业时间不固定" if zh else "Irregular opening hours")
    win.tabs.setCurrentIndex(0)  # the customers' tab
    win.open_customer(cid)
    win.panel.tabs.setCurrentIndex(win.panel.integrity_tab)
    shot(win, "21b-integrity-archive", WINDOW)
    win.panel.tabs.setCurrentIndex(0)

    form = sess.form
    people = (("wang.xm", "王小明" if zh else "Wang Xiaoming"), ("zhao.li", "赵丽" if zh else "Zhao Li"))

    def change(n: int, key: str, old: Any, new: Any, path: LedgerPath, approved: bool) -> LedgerRow:
        spec = form[key]
        return LedgerRow(
            f"2026-11-{3 + n:02d}T0{n}:15:00Z",
            path,
            cid,
            key,
            spec.label_zh,
            spec.label_en,
            old,
            new,
            f"61010200{n:04d}",
            "老王烟酒店" if zh else "Lao Wang Tobacco & Liquor",
            people[0][0],
            people[0][1],
            spec.group,
            people[0][0],
            people[0][1],
            people[1][0] if approved else None,
            people[1][1] if approved else None,
            "manual",
        )

    rows = (
        change(1, "contact_phone", "13709112233", "13991234567", LedgerPath.OWN_SAVE, False),
        change(2, "shop_name", "老王烟酒店", "老王便利店", LedgerPath.REVIEW, True)
        if zh
        else change(2, "shop_name", "Lao Wang Tobacco", "Lao Wang Convenience", LedgerPath.REVIEW, True),
        change(3, "address", "南大街12号", "南大街14号", LedgerPath.REVIEW, True)
        if zh
        else change(3, "address", "12 South Street", "14 South Street", LedgerPath.REVIEW, True),
        change(4, "order_method", "phone", "online", LedgerPath.BULK, False),
    )
    summary = LedgerSummary(
        4,
        4,
        (LedgerGroupCount("basic", "基本信息", "Basic information", 4),),
        (LedgerCollectorCount(people[0][0], people[0][1], 4, ((LedgerPath.OWN_SAVE, 1), (LedgerPath.REVIEW, 2))),),
        ((LedgerPath.OWN_SAVE, 1), (LedgerPath.REVIEW, 2), (LedgerPath.BULK, 1)),
        (
            LedgerDepartmentCount("county", "县区营销部" if zh else "County marketing", 3),
            LedgerDepartmentCount("market", "市场部" if zh else "Market department", 1),
        ),
    )
    ledger = Ledger(
        "2026-11-01",
        "2026-11-30",
        "2026-12-01T08:00:00Z",
        None,
        people[1][0],
        people[1][1],
        tuple(LedgerPerson(*p) for p in people),
        True,
        rows,
        summary,
    )
    screen = LedgerWindow(ctx, win)
    screen._fetched(ledger)
    shot(screen, "22b-modification-ledger", (1280, 720))
    screen.close()


def printout_shot(sess: Any, out: Path, lang: str) -> None:
    """The first page of a signed customer's printable copy (打印档案…), rendered to PNG by poppler's pdftoppm."""
    import shutil

    from app.services import printing, signatures
    from tests.screenshots_access import drawn_signature

    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found (poppler-utils): no picture of the printout")
        return
    customer = next(sess._archive.customers.iterate())
    signatures.sign(sess, customer.id, drawn_signature())
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "printout.pdf"
        printing.print_customer(sess, customer.id, pdf, lang=lang)
        stem = out / f"{lang}-34-printout"
        subprocess.run(["pdftoppm", "-r", "90", "-png", "-singlefile", "-f", "1", str(pdf), str(stem)], check=True)


def admin_shots(shot: Any, ctx: Any, win: Any, lang: str) -> None:
    """The administration area's pages with what a server would answer (no server here: the pages do
    not ask, they are given the answers), at the smallest supported window size."""
    import time as _time

    from app.models.admin import (
        AdminDevice,
        AdminUser,
        AuditEntry,
        CalendarDraft,
        ClassChange,
        ClassifyRun,
        DraftDay,
        DueRecord,
        LogEntry,
    )
    from app.models.wire import UserRole
    from app.ui.admin.common import Page
    from app.ui.admin.retention import DestroyDialog
    from app.ui.admin.window import AdminWindow

    Page.refresh = lambda self: None  # type: ignore[method-assign]
    zh = lang == "zh_CN"
    now = _time.time()
    people = [
        ("admin", "信息中心 张工" if zh else "IT office, Zhang", UserRole.ADMIN, None, 0, 1),
        ("li.ming", "李明" if zh else "Li Ming", UserRole.SUPERVISOR, None, 12, 1),
        ("wang.xm", "王小明" if zh else "Wang Xiaoming", UserRole.COLLECTOR, "li.ming", 486, 2),
        ("zhao.li", "赵丽" if zh else "Zhao Li", UserRole.COLLECTOR, "li.ming", 512, 1),
        ("chen.gang", "陈刚" if zh else "Chen Gang", UserRole.COLLECTOR, None, 0, 0),
    ]
    users = [AdminUser(n, d, r, s, n == "chen.gang", now - 86400 * 90, c, dv) for n, d, r, s, c, dv in people]
    area = AdminWindow(ctx, win)
    area.resize(1280, 720)
    area.users.show_users(users)
    area.users.status.setText(
        "chen.gang 已停用，其所有会话已结束。" if zh else "chen.gang is disabled; every session of theirs ended."
    )
    shot(area, "25-admin-users", (1280, 720))
    area.devices.show_devices(
        [
            AdminDevice("wang.xm", "a1f3-9c20", "WANG-LAPTOP", now - 3600, False),
            AdminDevice("wang.xm", "77be-01d4", "OLD-PC", now - 86400 * 200, True),
            AdminDevice("zhao.li", "c3d9-5e61", "ZHAO-PC", now - 7200, False),
        ]
    )
    area.tabs.setCurrentWidget(area.devices)
    shot(area, "26-admin-devices", (1280, 720))
    area.teams.show_teams(users)
    note = "赵丽调往城区二组" if zh else "Zhao Li moves to town team 2"
    area.teams.show_records(
        [
            LogEntry(
                now - 600,
                "admin",
                "api",
                "customers.handover",
                "wang.xm",
                "ok",
                {"from_user": "zhao.li", "note": note, "moved": [{}] * 512},
            )
        ]
    )
    area.tabs.setCurrentWidget(area.teams)
    shot(area, "27-admin-teams", (1280, 720))
    territory_shot(shot, area, zh, users)
    area.calendar.show_calendar(
        {
            "version": "3f9a1c0d2b7e4a65",
            "years": [2026, 2027],
            "holidays": ["2026-10-01", "2026-10-02", "2026-10-03", "2027-01-01"],
            "workdays": ["2026-09-27", "2026-10-10"],
        }
    )
    area.calendar.show_draft(  # a draft of 2027: one more day off at the Spring Festival, made up on a Sunday
        CalendarDraft(
            (2027,),
            (DraftDay("2027-02-15", "normal", "holiday"), DraftDay("2027-02-21", "normal", "workday")),
            "3f9a1c0d2b7e4a65",
        )
    )
    area.tabs.setCurrentWidget(area.calendar)
    shot(area, "28-admin-calendar", (1280, 720))
    shops = (
        ["老王烟酒店", "便民超市", "南街小卖部", "聚福商行"]
        if zh
        else ["Wang's", "Corner shop", "South St. kiosk", "Jufu"]
    )
    run = ClassifyRun(
        "2026-07",
        False,
        4,
        0,
        2,
        tuple(
            ClassChange(str(i), f"61010200000{i}", shops[i - 1], "grocery", sc, old, new, oc, nc)
            for i, sc, old, new, oc, nc in [
                (1, 0.3125, "2", "1", "CZ2", "CZ1"),
                (2, 0.25, None, "2", None, "CZ2"),
                (3, 0.25, "1", "2", "CZ1", "CZ2"),
                (4, 0.1875, "2", "3", "CZ2", "CZ3"),
            ]
        ),
    )
    area.purchases.run_period.setText("2026-07")
    area.purchases.show_run(run)
    area.tabs.setCurrentWidget(area.purchases)
    shot(area, "29-admin-classification-dry-run", (1280, 720))
    area.audit.show_entries(
        [
            AuditEntry(
                "a1f3-9c20",
                1041 + i,
                f"2026-11-23T08:1{i}:00.000Z",
                "wang.xm",
                "customer",
                f"610102000{i:03d}",
                "update",
                "contact_phone",
                None,
                None,
                "wang.xm",
            )
            for i in range(6)
        ]
    )
    area.audit.status.setText("已上传的审计记录完好。" if zh else "The uploaded audit trails are intact.")
    area.tabs.setCurrentWidget(area.audit)
    shot(area, "30-admin-audit-copy", (1280, 720))
    area.log.show_log(
        [
            LogEntry(now - 60, "admin", "api", "classify.run", "2026-07", "ok", {"dry_run": True, "changed": 4}),
            LogEntry(now - 600, "admin", "api", "customers.handover", "wang.xm", "ok", {"from_user": "zhao.li"}),
            LogEntry(now - 900, "root", "cli", "users.add", "chen.gang", "ok", {"role": "collector"}),
            LogEntry(now - 1200, "zhao.li", "api", "denied:users", "", "refused", {"error": "not an admin"}),
        ]
    )
    area.tabs.setCurrentWidget(area.log)
    shot(area, "31-admin-log", (1280, 720))
    area.retention.show_due(
        [
            DueRecord(f"0192f3a1-7c2e-7b41-9d3a-00000000000{i}", code, kind, since, 1826, due)
            for i, (code, kind, since, due) in enumerate(
                [
                    ("610102000017", "closed", "2021-03-02T01:00:00.000Z", "2026-03-02T01:00:00.000Z"),
                    ("610102000233", "closed", "2021-06-18T03:20:00.000Z", "2026-06-18T03:20:00.000Z"),
                    (None, "deleted", "2021-09-30T07:45:00.000Z", "2026-09-30T07:45:00.000Z"),
                ]
            )
        ]
    )
    area.retention.table.selectRow(0)
    area.tabs.setCurrentWidget(area.retention)
    shot(area, "32-admin-due-for-destruction", (1280, 720))
    confirm = DestroyDialog(1, area)
    confirm.reason.setText("2026 年度档案销毁决定 第 3 号" if zh else "Destruction decision 2026 no. 3")
    shot(confirm, "33-admin-destroy-confirm")
    confirm.close()
    area.close()


def territory_shot(shot: Any, area: Any, zh: bool, users: list[Any]) -> None:
    """The territory tree and departments page: a province's tree down to two teams, the departments with
    the fields each owns, a collector placed in a team."""
    from app.models.admin import Department, Place, Territories, TerritoryNode

    def n(i: int, parent: int | None, level: str, zh_name: str, en_name: str, sup: str | None = None, *who: str):
        return TerritoryNode(i, parent, level, zh_name if zh else en_name, sup, tuple(who))

    nodes = (
        n(1, None, "province", "陕西省", "Shaanxi"),
        n(2, 1, "city", "西安市", "Xi'an"),
        n(3, 2, "county", "雁塔区营销部", "Yanta county marketing"),
        n(4, 3, "team", "雁塔一组", "Yanta team 1", "li.ming", "wang.xm", "zhao.li"),
        n(5, 3, "team", "雁塔二组", "Yanta team 2"),
        n(6, 2, "county", "长安区营销部", "Chang'an county marketing"),
    )
    deps = [
        ("monopoly", "专卖管理所", "Monopoly office", 0, 11),
        ("county", "县区营销部", "County marketing", 3, 55),
        ("market", "市场部", "Market department", 1, 14),
        ("delivery", "配送部", "Delivery department", 0, 5),
        ("sales", "销售部", "Sales department", 0, 9),
        ("it", "信息科", "IT section", 1, 0),
    ]
    data = Territories(
        nodes,
        tuple(Department(c, z if zh else e, u, f) for c, z, e, u, f in deps),
        (Place("li.ming", 4, "county"), Place("wang.xm", 4, "county"), Place("zhao.li", 4, "county")),
    )
    page = area.territories
    page._show_people(users)
    page.show_tree(data)
    page.user.setCurrentIndex(page.user.findData("wang.xm"))
    page.tree.setCurrentItem(page.tree.topLevelItem(0).child(0).child(0).child(0))
    page.status.setText(
        "wang.xm 现在位于“雁塔一组”；486 户客户随其转移。"
        if zh
        else "wang.xm now stands at Yanta team 1; 486 customers moved with them."
    )
    area.tabs.setCurrentWidget(page)
    shot(area, "27b-admin-territories", (1280, 720))


def request_shots(shot: Any, ctx: Any, win: Any, lang: str, form: Any) -> None:
    """Export requests: the export dialog with full numbers under an approved request, the request
    dialog, and the market manager's list of the team's requests."""
    import time

    from app.models.remote import ExportRequest
    from app.models.wire import UserRole
    from app.services.export_requests import ExportAccess, RequestList
    from app.ui.export_dialog import ExportOptionsDialog
    from app.ui.requests.dialog import RequestDialog
    from app.ui.requests.view import ExportRequestsView

    zh, now = lang == "zh_CN", time.time()
    texts = [
        ("本组全部客户", "核对结算账户", "银行账号变更后逐户核对", True, "approved", "同意，限本次"),
        ("碑林区客户", "走访排期", "下周集中走访", False, "pending", ""),
        ("南大街片区", "年度核查", "档案年度核查", True, "refused", "范围太大，请按街道申请"),
    ]
    if not zh:
        texts = [
            (
                "All of the team's customers",
                "Checking settlement accounts",
                "Bank accounts changed",
                True,
                "approved",
                "OK, this once",
            ),
            ("Customers in Beilin district", "Visit planning", "Visits next week", False, "pending", ""),
            ("South Street area", "Yearly check", "Yearly archive check", True, "refused", "Too broad: ask per street"),
        ]
    requests = tuple(
        ExportRequest(
            f"9b0c8f4e-0000-4000-8000-00000000000{i}",
            "c1",
            "王小明" if zh else "Wang Xiaoming",
            target,
            purpose,
            reason,
            unmasked,
            state,
            now - 86400 * (3 - i),
            "s1" if state != "pending" else None,
            ("李经理" if zh else "Manager Li") if state != "pending" else None,
            note,
            now - 3600 if state != "pending" else None,
            now + 6 * 86400 if state == "approved" else None,
        )
        for i, (target, purpose, reason, unmasked, state, note) in enumerate(texts)
    )
    options = ExportOptionsDialog(form, ctx.settings, 1000, win)
    options.set_access(ExportAccess(UserRole.COLLECTOR, requests[:1]))
    options.unmasked.setChecked(True)
    shot(options, "23b-export-full-numbers")
    options.close()
    ask = RequestDialog(ctx, win, unmasked=True)
    ask.target.setText(texts[0][0])
    ask.purpose.setText(texts[0][1])
    ask.send()  # the reason is missing: the dialog says so (nothing is sent)
    shot(ask, "23c-export-request")
    ask.close()
    view = ExportRequestsView(ctx, win)
    view.show_list(RequestList("s1", UserRole.SUPERVISOR, requests))
    view.select(requests[1].id)
    shot(view, "23d-export-requests", (1200, 420))
    view.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) > 2:
        render(sys.argv[2], out)
        return 0
    for lang in ("zh_CN", "en"):
        subprocess.run([sys.executable, "-m", "tests.screenshots", str(out), lang], cwd=ROOT, check=True)
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

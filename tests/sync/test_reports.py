"""The monthly report end to end: a collector's work synced to a real server on 127.0.0.1, the
market manager's `report monthly` writes the workbook, read back cell by cell with openpyxl."""

from __future__ import annotations

import datetime as dt

import httpx
from openpyxl import load_workbook

from app.models.workdays import WorkCalendar
from app.services import integrity, records, reports
from app.services.demo import generate
from tests.server.helpers import PROTO
from tests.sync.conftest import SERVER_PASSWORD
from tests.sync.test_cli_review import cli, ok

CHINA = dt.timezone(dt.timedelta(hours=8))


def _rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_monthly_report_from_synced_work_cell_by_cell(server, clients, tmp_path) -> None:
    today = dt.datetime.now(CHINA).date()
    month = today.strftime("%Y-%m")
    cal = WorkCalendar.load()
    bound = cal.add_workdays(today, -9)
    c1 = clients("c1")
    v1, v2 = generate(2, seed=5)
    v1.update(shop_name='=HYPERLINK("x")', market_type="urban", binding_date=bound.isoformat())
    v2.update(shop_name="乙烟酒店", binding_date=today.isoformat())
    first = records.save_draft(c1.session, v1)[0].id
    second = records.save_draft(c1.session, v2)[0].id
    records.add_visit(c1.session, first, today.isoformat(), "例行拜访", "", "", [])
    assert records.mark_checked(c1.session, [second], "quarterly") == 1
    c1.login(server)
    assert c1.sync().complete
    records.save_changes(c1.session, first, {"market_type": "rural"})
    received = today  # client and server both date by China's day (app.models.times.today)
    counted = int(received.strftime("%Y-%m") == month)  # a complaint of the month before is not this month's
    integrity.open_complaint(c1.session, first, "phone", received.isoformat(), "价格不明示")
    assert c1.sync().complete
    c1.session.close()
    c1.session = None

    with httpx.Client(base_url=server.url + "/api/v1", headers=PROTO, timeout=30) as http:  # s1's monthly check
        login = {"username": "s1", "password": SERVER_PASSWORD, "device_id": "pc-s1-web", "device_name": "pc"}
        token = http.post("/auth/login", json=login).json()["access_token"]
        body = {"collector": "c1", "month": month, "checked_on": today.isoformat(), "timeliness": "ok"}
        body |= {"objectivity": "ok", "accuracy": "deficient", "findings": "1 户经营面积不符"}
        assert http.post("/checks/monthly", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    s1 = clients("s1")
    s1.session.close()
    s1.session = None
    ok(cli(s1.home, "login", "--server", server.url, "--user", "s1"))
    out_file = tmp_path / "月报.xlsx"
    out = ok(cli(s1.home, "report", "monthly", str(out_file), "--month", month))
    assert "1 条类别调整" in out, out

    wb = load_workbook(out_file)
    assert wb.sheetnames == ["封面", "类别调整", "档案完整率", "逾期维护", "拜访情况", "投诉处理情况"]
    cover = dict((r[0], r[1]) for r in _rows(wb["封面"])[1:])
    assert cover["月报"] == month and cover["数据截至"] == dt.datetime(today.year, today.month, today.day)
    assert cover["涉及的客户经理"] == "c1、c2、s1" and cover["类别调整"] == 1
    assert cover["受理投诉"] == counted and cover["逾期投诉"] == 0

    adj = _rows(wb["类别调整"])
    assert adj[0] == ["序号", "客户代码", "店铺名称", "客户经理", "调整项目", "调整前", "调整后", "日期", "操作人"]
    assert adj[1:] == [
        [
            1,
            None,
            '=HYPERLINK("x")',
            "c1",
            "市场类型",
            "城镇",
            "乡村",
            dt.datetime(today.year, today.month, today.day),
            "c1",
        ]
    ]
    cell = wb["类别调整"]["C2"]
    assert cell.data_type == "s" and cell.value.startswith("=")  # text, never a formula

    comp = _rows(wb["档案完整率"])
    assert comp[0][:6] == ["客户经理", "客户数", "完整", "不完整", "完整率（%）", "缺失必填项"]
    by = {r[0]: r for r in comp[1:]}
    assert set(by) == {"c1", "c2"}
    assert by["c1"][1] == 2 and by["c1"][2] + by["c1"][3] == 2
    assert by["c1"][4] == round(100 * by["c1"][2] / 2, 1)
    assert by["c2"][1:6] == [0, 0, 0, None, 0]
    assert comp[0][7:] == ["抽查次数", "抽查得分", "市场经理月度检查"]  # the month's checks (server/checks.py)
    assert by["c1"][7:] == [0, None, "存在问题"] and by["c2"][7:] == [0, None, "未检查"]

    overdue = _rows(wb["逾期维护"])
    assert overdue[0] == ["客户代码", "店铺名称", "客户经理", "逾期事项", "到期日", "逾期工作日"]
    due = cal.add_workdays(bound, 5)
    assert overdue[1:] == [
        [
            None,
            '=HYPERLINK("x")',
            "c1",
            "新客户绑定后 5 个工作日内未完善档案",
            dt.datetime(due.year, due.month, due.day),
            cal.workdays_between(due, today),
        ]
    ]

    visits = _rows(wb["拜访情况"])
    assert visits[0] == ["客户经理", "拜访次数", "拜访客户数", "负责客户数", "拜访覆盖率（%）", "有销售异常的拜访"]
    assert {r[0]: r[1:] for r in visits[1:]} == {"c1": [1, 1, 2, 50.0, 0], "c2": [0, 0, 0, None, 0]}

    complaints = _rows(wb["投诉处理情况"])
    assert complaints[0] == ["客户经理", "受理投诉", "办结投诉", "按期办结", "按期办结率（%）", "逾期投诉"]
    assert complaints[1:] == [
        ["c1", counted, 0, 0, None, 0],
        ["c2", 0, 0, 0, None, 0],
        ["合计", counted, 0, 0, None, 0],
    ]

    # every cell is a string, a number, a date or empty: nothing else can reach Excel or WPS
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type in ("s", "n", "d") or c.value is None, (ws.title, c.coordinate, c.data_type)

    # the export is in the audit trail of the supervisor's archive
    s1.__enter__()
    trail = s1.session._archive.audit.actions("report")
    assert trail and trail[-1].action == "export" and month in str(trail[-1].new)

    # with the server gone the report says so and writes nothing
    server.stop()
    gone = cli(s1.home, "report", "monthly", str(tmp_path / "x.xlsx"), "--month", month)
    assert gone.returncode != 0 and "服务器" in gone.stderr and "Traceback" not in gone.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_month_arguments() -> None:
    assert reports.default_month(dt.date(2026, 1, 2)) == "2025-12"
    assert reports.recent_months(dt.date(2026, 2, 15), 3) == ["2026-02", "2026-01", "2025-12"]
    assert reports.check_month(" 2026-3 ") == "2026-03"
    try:
        reports.check_month("2026/13")
    except Exception as exc:
        assert "YYYY-MM" in str(exc) or "YYYY-MM" in getattr(exc, "message", lambda *a: "")()
    else:
        raise AssertionError("a bad month was accepted")

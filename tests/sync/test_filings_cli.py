"""``python -m app filings`` against a real server on 127.0.0.1: the customer manager's list of what they owe
(the month just ended, the month before overdue), a filing's workbook saved, the refusals in Chinese."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook
from sqlalchemy import update

from server.config import CHINA_TZ, DB_FILE
from server.db import Database
from server.schema import users
from tests.server.test_filings import months_ago
from tests.sync.test_cli_review import cli, ok


def test_filings_from_the_command_line(server, clients, tmp_path) -> None:
    m2, m1 = months_ago(2), months_ago(1)
    database = Database(f"sqlite:///{server.data / DB_FILE}")  # users since the start of m2
    since = dt.datetime(*map(int, m2.split("-")), 1, tzinfo=CHINA_TZ).timestamp()
    database.write(lambda tx: tx.conn.execute(update(users).values(created_at=since)))
    database.dispose()
    c1 = clients("c1")
    c1.session.close()
    c1.session = None
    offline = cli(c1.home, "filings", "list")
    assert offline.returncode != 0 and "报表需要连接服务器" in offline.stderr
    ok(cli(c1.home, "login", "--server", server.url, "--user", "c1"))
    lines = [line.split("\t") for line in ok(cli(c1.home, "filings", "list")).splitlines()]
    assert [(x[0], x[1]) for x in lines] == [(m1, "collector_orders"), (m2, "collector_orders")]
    assert lines[1][4] == "逾期未报送" and lines[0][2] == "卷烟营销部客户经理订单采集汇总表"
    out = tmp_path / "汇总表.xlsx"
    assert "报表已保存到" in ok(cli(c1.home, "filings", "save", "collector_orders", m2, str(out)))
    assert load_workbook(out).sheetnames == ["封面", "卷烟营销部客户经理订单采集汇总表"]
    wrong = cli(c1.home, "filings", "save", "special_use", m2)
    assert wrong.returncode != 0 and f"您没有 {m2} 的 special_use 报表需要报送。" in wrong.stderr
    assert "需要报表类型和月份" in cli(c1.home, "filings", "save").stderr

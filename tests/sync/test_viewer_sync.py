"""A territory viewer (issue 17) on the desktop client against a real server on 127.0.0.1: placed at a
county with the command line, they sync without receiving a customer, their monthly report from the
command line covers the county's team, and a change they try to send is refused with a message in
Chinese saying why; the collector's customer on the server is untouched."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from app.errors import SyncError
from app.i18n import translate
from app.services import records
from app.services.demo import generate
from app.sync.client import READ_ONLY
from tests.sync.test_cli_review import cli, ok

CHINA = dt.timezone(dt.timedelta(hours=8))


def test_a_viewer_syncs_no_customer_reads_the_countys_report_and_changes_nothing(server, clients, tmp_path) -> None:
    server.admin("user", "add", "v", "--role", "viewer")
    county = server.admin("territory", "add", "雁塔区营销部", "--level", "county").stdout.strip()
    server.admin("territory", "add", "雁塔一组", "--level", "team", "--parent", county, "--supervisor", "s1")
    server.admin("place", "v", "--node", county)

    c1 = clients("c1")
    (values,) = generate(1, seed=7)
    customer = records.save_draft(c1.session, values)[0].id
    c1.login(server)
    assert c1.sync().complete

    v = clients("v")
    v.login(server)
    assert v.sync().complete
    assert records.get(v.session, customer) is None  # synced, yet the county's customer is not theirs to hold
    month = dt.datetime.now(CHINA).strftime("%Y-%m")
    v.session.close()
    v.session = None
    out = ok(cli(v.home, "report", "monthly", str(tmp_path / "月报.xlsx"), "--month", month))
    cover = dict((r[0], r[1]) for r in load_workbook(tmp_path / "月报.xlsx")["封面"].iter_rows(values_only=True))
    assert cover["涉及的客户经理"] == "c1、c2、s1", out  # the county's one team

    v.__enter__()  # the same archive, opened again
    (mine,) = generate(1, seed=8)
    records.save_draft(v.session, mine)
    with pytest.raises(SyncError) as refused:
        v.sync()
    assert refused.value.msgid == READ_ONLY
    assert translate(READ_ONLY).startswith("您的账号只能查看本辖区的报表")

"""A classification run and a credit decision on the server reach a real client by sync, like any change,
and merge with the collector's own offline edit of the same customer."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from app.export.xlsx import Column, write_sheet
from app.models.catalogue import load_form
from app.services import records
from app.services.demo import generate


def _customers(path: Path, n: int) -> list[str]:
    form = load_form()
    rows = list(generate(n, seed=11))
    codes = [f"6101020001{i:02d}" for i in range(n)]
    for r, code in zip(rows, codes, strict=True):
        r.update(customer_code=code, retail_format="grocery", market_type="rural")
    keys = ["customer_code", "shop_name", "retail_format", "market_type", "region_code", "address"]
    write_sheet(path, [Column(form[k].label_zh) for k in keys], ([r.get(k) for k in keys] for r in rows))
    return codes


def test_classification_and_credit_arrive_by_sync(server, clients, tmp_path) -> None:
    codes = _customers(tmp_path / "customers.xlsx", 5)
    server.admin("import-customers", str(tmp_path / "customers.xlsx"), "--owner", "c1")
    c1 = clients("c1")
    c1.login(server)
    assert c1.sync().complete
    by_code = {c.code: c for c in c1.session._archive.customers.iterate()}
    assert set(codes) <= set(by_code)
    first = by_code[codes[0]]
    assert "business_scale" not in first.values

    # the collector edits a customer offline while the server classifies
    records.save_draft(c1.session, {**first.values, "address": "陕西省西安市碑林区新地址9号"}, first.id)

    wb = Workbook()
    ws = wb.active
    ws.append(["客户编码", "期间", "购进量", "购进金额"])
    for i, code in enumerate(codes):
        ws.append([code, "2026-Q3", 100 * (5 - i), 1000 * (5 - i)])
    wb.save(tmp_path / "purchases.xlsx")
    server.admin("purchases", "import", str(tmp_path / "purchases.xlsx"))
    server.admin("classify", "run", "--period", "2026-Q3")

    out = c1.sync()
    assert out.complete and out.pulled == 5 and out.merged == 1  # merged: the offline edit on top of the new version
    got = {code: c1.session._archive.customers.get(by_code[code].id).values for code in codes}
    # n = 5: one large, three medium, one small
    assert [got[c]["business_scale"] for c in codes] == ["1", "2", "2", "2", "3"]
    assert [got[c]["classification_code"] for c in codes] == ["XZ1", "XZ2", "XZ2", "XZ2", "XZ3"]
    assert got[codes[0]]["address"] == "陕西省西安市碑林区新地址9号"  # the offline edit merged, not lost
    assert c1.session._archive.outbox.outbox_count() == 0

    # credit: the grade changes on the client only after the final decision
    server.admin("credit", "rate", "--by", "s1", codes[1], "B", "--notice-days", "7", "--on", "2026-09-01")
    c1.sync()
    assert "credit_grade" not in c1.session._archive.customers.get(by_code[codes[1]].id).values
    server.admin("credit", "decide", "--by", "s1", codes[1], "--on", "2026-09-11")
    assert c1.sync().complete
    assert c1.session._archive.customers.get(by_code[codes[1]].id).values["credit_grade"] == "B"


def test_the_server_calendar_is_kept_in_the_archive_and_used_for_deadlines(server, clients) -> None:
    import datetime as dt
    import json

    from app.models.workdays import SERVER_CALENDAR_META, WorkCalendar
    from app.services.session import calendar_for
    from app.sync.client import MemoryTokens, SyncClient
    from tests.sync.conftest import SERVER_PASSWORD

    c1 = clients("c1")
    c1.login(server)
    assert c1.sync().complete
    kept = json.loads(c1.session._archive.meta.get(SERVER_CALENDAR_META))
    assert set(kept["holidays"]) == {d.isoformat() for d in WorkCalendar.load().holidays}
    friday = dt.date(2026, 9, 4)
    assert calendar_for(c1.session._archive).is_workday(friday) and c1.session.calendar.is_workday(friday)

    client = SyncClient(server.url, MemoryTokens(), "dev-test")
    try:
        client.login("c1", SERVER_PASSWORD, "test")
        assert client.calendar(kept["version"]) is None  # 304: unchanged, no body
        server.admin("calendar", "set", friday.isoformat(), "holiday")
        fresh = client.calendar(kept["version"])
        assert fresh is not None and friday in fresh.holidays
    finally:
        client.close()

    assert c1.sync().complete
    kept2 = json.loads(c1.session._archive.meta.get(SERVER_CALENDAR_META))
    assert kept2["version"] == fresh.version
    cal = calendar_for(c1.session._archive)
    assert not cal.is_workday(friday)
    assert c1.session.calendar == cal  # the session counts with it
    # 2026-09-03 (Thu) + 2 working days skips the new holiday (Fri): Mon 7, Tue 8
    assert cal.add_workdays(dt.date(2026, 9, 3), 2) == dt.date(2026, 9, 8)

"""`sync` on the command line names every customer the server refused, with its code, shop name and
the server's reasons in the user's language, and exits 1; 0 once they are corrected. A real server
process on 127.0.0.1, the command line as a real process."""

from __future__ import annotations

from app.services import records
from tests.consent import CONSENT
from tests.sync.test_cli_review import cli, ok


def test_sync_lists_refused_customers_with_reasons_and_exits_1(server, clients) -> None:
    c1 = clients("c1")
    # values the server refuses from a collector (entered around the sheet and form rules)
    grade = records.save_draft(
        c1.session, {"shop_name": "老王烟酒店", "credit_grade": "A", "contact_phone": "13812345678", **CONSENT}
    )[0]
    price = records.save_draft(c1.session, {"shop_name": "李记便利店", "avg_price": "23.5", "monitored": True})[0]
    fine = records.save_draft(c1.session, {"shop_name": "张家超市"})[0]
    codes = {c.id: c1.session._archive.customers.get(c.id).code for c in (grade, price, fine)}
    c1.session.close()
    c1.session = None
    ok(cli(c1.home, "login", "--server", server.url, "--user", "c1"))

    run = cli(c1.home, "sync")
    assert run.returncode == 1, run.stderr + run.stdout
    lines = run.stdout.splitlines()
    assert "服务器拒收的客户（2 户）" in run.stdout
    by_code = {line.strip().split(" ")[0]: line.strip() for line in lines if line.startswith("  ")}
    assert set(by_code) == {codes[grade.id], codes[price.id]}
    assert by_code[codes[grade.id]] == f"{codes[grade.id]} 老王烟酒店：诚信等级由系统维护，新客户请留空。"
    assert by_code[codes[price.id]].startswith(f"{codes[price.id]} 李记便利店：")
    assert "进货均价由系统维护，新客户请留空。" in by_code[codes[price.id]]
    assert "监控户只能由市场经理填写，新客户请留空。" in by_code[codes[price.id]]
    assert codes[fine.id] not in run.stdout
    assert run.stderr.count("\n") == 1 and "2 户被服务器拒收" in run.stderr and "Traceback" not in run.stderr

    en = cli(c1.home, "--lang", "en", "sync")  # still refused: nothing changed since
    assert en.returncode == 1
    assert (
        f"{codes[grade.id]} 老王烟酒店: Integrity grade is maintained by the system: leave it empty for a new customer."
        in en.stdout
    )
    assert "Refused by the server (2)" in en.stdout and "readonly" not in en.stdout

    c1.__enter__()  # the collector corrects them
    records.save_changes(c1.session, grade.id, {"credit_grade": None})
    records.save_changes(c1.session, price.id, {"avg_price": None, "monitored": None})
    c1.session.close()
    c1.session = None
    done = cli(c1.home, "sync")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "拒收" not in done.stdout and done.stderr == ""
    c1.__enter__()
    assert {c.sync_state for c in c1.session._archive.customers.many([grade.id, price.id, fine.id]).values()} == {
        "synced"
    }

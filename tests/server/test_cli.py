"""The admin command line: exit codes and one-line reasons, users, assignment, spreadsheet import
(real .xlsx files, the client's validation), form publishing, devices; on both databases."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import select

from app.export.xlsx import Column, write_sheet
from app.models.catalogue import load_form
from server.schema import customers, users
from tests.server.conftest import ROOT
from tests.server.helpers import demo_values


def write_xlsx(path, rows, keys):
    form = load_form()
    write_sheet(path, [Column(form[k].label_zh) for k in keys], ([r.get(k) for k in keys] for r in rows))


def test_users(run, db):
    assert run("user", "add", "boss", "--role", "supervisor")[0] == 0
    assert run("user", "add", "ann", "--role", "collector", "--supervisor", "boss")[0] == 0
    code, _, err = run("user", "add", "ann", "--role", "collector")
    assert code == 2 and "already exists" in err
    assert run("user", "add", "bob", "--role", "collector", "--supervisor", "ann")[0] == 2  # not a supervisor
    assert run("user", "disable", "ann")[0] == 0
    assert run("user", "passwd", "ghost")[0] == 2
    code, out, _ = run("user", "list")
    assert code == 0 and "ann\tcollector\tboss\tdisabled" in out
    with db.read() as conn:
        hashes = [r.password_hash for r in conn.execute(select(users))]
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_short_password_and_no_terminal(run, monkeypatch):
    monkeypatch.setenv("FIELDARCHIVE_NEW_PASSWORD", "short")
    code, _, err = run("user", "add", "x", "--role", "admin")
    assert code == 2 and "at least 8" in err
    monkeypatch.delenv("FIELDARCHIVE_NEW_PASSWORD")
    code, _, err = run("user", "add", "x", "--role", "admin")
    assert code == 2 and "FIELDARCHIVE_NEW_PASSWORD" in err


def test_import_customers_assign_and_devices(run, db, tmp_path, api):
    run("user", "add", "ann", "--role", "collector")
    run("user", "add", "ben", "--role", "collector")
    rows = demo_values(30, seed=4)
    for i, r in enumerate(rows[:10]):
        r["customer_code"] = f"6101020{i:05d}"
    keys = ["customer_code", "shop_name", "licence_no", "contact_phone", "region_code", "address"]
    good = tmp_path / "good.xlsx"
    write_xlsx(good, rows, keys)
    code, _, err = run("import-customers", str(good), "--owner", "ann")
    assert code == 0 and "Imported 30" in err
    with db.read() as conn:
        got = conn.execute(select(customers.c.status, customers.c.code, customers.c.code_official)).all()
    assert sorted(r.status for r in got).count("approved") == 10
    assert {r.code for r in got if r.code_official} == {f"6101020{i:05d}" for i in range(10)}
    code, _, _ = run("assign", "610102000003", "--to", "ben")
    assert code == 0
    assert api.token("ben")
    code, out, _ = run("devices", "list", "ben")
    assert code == 0 and json.loads(out)[0]["device_id"] == "dev-ben"
    assert run("devices", "revoke", "ben", "dev-ben")[0] == 0
    assert json.loads(run("devices", "list", "ben")[1])[0]["revoked"] is True
    assert run("assign", "no-such", "--to", "ben")[0] == 2


def test_imported_new_customers_start_with_the_defaults(run, db, tmp_path):
    """F3 L10, L158: a new customer from the seeding import orders weekly and online and settles
    electronically unless the sheet says otherwise; an existing customer (with its code) gets nothing added."""
    run("user", "add", "ann", "--role", "collector")
    rows = demo_values(2, seed=4)
    rows[0]["customer_code"] = "610102000001"
    for r in rows:
        r.pop("order_method", None), r.pop("settlement_method", None), r.pop("order_frequency", None)
    path = tmp_path / "seed.xlsx"
    write_xlsx(path, rows, ["customer_code", "shop_name", "region_code", "address"])
    code, _, err = run("import-customers", str(path), "--owner", "ann")
    assert code == 0, err
    with db.read() as conn:
        data = {r.code_official: json.loads(r.data) for r in conn.execute(select(customers))}
    wanted = ("order_frequency", "order_method", "settlement_method")
    assert [data[False].get(k) for k in wanted] == ["weekly", "online", "electronic"]
    assert [data[True].get(k) for k in wanted] == [None, None, None]


def test_import_with_errors_imports_nothing(run, db, tmp_path):
    run("user", "add", "ann", "--role", "collector")
    rows = demo_values(5, seed=8)
    rows[2]["contact_phone"] = "12345"
    bad = tmp_path / "bad.xlsx"
    write_xlsx(bad, rows, ["shop_name", "contact_phone"])
    code, out, err = run("import-customers", str(bad), "--owner", "ann")
    assert code == 1 and "row 4" in out and "nothing was imported" in err
    with db.read() as conn:
        assert conn.execute(select(customers.c.id)).first() is None
    assert run("import-customers", str(tmp_path / "missing.xlsx"), "--owner", "ann")[0] == 2
    (tmp_path / "junk.xlsx").write_bytes(b"not a spreadsheet")
    assert run("import-customers", str(tmp_path / "junk.xlsx"), "--owner", "ann")[0] == 2


def test_form_publish(run, tmp_path):
    data = load_form().to_dict()
    path = tmp_path / "form.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, _, err = run("form", "publish", str(path))
    assert code == 2 and "must be higher" in err
    data["version"] = 3
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert run("form", "publish", str(path))[0] == 0
    path.write_text("{broken", encoding="utf-8")
    assert run("form", "publish", str(path))[0] == 2


def test_usage_errors_are_one_line(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "server", "user", "frobnicate"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run(
        [sys.executable, "-m", "server", "user", "list", "--database", "postgresql+psycopg://nobody@127.0.0.1:1/x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_arguments_the_database_cannot_store_are_refused_by_name(run, db):
    """A byte that is not UTF-8 on the command line arrives as a lone surrogate: one clear line, nothing written."""
    from sqlalchemy import func, select

    from server.schema import users

    code, _, err = run("user", "add", "ann\udcff", "--role", "collector")
    assert code == 2 and err.startswith("python -m server: name:") and "codec" not in err
    code, _, err = run("user", "add", "ann", "--role", "collector", "--display-name", "安\udcff")
    assert code == 2 and "display-name:" in err and "codec" not in err
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar() == 0


def test_a_bad_login_setting_in_the_environment_is_one_clear_line(run, monkeypatch):
    monkeypatch.setenv("FIELDARCHIVE_MAX_FAILURES", "five")
    code, _out, err = run("purge")
    assert code == 2 and "FIELDARCHIVE_MAX_FAILURES must be a number" in err

"""The command line as people and scripts use it: real processes, exit codes 0/1/2, one-line reasons."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
import pytest

from tests.consent import CONSENT_CELLS
from tests.forkserver import run_app

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery staple"


def cli(home: Path, *args: str, passphrase: str | None = PASS, extra_env: dict | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDARCHIVE_")}
    env.update(FIELDARCHIVE_HOME=str(home), PYTHONPATH=str(ROOT), **(extra_env or {}))
    if passphrase is not None:
        env["FIELDARCHIVE_PASSPHRASE"] = passphrase
    return run_app(args, env=env, timeout=120)


def one_line_error(proc) -> str:
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr.strip()


@pytest.fixture
def ready(home):
    proc = cli(home, "init", "--user", "王经理")
    assert proc.returncode == 0, proc.stderr
    return home, proc


def test_init_prints_the_recovery_code_once(ready) -> None:
    home, proc = ready
    lines = proc.stdout.splitlines()
    assert "恢复码" in proc.stdout and len(lines[-1].strip()) == 29
    again = cli(home, "init")
    assert again.returncode == 2 and "已有档案" in one_line_error(again)


def test_wrong_or_missing_passphrase(ready) -> None:
    home, _ = ready
    wrong = cli(home, "list", passphrase="wrong passphrase")
    assert wrong.returncode == 2 and one_line_error(wrong) == "密码不正确。"
    none = cli(home, "list", passphrase=None)
    assert none.returncode == 2 and "FIELDARCHIVE_PASSPHRASE" in one_line_error(none)
    en = cli(home, "--lang", "en", "list", passphrase="wrong passphrase")
    assert one_line_error(en) == "The passphrase is not correct."


def test_no_archive_yet(home) -> None:
    proc = cli(home, "list")
    assert proc.returncode == 2 and "init" in one_line_error(proc)


def test_form_json(home) -> None:
    proc = cli(home, "form", "--json", passphrase=None)
    assert proc.returncode == 0
    fields = json.loads(proc.stdout)
    assert len(fields) >= 60
    for f in fields:
        assert {"key", "type", "group", "label_zh", "label_en", "required"} <= set(f)
        if f["type"] in ("choice", "multichoice"):
            assert f["choices"] and all(isinstance(c, str) for c in f["choices"])
    om = next(f for f in fields if f["key"] == "order_method")
    assert om["choices"] == ["online", "phone", "mobile_app", "wechat"] and om["required"] == "national"


def test_validate_import_export_round_trip(ready, tmp_path) -> None:
    home, _ = ready
    assert cli(home, "template", str(tmp_path / "t.xlsx"), passphrase=None).returncode == 0
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]

    def row(**kw):
        return [kw.get(h) for h in header]

    cells = {"联系电话": "138 1234 5678", "订货方式": "网上订货", "定点取货": "否", **CONSENT_CELLS}
    ws.append(row(店铺名称="老王烟酒店", **cells))
    ws.append(row(店铺名称="李记", **{"联系电话": "12345"}))
    wb.save(tmp_path / "in.xlsx")

    v = cli(home, "validate", str(tmp_path / "in.xlsx"), "--json")
    assert v.returncode == 1
    summary = json.loads(v.stdout)
    assert summary["rows"] == 2 and summary["totals"]["error"] == 1 and summary["not_listed"] == 0
    problems = summary["problems"]
    assert all(set(p) == {"row", "field", "severity", "code", "message"} for p in problems)
    assert {"row": 3, "field": "contact_phone", "severity": "error", "code": "phone.format"}.items() <= next(
        p for p in problems if p["code"] == "phone.format"
    ).items()

    imp = cli(home, "import", str(tmp_path / "in.xlsx"))
    assert imp.returncode == 1 and "未导入" in imp.stderr
    assert json.loads(cli(home, "list", "--json").stdout) == []
    imp = cli(home, "import", str(tmp_path / "in.xlsx"), "--skip-invalid")
    assert imp.returncode == 1 and "新增 1 户" in imp.stderr
    listed = json.loads(cli(home, "list", "--json").stdout)
    assert [r["shop_name"] for r in listed] == ["老王烟酒店"] and listed[0]["phone"] == "13812345678"

    exp = cli(home, "export", str(tmp_path / "out.xlsx"), "--lang", "en")
    assert exp.returncode == 0
    assert "Shop name" in [c.value for c in openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0][1]]
    again = cli(home, "import", str(tmp_path / "out.xlsx"))
    assert again.returncode == 0 and "1 户无变化" in again.stderr


def test_check_backup_restore_passwd(ready, tmp_path) -> None:
    home, _ = ready
    check = cli(home, "check")
    assert check.returncode == 0 and "档案完好" in check.stdout
    backup = cli(home, "backup", str(tmp_path / "b.fabak"))
    assert backup.returncode == 0 and (tmp_path / "b.fabak").exists()
    changed = cli(home, "passwd", extra_env={"FIELDARCHIVE_NEW_PASSPHRASE": "a new passphrase"})
    assert changed.returncode == 0
    assert cli(home, "list").returncode == 2
    assert cli(home, "list", passphrase="a new passphrase").returncode == 0
    restored = cli(home, "restore", str(tmp_path / "b.fabak"))  # the backup opens with its own passphrase
    assert restored.returncode == 0, restored.stderr
    assert cli(home, "restore", str(tmp_path / "nope.fabak")).returncode == 2


def test_self_test(home) -> None:
    proc = cli(home, "self-test", passphrase=None)
    assert proc.returncode == 0 and "archive: SQLCipher 4." in proc.stdout and "translations: zh_CN ok" in proc.stdout


def test_usage_errors_are_one_line(home) -> None:
    proc = cli(home, "no-such-command", passphrase=None)
    assert proc.returncode == 2 and one_line_error(proc).startswith("fieldarchive:")
    proc = cli(home, "import", passphrase=None)
    assert proc.returncode == 2 and one_line_error(proc)
    proc = cli(home, "validate", "/nonexistent.xlsx", passphrase=None)
    assert proc.returncode == 2 and "不存在" in one_line_error(proc)


def test_bulk_maintenance_and_export_options_from_the_command_line(ready, tmp_path) -> None:
    home, _ = ready
    run = cli
    src = tmp_path / "src.xlsx"
    assert run(home, "template", str(src), passphrase=None).returncode == 0
    wb = openpyxl.load_workbook(src)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    given = {"店铺名称": "老王烟酒店", "联系电话": "13812345678", "订货方式": "网上订货"}
    given |= {"客户书面同意采集": "是", "同意日期": "2026-01-05", "同意形式": "书面同意书"}  # consent: can be submitted
    ws.append([given.get(h) for h in header])
    wb.save(src)
    assert run(home, "import", str(src)).returncode in (0, 1)
    assert len(json.loads(run(home, "list", "--json").stdout)) == 1

    bad = run(home, "export", str(tmp_path / "x.xlsx"), "--groups", "basic,nonsense")
    assert bad.returncode == 2 and "nonsense" in one_line_error(bad) and not (tmp_path / "x.xlsx").exists()
    out = tmp_path / "basic.xlsx"
    assert run(home, "export", str(out), "--groups", "identification", "--no-meta").returncode == 0
    exported = openpyxl.load_workbook(out).worksheets[0]
    head = [c.value for c in exported[1]]
    assert head[-1] == "id" and "店铺名称" in head and "状态" not in head and "联系电话" not in head

    full = tmp_path / "full.xlsx"
    assert run(home, "export", str(full)).returncode == 0
    wb = openpyxl.load_workbook(full)
    ws = wb.worksheets[0]
    col = [c.value for c in ws[1]].index("联系电话") + 1
    ws.cell(row=2, column=col, value="13709112233")
    wb.save(full)
    imp = run(home, "import", str(full), "--submit")
    assert "已提交审核：1 户" in imp.stderr, imp.stderr
    listed = json.loads(run(home, "list", "--json").stdout)
    assert listed[0]["status"] == "pending" and listed[0]["phone"] == "13709112233"

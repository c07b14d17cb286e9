"""Export requests as scripts use them: `export --unmasked [--request ID]` and `export-requests
list/request/approve/refuse` in real processes, two archives, a real server on 127.0.0.1. Refusals
print the message (zh or en) on one line and exit 2; an approved request listed once is usable."""

from __future__ import annotations

import json

import openpyxl

from app.services import records
from app.services.demo import generate
from tests.sync.test_cli_review import cli, ok

UNKNOWN = "9b0c8f4e-0000-4000-8000-00000000abcd"


def refused(proc) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr.strip()


def test_an_unmasked_export_from_the_command_line_under_an_approved_request(server, clients, tmp_path) -> None:
    c1 = clients("c1")
    made = [records.save_draft(c1.session, v)[0] for v in generate(2, seed=61, complete=True)]
    c1.session.close()
    c1.session = None
    s1 = clients("s1")
    s1.session.close()
    s1.session = None
    out = tmp_path / "full.xlsx"

    assert "身份证号码和银行账号须有已审批的导出申请" in refused(cli(c1.home, "export", str(out), "--unmasked"))
    en = refused(cli(c1.home, "--lang", "en", "export", str(out), "--unmasked"))
    assert en.startswith("ID and bank numbers are exported in full only with an approved export request")
    assert "本机没有导出申请" in refused(cli(c1.home, "export", str(out), "--unmasked", "--request", UNKNOWN))
    assert not out.exists()
    assert refused(cli(c1.home, "export-requests", "list")) == "导出申请需要连接服务器：请先登录服务器。"

    ok(cli(c1.home, "login", "--server", server.url, "--user", "c1"))
    ok(cli(s1.home, "login", "--server", server.url, "--user", "s1"))
    missing = refused(cli(c1.home, "export-requests", "request", "--target", "本组客户", "--purpose", "核对"))
    assert "请填写理由" in missing
    asked = json.loads(
        ok(
            cli(
                c1.home,
                "export-requests",
                "request",
                "--target",
                "本组客户",
                "--purpose",
                "核对结算账户",
                "--reason",
                "银行账号变更",
                "--unmasked",
                "--json",
            )
        )
    )
    assert (asked["state"], asked["unmasked"], asked["applicant"]) == ("pending", True, "c1")
    rid = asked["id"]
    assert f"{rid}  待审批  c1 (c1)  完整号码  本组客户 — 核对结算账户: 银行账号变更" in ok(
        cli(c1.home, "export-requests", "list")
    )
    own = refused(cli(c1.home, "export-requests", "approve", rid))
    assert own.startswith("导出申请需要连接服务器：") and "approved by someone else" in own
    assert "仍在等待" in refused(cli(c1.home, "export", str(out), "--unmasked", "--request", rid))

    listed = ok(cli(s1.home, "export-requests", "list"))
    assert rid in listed and "待审批" in listed and "共 1 条导出申请，其中 1 条待审批。" in listed
    assert "请填写驳回理由" in refused(cli(s1.home, "export-requests", "refuse", rid))
    ok(cli(s1.home, "export-requests", "approve", rid))

    mine = ok(cli(c1.home, "export-requests", "list"))  # lists, and keeps the approval in the archive
    assert f"{rid}  已批准 有效至" in mine and "完整号码" in mine
    ok(cli(c1.home, "export", str(out), "--unmasked", "--request", rid))
    ws = openpyxl.load_workbook(out).worksheets[0]
    head = [c.value for c in ws[1]]
    col = head.index("负责人身份证号码")
    assert sorted(r[col] for r in ws.iter_rows(min_row=2, values_only=True)) == sorted(
        m.values["id_card"] for m in made
    )

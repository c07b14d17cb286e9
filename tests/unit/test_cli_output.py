"""Output for people and scripts: ``validate --json`` is one object with the problems and the totals;
text output caps row lists and long messages (never one line of hundreds of KB)."""

from __future__ import annotations

import json

import openpyxl
import pytest

from app.commands.sheets import MAX_LISTED_ROWS, MAX_MESSAGE, rows_text
from app.i18n import language
from app.services.sheet_results import MAX_PROBLEMS
from tests.consent import CONSENT_CELLS
from tests.unit.test_cli import cli


def write(path, header, rows):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def ready_home(home):
    proc = cli(home, "init", "--user", "王经理")
    assert proc.returncode == 0, proc.stderr
    return home


def test_rows_text_names_the_first_rows_and_counts_the_rest() -> None:
    with language("en"):
        assert rows_text([2, 3, 5]) == "2, 3, 5"
        assert rows_text(list(range(2, 2 + MAX_LISTED_ROWS))) == ", ".join(map(str, range(2, 2 + MAX_LISTED_ROWS)))
        text = rows_text(list(range(2, 1256)))
        assert text.startswith("2, 3, 4") and text.endswith(" … and 1,234 more")
    with language("zh_CN"):
        assert rows_text(list(range(2, 1256))).endswith(" … 另有 1,234 行")


def test_validate_json_has_totals_and_says_how_many_are_not_listed(home, tmp_path) -> None:
    from app.models.catalogue import FieldType, load_form

    form = load_form()
    # every typed column gets a value no parser accepts: dozens of errors per row
    typed = [f for f in form.visible_fields if f.type not in (FieldType.TEXT, FieldType.PHOTO)]
    rows = 40 + MAX_PROBLEMS // len(typed)
    path = write(
        tmp_path / "bad.xlsx",
        ["店铺名称"] + [f.key for f in typed],
        ([f"商店{i}"] + ["zz?"] * len(typed) for i in range(rows)),
    )
    proc = cli(home, "validate", str(path), "--json", passphrase=None)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"file", "rows", "totals", "rows_with_errors", "listed", "not_listed", "problems"}
    assert out["file"] == "bad.xlsx" and out["rows"] == rows and out["rows_with_errors"] == rows
    totals = out["totals"]
    assert totals["error"] > MAX_PROBLEMS and set(totals) == {"error", "warning", "missing"}
    kept = [p for p in out["problems"] if p["severity"] != "missing"]
    assert len(kept) == MAX_PROBLEMS and out["listed"] == len(out["problems"])
    assert out["not_listed"] == totals["error"] + totals["warning"] + totals["missing"] - out["listed"] > 0
    assert {p["row"] for p in kept} <= set(range(2, rows + 2))
    # the text form: the same counts on stderr, no line longer than a screenful
    text = cli(home, "validate", str(path), passphrase=None)
    assert text.returncode == 1
    assert f"{out['not_listed']} 个问题" in text.stderr and f"{rows} 行" in text.stderr
    assert max(len(line) for line in text.stdout.splitlines()) < 400


def test_a_huge_cell_and_many_bad_rows_never_make_a_huge_line(ready_home, tmp_path) -> None:
    home = ready_home
    huge = "烟" * 30_000  # near the 32,767 characters a cell can hold
    consent = list(CONSENT_CELLS.values())  # the phones are collected with the customer's recorded consent
    rows = [[f"商店{i}", "12345", None, *consent] for i in range(1300)]
    rows[0] = ["老王烟酒店", "13812345678", None, *consent]
    rows.append(["大字店", "13812345679", huge, *consent])
    path = write(tmp_path / "big.xlsx", ["店铺名称", "联系电话", "订货方式", *CONSENT_CELLS], rows)
    imp = cli(home, "import", str(path))
    assert imp.returncode == 1
    longest = max(len(line) for line in (imp.stdout + imp.stderr).splitlines())
    assert longest < MAX_MESSAGE + 100, longest
    assert "另有 1,280 行" in imp.stderr and "未导入任何数据" in imp.stderr
    skip = cli(home, "--lang", "en", "import", str(path), "--skip-invalid")
    assert skip.returncode == 1
    assert "Imported: 1 new" in skip.stderr and "… and 1,280 more" in skip.stderr
    assert max(len(line) for line in (skip.stdout + skip.stderr).splitlines()) < MAX_MESSAGE + 100
    js = json.loads(cli(home, "import", str(path), "--json").stdout)
    assert (
        js["written"] is False and js["rows"] == 1301 and js["rows_with_errors"] == 1300 and js["skipped_rows"] == 1300
    )
    assert any(p["code"] == "choice.invalid" and p["row"] == 1302 for p in js["problems"])

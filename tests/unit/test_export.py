"""Export of the list to .xlsx: typed cells read back with openpyxl, frozen header, zh/en headers,
field groups, formula-injection text kept as plain strings, no partial file when cancelled, the
audit entry; and, where LibreOffice is installed, the file converted headless to CSV."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import threading

import openpyxl
import pytest

from app.errors import UserCancelled
from app.export.xlsx import Column, write_sheet
from app.models.catalogue import FieldType
from app.services import records
from app.services.demo import generate
from app.services.exporting import export_customers, export_fields

RISKY = ["=1+2", "+86 138", "-5", "@SUM(A1)", "\tTab店", "\r回车店", '=HYPERLINK("http://x")']


def fill(session, n=30):
    for v in generate(n, seed=5, today=session.today()):
        records.save_draft(session, v)


def fill_many(session, n: int) -> None:
    """``n`` generated customers in one transaction (what a sheet import writes), not one save each."""
    from app.models.record import NewCustomer, Provenance, Source, new_id
    from app.validation import validate_values

    form, today = session.form, session.today()
    with session._archive.db.transaction() as tx:
        batch = []
        for v in generate(n, seed=5, today=today):
            r = validate_values(form, v, today=today)
            batch.append(NewCustomer(new_id(), records.clean_values(r), records.quality(r)))
        session._archive.customers.insert(form, batch, Provenance("tester", Source.IMPORT, "t.xlsx", str(today)), tx)


def read(path):
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    return ws, [c.value for c in ws[1]]


def test_every_cell_has_its_type_and_the_header_is_frozen(session, tmp_path) -> None:
    fill(session)
    out = tmp_path / "all.xlsx"
    assert export_customers(session._archive, session.form, out, lang="zh_CN") == 30
    ws, header = read(out)
    assert ws.freeze_panes == "A2"
    assert header[:3] == ["状态", "完整度", "临时编码"] and header[-1] == "id"
    by_label = {f.label("zh_CN"): f for f in session.form.visible_fields}
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(len(header))].width == 36
    seen: dict[FieldType, int] = {}
    for row in ws.iter_rows(min_row=2):
        for cell, head in zip(row, header, strict=True):
            if cell.value is None:
                continue
            spec = by_label.get(head)
            if spec is None:
                assert head in ("id", "状态", "完整度", "临时编码")
                assert isinstance(cell.value, int if head == "完整度" else str)
                continue
            seen[spec.type] = seen.get(spec.type, 0) + 1
            if spec.type is FieldType.DATE:
                assert cell.is_date and isinstance(cell.value, dt.datetime), (head, cell.value)
                assert cell.number_format == "yyyy-mm-dd"
            elif spec.type in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.PHOTO):
                assert cell.data_type == "n" and isinstance(cell.value, (int, float)), (head, cell.value)
            else:
                assert cell.data_type == "s" and isinstance(cell.value, str), (head, cell.value)
    assert {FieldType.DATE, FieldType.INTEGER, FieldType.DECIMAL, FieldType.CHOICE, FieldType.TEXT} <= set(seen)
    # values match the archive: a date, a decimal and a choice label
    customers = {c.id: c for c in session._archive.customers.iterate()}
    col = {h: i for i, h in enumerate(header)}
    for row in ws.iter_rows(min_row=2, values_only=True):
        c = customers[row[-1]]  # the id is the last column
        for spec in session.form.visible_fields:
            v, stored = row[col[spec.label("zh_CN")]], c.values.get(spec.key)
            if stored is None or stored == []:
                assert v is None
            elif spec.type is FieldType.DATE:
                assert v.date().isoformat() == stored
            elif spec.type is FieldType.DECIMAL:
                assert float(v) == pytest.approx(float(stored))
            elif spec.type is FieldType.CHOICE:
                assert v == spec.choice(stored).label("zh_CN")


def test_headers_in_english_and_choice_labels_in_english(session, tmp_path) -> None:
    fill(session, 5)
    out = tmp_path / "en.xlsx"
    export_customers(session._archive, session.form, out, lang="en")
    ws, header = read(out)
    assert header[:3] == ["Status", "Completeness", "Provisional code"] and header[-1] == "id"
    assert [f.label("en") for f in session.form.visible_fields] == header[3:-1]
    choice = next(f for f in session.form.visible_fields if f.type is FieldType.CHOICE and f.choices)
    english = {c.label("en") for c in choice.choices}
    values = {r[header.index(choice.label("en"))] for r in ws.iter_rows(min_row=2, values_only=True)} - {None}
    assert values and values <= english


def test_only_the_chosen_groups_and_no_meta_columns(session, tmp_path) -> None:
    fill(session, 5)
    out = tmp_path / "basic.xlsx"
    export_customers(
        session._archive, session.form, out, lang="zh_CN", groups=["identification", "operating_level"], meta=False
    )
    _ws, header = read(out)
    expected = [
        f.label("zh_CN") for f in session.form.visible_fields if f.group in ("identification", "operating_level")
    ]
    assert header == [*expected, "id"]
    assert export_fields(session.form, ["identification", "operating_level"]) == tuple(
        f for f in session.form.visible_fields if f.group in ("identification", "operating_level")
    )
    with pytest.raises(ValueError):
        export_fields(session.form, ["nope"])


def test_formula_like_text_is_stored_as_plain_strings(session, tmp_path) -> None:
    for text in RISKY:
        records.save_draft(session, {"shop_name": text})
    stored = sorted(c.values["shop_name"] for c in session._archive.customers.iterate())
    out = tmp_path / "risky.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN", groups=["identification"], meta=False)
    ws, header = read(out)
    col = header.index(session.form["shop_name"].label("zh_CN")) + 1
    cells = [ws.cell(row=r, column=col) for r in range(2, len(RISKY) + 2)]
    assert sorted(c.value for c in cells) == stored
    for c in cells:
        assert c.data_type == "s"
        assert c.quotePrefix == c.value.startswith(("=", "+", "-", "@"))
    assert not _has_formula(out)


def test_every_risky_start_is_written_as_quoted_text(tmp_path) -> None:
    out = tmp_path / "raw.xlsx"
    write_sheet(out, [Column("text")], [[t] for t in RISKY] + [[5], [dt.date(2024, 3, 1)]])
    ws, _header = read(out)
    cells = [ws.cell(row=r, column=1) for r in range(2, len(RISKY) + 2)]
    # tab kept; a CR reads back as LF (XML line-end normalisation); nothing evaluated
    assert [c.value for c in cells] == [t.replace("\r", "\n") for t in RISKY]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert ws.cell(row=len(RISKY) + 2, column=1).data_type == "n"
    assert ws.cell(row=len(RISKY) + 3, column=1).is_date
    assert not _has_formula(out)


def _has_formula(path) -> bool:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return "<f>" in z.read("xl/worksheets/sheet1.xml").decode()


def test_a_cancelled_export_leaves_no_file_and_keeps_an_older_one(session, tmp_path) -> None:
    import openpyxl.worksheet._writer as w

    fill_many(session, 1200)
    out = tmp_path / "big.xlsx"
    out.write_bytes(b"older export")
    cancel = threading.Event()
    seen = []

    def progress(n, total):
        seen.append(n)
        if n >= 500:
            cancel.set()

    temp_before = set(w.ALL_TEMP_FILES)
    with pytest.raises(UserCancelled):
        export_customers(session._archive, session.form, out, lang="zh_CN", progress=progress, cancel=cancel)
    assert out.read_bytes() == b"older export"
    assert sorted(os.listdir(tmp_path)) == ["big.xlsx", "home"]
    assert set(w.ALL_TEMP_FILES) == temp_before  # openpyxl's own temporary file is gone too
    assert not session._archive.audit.actions("export")  # nothing exported, nothing logged


def test_every_export_is_in_the_audit_trail(session, tmp_path) -> None:
    fill(session, 3)
    export_customers(
        session._archive, session.form, tmp_path / "a.xlsx", lang="zh_CN", groups=["basic"], actor="王经理"
    )
    export_customers(
        session._archive, session.form, tmp_path / "b.xlsx", lang="en", pks=session._archive.customers.search_pks()[:2]
    )
    entries = session._archive.audit.actions("export")
    assert [(e.action, e.source_ref, e.new["rows"], e.new["groups"][:1]) for e in entries] == [
        ("export", "a.xlsx", 3, ["basic"]),
        ("export", "b.xlsx", 2, [session.form.groups[0].key]),
    ]
    assert entries[0].actor == "王经理" and entries[1].actor == "tester"
    assert session._archive.audit.verify_chain() == []


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice") or os.environ.get("CI")),
    reason="LibreOffice (soffice) is not installed on this machine (.ci/run installs it; in CI it must run)",
)
def test_libreoffice_reads_the_export(session, tmp_path) -> None:
    for text in RISKY[:4]:
        records.save_draft(session, {"shop_name": text, "licence_issue_date": "2024-03-01"})
    out = tmp_path / "lo.xlsx"
    export_customers(session._archive, session.form, out, lang="en", groups=["identification", "basic"], meta=False)
    _ws, header = read(out)
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    env = {**os.environ, "HOME": str(tmp_path)}
    subprocess.run(
        [
            exe,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(tmp_path / "csv"),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env=env,
    )
    with open(tmp_path / "csv" / "lo.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == header
    shop = header.index(session.form["shop_name"].label("en"))
    assert sorted(r[shop] for r in rows[1:]) == sorted(RISKY[:4])  # text, not computed formulas
    issued = header.index(session.form["licence_issue_date"].label("en"))
    assert {r[issued] for r in rows[1:]} == {"2024-03-01"}  # a real date cell in ISO number format

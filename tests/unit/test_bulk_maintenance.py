"""Bulk maintenance (大批量维护) by spreadsheet: per-row diffs in the dry run (capped), all-or-nothing
over several batches, and the changed customers submitted for review afterwards."""

from __future__ import annotations

import openpyxl

from app.models.record import CustomerStatus, NewCustomer, Provenance, Source, new_id
from app.services import records, sheet_import
from app.services.demo import generate
from app.services.exporting import export_customers
from app.services.sheet_results import ImportMode
from app.services.sheets import process_sheet, submit_changed
from app.validation import validate_values
from tests.consent import CONSENT_CELLS


def run(session, path, **kw):
    return process_sheet(
        path, session.form, session._archive, actor="tester", role=session.role, today=session.today(), **kw
    )


def edit(path, changes: dict[int, dict[str, object]], append=()):
    """Change cells of an exported sheet by (row, zh header) and append rows ({header: value})."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    for row, cells in changes.items():
        for head, value in cells.items():
            ws.cell(row=row, column=header.index(head) + 1, value=value)
    for extra in append:
        ws.append([extra.get(h) for h in header])
    wb.save(path)
    return header


def bulk_insert(session, n, seed=3):
    items = []
    for v in generate(n, seed=seed, today=session.today()):
        report = validate_values(session.form, v, today=session.today())
        items.append(NewCustomer(new_id(), records.clean_values(report), records.quality(report)))
    session._archive.customers.insert(session.form, items, Provenance("tester", Source.IMPORT, "seed"))


CONSENT = {"consent_signed": True, "consent_date": "2026-01-05", "consent_form": "written"}  # to be submitted


def three(session):
    ids = []
    for name, phone in (("老王烟酒店", "13812345678"), ("李记便利店", "13912345678"), ("张家超市", "13712345678")):
        values = {"shop_name": name, "contact_phone": phone, "order_method": "online", **CONSENT}
        c, _ = records.save_draft(session, values)
        ids.append(c.id)
    return ids


def rows_by_id(path):
    ws = openpyxl.load_workbook(path).worksheets[0]
    return {r[-1].value: r[-1].row for r in ws.iter_rows(min_row=2)}  # the id is the last column


def test_the_dry_run_lists_each_rows_changes_and_new_rows(session, tmp_path) -> None:
    a, b, c = three(session)
    out = tmp_path / "bulk.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    row = rows_by_id(out)
    edit(
        out,
        {row[a]: {"联系电话": "13612345678"}, row[b]: {"订货方式": "电话订货", "店铺名称": "李记便利店二号"}},
        append=[{"店铺名称": "新开的店", "联系电话": "13512345678", **CONSENT_CELLS}],
    )
    before = {x.id: x.values for x in session._archive.customers.iterate()}
    result = run(session, out)
    assert not result.written and not result.has_errors
    assert (result.new_rows, result.changed_rows, result.diffs_omitted) == (1, 2, 0)
    diffs = {d.customer_id: d for d in result.diffs if not d.new}
    assert set(diffs) == {a, b}  # the unchanged row has no diff
    assert [(ch.key, ch.label, ch.old, ch.new, ch.review) for ch in diffs[a].changes] == [
        ("contact_phone", "联系电话", "13812345678", "13612345678", True)
    ]
    assert diffs[a].name == "老王烟酒店" and diffs[a].row == row[a]
    assert {(ch.label, ch.old, ch.new) for ch in diffs[b].changes} == {
        ("订货方式", "网上订货", "电话订货"),
        ("店铺名称", "李记便利店", "李记便利店二号"),
    }
    new = [d for d in result.diffs if d.new]
    assert len(new) == 1 and new[0].name == "新开的店" and new[0].changes == [] and new[0].row == 5
    assert sorted(result.review_ids) == sorted([a, b])
    assert {x.id: x.values for x in session._archive.customers.iterate()} == before  # nothing written


def test_diffs_kept_in_memory_are_capped(session, tmp_path, monkeypatch) -> None:
    ids = three(session)
    out = tmp_path / "bulk.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    row = rows_by_id(out)
    edit(out, {row[i]: {"联系电话": f"1361234567{n}"} for n, i in enumerate(ids)})
    monkeypatch.setattr(sheet_import, "MAX_DIFFS", 2)
    result = run(session, out)
    assert len(result.diffs) == 2 and result.diffs_omitted == 1 and result.changed_rows == 3
    assert len(result.review_ids) == 3  # every changed customer is still submitted


def test_an_error_in_the_last_row_of_a_multi_batch_file_writes_nothing(session, tmp_path) -> None:
    bulk_insert(session, 1100)  # three batches of 500
    out = tmp_path / "bulk.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN", groups=["identification", "basic"], meta=False)
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    name = header.index("店铺名称") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=name, value=f"{ws.cell(row=r, column=name).value}（改）")
    ws.cell(row=ws.max_row, column=header.index("联系电话") + 1, value="12345")
    wb.save(out)
    before = {x.id: x.values for x in session._archive.customers.iterate()}
    some = next(iter(before))
    trail = len(session._archive.audit.history(some))
    result = run(session, out, mode=ImportMode.WRITE)
    assert result.rows == 1100 and result.error_rows == [1101]
    assert not result.written and (result.created, result.updated) == (0, 0)
    assert {x.id: x.values for x in session._archive.customers.iterate()} == before
    assert len(session._archive.audit.history(some)) == trail
    assert session._archive.audit.verify_chain() == []
    # the same file with the last row skipped writes the other 1,099
    result = run(session, out, mode=ImportMode.WRITE_VALID_ROWS)
    assert result.written and result.updated == 1099


def test_changed_customers_are_submitted_for_review_after_the_import(session, tmp_path) -> None:
    a, b, c = three(session)
    arc = session._archive
    arc.customers.set_status([c], CustomerStatus.APPROVED, Provenance("经理", Source.SYNC))
    d, _ = records.save_draft(session, {"shop_name": "只改直接字段", "contact_phone": "13312345678", **CONSENT})
    out = tmp_path / "维护0301.xlsx"
    export_customers(arc, session.form, out, lang="zh_CN")
    row = rows_by_id(out)
    edit(
        out,
        {
            row[a]: {"联系电话": "13612345678"},  # approval field, draft customer
            row[c]: {"店铺名称": "张家超市（新址）"},  # approval field, approved customer
            row[d.id]: {"邮政编码": "710001"},
        },
    )  # a direct field only
    result = run(session, out, mode=ImportMode.WRITE)
    assert result.written and result.updated == 3
    assert sorted(result.review_ids) == sorted([a, c])
    ok, refused = submit_changed(session, result, out.name)
    assert sorted(ok) == sorted([a, c]) and not refused
    now = arc.customers.many([a, b, c, d.id])
    assert [now[x].status for x in (a, b, c, d.id)] == [
        CustomerStatus.PENDING,
        CustomerStatus.DRAFT,
        CustomerStatus.PENDING,
        CustomerStatus.DRAFT,
    ]
    assert now[a].values["contact_phone"] == "13612345678"
    for cid in (a, c):
        statuses = [(e.old, e.new) for e in arc.audit.history(cid) if e.action == "status"]
        assert statuses[-1][1] == "pending"
    # a pending customer can no longer be changed by a collector's sheet
    edit(out, {row[a]: {"联系电话": "13012345678"}})
    again = run(session, out)
    assert [p.code for p in again.problems if p.severity == "error"] == ["id.pending"]


def test_the_review_note_names_the_file(session, tmp_path) -> None:
    a, _b, _c = three(session)
    out = tmp_path / "county.xlsx"
    export_customers(session._archive, session.form, out, lang="zh_CN")
    edit(out, {rows_by_id(out)[a]: {"店铺名称": "老王烟酒店（总店）"}})
    result = run(session, out, mode=ImportMode.WRITE)
    submit_changed(session, result, out.name)
    review = session._archive.customers.many([a])[a].review
    assert review and review.get("note") == "大批量维护: county.xlsx"

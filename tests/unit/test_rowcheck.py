"""The sheet import's compiled check of new rows (app/validation/rowcheck.py, issue 14's speed goal) gives
exactly the reports of the general path (``SheetImport._row``: sheet_value, the defaults, validate_values,
the editor rules): the same values in the same order, the same issues in the same order, the same
completeness counts; on generated good rows and on rows spoilt with every kind of bad cell, across
batches (the memos filled, given up and started afresh) and with the cell types mixed in a column."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models.catalogue import FieldType, FormDefinition, load_form
from app.models.wire import UserRole
from app.services.demo import generate
from app.services.exporting import export_value
from app.services.sheet_import import SheetImport
from app.services.sheet_results import ImportMode
from app.validation import rowcheck
from app.validation.report import Report
from app.validation.rowcheck import RowCheck

TODAY = dt.date(2026, 11, 22)
FORM = load_form()

#: Cells people and Excel put where they do not belong.
BAD_CELLS: list[Any] = [
    "",
    "   ",
    "abc",
    "1.2E+17",
    "6.10103E+17",
    "１３８００１３８０００",  # full-width digits
    "١٢٣٤٥٦",  # Arabic-Indic digits
    "x" * 300,
    "bad\x00text",
    "lone \ud800 surrogate",
    "  two  spaces ",
    "2020-13-45",
    "20240229",
    "19000101",
    "是",
    "否",
    "TRUE",
    "n",
    "Individual business",
    "个体工商户、企业",
    "13800138000",
    "029-88881234",
    "610103196001011007",
    "-5",
    "3.14159",
    0,
    1,
    -1,
    7,
    1.5,
    2.0**60,
    123456789012345678,
    45356,
    19991231,
    True,
    False,
    dt.date(2031, 1, 1),
    dt.date(1850, 1, 1),
    dt.datetime(2024, 3, 1, 12, 30),
    dt.date(2024, 3, 1),
]


def _fields(form: FormDefinition) -> list[Any]:
    return [f for f in form.visible_fields if f.type is not FieldType.PHOTO]


def _rows(form: FormDefinition, n: int, seed: int, spoil: float) -> list[list[Any]]:
    """``n`` generated rows as the export writes them (what the reader gives back), ``spoil`` of the cells
    replaced by a bad one, some rows shortened (a row ends at its last filled cell)."""
    rng = random.Random(seed)
    fields = _fields(form)
    out = []
    for values in generate(n, seed=seed, today=TODAY):
        row = [export_value(f, values.get(f.key), "zh_CN") for f in fields]
        for i in range(len(row)):
            if rng.random() < spoil:
                row[i] = rng.choice(BAD_CELLS)
        if rng.random() < 0.2:
            row = row[: rng.randrange(len(row) + 1)]
        out.append(row)
    return out


def _general(form: FormDefinition, role: str, mapping: dict[int, str], rows: list[list[Any]]) -> list[Report]:
    job = SheetImport(
        form, None, ImportMode.FILE_ONLY, role=role, actor="t", today=TODAY, source_ref="t.xlsx", lang="zh_CN"
    )
    job.compiled_rows = False
    return [job._row(n, vals, mapping, {})[3] for n, vals in enumerate(rows, start=2)]


def _compiled(form: FormDefinition, role: str, mapping: dict[int, str]) -> RowCheck:
    job = SheetImport(
        form, None, ImportMode.FILE_ONLY, role=role, actor="t", today=TODAY, source_ref="t.xlsx", lang="zh_CN"
    )
    _id, plan, _pick, _last, rows = job._plan(mapping)
    assert rows.usable
    return rows


def _same(got: Report, want: Report) -> None:
    assert list(got.values.items()) == list(want.values.items())
    assert got.issues == want.issues
    assert (got.required_total, got.required_filled) == (want.required_total, want.required_filled)


def _mapping(form: FormDefinition) -> dict[int, str]:
    return {i: f.key for i, f in enumerate(_fields(form))}


@pytest.mark.parametrize("role", [UserRole.COLLECTOR, UserRole.SUPERVISOR])
@pytest.mark.parametrize("spoil", [0.0, 0.05, 0.3])
def test_batches_give_the_general_paths_reports(role: str, spoil: float) -> None:
    mapping = _mapping(FORM)
    rows = _rows(FORM, 1_600, seed=int(spoil * 100) + 7, spoil=spoil)
    check = _compiled(FORM, role, mapping)
    want = _general(FORM, role, mapping, rows)
    got: list[Report] = []
    for start in range(0, len(rows), 500):  # batches, as the import reads them: the memos carry over
        got += check.check_batch(rows[start : start + 500])
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        _same(g, w)
    # one row at a time gives the same too
    for row, w in zip(rows[:200], want[:200], strict=True):
        _same(check.check(row), w)
    if spoil:
        assert any(r.errors for r in want) and any(not r.issues or r.missing and not r.errors for r in want)


def test_memos_given_up_and_started_afresh_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rowcheck, "MEMO_SIZE", 20)
    monkeypatch.setattr(rowcheck, "ADAPT_AFTER", 50)
    mapping = _mapping(FORM)
    rows = _rows(FORM, 600, seed=11, spoil=0.02)
    check = _compiled(FORM, UserRole.COLLECTOR, mapping)
    got: list[Report] = []
    for start in range(0, len(rows), 37):
        got += check.check_batch(rows[start : start + 37])
    assert check._column_memos.count(None) > 0  # some columns went cell by cell
    for g, w in zip(got, _general(FORM, UserRole.COLLECTOR, mapping, rows), strict=True):
        _same(g, w)


def test_a_column_of_mixed_cell_types() -> None:
    """1, 1.0 and True are one dict key: a memo never gives one's outcome for another."""
    fields = _fields(FORM)
    keys = [f.key for f in fields if f.type in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.TEXT)]
    mapping = {i: k for i, k in enumerate(keys)}
    cells = [1, 1.0, True, "1", 0, False, 0.0, 1.5, None, "x", dt.date(2024, 1, 1)]
    rows = [[cells[(r + c) % len(cells)] for c in range(len(keys))] for r in range(40)]
    check = _compiled(FORM, UserRole.COLLECTOR, mapping)
    want = _general(FORM, UserRole.COLLECTOR, mapping, rows)
    one_type = [[1 if r % 2 else True for _c in keys] for r in range(40)]  # bool and int batches in turn
    got = check.check_batch(rows) + check.check_batch(one_type[:20]) + check.check_batch(one_type[20:])
    want += _general(FORM, UserRole.COLLECTOR, mapping, one_type)
    for g, w in zip(got, want, strict=True):
        _same(g, w)


def test_a_bad_default_and_two_columns_for_one_field_go_the_general_way() -> None:
    mapping = _mapping(FORM)
    default_key = next(iter(FORM.new_customer_defaults()))
    rows = [[None] * len(mapping) for _ in range(3)]
    col = next(i for i, k in mapping.items() if k == default_key)
    rows[0][col], rows[1][col] = "not a choice", 12  # a default field refused: the default goes too
    check = _compiled(FORM, UserRole.COLLECTOR, mapping)
    for g, w in zip(check.check_batch(rows), _general(FORM, UserRole.COLLECTOR, mapping, rows), strict=True):
        _same(g, w)
    assert "choice.invalid" in [i.code for i in check.check_batch(rows[:1])[0].issues]
    assert default_key not in check.check_batch(rows[:1])[0].values
    twice = dict(mapping)
    twice[len(mapping)] = mapping[0]
    assert not RowCheck(FORM, [(i, k, FORM[k], False, False) for i, k in twice.items()], today=TODAY, role="c").usable
    spec = FORM[default_key]
    fields = tuple(dataclasses.replace(f, default="no such value") if f.key == default_key else f for f in FORM.fields)
    bad = dataclasses.replace(FORM, version=FORM.version + 1, fields=fields, _by_key={}, _by_role={})
    assert not RowCheck(bad, [(0, spec.key, bad[spec.key], False, False)], today=TODAY, role="c").usable


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.sampled_from(BAD_CELLS),
                st.text(max_size=12),
                st.integers(-(10**18), 10**18),
                st.floats(allow_nan=False, allow_infinity=False),
                st.booleans(),
                st.dates(),
            ),
            max_size=12,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_cells(rows: list[list[Any]]) -> None:
    fields = _fields(FORM)
    picked = [fields[i] for i in range(0, len(fields), 7)]  # one of each kind, or near enough
    mapping = {i: f.key for i, f in enumerate(picked)}
    check = _compiled(FORM, UserRole.COLLECTOR, mapping)
    want = _general(FORM, UserRole.COLLECTOR, mapping, rows)
    for g, w in zip(check.check_batch(rows), want, strict=True):
        _same(g, w)

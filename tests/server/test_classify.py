"""Business scale and the classification code (§3.10): the ranking rules on a worked example with
ties, the purchase-figure import (row-level messages, all or nothing), and the run that writes the
results as system changes into the change feed; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from server import classify
from server.classify import Figures, band_sizes, classification_code, scale_within_format
from server.schema import customer_versions, customers, purchases, users
from tests.server.helpers import demo_values

# The worked example of docs/classification.md: 8 groceries, Σqty = 1000 条, Σamount = 200000 元.
#   customer  qty   amount   score = (qty/1000 + amount/200000)/2
#   P1        300    40000   (0.30 + 0.20)/2 = 0.25
#   P2        200    60000   (0.20 + 0.30)/2 = 0.25    tied with P1 through other figures
#   P3        150    30000   (0.15 + 0.15)/2 = 0.15
#   P4        100    30000   (0.10 + 0.15)/2 = 0.125
#   P5        100    20000   (0.10 + 0.10)/2 = 0.10
#   P6         60     6000   (0.06 + 0.03)/2 = 0.045
#   P7         50     8000   (0.05 + 0.04)/2 = 0.045   tied with P6 across the 2/3 boundary
#   P8         40     6000   (0.04 + 0.03)/2 = 0.035
# n = 8: n_top = round(1.6) = 2, n_bottom = 2. Positions 1-2 → 1, 3-6 → 2, 7-8 → 3; P6 (6th) and
# P7 (7th) are tied, so both get the better scale, 2. Result: P1 P2 = 1, P3-P7 = 2, P8 = 3.
EXAMPLE = [
    ("P1", 300, 40000),
    ("P2", 200, 60000),
    ("P3", 150, 30000),
    ("P4", 100, 30000),
    ("P5", 100, 20000),
    ("P6", 60, 6000),
    ("P7", 50, 8000),
    ("P8", 40, 6000),
]


def figures(rows):
    return [Figures(k, q, a * 100) for k, q, a in rows]


def test_worked_example_with_ties():
    sc = classify.scores(figures(EXAMPLE))
    assert sc == {
        "P1": Fraction(1, 4),
        "P2": Fraction(1, 4),
        "P3": Fraction(3, 20),
        "P4": Fraction(1, 8),
        "P5": Fraction(1, 10),
        "P6": Fraction(9, 200),
        "P7": Fraction(9, 200),
        "P8": Fraction(7, 200),
    }
    assert scale_within_format(figures(EXAMPLE)) == {
        "P1": "1",
        "P2": "1",
        "P3": "2",
        "P4": "2",
        "P5": "2",
        "P6": "2",
        "P7": "2",
        "P8": "3",
    }


def test_tie_across_the_top_boundary_goes_up():
    # n = 3: one large, one small; Q1 and Q2 tie for first place, so both are large.
    got = scale_within_format(figures([("Q1", 10, 1000), ("Q2", 10, 1000), ("Q3", 5, 500)]))
    assert got == {"Q1": "1", "Q2": "1", "Q3": "3"}
    # all equal: everyone gets the best scale of the group
    assert set(scale_within_format(figures([(f"E{i}", 3, 30) for i in range(10)])).values()) == {"1"}


@pytest.mark.parametrize(
    "n,top", [(1, 0), (2, 0), (3, 1), (4, 1), (5, 1), (7, 1), (8, 2), (10, 2), (12, 2), (13, 3), (100, 20)]
)
def test_band_sizes(n, top):
    assert band_sizes(n) == (top, top)
    got = scale_within_format(figures([(f"C{i:03d}", 1000 - i, 1000 - i) for i in range(n)]))
    assert sum(v == "1" for v in got.values()) == top and sum(v == "3" for v in got.values()) == top


def test_zero_sums():
    assert scale_within_format(figures([("A", 0, 0), ("B", 0, 0)])) == {}  # nothing to rank
    # amounts all zero: only the quantity half counts
    assert classify.scores(figures([("A", 3, 0), ("B", 1, 0)])) == {"A": Fraction(3, 8), "B": Fraction(1, 8)}


def test_code_letters():
    assert classification_code("urban", "grocery", "1") == "CZ1"
    assert classification_code("rural", "supermarket", "3") == "XS3"
    assert classification_code("rural", "convenience", "2") == "XB2"
    assert classification_code("urban", "tobacco_liquor", "2") == "CY2"
    assert classification_code("urban", "entertainment", "1") == "CF1"
    assert classification_code("urban", "mall", "1") == "CD1"
    assert classification_code("rural", "other", "3") == "XQ3"
    assert classification_code(None, "grocery", "1") is None
    assert classification_code("urban", "grocery", None) is None


def test_every_catalogue_choice_has_a_letter():
    from app.models.catalogue import load_form

    form = load_form()
    assert {c.value for c in form["retail_format"].choices} == set(classify.FORMAT_CODES)
    assert {c.value for c in form["market_type"].choices} == set(classify.MARKET_CODES)
    for key in ("classification_code", "credit_grade"):
        assert form[key].editable_by.value == "system"
    # the scale: the collector's first estimate at onboarding (F3 L11), then the classification's
    assert form["business_scale"].maintenance.value == "system" and form["business_scale"].change.value == "onboarding"


# ------------------------------------------------------------------------------------ with a database


def seed(run, tmp_path, specs, owner="ann"):
    """Approved customers with official codes: specs are (code, retail_format, market_type)."""
    from app.export.xlsx import Column, write_sheet
    from app.models.catalogue import load_form

    form = load_form()
    if run("user", "list")[1].find(f"{owner}\t") < 0:
        assert run("user", "add", owner, "--role", "collector")[0] == 0
    rows = demo_values(len(specs), seed=5)
    for r, (code, fmt, market) in zip(rows, specs, strict=True):
        r.update(customer_code=code, retail_format=fmt, market_type=market)
    keys = ["customer_code", "shop_name", "retail_format", "market_type", "region_code", "address"]
    path = tmp_path / "customers.xlsx"
    write_sheet(path, [Column(form[k].label_zh) for k in keys], ([r.get(k) for k in keys] for r in rows))
    code, out, err = run("import-customers", str(path), "--owner", owner)
    assert code == 0, out + err


def sheet(path, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return str(path)


HEADER = ["客户编码", "期间", "购进量（条）", "购进金额（元）"]


def values_of(db, code):
    with db.read() as conn:
        return json.loads(conn.execute(select(customers.c.data).where(customers.c.code == code)).scalar_one())


def test_purchase_import_reports_every_bad_row_and_imports_nothing(run, db, tmp_path):
    seed(run, tmp_path, [("610102000001", "grocery", "urban"), ("610102000002", "grocery", "rural")])
    bad = sheet(
        tmp_path / "bad.xlsx",
        HEADER,
        [
            ("610102000001", "2026-Q3", 10, 100.5),
            ("999999999999", "2026-Q3", 10, 100),  # row 3: unknown code
            ("610102000002", "2026-13", 10, 100),  # row 4: no such month
            ("610102000002", "2026-07", -1, 100),  # row 5: negative quantity
            ("610102000002", "2026-08", 1.5, "12.345"),  # row 6: fraction of a carton, 3 decimals
            ("610102000001", "2026-Q3", 1, 1),  # row 7: same customer and period as row 2
            ("610102000001", "2026-09", 1, 1),  # row 8: month inside row 2's quarter
            ("", "2026-Q3", 1, 1),  # row 9: no code
        ],
    )
    code, out, err = run("purchases", "import", bad)
    assert code == 1 and "nothing was imported" in err
    lines = out.splitlines()
    assert "row 3, column 客户编码: no customer has the code 999999999999" in lines
    assert any(line.startswith("row 4, column 期间: '2026-13' is not a month") for line in lines)
    assert "row 5, column 购进量: -1 is not a whole number of cartons (0 or more)" in lines
    assert "row 6, column 购进量: 1.5 is not a whole number of cartons (0 or more)" in lines
    assert "row 6, column 购进金额: '12.345' is not an amount in yuan (0 or more, at most 2 decimals)" in lines
    assert "row 7: the customer 610102000001 already has figures for 2026-Q3 in row 2" in lines
    assert any(line.startswith("row 8: the customer 610102000001 has figures for 2026-Q3 in row 2") for line in lines)
    assert "row 9, column 客户编码: the customer code is empty" in lines
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(purchases)).scalar_one() == 0
    code, out, _ = run("purchases", "import", sheet(tmp_path / "nocol.xlsx", ["客户编码", "购进量"], [("1", 1)]))
    assert code == 1 and "row 1: there is no column 购进金额" in out
    code, out, _ = run(
        "purchases",
        "import",
        sheet(tmp_path / "noperiod.xlsx", ["客户编码", "购进量", "购进金额"], [("610102000001", 1, 1)]),
    )
    assert code == 1 and "give --period" in out


@pytest.mark.parametrize("chunk", [2, 3, 2000])
def test_purchase_import_names_every_problem_in_row_order_in_batches_of_any_size(run, db, tmp_path, monkeypatch, chunk):
    """The rows are checked a batch at a time and wait in a temporary table (issue 21): a repeat found in
    another batch is still named, each row's problems in the order of its columns, repeats after them."""
    from server import purchases as purchases_module

    monkeypatch.setattr(purchases_module, "STAGE_CHUNK", chunk)
    seed(run, tmp_path, [("610102000001", "grocery", "urban"), ("610102000002", "grocery", "rural")])
    rows = [
        ("610102000001", "2026-07", 1, 1),  # row 2
        ("610102000002", "2026-Q3", 1, 1),  # row 3
        ("610102000001", "2026-08", 1, 1),  # row 4: another month of the same quarter is fine
        ("999999999999", "2026-07", "x", 1),  # row 5: unknown code and a bad quantity
        ("610102000001", "2026-Q3", 1, 1),  # row 6: the quarter of rows 2 and 4
        ("610102000002", "2026-09", -1, 1),  # row 7: a bad quantity, and a month of row 3's quarter
        ("610102000001", "2026-07", 2, 2),  # row 8: row 2 again, and inside row 6's quarter
        ("999999999999", "2026-07", 1, 1),  # row 9: unknown again, and row 5 repeated
    ]
    code, out, err = run("purchases", "import", sheet(tmp_path / "order.xlsx", HEADER, rows))
    assert code == 1 and "nothing was imported" in err
    c1, c2 = "the customer 610102000001", "the customer 610102000002"
    assert out.splitlines() == [
        "row 5, column 客户编码: no customer has the code 999999999999",
        "row 5, column 购进量: 'x' is not a whole number of cartons (0 or more)",
        f"row 6: {c1} has figures for 2026-07 in row 2; 2026-Q3 would count the same months twice",
        f"row 6: {c1} has figures for 2026-08 in row 4; 2026-Q3 would count the same months twice",
        "row 7, column 购进量: -1 is not a whole number of cartons (0 or more)",
        f"row 7: {c2} has figures for 2026-Q3 in row 3; 2026-09 would count the same months twice",
        f"row 8: {c1} already has figures for 2026-07 in row 2",
        f"row 8: {c1} has figures for 2026-Q3 in row 6; 2026-07 would count the same months twice",
        "row 9, column 客户编码: no customer has the code 999999999999",
        "row 9: the customer 999999999999 already has figures for 2026-07 in row 5",
    ]
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(purchases)).scalar_one() == 0
    # the good rows alone, in batches too; then a month of a quarter stored before is refused by name
    code, _, err = run("purchases", "import", sheet(tmp_path / "good.xlsx", HEADER, [rows[i] for i in (0, 1, 2)]))
    assert code == 0 and "Imported 3 purchase rows" in err
    code, out, _ = run(
        "purchases",
        "import",
        sheet(tmp_path / "m.xlsx", HEADER, [("610102000001", "2026-10", 1, 1), ("610102000002", "2026-08", 1, 1)]),
    )
    assert code == 1 and out.splitlines() == [
        f"row 3: {c2} already has stored figures for 2026-Q3; the same months would count twice"
    ]


def test_purchase_import_months_periods_and_replacing(run, db, tmp_path):
    seed(run, tmp_path, [("610102000001", "grocery", "urban"), ("610102000002", "grocery", "rural")])
    f = sheet(
        tmp_path / "months.xlsx",
        ["客户编码", "月份", "购进量", "购进金额"],
        [
            ("610102000001", "2026-07", 10, "1,000.50"),
            ("610102000001", "2026年8月", 20, 2000),
            (610102000002, None, 5, 50.25),
        ],
    )
    code, _, err = run("purchases", "import", f, "--period", "2026-09")
    assert code == 0 and "Imported 3 purchase rows for 2026-07, 2026-08, 2026-09 (0 replaced" in err
    with db.read() as conn:
        got = {(r.customer_code, r.period): (r.qty, r.amount_fen) for r in conn.execute(select(purchases))}
    assert got == {
        ("610102000001", "2026-07"): (10, 100050),
        ("610102000001", "2026-08"): (20, 200000),
        ("610102000002", "2026-09"): (5, 5025),
    }
    code, _, err = run(
        "purchases", "import", sheet(tmp_path / "again.xlsx", HEADER, [("610102000002", "2026-09", 6, 60)])
    )
    assert code == 0 and "1 replaced" in err
    # a quarter for a customer that already has months stored in it: refused
    code, out, _ = run("purchases", "import", sheet(tmp_path / "q.xlsx", HEADER, [("610102000001", "2026-Q3", 1, 1)]))
    assert code == 1 and "row 2: the customer 610102000001 already has stored figures for 2026-07" in out


def test_an_import_fills_the_monthly_purchase_fields_from_the_latest_month(run, db, tmp_path):
    """月进货数量 / 月进货金额 / 进货均价 are the system's: the latest month of each customer, versioned
    with the month as their source; an older month or a quarter imported later changes nothing."""
    seed(
        run,
        tmp_path,
        [
            ("610102000001", "grocery", "urban"),
            ("610102000002", "grocery", "rural"),
            ("610102000003", "grocery", "rural"),
        ],
    )
    code, _, err = run(
        "purchases",
        "import",
        sheet(
            tmp_path / "m.xlsx",
            HEADER,
            [
                ("610102000001", "2026-07", 10, "1,000.50"),
                ("610102000001", "2026-08", 30, 2000),
                ("610102000002", "2026-09", 0, 0),
                ("610102000003", "2026-Q3", 7, 70),
            ],
        ),
    )
    assert code == 0 and "the monthly purchase fields of 2 customers were updated" in err
    one, two, three = (values_of(db, f"61010200000{i}") for i in (1, 2, 3))
    assert (one["purchase_qty"], one["purchase_amount"], one["avg_price"]) == (30, "2000", "66.67")
    assert (two["purchase_qty"], two["purchase_amount"]) == (0, "0") and "avg_price" not in two  # no cartons: no price
    assert not {"purchase_qty", "purchase_amount", "avg_price"} & set(three)  # a quarter is not a month
    with db.read() as conn:
        rid = conn.execute(select(customers.c.id).where(customers.c.code == "610102000001")).scalar_one()
        last = conn.execute(
            select(customer_versions)
            .where(customer_versions.c.record_id == rid)
            .order_by(customer_versions.c.version.desc())
        ).first()
    assert last.kind == "system.purchases" and json.loads(last.provenance) == {
        "source": "purchases",
        "source_ref": "2026-08",
    }
    assert json.loads(last.changes)["purchase_qty"] == {"old": None, "new": 30}
    # an older month later: stored, the fields still show August
    code, _, err = run("purchases", "import", sheet(tmp_path / "old.xlsx", HEADER, [("610102000001", "2026-06", 1, 1)]))
    assert code == 0 and "of 0 customers were updated" in err and values_of(db, "610102000001") == one
    # August replaced: the fields follow
    code, _, err = run(
        "purchases", "import", sheet(tmp_path / "fix.xlsx", HEADER, [("610102000001", "2026-08", 3, "10.01")])
    )
    assert code == 0 and "of 1 customers were updated" in err
    one = values_of(db, "610102000001")
    assert (one["purchase_qty"], one["purchase_amount"], one["avg_price"]) == (3, "10.01", "3.34")


def test_classification_run_writes_system_changes_into_the_feed(run, db, tmp_path, api):
    specs = [(f"6101020000{i:02d}", "grocery", "urban" if i % 2 else "rural") for i in range(1, 9)]
    specs += [
        ("610102000101", "supermarket", "urban"),
        ("610102000102", "supermarket", "urban"),
        ("610102000103", "supermarket", "rural"),
        ("610102000201", "mall", "urban"),
        ("610102000301", "convenience", "urban"),
    ]
    seed(run, tmp_path, specs)
    grocery = [(specs[i][0], q, a) for i, (_, q, a) in enumerate(EXAMPLE)]
    rows = [(c, "2026-Q3", q, a) for c, q, a in grocery]
    rows += [
        ("610102000101", "2026-Q3", 10, 1000),
        ("610102000102", "2026-Q3", 10, 1000),
        ("610102000103", "2026-Q3", 5, 500),
        ("610102000201", "2026-Q3", 0, 0),
    ]
    # 610102000301 has no figures at all
    assert run("purchases", "import", sheet(tmp_path / "p.xlsx", HEADER, rows))[0] == 0
    before = {c: values_of(db, c) for c, _, _ in specs}

    code, out, err = run("classify", "run", "--period", "2026-Q3", "--dry-run")
    assert code == 0 and "Dry run, nothing written" in err
    lines = out.splitlines()
    assert lines[0] == "code\tshop\tretail format\tscore\tscale\tclassification"
    assert len(lines) == 1 + 11
    assert lines[1].startswith("610102000001\t") and lines[1].endswith("\tgrocery\t0.2500\t- -> 1\t- -> CZ1")
    assert lines[-1].startswith("610102000103\t") and lines[-1].endswith("\tsupermarket\t0.2000\t- -> 3\t- -> XS3")
    assert "formats without purchases (left as they are): mall" in err and "1 without figures" in err
    assert {c: values_of(db, c) for c, _, _ in specs} == before  # nothing written

    with db.read() as conn:
        feed_before = conn.execute(select(func.count()).select_from(customer_versions)).scalar_one()
    code, out, err = run("classify", "run", "--period", "2026-Q3")
    assert code == 0 and "11 changed" in err
    want = {
        "01": ("1", "CZ1"),
        "02": ("1", "XZ1"),
        "03": ("2", "CZ2"),
        "04": ("2", "XZ2"),
        "05": ("2", "CZ2"),
        "06": ("2", "XZ2"),
        "07": ("2", "CZ2"),
        "08": ("3", "XZ3"),
    }
    for suffix, (scale, cls) in want.items():
        v = values_of(db, f"6101020000{suffix}")
        assert (v["business_scale"], v["classification_code"]) == (scale, cls), suffix
    assert [values_of(db, c).get("business_scale") for c in ("610102000101", "610102000102", "610102000103")] == [
        "1",
        "1",
        "3",
    ]
    assert values_of(db, "610102000103")["classification_code"] == "XS3"
    assert "business_scale" not in values_of(db, "610102000201")  # all-zero format: left as it was
    assert "business_scale" not in values_of(db, "610102000301")  # no figures: left as it was

    with db.read() as conn:
        sysid = conn.execute(select(users.c.id).where(users.c.name == "system")).scalar_one()
        new = conn.execute(select(customer_versions).where(customer_versions.c.actor_id == sysid)).all()
        assert conn.execute(select(func.count()).select_from(customer_versions)).scalar_one() == feed_before + 11
    assert len(new) == 11 and {r.kind for r in new} == {"system.classification"}
    assert all(json.loads(r.provenance) == {"source": "classification", "source_ref": "period 2026-Q3"} for r in new)
    assert json.loads(new[0].changes).keys() == {"business_scale", "classification_code"}

    # the admin pulling the feed sees the new values; the system account cannot log in
    assert run("user", "add", "boss", "--role", "admin")[0] == 0
    changes, _ = api.pull_all(api.token("boss"))
    got = {c["record"]["code"]: c["record"]["values"].get("business_scale") for c in changes if c["record"]}
    assert got["610102000001"] == "1" and got["610102000008"] == "3"
    assert api.login("system", "!system: no password").status_code == 401
    code, _, err = run("user", "add", "System", "--role", "admin")
    assert code == 2 and "reserved" in err

    # again with the same figures: nothing changes, no new versions
    code, out, err = run("classify", "run", "--period", "2026-Q3")
    assert code == 0 and out == "" and "0 changed" in err and "11 unchanged" in err
    with db.read() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(customer_versions).where(customer_versions.c.actor_id == sysid)
            ).scalar_one()
            == 11
        )

    # new figures move one customer: only that one gets a new version
    assert (
        run("purchases", "import", sheet(tmp_path / "p2.xlsx", HEADER, [("610102000103", "2026-Q3", 50, 5000)]))[0] == 0
    )
    code, out, err = run("classify", "run", "--period", "2026-Q3")
    assert code == 0 and "3 changed" in err  # 103 rises to 1; 101 and 102 tie at places 2-3: both 2
    assert [values_of(db, c)["business_scale"] for c in ("610102000101", "610102000102", "610102000103")] == [
        "2",
        "2",
        "1",
    ]
    assert run("classify", "run", "--period", "2026-13")[0] == 2


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_purchase_import_over_http_for_supervisors(run, db, tmp_path, api, world):
    seed(run, tmp_path, [("610102000001", "grocery", "urban")], owner="c1")  # team of s1
    f = tmp_path / "p.xlsx"
    sheet(f, HEADER, [("610102000001", "2026-07", 12, 345.6)])

    def post(who, data, q=""):
        return api.call(
            "POST",
            "/purchases" + q,
            world[who],
            content=data,
            headers={"Content-Type": XLSX},
        )

    assert post("c1", f.read_bytes()).status_code == 403
    r = post("s2", f.read_bytes())  # not their team: the code is unknown
    assert (
        r.status_code == 422
        and r.json()["fields"][0]["message"] == "row 2, column 客户编码: no customer has the code 610102000001"
    )
    r = post("s1", f.read_bytes())
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 1, "replaced": 0, "periods": ["2026-07"], "figures_updated": 1}
    r = post("admin", f.read_bytes())
    assert r.status_code == 200 and r.json()["replaced"] == 1
    sheet(f, ["客户编码", "购进量", "购进金额"], [("610102000001", 1, 1)])
    r = post("s1", f.read_bytes(), "?period=2026-Q4")
    assert r.status_code == 200 and r.json()["periods"] == ["2026-Q4"]
    r = post("s1", b"not a spreadsheet")
    assert r.status_code == 422 and "cannot be read" in r.json()["message"]
    # the one reader tells the format by content: a GBK CSV as the body is read like the .xlsx
    csv = "客户编码,期间,购进量,购进金额\r\n610102000001,2026-08,7,70.5\r\n".encode("gbk")
    r = post("s1", csv)
    assert r.status_code == 200 and r.json()["periods"] == ["2026-08"], r.text
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(purchases)).scalar_one() == 3


def test_a_record_with_an_open_change_gets_the_value_in_its_approved_copy_too(run, db, tmp_path, api, world):
    from tests.server.helpers import save

    seed(
        run,
        tmp_path,
        [
            ("610102000001", "grocery", "urban"),
            ("610102000002", "grocery", "urban"),
            ("610102000003", "grocery", "urban"),
        ],
        owner="c1",
    )
    with db.read() as conn:
        rid, version = conn.execute(
            select(customers.c.id, customers.c.version).where(customers.c.code == "610102000001")
        ).one()
    res = api.push1(world["c1"], save(rid, {"shop_name": "新店名便民超市"}, base=version))
    assert res["status"] == "applied" and res["record"]["approved_values"] is not None  # a change under review
    rows = [
        ("610102000001", "2026-Q3", 30, 300),
        ("610102000002", "2026-Q3", 20, 200),
        ("610102000003", "2026-Q3", 10, 100),
    ]
    assert run("purchases", "import", sheet(tmp_path / "p.xlsx", HEADER, rows))[0] == 0
    assert run("classify", "run", "--period", "2026-Q3")[0] == 0
    changes, _ = api.pull_all(world["c1"])
    rec = next(c["record"] for c in changes if c["record"] and c["record"]["id"] == rid)
    assert rec["values"]["business_scale"] == rec["approved_values"]["business_scale"] == "1"
    assert rec["values"]["shop_name"] == "新店名便民超市" and rec["approved_values"]["shop_name"] != "新店名便民超市"
    assert rec["status"] == "draft"
    # the collector's next save on top of the system's version merges without a conflict
    res = api.push1(world["c1"], save(rid, {"service_notes": "门店已重新装修"}, base=version + 1))
    assert res["status"] == "merged" and res["record"]["values"]["business_scale"] == "1"


def test_a_new_customers_scale_is_reassessed_after_its_first_quarter(run, db, tmp_path):
    """F3 L11 (1.2): a new customer's scale is a first estimate; after a quarter of trading its real figures
    decide. In the run for 2026-Q3 a customer bound on 10 August is still in its first quarter (not ranked, its
    estimate kept: its partial figures would rank it too low), one bound on 15 May or 30 June finished it within
    the quarter (ranked, and named as re-assessed), one bound in 2025 is ranked as always."""
    from app.export.xlsx import Column, write_sheet
    from app.models.catalogue import load_form
    from server.classify_run import quarter_after

    assert quarter_after(dt.date(2026, 11, 30)) == dt.date(2027, 2, 28)
    assert quarter_after(dt.date(2026, 8, 10)) == dt.date(2026, 11, 10)
    form = load_form()
    assert run("user", "add", "ann", "--role", "collector")[0] == 0
    bound = {"610102000501": "2026-08-10", "610102000502": "2026-05-15"}
    bound |= {"610102000503": "2026-06-30", "610102000504": "2025-01-01", "610102000505": "2025-03-01"}
    rows = demo_values(len(bound), seed=7)
    for r, (code, day) in zip(rows, bound.items(), strict=True):
        r.update(customer_code=code, retail_format="grocery", market_type="urban", binding_date=day)
        r["business_scale"] = "1" if code.endswith("501") else r.get("business_scale")
    keys = ["customer_code", "shop_name", "retail_format", "market_type", "region_code", "address", "binding_date"]
    keys.append("business_scale")
    path = tmp_path / "customers.xlsx"
    write_sheet(path, [Column(form[k].label_zh) for k in keys], ([r.get(k) for k in keys] for r in rows))
    code, out, err = run("import-customers", str(path), "--owner", "ann")
    assert code == 0, out + err
    figures = [(c, "2026-Q3", q, q * 100) for c, q in zip(bound, (10, 50, 40, 30, 20), strict=True)]
    assert run("purchases", "import", sheet(tmp_path / "p.xlsx", HEADER, figures))[0] == 0
    code, out, err = run("classify", "run", "--period", "2026-Q3")
    assert code == 0, err
    assert "in their first quarter (first estimate kept): 610102000501" in err
    assert "re-assessed after their first quarter: 610102000502, 610102000503" in err
    assert "4 customers ranked" in err
    assert values_of(db, "610102000501")["business_scale"] == "1"  # its estimate, not the 3 its figures would give
    scales = {c: values_of(db, c)["business_scale"] for c in list(bound)[1:]}
    assert scales == {"610102000502": "1", "610102000503": "2", "610102000504": "2", "610102000505": "3"}


def test_the_run_ranks_each_format_as_the_pure_rules_do_from_the_database_in_score_order(
    run, db, tmp_path, monkeypatch
):
    """The run reads each format back from a temporary table in the order of an exact integer key (issue 21):
    every customer's new scale must be the one ``scale_within_format`` gives in memory, with ties across the
    bands, a format without amounts, one without quantities, and one whose keys pass 64 bits (PostgreSQL's
    numeric; on SQLite that format is sorted in memory); the table of changes is by score, then code."""
    import random

    from server import classify_run
    from server.classify_run import run_classification

    rng = random.Random(21)
    specs, rows = [], []
    plan = {"grocery": (23, "both"), "supermarket": (11, "qty"), "convenience": (9, "amount"), "mall": (7, "huge")}
    for f, (fmt, (n, kind)) in enumerate(plan.items()):
        for i in range(n):
            code = f"61010{f}{i:06d}"
            specs.append((code, fmt, "urban" if i % 2 else "rural"))
            q, a = rng.choice([0, 5, 5, 10, 20, 40]), rng.choice([0, 100, 100, 250, 1000])
            if kind == "qty":
                a = 0
            elif kind == "amount":
                q = 0
            elif kind == "huge":
                q, a = rng.choice([10**11, 9 * 10**11, 5]), rng.choice([10**12, 7 * 10**12, 1])
            rows.append((code, "2026-Q3", q, a))
    seed(run, tmp_path, specs)
    assert run("purchases", "import", sheet(tmp_path / "p.xlsx", HEADER, rows))[0] == 0
    report = db.write(lambda tx: run_classification(tx, "2026-Q3", dry_run=True))
    assert not report.applied and report.ranked == len(specs)
    want: dict[str, str] = {}
    for fmt in plan:
        figs = [Figures(c, q, a * 100) for (c, f, _), (_, _, q, a) in zip(specs, rows, strict=True) if f == fmt]
        want.update(scale_within_format(figs))
    with db.read() as conn:
        old = {r.code: json.loads(r.data).get("business_scale") for r in conn.execute(select(customers))}
    got = {c.code: c.new_scale for c in report.changes}
    assert len(got) + report.unchanged == len(specs) and len(got) > len(specs) // 2
    assert {code: want[code] for code in got} == got  # each change to the scale the rules give
    assert all(old[code] == want[code] for code in want if code not in got)  # the others have it already
    assert set(want.values()) == {"1", "2", "3"}
    for fmt in plan:  # within a format: highest score first, then code
        mine = [(c.score, c.code) for c in report.changes if c.retail_format == fmt]
        assert mine == sorted(mine, key=lambda sc: (-sc[0], sc[1]))
    # the report lists the first LISTED changes and counts them all; the run writes them all
    monkeypatch.setattr(classify_run, "LISTED", 5)
    code, out, err = run("classify", "run", "--period", "2026-Q3")
    assert code == 0 and f"{len(got)} changed (the first 5 listed)" in err
    assert len([line for line in out.splitlines() if line.startswith("61010")]) == 5
    with db.read() as conn:
        now = {r.code: json.loads(r.data).get("business_scale") for r in conn.execute(select(customers))}
    assert now == want

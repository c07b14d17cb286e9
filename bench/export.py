"""``python -m bench.export [--rows N]``: export and bulk-maintenance checks on N generated customers
(default 100k) in an encrypted archive.

Prints, measured side by side in this run:
- export of the whole list through the app's ``export_customers`` (archive read, typed and
  formula-safe cells, temp file + rename, audit entry) against bare openpyxl write-only writing
  the very same cell values (the same rows list, built beforehand) (goal <= 1.5x);
- peak Python memory (tracemalloc) of both halves on a twentieth and a fifth of the rows: flat
  means the peak does not grow with the rows (the baseline's prebuilt rows list is not counted:
  it exists before the measurement starts; tracemalloc makes the full size too slow to measure);
- the import preview (dry run: read, validate, diff against the archive, nothing written) of an
  exported sheet of 10k rows (or N if fewer), with one field changed on every row: time and rows/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import header, temp_home

TODAY = dt.date(2026, 11, 22)
PASSPHRASE = "benchmark passphrase"


def make_archive(n: int) -> Any:
    from app.models.record import NewCustomer, Provenance, Source, new_id
    from app.services import records
    from app.services import session as ss
    from app.services.demo import generate
    from app.validation import validate_values

    session, _ = ss.create(passphrase=PASSPHRASE, actor="bench")
    form = session.form
    prov = Provenance("bench", Source.IMPORT, "bench.xlsx", TODAY.isoformat())
    t = time.perf_counter()
    with session._archive.db.transaction() as tx:
        batch = []
        for v in generate(n, seed=2026, today=TODAY):
            r = validate_values(form, v, today=TODAY)
            batch.append(NewCustomer(new_id(), records.clean_values(r), records.quality(r)))
            if len(batch) == 500:
                session._archive.customers.insert(form, batch, prov, tx)
                batch = []
        if batch:
            session._archive.customers.insert(form, batch, prov, tx)
    print(f"archive of {n} generated customers made in {time.perf_counter() - t:.1f} s")
    return session


def baseline(path: Path, columns: list[str], rows: list[list[Any]]) -> int:
    """Bare openpyxl write-only: header and the prebuilt values, no conversion, no safety, no audit."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(columns)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return len(rows)


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    n = args.rows
    with temp_home() as home:
        from app.export.xlsx import cell_value
        from app.services.exporting import export_columns, export_customers, export_rows
        from app.services.sheets import process_sheet

        session = make_archive(n)
        arc, form = session._archive, session.form
        out = Path(home)
        cols = [c.header for c in export_columns(form, "zh_CN")]

        def rows_of(pks: list[int] | None) -> list[list[Any]]:
            # the very cell values our export writes (the Decimal → number step included)
            return [
                [cell_value(None, v) if not isinstance(v, str) else v for v in row]
                for row in export_rows(arc, form.visible_fields, "zh_CN", pks, None, None, 0)
            ]

        t = time.perf_counter()
        rows = rows_of(None)
        gc.collect()
        gc.freeze()  # the prebuilt list's millions of objects would make every full GC slower for both halves
        print(
            f"rows list for the baseline built in {time.perf_counter() - t:.1f} s ({len(rows)} rows x {len(cols)} "
            f"columns)"
        )

        header(f"export of {n} customers, {len(cols)} columns")
        t = time.perf_counter()
        baseline(out / "bare.xlsx", cols, rows)
        t_bare = time.perf_counter() - t
        t = time.perf_counter()
        written = export_customers(arc, form, out / "ours.xlsx", lang="zh_CN", actor="bench")
        t_ours = time.perf_counter() - t
        assert written == n
        print(
            f"openpyxl write-only, same values prebuilt: {t_bare:6.2f} s  {n / t_bare:8.0f} rows/s  "
            f"{(out / 'bare.xlsx').stat().st_size / 1e6:.1f} MB"
        )
        print(
            f"export_customers (archive → file):         {t_ours:6.2f} s  {n / t_ours:8.0f} rows/s  "
            f"{(out / 'ours.xlsx').stat().st_size / 1e6:.1f} MB"
        )
        print(f"ratio export_customers / bare openpyxl: {t_ours / t_bare:.2f}x   (goal <= 1.5x)")

        sizes = (max(1, n // 20), max(1, n // 5))
        header(f"peak Python memory (tracemalloc) on {sizes[0]} and {sizes[1]} rows: flat = the same peak")
        all_pks = arc.customers.search_pks()
        for count in sizes:
            part_rows, part_pks = rows[:count], all_pks[:count]
            bare = peak_mb(lambda r=part_rows: baseline(out / "bare-m.xlsx", cols, r))
            ours = peak_mb(lambda p=part_pks: export_customers(arc, form, out / "ours-m.xlsx", lang="zh_CN", pks=p))
            print(f"{count:7d} rows: bare openpyxl peak {bare:6.1f} MB | export_customers peak {ours:6.1f} MB")
        del rows, part_rows
        gc.unfreeze()

        m = min(10_000, n)
        header(f"import preview (dry run) of {m} exported rows, one field changed on each")
        sheet = out / "maintenance.xlsx"
        export_customers(
            arc, form, sheet, lang="zh_CN", pks=all_pks[:m], groups=["identification", "basic"], meta=False
        )
        edit_sheet(sheet, form["shop_name"].label("zh_CN"))
        t = time.perf_counter()
        result = process_sheet(sheet, form, arc, actor="bench", role="collector", today=TODAY)
        t_check = time.perf_counter() - t
        print(
            f"dry run: {t_check:.2f} s  {result.rows / t_check:.0f} rows/s; {result.changed_rows} rows with changes, "
            f"{len(result.diffs)} diffs kept (+{result.diffs_omitted} counted), {len(result.problems)} problems"
        )
        session.close()
    return 0


def edit_sheet(path: Path, column: str | None) -> None:
    """Append "（改）" to one text column on every row, as a county's maintenance file would change it."""
    from openpyxl import Workbook, load_workbook

    src = load_workbook(path, read_only=True)
    ws = src.worksheets[0]
    wb = Workbook(write_only=True)
    dst = wb.create_sheet(ws.title)
    idx = None
    for i, row in enumerate(ws.iter_rows(values_only=True)):
        row = list(row)
        if i == 0:
            idx = row.index(column) if column in row else None
        elif idx is not None and row[idx]:
            row[idx] = f"{row[idx]}（改）"
        dst.append(row)
    src.close()
    wb.save(path)


if __name__ == "__main__":
    raise SystemExit(main())

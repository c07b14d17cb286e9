"""``python -m bench.sheets [--rows N]``: the import check of an N-row sheet (default 100k) against
reading the same file with python-calamine alone plus a raw SQLite insert of the same rows.

Prints, measured side by side in this run on one generated .xlsx (zh labels, every visible field
but photos, values as the export writes them):
- baseline: python-calamine reads every row (``iter_rows``) and a plain sqlite3 (no encryption, no
  validation) inserts the rows as they come into a table of TEXT columns, in one transaction;
- ours: ``process_sheet`` of the same file against an empty encrypted archive, the dry run (read,
  types, header mapping, validation, duplicate checks, diffs; nothing written) and the import
  (the same plus the all-or-nothing write with audit entries); the ratio to the baseline (goal <= 2x);
- peak resident memory (VmHWM, Rust allocations included) of the dry run and of calamine alone,
  each in a fresh process, on a fifth of the rows and on all of them: calamine holds the whole
  sheet; the import streams an .xlsx above app.export.reading.STREAM_BYTES (32 MB) row by row
  (FIELDARCHIVE_STREAM_XLSX_BYTES=0 streams every .xlsx): the dry run's peak is shown both ways;
- the reader alone (typed rows, no validation) through calamine and streamed, side by side.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import header, temp_home

TODAY = dt.date(2026, 11, 22)
PASSPHRASE = "benchmark passphrase"


def make_sheet(path: Path, n: int) -> int:
    from app.export.xlsx import Column, write_sheet
    from app.models.catalogue import FieldType, load_form
    from app.services.demo import generate
    from app.services.exporting import export_value

    form = load_form()
    fields = [f for f in form.visible_fields if f.type is not FieldType.PHOTO]
    rows = ([export_value(f, v.get(f.key), "zh_CN") for f in fields] for v in generate(n, seed=2026, today=TODAY))
    return write_sheet(path, [Column(f.label_zh) for f in fields], rows)


def baseline(path: Path, db: Path) -> int:
    """python-calamine alone, and a raw sqlite3 insert of the rows as read."""
    import python_calamine as pc
    wb = pc.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_index(0).iter_rows()
    head = next(rows)
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE t ({', '.join(f'c{i} TEXT' for i in range(len(head)))})")
    sql = f"INSERT INTO t VALUES ({', '.join('?' * len(head))})"
    n = 0
    with con:
        batch: list[Any] = []
        for r in rows:
            batch.append([None if v == "" else (v if isinstance(v, (str, int, float)) else str(v)) for v in r])
            if len(batch) == 500:
                con.executemany(sql, batch)
                n += len(batch)
                batch = []
        con.executemany(sql, batch)
        n += len(batch)
    con.close()
    wb.close()
    return n


def read_only(path: Path, stream: bool) -> int:
    """The reader alone (``Book``'s typed rows, no validation): calamine's path or the streamed one."""
    from app.export import reading
    saved = reading.STREAM_BYTES
    reading.STREAM_BYTES = 0 if stream else 1 << 62
    try:
        book = reading.open_book(path, lambda row: 1 if any(row) else 0)
        n = sum(1 for _ in book._raw_rows(book.sheets[0].name))
        book.close()
    finally:
        reading.STREAM_BYTES = saved
    return n


def child(kind: str, path: Path) -> None:
    """One measurement in this fresh process; prints the peak resident memory in MB."""
    if kind == "calamine":
        import python_calamine as pc
        for _ in pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows():
            pass
    else:
        from app.models.catalogue import load_form
        from app.services.sheets import ImportMode, process_sheet
        process_sheet(path, load_form(), None, actor="bench", mode=ImportMode.FILE_ONLY, today=TODAY, lang="zh_CN")
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    print(f"{int(hwm.split()[1]) / 1024:.1f}")


def peak(kind: str, path: Path, stream: bool = False) -> float:
    env = dict(os.environ, FIELDARCHIVE_STREAM_XLSX_BYTES="0") if stream else None
    proc = subprocess.run([sys.executable, "-m", "bench.sheets", "--child", kind, str(path)], capture_output=True,
                          text=True, check=True, env=env)
    return float(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--no-import", action="store_true", help="time the check only, not the import")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    n = args.rows
    with temp_home() as home:
        from app.services import session as ss
        from app.services.sheets import ImportMode, process_sheet

        out = Path(home)
        big, small = out / "big.xlsx", out / "small.xlsx"
        t = time.perf_counter()
        make_sheet(big, n)
        make_sheet(small, max(1, n // 5))
        print(f"sheets of {n} and {max(1, n // 5)} generated rows written in {time.perf_counter() - t:.1f} s "
              f"({big.stat().st_size / 1e6:.1f} MB)")

        header(f"import check of {n} rows")
        t = time.perf_counter()
        read = baseline(big, out / "raw.sqlite")
        t_base = time.perf_counter() - t
        assert read == n, read
        session, _ = ss.create(passphrase=PASSPHRASE, actor="bench")
        t = time.perf_counter()
        checked = process_sheet(big, session.form, session.archive, actor="bench", today=TODAY)
        t_check = time.perf_counter() - t
        assert checked.rows == n and not checked.has_errors, checked.problems[:5]
        t_import = float("nan")
        if not args.no_import:
            t = time.perf_counter()
            imported = process_sheet(big, session.form, session.archive, actor="bench", today=TODAY, mode=ImportMode.WRITE)
            t_import = time.perf_counter() - t
            assert imported.written and imported.created == n
        session.close()
        print(f"calamine + raw sqlite3 insert:      {t_base:7.2f} s  {n / t_base:8.0f} rows/s")
        print(f"process_sheet dry run (the check):  {t_check:7.2f} s  {n / t_check:8.0f} rows/s")
        print(f"process_sheet import (check+write): {t_import:7.2f} s  {n / t_import:8.0f} rows/s")
        print(f"ratio check/baseline: {t_check / t_base:.2f}x   import/baseline: {t_import / t_base:.2f}x   "
              f"(goal <= 2x)")

        header(f"the reader alone on {n} rows: calamine's path against the streamed one (goal <= 1.2x to stream all)")
        t = time.perf_counter()
        assert read_only(big, False) > n
        t_cal = time.perf_counter() - t
        t = time.perf_counter()
        assert read_only(big, True) > n
        t_str = time.perf_counter() - t
        print(f"calamine: {t_cal:6.2f} s   streamed: {t_str:6.2f} s   ratio {t_str / t_cal:.2f}x")

        header("peak resident memory, each in a fresh process: flat = the same peak")
        from app.export.reading import STREAM_BYTES
        for path, rows in ((small, max(1, n // 5)), (big, n)):
            how = "streamed" if path.stat().st_size > STREAM_BYTES else "calamine"
            print(f"{rows:7d} rows ({path.stat().st_size / 1e6:.1f} MB file, read by {how} by default): calamine "
                  f"alone {peak('calamine', path):7.1f} MB | dry run through calamine {peak('check', path):7.1f} MB"
                  f" | dry run streamed {peak('check', path, stream=True):7.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

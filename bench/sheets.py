"""``python -m bench.sheets [--rows N]``: the import check of an N-row sheet (default 100k) against
reading the same file with python-calamine alone plus a raw SQLite insert of the same rows.

Prints, measured side by side in this run on one generated .xlsx (zh labels, every visible field
but photos, values as the export writes them):
- baseline: python-calamine reads every row (``iter_rows``) and a plain sqlite3 (no encryption, no
  validation) inserts the rows as they come into a table of TEXT columns, in one transaction;
- ours: ``process_sheet`` of the same file against an empty encrypted archive, the dry run (read,
  types, header mapping, validation, duplicate checks, diffs; nothing written) and the import
  (the same plus the all-or-nothing write with audit entries); the ratio to the baseline (goal <= 2x),
  in wall-clock time and in the CPU time of this process (steadier when the machine is shared);
- peak resident memory (VmHWM, Rust allocations included) of the dry run and of calamine alone,
  each in a fresh process, on a fifth of the rows and on all of them, side by side with the ratio
  (flat: ~1): calamine holds the whole sheet; the import streams an .xlsx above
  app.export.reading.STREAM_BYTES (4 MiB) row by row (FIELDARCHIVE_STREAM_XLSX_BYTES=0 streams
  every .xlsx): the dry run's peak is shown with the default reader and with each path forced
  (the environment variable set in the child), so a label never names a path the child did not take;
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
        from app.services.sheet_results import ImportMode
        from app.services.sheets import process_sheet

        process_sheet(path, load_form(), None, actor="bench", mode=ImportMode.FILE_ONLY, today=TODAY, lang="zh_CN")
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    print(f"{int(hwm.split()[1]) / 1024:.1f}")


def peak(kind: str, path: Path, reader: str = "default") -> float:
    """The peak of ``kind`` on ``path`` in a fresh process; ``reader`` (a dry run's): "calamine" or "streamed"
    forces that path whatever the file's size, "default" leaves the size threshold as it is."""
    env = dict(os.environ)
    env.pop("FIELDARCHIVE_STREAM_XLSX_BYTES", None)
    if reader != "default":
        env["FIELDARCHIVE_STREAM_XLSX_BYTES"] = "0" if reader == "streamed" else str(1 << 62)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.sheets", "--child", kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--no-import", action="store_true", help="time the check only, not the import")
    ap.add_argument(
        "--sheets-dir",
        type=Path,
        help="keep the generated sheets here (sheet-N.xlsx) and reuse "
        "them when they are there: writing 120k rows takes minutes",
    )
    ap.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    n = args.rows
    with temp_home() as home:
        from app.services import session as ss
        from app.services.sheet_results import ImportMode
        from app.services.sheets import process_sheet

        out = Path(home)
        where = args.sheets_dir or out
        where.mkdir(parents=True, exist_ok=True)
        big, small = where / f"sheet-{n}.xlsx", where / f"sheet-{max(1, n // 5)}.xlsx"
        t = time.perf_counter()
        for path, rows in ((big, n), (small, max(1, n // 5))):
            if not (args.sheets_dir and path.exists()):
                make_sheet(path, rows)
        print(
            f"sheets of {n} and {max(1, n // 5)} generated rows ready in {time.perf_counter() - t:.1f} s "
            f"({big.stat().st_size / 1e6:.1f} MB)",
            flush=True,
        )

        header(f"import check of {n} rows (wall clock, and this process's CPU time: steadier on a shared machine)")
        t, c = time.perf_counter(), time.process_time()
        read = baseline(big, out / "raw.sqlite")
        t_base, c_base = time.perf_counter() - t, time.process_time() - c
        assert read == n, read
        session, _ = ss.create(passphrase=PASSPHRASE, actor="bench")
        t, c = time.perf_counter(), time.process_time()
        checked = process_sheet(big, session.form, session._archive, actor="bench", today=TODAY)
        t_check, c_check = time.perf_counter() - t, time.process_time() - c
        assert checked.rows == n and not checked.has_errors, checked.problems[:5]
        t_import = c_import = float("nan")
        if not args.no_import:
            t, c = time.perf_counter(), time.process_time()
            imported = process_sheet(
                big, session.form, session._archive, actor="bench", today=TODAY, mode=ImportMode.WRITE
            )
            t_import, c_import = time.perf_counter() - t, time.process_time() - c
            assert imported.written and imported.created == n
        session.close()
        from app.export.reading import STREAM_BYTES

        print(
            f"the check's reader for this {big.stat().st_size / 1e6:.1f} MB file (default threshold "
            f"{STREAM_BYTES / 2**20:.0f} MiB): {'streamed' if big.stat().st_size > STREAM_BYTES else 'calamine'}"
        )
        print(f"calamine + raw sqlite3 insert:      {t_base:7.2f} s  {n / t_base:8.0f} rows/s   CPU {c_base:7.2f} s")
        print(f"process_sheet dry run (the check):  {t_check:7.2f} s  {n / t_check:8.0f} rows/s   CPU {c_check:7.2f} s")
        print(
            f"process_sheet import (check+write): {t_import:7.2f} s  {n / t_import:8.0f} rows/s   CPU {c_import:7.2f} s"
        )
        print(
            f"ratio check/baseline: {t_check / t_base:.2f}x (CPU {c_check / c_base:.2f}x)   import/baseline: "
            f"{t_import / t_base:.2f}x (CPU {c_import / c_base:.2f}x)   (goal <= 2x)",
            flush=True,
        )

        header(f"the reader alone on {n} rows: calamine's path against the streamed one (goal <= 1.2x to stream all)")
        t = time.perf_counter()
        assert read_only(big, False) > n
        t_cal = time.perf_counter() - t
        t = time.perf_counter()
        assert read_only(big, True) > n
        t_str = time.perf_counter() - t
        print(f"calamine: {t_cal:6.2f} s   streamed: {t_str:6.2f} s   ratio {t_str / t_cal:.2f}x")

        header("peak resident memory (VmHWM), each in a fresh process: flat = the same peak at both sizes")
        sizes = ((small, max(1, n // 5)), (big, n))
        print(
            "default reader: "
            + "; ".join(
                f"{rows} rows ({path.stat().st_size / 1e6:.1f} MB file) "
                f"{'streamed' if path.stat().st_size > STREAM_BYTES else 'calamine'}"
                for path, rows in sizes
            )
        )
        print(f"{'':34s}{sizes[0][1]:>9d} rows {sizes[1][1]:>9d} rows   ratio (goal ~1)")
        for label, kind, reader in (
            ("calamine alone", "calamine", "default"),
            ("dry run, default reader", "check", "default"),
            ("dry run through calamine", "check", "calamine"),
            ("dry run streamed", "check", "streamed"),
        ):
            a, b = (peak(kind, path, reader) for path, _rows in sizes)
            print(f"{label:34s}{a:9.1f} MB  {b:9.1f} MB   {b / a:5.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Every benchmark runs to its end at a tiny size (their figures are printed, never asserted: this only
keeps them working; the audit upload broke bench.sync's replay once without any test noticing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# about a minute of CPU between them and one ~70 s wall (bench.server): `make test` runs them, `make test-fast` not
pytestmark = pytest.mark.slow

RUNS = {
    "storage": (["--count", "400"], "rows/s"),
    "export": (["--rows", "300"], "dry run:"),
    "ui": (["--count", "400"], "query → rows painted"),
    "sync": (["--count", "300", "--photos-mb", "2", "--memory-count", "0"], "ours/bare"),
    "server": (["--count", "400"], "server/raw"),
    "scale": (["--customers", "200", "--backend", "sqlite,postgresql", "--storm-clients", "16"], "storm/batched"),
    "sheets": (["--rows", "300"], "ratio check/baseline"),
    "search": (["--count", "2500", "--rounds", "1"], "walk/lookup"),  # 2,500: some terms broad
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_bench_runs_to_the_end(name: str, tmp_path: Path) -> None:
    args, expect = RUNS[name]
    env = {**os.environ, "FIELDARCHIVE_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "Traceback" not in proc.stderr and expect in proc.stdout, proc.stdout[-2000:]

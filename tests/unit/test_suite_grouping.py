"""The suite's own parallel run keeps a group's tests in one worker (``--dist loadgroup``): a module that
shares an expensive fixture (the 100k archive of tests/ui/test_list_model.py) builds it once. pytest-xdist
3.8 under pytest 9 spread the group silently (tests/conftest.py says why); this runs a real two-worker
pytest over a small module of its own, with this suite's conftest, and reads which worker ran what."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MODULE = """
import os
import pytest

pytestmark = pytest.mark.xdist_group("together")


@pytest.mark.parametrize("n", range(6))
def test_one(n):
    with open(os.environ["WORKERS_SEEN"], "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_a_groups_tests_run_in_one_worker(tmp_path: Path) -> None:
    folder = ROOT / "tests" / "unit" / f"grouping_{os.getpid()}"
    folder.mkdir()
    try:
        (folder / "__init__.py").write_text("")
        (folder / "test_grouped.py").write_text(MODULE)
        seen = tmp_path / "workers.txt"
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(folder),
                "-n",
                "2",
                "--dist",
                "loadgroup",
                "-q",
                "-p",
                "no:cacheprovider",
            ],
            cwd=ROOT,
            env={**os.environ, "WORKERS_SEEN": str(seen)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        for p in sorted(folder.rglob("*"), reverse=True):
            p.rmdir() if p.is_dir() else p.unlink()
        folder.rmdir()
    assert r.returncode == 0, r.stdout + r.stderr
    workers = seen.read_text().split()
    assert len(workers) == 6 and len(set(workers)) == 1, workers

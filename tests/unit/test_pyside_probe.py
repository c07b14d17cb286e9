"""The pinned PySide6 must not leak references to None on void calls (6.12.0 on CPython 3.11 does,
and the process dies after a few thousand calls). Runs ../shared/tools/pyside_refcount_probe.py's
check in a child process, so a crash fails this test instead of the suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import PySide6

PROBE = Path(__file__).with_name("pyside_refcount_probe.py")


def test_pinned_version_is_not_612() -> None:
    assert not PySide6.__version__.startswith("6.12"), PySide6.__version__


def test_void_calls_do_not_leak_references_to_none() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    deltas = [int(d) for d in re.findall(r"delta (-?\d+)", proc.stdout)]
    assert len(deltas) == 3, proc.stdout
    # 1,000 begin/endInsertRows pairs: a leaking build loses ~2,000+ references here.
    assert all(abs(d) < 50 for d in deltas), proc.stdout

"""Composition root of the desktop app (the GUI arrives with the desktop-client issue)."""
from __future__ import annotations

import argparse
import sys


def run_gui(args: argparse.Namespace) -> int:
    sys.stderr.write("The desktop window is not part of this build yet; see `python -m app --help`.\n")
    return 2

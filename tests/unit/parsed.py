"""The architecture tests' one reading of each module: its text and its syntax tree, kept for the test
process. Eight rules scan app/ and server/; each parsed every file again (about a tenth of the unit
tests' CPU). The rules only read the trees, and the synthetic trees of the injected-violation tests
live under their own tmp_path, so a path (or a source text) stands for one content here."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


@cache
def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(text(path))


@cache
def source_tree(source: str) -> ast.Module:
    return ast.parse(source)

"""Find every user-visible message id in the source (calls of _, N_, Nn_, translate, ngettext).

An ngettext (or Nn_) call gives one plural entry: its singular is the msgid, its plural the msgid_plural
(Chinese has one form, ``msgstr[0]``).

Used by tests/unit/test_i18n.py (every id has a zh_CN translation) and by
``python -m tests.i18n_extract`` to print the untranslated ids as .po entries.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCS = {"_", "N_", "Nn_", "translate", "ngettext", "tr"}
PLURAL_FUNCS = {"ngettext", "Nn_"}


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _is_qt_translate(func: ast.AST) -> bool:
    """QCoreApplication.translate(context, text) is Qt's own catalogue, not ours."""
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id.startswith("Q")


@cache
def _calls(packages: tuple[str, ...]) -> list[tuple[str, list[ast.expr], str]]:
    """(function name, its message arguments, place) of every translation call (the sources are parsed once
    per process: the catalogue tests ask several times)."""
    found: list[tuple[str, list[ast.expr], str]] = []
    for pkg in packages:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name not in FUNCS or _is_qt_translate(node.func):
                    continue
                found.append(
                    (
                        name,
                        list(node.args[:2] if name in PLURAL_FUNCS else node.args[:1]),
                        f"{path.relative_to(ROOT)}:{node.lineno}",
                    )
                )
    return found


def message_ids(packages: tuple[str, ...] = ("app", "server")) -> dict[str, list[str]]:
    """msgid → places it is used (for ngettext the singular, which is the .po entry's msgid)."""
    found: dict[str, list[str]] = {}
    for _name, args, place in _calls(packages):
        for s in _strings(args[0]):
            found.setdefault(s, []).append(place)
    return found


def plural_ids(packages: tuple[str, ...] = ("app", "server")) -> dict[str, str]:
    """singular msgid → its msgid_plural, for every ngettext call with literal strings."""
    found: dict[str, str] = {}
    for name, args, _place in _calls(packages):
        if name not in PLURAL_FUNCS:
            continue
        if len(args) == 2 and len(_strings(args[0])) == len(_strings(args[1])) == 1:
            found[_strings(args[0])[0]] = _strings(args[1])[0]  # (ngettext over variables: the Nn_ marks them)
    return found


def po_path() -> Path:
    return ROOT / "resources" / "locale" / "zh_CN" / "LC_MESSAGES" / "fieldarchive.po"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from app.i18n import parse_po

    have = parse_po(po_path().read_text(encoding="utf-8")) if po_path().exists() else {}
    plurals = plural_ids()
    for msgid, places in message_ids().items():
        if msgid in plurals and not isinstance(have.get(msgid), list):
            print(f"#: {places[0]}")
            print(f"msgid {json_quote(msgid)}")
            print(f"msgid_plural {json_quote(plurals[msgid])}")
            print('msgstr[0] ""\n')
        elif msgid not in plurals and msgid not in have:
            print(f"#: {places[0]}")
            print(f"msgid {json_quote(msgid)}")
            print('msgstr ""\n')
    return 0


def json_quote(s: str) -> str:
    import json

    return json.dumps(s, ensure_ascii=False)


if __name__ == "__main__":
    sys.exit(main())

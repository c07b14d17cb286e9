"""Find every user-visible message id in the source (calls of _, N_, translate, ngettext).

Used by tests/unit/test_i18n.py (every id has a zh_CN translation) and by
``python -m tests.i18n_extract`` to print the untranslated ids as .po entries.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCS = {"_", "N_", "translate", "ngettext", "tr"}


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _is_qt_translate(func: ast.AST) -> bool:
    """QCoreApplication.translate(context, text) is Qt's own catalogue, not ours."""
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id.startswith("Q")


def message_ids(packages: tuple[str, ...] = ("app", "server")) -> dict[str, list[str]]:
    """msgid → places it is used."""
    found: dict[str, list[str]] = {}
    for pkg in packages:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name not in FUNCS or _is_qt_translate(node.func):
                    continue
                args = node.args[:2] if name == "ngettext" else node.args[:1]
                for arg in args:
                    for s in _strings(arg):
                        found.setdefault(s, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def po_path() -> Path:
    return ROOT / "resources" / "locale" / "zh_CN" / "LC_MESSAGES" / "fieldarchive.po"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from app.i18n import parse_po

    have = parse_po(po_path().read_text(encoding="utf-8")) if po_path().exists() else {}
    for msgid, places in message_ids().items():
        if msgid not in have:
            print(f"#: {places[0]}")
            print(f"msgid {json_quote(msgid)}")
            print('msgstr ""\n')
    return 0


def json_quote(s: str) -> str:
    import json
    return json.dumps(s, ensure_ascii=False)


if __name__ == "__main__":
    sys.exit(main())

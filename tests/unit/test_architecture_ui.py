"""The UI reaches stored data only through named operations (docs/architecture.md, "The UI and its
operations"): no module of app/ui touches the session's archive or profile, by attribute or by
``getattr``, and no call picks a thread with a flag. Checked on the AST, so a call that needs no
import is still seen (the blind spot of the import rules in test_architecture.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "app" / "ui"
FORBIDDEN = frozenset({"archive", "_archive", "profile", "_profile"})


def session_state_access(source: str) -> list[tuple[int, str]]:
    """(line, name) of every ``x.archive``/``x.profile`` (or private twin), and ``getattr(x, "archive")``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append((node.lineno, node.attr))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in FORBIDDEN
        ):
            found.append((node.lineno, node.args[1].value))
    return found


def thread_flags(source: str) -> list[int]:
    """Lines of calls that choose a thread by a keyword flag (``net=``) instead of the operation's type."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and any(k.arg == "net" for k in node.keywords)
    ]


def ui_modules() -> list[Path]:
    return sorted(UI.rglob("*.py"))


def test_the_rule_sees_every_ui_module() -> None:
    names = {p.relative_to(UI).as_posix() for p in ui_modules()}
    assert {"main_window.py", "records/form.py", "ops/records.py"} <= names  # not passing vacuously


def test_no_ui_module_touches_the_archive_or_the_profile() -> None:
    bad = [
        f"{p.relative_to(ROOT)}:{line} .{name}"
        for p in ui_modules()
        for line, name in session_state_access(p.read_text(encoding="utf-8"))
    ]
    assert bad == [], "the UI reaches data through app/ui/ops and app/services only:\n" + "\n".join(bad)


def test_no_ui_call_chooses_its_thread_by_a_flag() -> None:
    bad = [
        f"{p.relative_to(ROOT)}:{line}" for p in ui_modules() for line in thread_flags(p.read_text(encoding="utf-8"))
    ]
    assert bad == [], "use ctx.op/ctx.task (DbOp) or ctx.net (NetOp):\n" + "\n".join(bad)


def test_the_rules_fail_on_an_injected_violation() -> None:
    source = (UI / "main_window.py").read_text(encoding="utf-8")
    assert session_state_access(source) == [] and thread_flags(source) == []
    injected = source + (
        "\n\ndef _sneak(ctx, s, target):\n"
        "    ctx.op(lambda s: s.archive.customers.get('x')).run()\n"
        "    ctx.op(lambda s: s._archive.media.photo_data('r')).run()\n"
        "    getattr(s, '_profile').backup(None, target)\n"
        "    ctx.task(lambda: None, net=True).run()\n"
    )
    assert sorted(name for _line, name in session_state_access(injected)) == ["_archive", "_profile", "archive"]
    assert len(thread_flags(injected)) == 1


def test_names_that_merely_contain_the_words_pass() -> None:
    ok = "self.profile_name = name\nself.profile_lock = None\nx.archive_id\nx.meta.archive_id\n"
    assert session_state_access(ok) == []

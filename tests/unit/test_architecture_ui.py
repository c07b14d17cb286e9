"""The UI reaches stored data only through named operations (docs/architecture.md, "The UI and its
operations"): no module of app/ui touches the session's archive or profile, by attribute or by
``getattr``; no call picks a thread with a flag; and outside app/ui/ops no module builds an
operation (``ctx.op``/``ctx.task``/``ctx.net``, ``runner.call_db``/``runner.submit``, ``DbOp(...)``/
``NetOp(...)``): screens call the named builders of app/ui/ops. Checked on the AST, so a call that
needs no import is still seen (the blind spot of the import rules in test_architecture.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.unit import parsed

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "app" / "ui"
FORBIDDEN = frozenset({"archive", "_archive", "profile", "_profile"})


def session_state_access(source: str) -> list[tuple[int, str]]:
    """(line, name) of every ``x.archive``/``x.profile`` (or private twin), and ``getattr(x, "archive")``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(parsed.source_tree(source)):
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
        for node in ast.walk(parsed.source_tree(source))
        if isinstance(node, ast.Call) and any(k.arg == "net" for k in node.keywords)
    ]


BUILDERS = frozenset({"op", "task", "net", "call_db"})  # UiContext's primitives, and TaskRunner's wait
OP_CLASSES = frozenset({"Op", "DbOp", "NetOp"})
# where operations may be built: the named operations, and the two modules that define the primitives
BUILD_ALLOWED = ("ops/", "context.py", "tasks.py")


def operations_built(source: str) -> list[tuple[int, str]]:
    """(line, what) of every call that builds or runs an operation by hand: ``x.op(...)``, ``x.task(...)``,
    ``x.net(...)``, ``x.call_db(...)``, ``runner.submit(...)`` and ``DbOp(...)``/``NetOp(...)``/``Op(...)``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(parsed.source_tree(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in BUILDERS:
            found.append((node.lineno, f".{func.attr}("))
        elif isinstance(func, ast.Attribute) and func.attr == "submit" and _names_runner(func.value):
            found.append((node.lineno, "runner.submit("))
        elif isinstance(func, ast.Name | ast.Attribute) and _last_name(func) in OP_CLASSES:
            found.append((node.lineno, f"{_last_name(func)}("))
    return found


def _last_name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _names_runner(node: ast.expr) -> bool:
    return _last_name(node) in ("runner", "_runner")


def ui_modules() -> list[Path]:
    return sorted(UI.rglob("*.py"))


def test_the_rule_sees_every_ui_module() -> None:
    names = {p.relative_to(UI).as_posix() for p in ui_modules()}
    assert {"main_window.py", "records/form.py", "ops/records.py"} <= names  # not passing vacuously


def test_no_ui_module_touches_the_archive_or_the_profile() -> None:
    bad = [
        f"{p.relative_to(ROOT)}:{line} .{name}"
        for p in ui_modules()
        for line, name in session_state_access(parsed.text(p))
    ]
    assert bad == [], "the UI reaches data through app/ui/ops and app/services only:\n" + "\n".join(bad)


def test_no_ui_call_chooses_its_thread_by_a_flag() -> None:
    bad = [f"{p.relative_to(ROOT)}:{line}" for p in ui_modules() for line in thread_flags(parsed.text(p))]
    assert bad == [], "use ctx.op/ctx.task (DbOp) or ctx.net (NetOp):\n" + "\n".join(bad)


def test_only_app_ui_ops_builds_operations() -> None:
    bad = [
        f"{p.relative_to(ROOT)}:{line} {what}"
        for p in ui_modules()
        if not p.relative_to(UI).as_posix().startswith(BUILD_ALLOWED)
        for line, what in operations_built(parsed.text(p))
    ]
    assert bad == [], "call a named operation of app/ui/ops (add one there if it is missing):\n" + "\n".join(bad)


def test_the_operations_rule_sees_the_builders_it_allows() -> None:
    # not passing vacuously: the named operations do build operations, the way the rule looks for them
    built = {what for p in (UI / "ops").glob("*.py") for _l, what in operations_built(parsed.text(p))}
    assert {".op(", ".task(", ".net(", ".call_db("} <= built
    assert {"DbOp(", "NetOp("} <= {w for _l, w in operations_built((UI / "context.py").read_text(encoding="utf-8"))}


def test_the_rules_fail_on_an_injected_violation() -> None:
    source = (UI / "main_window.py").read_text(encoding="utf-8")
    assert session_state_access(source) == [] and thread_flags(source) == [] and operations_built(source) == []
    injected = source + (
        "\n\ndef _sneak(ctx, s, target):\n"
        "    ctx.op(lambda s: s.archive.customers.get('x')).run()\n"
        "    ctx.op(lambda s: s._archive.media.photo_data('r')).run()\n"
        "    getattr(s, '_profile').backup(None, target)\n"
        "    ctx.task(lambda: None, net=True).run()\n"
    )
    assert sorted(name for _line, name in session_state_access(injected)) == ["_archive", "_profile", "archive"]
    assert len(thread_flags(injected)) == 1
    built = (
        source + "\n\ndef _build(self, ctx, session):\n"
        "    self.ctx.op(lambda s: listing.summary(s), self).run()\n"
        "    ctx.net(lambda: client.info()).run()\n"
        "    self.ctx.task(session.close).run()\n"
        "    self.runner.call_db(session.close)\n"
        "    self.ctx.runner.submit(session.close, print)\n"
        "    tasks.DbOp(self.runner, session.close).run()\n"
        "    NetOp(self.runner, session.close).run()\n"
    )
    assert [what for _line, what in sorted(operations_built(built))] == [
        ".op(",
        ".net(",
        ".task(",
        ".call_db(",
        "runner.submit(",
        "DbOp(",
        "NetOp(",
    ]


def test_named_operations_and_their_look_alikes_pass() -> None:
    ok = (
        "record_ops.submit(self.ctx, self, values).success(done).run()\n"  # a named builder called submit
        "sync_ops.sync(self.ctx, session, progress, cancel).run()\n"
        "self.ops.setText('x')\nself.network = None\nform.submit_button.click()\n"
    )
    assert operations_built(ok) == []


def test_names_that_merely_contain_the_words_pass() -> None:
    ok = "self.profile_name = name\nself.profile_lock = None\nx.archive_id\nx.meta.archive_id\n"
    assert session_state_access(ok) == []

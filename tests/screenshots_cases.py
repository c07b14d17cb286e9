"""Screenshots of the workflows' cases (issue 17) for ``make screenshots`` (tests/screenshots.py): the 待办 window
with an onboarding case selected and with a city change path (task order) selected, as a server would answer
(no server here: the sections are given the answers), and the first page of the onboarding case's
《客户新入网申请表》 and of a phone change's 《电话号码申请变更表》 (打印申请表…), rendered by poppler's pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

CASE_ID = "3f6c2a10-8d4e-4b7a-9c1e-5a2b7d9e0f41"
CHANGE_ID = "7b1d9e2c-4a3f-4e8b-8d2a-1c6f0e9b3a57"


def case_shots(shot: Any, ctx: Any, win: Any, lang: str, out: Path) -> None:
    from app.models.onboarding import Case, CaseStep, ChangeItem, WaitingChange, WaitingStep
    from app.services import case_forms
    from app.ui.onboarding_view import TodoWindow

    zh = lang == "zh_CN"
    sess = ctx.session
    customer = next(sess._archive.customers.iterate())
    code, shop = customer.code or "610102000123", str(customer.values.get("shop_name") or "")
    wang = "王建国" if zh else "Wang Jianguo"

    def step(
        n: int, code_: str, name: str, owner: str, owner_name: str | None, hours: float | None, **kw: Any
    ) -> CaseStep:
        base: dict[str, Any] = dict(
            started_at=None, deadline=None, done_at=None, done_by=None, done_by_display=None, note="",
            overdue=False, hours_left=None,
        )  # fmt: skip
        base.update(kw)
        return CaseStep(n, code_, name, owner, owner_name, hours, **base)

    onboarding_steps = (
        step(
            1,
            "forward",
            "专卖部门转发新办证客户信息",
            "department:monopoly",
            "专卖管理所",
            4.0,
            started_at="2026-12-01T09:00:00+08:00",
            deadline="2026-12-01T13:00:00+08:00",
            done_at="2026-12-01T11:20:00+08:00",
            done_by="zhangm",
            done_by_display="张敏" if zh else "Zhang Min",
            note="已转发营销科" if zh else "Forwarded",
        ),
        step(
            2,
            "visit",
            "客户经理实地走访、确定访销线路",
            "role:collector",
            None,
            8.0,
            started_at="2026-12-01T11:20:00+08:00",
            deadline="2026-12-02T11:20:00+08:00",
            done_at="2026-12-02T10:05:00+08:00",
            done_by="c1",
            done_by_display=wang,
            note="已走访，访销线路 3 号线" if zh else "Visited; route 3",
        ),
        step(
            3,
            "apply",
            "营销科审核并报送《客户新入网申请表》",
            "department:county",
            "县区营销部",
            4.0,
            started_at="2026-12-02T10:05:00+08:00",
            deadline="2026-12-02T15:05:00+08:00",
            hours_left=2.5,
        ),
        step(4, "maintain", "市场部审核，维护分销系统与CRM", "department:market", "市场部", 8.0),
    )
    case = Case(CASE_ID, "onboarding", customer.id, code, shop, wang, "open", "office",
                "2026-12-01T09:00:00+08:00", None, onboarding_steps)  # fmt: skip
    waiting = WaitingStep(CASE_ID, customer.id, code, shop, wang, 3, "office", onboarding_steps[2])
    change_steps = (
        step(
            1,
            "order",
            "营销中心填写《客户信息修改维护任务单》",
            "department:market",
            "市场部",
            8.0,
            started_at="2026-12-01T14:00:00+08:00",
            deadline="2026-12-02T14:00:00+08:00",
            done_at="2026-12-01T16:30:00+08:00",
            done_by="mkt",
            done_by_display="刘洋" if zh else "Liu Yang",
        ),
        step(
            2,
            "verify",
            "客户经理实地走访核实并回馈",
            "role:collector",
            None,
            4.0,
            started_at="2026-12-01T16:30:00+08:00",
            deadline="2026-12-02T12:30:00+08:00",
            overdue=True,
            hours_left=-1.5,
        ),
        step(3, "apply", "完成修改并存档，反馈县区营销部", "department:county", "县区营销部", 8.0),
        step(4, "final", "县区营销部最终审核", "department:county", "县区营销部", None),
    )
    item = ChangeItem(customer.id, code, shop, {"order_cycle": ["mon", "thu"]})
    change = WaitingChange(CHANGE_ID, "city", 2, (item,), change_steps[1], frozenset({"approve"}), True)

    todo = TodoWindow(ctx, win)
    todo._show([waiting])
    todo.changes._show([change])
    todo.table.selectRow(0)
    shot(todo, "44-todo-onboarding-case", (1280, 800))
    todo.table.clearSelection()
    todo.changes.table.selectRow(0)
    shot(todo, "45-todo-change-path", (1280, 800))
    todo.close()

    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found (poppler-utils): no picture of the request forms")
        return
    phone_steps = (
        step(
            1,
            "fill",
            "县区营销部核实并填写《客户信息修改维护表》",
            "department:county",
            "县区营销部",
            8.0,
            started_at="2026-12-03T09:00:00+08:00",
            deadline="2026-12-04T09:00:00+08:00",
            done_at="2026-12-03T10:10:00+08:00",
            done_by="s1",
            done_by_display="李华" if zh else "Li Hua",
            note="客户持身份证到场申请" if zh else "The owner applied in person",
        ),
        step(
            2,
            "apply",
            "完成修改，反馈县区营销部审核",
            "department:market",
            "市场部",
            8.0,
            started_at="2026-12-03T10:10:00+08:00",
            deadline="2026-12-04T10:10:00+08:00",
            hours_left=7.0,
        ),
        step(3, "review", "县区营销部审核无误，回馈并存档", "department:county", "县区营销部", 8.0),
    )
    phone = Case(CHANGE_ID, "county", customer.id, code, shop, wang, "open", "county:s1",
                 "2026-12-03T09:00:00+08:00", None, phone_steps,
                 (ChangeItem(customer.id, code, shop, {"contact_phone": "13991234567"}),))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for c, name in ((case, "46-onboarding-form"), (phone, "47-phone-change-form")):
            pdf = Path(tmp) / f"{name}.pdf"
            case_forms.write_form(sess, c, pdf, lang=lang)
            stem = out / f"{lang}-{name}"
            subprocess.run(["pdftoppm", "-r", "90", "-png", "-singlefile", "-f", "1", str(pdf), str(stem)], check=True)

"""Screenshots of the administration area's incident page (安全事件, issue 18) for ``make screenshots``
(tests/screenshots.py): the list with an open and a closed incident, the open one shown with its facts and
steps (recorded, the lost laptop revoked, the remedy), closing refused until who was told is recorded; and
the dialog that records a new incident."""

from __future__ import annotations

import time
from typing import Any


def incidents_shots(shot: Any, ctx: Any, win: Any, lang: str) -> None:
    from app.models.admin import Incident, IncidentRow, IncidentStep
    from app.ui.admin.common import Page, select_key
    from app.ui.admin.incidents import NewIncidentDialog
    from app.ui.admin.window import AdminWindow

    Page.refresh = lambda self: None  # type: ignore[method-assign]  # no server: the pages show what is given
    zh = lang == "zh_CN"
    now = time.time()
    lost = "客户经理王小明的笔记本电脑在 3 路公交车上遗失" if zh else "Wang Xiaoming's laptop was lost on bus line 3"
    remedy = (
        "已吊销该设备的登录；档案为 SQLCipher 加密存储，口令未随设备遗失"
        if zh
        else "The device's sign-in revoked; the archive is encrypted (SQLCipher), the passphrase was not with it"
    )
    older = "一份导出的客户表格误发至外部邮箱" if zh else "An exported customer sheet was mailed to an outside address"
    rows = [
        IncidentRow(2, "lost_device", "2026-12-03", lost, 38, "open", remedy, None),
        IncidentRow(1, "disclosure", "2026-09-14", older, 12, "closed", "…", "…"),
    ]
    steps = (
        IncidentStep(
            "opened", {"kind": "lost_device", "occurred_on": "2026-12-03", "customers": 38}, "admin", now - 7200
        ),
        IncidentStep("revoked", {"user": "wang.xm", "device": "laptop-wang-2024"}, "admin", now - 7000),
        IncidentStep("remedy", {"text": remedy}, "admin", now - 3600),
    )
    current = Incident(
        2,
        "lost_device",
        "2026-12-03",
        lost,
        tuple(f"6101020000{n:02d}" for n in range(1, 39)),
        remedy,
        None,
        "open",
        "admin",
        now - 7200,
        None,
        steps,
    )
    area = AdminWindow(ctx, win)
    area.resize(1280, 720)
    page = area.incidents
    page.show_list(rows)
    page.show_incident(current)
    select_key(page.table, 2)
    page.close_incident()  # refused: who was told is not recorded yet
    area.tabs.setCurrentWidget(page)
    shot(area, "33b-admin-incidents", (1280, 720))
    new = NewIncidentDialog(area)
    new.kind.setCurrentIndex(new.kind.findData("leak"))
    new.summary.setPlainText(
        "稽查时发现一台共享电脑上留有未加密的客户导出表格"
        if zh
        else "An unencrypted customer export found on a shared PC"
    )
    new.customers.setText("610102000017, 610102000233")
    shot(new, "33c-admin-incident-new")
    new.close()
    area.close()

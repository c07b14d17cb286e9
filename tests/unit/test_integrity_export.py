"""The integrity archive's workbooks: entries and complaints (complainant masked), the public notice list."""

from __future__ import annotations

import zipfile

from app.models.remote import Notice, NoticeList
from app.services import integrity, records


def _cells(path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/"))


def test_the_export_holds_the_entries_and_masks_the_complainant(session, tmp_path) -> None:
    c, _ = records.save_draft(session, {"shop_name": "导出测试店"})
    integrity.add_entry(session, c.id, "commendation", "service", "2026-01-05", "年度诚信经营户")
    integrity.open_complaint(session, c.id, "phone", "2026-01-06", "态度差", "赵六六", "13700001111")
    path = tmp_path / "integrity.xlsx"
    assert integrity.export_integrity(session, path, lang="zh_CN") == 2
    text = _cells(path)
    assert "年度诚信经营户" in text and "表彰奖励" in text and "态度差" in text
    assert "赵**" in text and "137****1111" in text
    assert "赵六六" not in text and "13700001111" not in text


def test_the_notice_list_is_saved_with_the_grade_definitions(session, tmp_path) -> None:
    data = NoticeList(
        "2026-03-02",
        (Notice("r1", "610102000001", "老王烟酒店", "c1", "C", "notice", "2026-03-01", "2026-03-02", "2026-03-10"),),
    )
    path = tmp_path / "notice.xlsx"
    assert integrity.save_notices(session, data, path, lang="zh_CN") == 1
    text = _cells(path)
    assert "610102000001" in text and "老王烟酒店" in text and "2026-03-10" in text
    assert "经教育整改后能够及时改正" in text  # the definition of grade C (F3 L173)
